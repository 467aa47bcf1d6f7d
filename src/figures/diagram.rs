//! The lecture's GAN diagram: noise through the generator to fake images, fake and real
//! images into the discriminator, its verdict, and the generator learning through the frozen
//! discriminator.

use super::canvas::centered;
use super::words;
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Size at scale 1.
pub const SIZE: (u32, u32) = (1000, 430);

const GENERATOR: RGBColor = RGBColor(31, 119, 180);
const DISCRIMINATOR: RGBColor = RGBColor(255, 127, 14);
const DATA: RGBColor = RGBColor(120, 120, 120);

fn err<E: std::fmt::Display>(e: E) -> Error {
    Error::Figure(e.to_string())
}

/// A box from `(x0, y0)` to `(x1, y1)` (scale-1 coordinates), tinted `color`, with centred
/// lines of text.
fn labelled_box<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x0, y0, x1, y1): (i32, i32, i32, i32),
    color: RGBColor,
    lines: &[String],
    s: f64,
) -> Result<()> {
    let at = |v: i32| (v as f64 * s).round() as i32;
    root.draw(&Rectangle::new([(at(x0), at(y0)), (at(x1), at(y1))], color.mix(0.15).filled()))
        .map_err(err)?;
    root.draw(&Rectangle::new(
        [(at(x0), at(y0)), (at(x1), at(y1))],
        color.stroke_width((2.0 * s).round() as u32),
    ))
    .map_err(err)?;
    let line_height = 24;
    let top = (y0 + y1) / 2 - (lines.len() as i32 - 1) * line_height / 2;
    for (k, line) in lines.iter().enumerate() {
        let size = if k == 0 { 19.0 } else { 15.0 };
        root.draw(&Text::new(
            line.clone(),
            (at((x0 + x1) / 2), at(top + k as i32 * line_height)),
            centered(line, size, s),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// An arrow along `points` (scale-1 coordinates), its head at the last point; dashed when asked.
fn arrow<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, points: &[(i32, i32)], dashed: bool, s: f64) -> Result<()> {
    let at = |(x, y): (i32, i32)| ((x as f64 * s).round() as i32, (y as f64 * s).round() as i32);
    let scaled: Vec<(i32, i32)> = points.iter().copied().map(at).collect();
    let style = BLACK.mix(0.75).stroke_width((2.0 * s).round() as u32);
    if dashed {
        root.draw(&plotters::element::DashedPathElement::new(
            scaled.clone(),
            (8.0 * s) as u32,
            (6.0 * s) as u32,
            style,
        ))
        .map_err(err)?;
    } else {
        root.draw(&PathElement::new(scaled.clone(), style)).map_err(err)?;
    }
    let (&(x1, y1), &(x0, y0)) = (&scaled[scaled.len() - 1], &scaled[scaled.len() - 2]);
    let (dx, dy) = ((x1 - x0) as f64, (y1 - y0) as f64);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let (ux, uy) = (dx / len, dy / len);
    let (head, half) = (14.0 * s, 7.0 * s);
    let back = (x1 as f64 - ux * head, y1 as f64 - uy * head);
    let corner = |side: f64| ((back.0 - uy * half * side) as i32, (back.1 + ux * half * side) as i32);
    root.draw(&Polygon::new(vec![(x1, y1), corner(1.0), corner(-1.0)], BLACK.mix(0.75).filled()))
        .map_err(err)?;
    Ok(())
}

/// Text centred at `(x, y)` (scale-1 coordinates).
fn note<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, text: &str, (x, y): (i32, i32), size: f64, s: f64) -> Result<()> {
    let at = |v: i32| (v as f64 * s).round() as i32;
    root.draw(&Text::new(text.to_string(), (at(x), at(y)), centered(text, size, s)))
        .map_err(err)?;
    Ok(())
}

pub fn draw_gan_diagram<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str, s: f64) -> Result<()> {
    let w = words::gan_diagram();
    note(root, title, (SIZE.0 as i32 / 2, 24), 21.0, s)?;
    labelled_box(root, (30, 80, 200, 170), DATA, &w.noise, s)?;
    labelled_box(root, (270, 80, 440, 170), GENERATOR, &w.generator, s)?;
    labelled_box(root, (510, 80, 680, 170), GENERATOR, &w.fake, s)?;
    labelled_box(root, (510, 220, 680, 310), DATA, &w.real, s)?;
    labelled_box(root, (770, 150, 960, 240), DISCRIMINATOR, &w.discriminator, s)?;
    arrow(root, &[(200, 125), (270, 125)], false, s)?;
    arrow(root, &[(440, 125), (510, 125)], false, s)?;
    arrow(root, &[(680, 125), (725, 125), (725, 180), (770, 180)], false, s)?;
    arrow(root, &[(680, 265), (725, 265), (725, 210), (770, 210)], false, s)?;
    note(root, &w.verdict, (865, 275), 15.0, s)?;
    // The generator's update: through the frozen discriminator, back to the generator.
    arrow(root, &[(865, 295), (865, 380), (355, 380), (355, 170)], true, s)?;
    note(root, &w.update, (610, 400), 15.0, s)?;
    Ok(())
}
