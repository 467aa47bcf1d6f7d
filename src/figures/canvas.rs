//! What each figure draws and how, on any plotters backend, at any scale.

use super::activations::draw_activations;
use super::diagram::{self, draw_gan_diagram};
use super::images::Images;
use super::losses::{draw_losses, Curves};
use super::text::{ensure_fonts, font};
use crate::error::{Error, Result};
use plotters::prelude::*;

/// The content of a figure.
#[derive(Debug, Clone, PartialEq)]
pub enum Plot {
    Activations {
        title: String,
    },
    GanDiagram {
        title: String,
    },
    Grid {
        images: Images,
        title: String,
    },
    Progression {
        panels: Vec<(String, Images)>,
        columns: usize,
        title: String,
    },
    Rows {
        rows: Vec<(String, Images)>,
        title: String,
    },
    Losses {
        curves: Curves,
        title: String,
    },
}

// Layout constants, in logical pixels.
const GRID_PX: u32 = 3;
const GRID_GAP: u32 = 4;
const SHEET_PX: u32 = 2;
const SHEET_GAP: u32 = 2;
const MARGIN: u32 = 14;
const TITLE: u32 = 40;
const LABEL: u32 = 28;
/// Pixels per image pixel in labelled rows (112-px digits).
const ROWS_PX: u32 = 4;
/// Row label text size.
const ROW_LABEL_SIZE: f64 = 16.0;

/// The width of the row labels' column: the longest label, estimated from its characters
/// (Hangul and other wide letters one em, Latin about half), and a margin.
fn row_label_width(rows: &[(String, Images)]) -> u32 {
    let em = |c: char| if c.is_ascii() { 0.56 } else { 1.0 };
    let longest = rows.iter().map(|(label, _)| label.chars().map(em).sum::<f64>()).fold(0.0, f64::max);
    (longest * ROW_LABEL_SIZE).ceil() as u32 + MARGIN
}

fn scaled(v: u32, s: f64) -> u32 {
    ((v as f64 * s).round() as u32).max(1)
}

impl Plot {
    /// Size at scale 1.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Plot::Activations { .. } => (960, 600),
            Plot::GanDiagram { .. } => diagram::SIZE,
            Plot::Losses { .. } => (900, 440),
            Plot::Grid { images, .. } => {
                let (w, h) = images.grid_size(GRID_PX, GRID_GAP);
                ((w + 2 * MARGIN).max(260), h + TITLE + MARGIN)
            }
            Plot::Progression { panels, columns, .. } => {
                let (pw, ph) = panel_size(panels, 1.0);
                let cols = (*columns).min(panels.len()) as u32;
                let rows = panels.len().div_ceil(*columns) as u32;
                (cols * pw + (cols + 1) * MARGIN, TITLE + rows * ph + rows * MARGIN)
            }
            Plot::Rows { rows, .. } => {
                let (w, h) = rows[0].1.grid_size(ROWS_PX, GRID_GAP * 2);
                let n = rows.len() as u32;
                (row_label_width(rows) + w + 2 * MARGIN, TITLE + n * h + (n + 1) * MARGIN)
            }
        }
    }
}

fn panel_size(panels: &[(String, Images)], s: f64) -> (u32, u32) {
    let px = scaled(SHEET_PX, s);
    let gap = scaled(SHEET_GAP, s);
    let (w, h) = panels
        .iter()
        .map(|(_, imgs)| imgs.grid_size(px, gap))
        .fold((0, 0), |a, b| (a.0.max(b.0), a.1.max(b.1)));
    (w, h + scaled(LABEL, s))
}

fn text_style(text: &str, size: f64, s: f64) -> TextStyle<'static> {
    font(text, size * s).color(&BLACK)
}

/// Black `text` of `size` (at scale `s`) centred on its position.
pub fn centered(text: &str, size: f64, s: f64) -> TextStyle<'static> {
    text_style(text, size, s).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Center,
        plotters::style::text_anchor::VPos::Center,
    ))
}

fn fig_err<E: std::fmt::Display>(e: E) -> Error {
    Error::Figure(e.to_string())
}

/// Draws `title` centred in the title band; returns the canvas width.
fn draw_title<DB: DrawingBackend>(root: &DrawingArea<DB, plotters::coord::Shift>, title: &str, size: f64, s: f64) -> Result<u32> {
    let (w, _) = root.dim_in_pixel();
    root.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, scaled(TITLE, s) as i32 / 2),
        centered(title, size, s),
    ))
    .map_err(fig_err)?;
    Ok(w)
}

impl Plot {
    /// Whether the plot fills any canvas (charts) rather than keeping its own size (images).
    fn stretches(&self) -> bool {
        matches!(self, Plot::Activations { .. } | Plot::Losses { .. })
    }

    /// The title, whichever the plot.
    pub fn title_mut(&mut self) -> &mut String {
        match self {
            Plot::Activations { title }
            | Plot::GanDiagram { title }
            | Plot::Grid { title, .. }
            | Plot::Progression { title, .. }
            | Plot::Rows { title, .. }
            | Plot::Losses { title, .. } => title,
        }
    }
}

/// The scale at which `plot` fills an exact `width x height` canvas: charts scale their text
/// with the height (1080 px high: 2x) and stretch to the width; image plots grow until they
/// touch two sides, and are centred.
pub fn fit_scale(plot: &Plot, width: u32, height: u32) -> f64 {
    let (w, h) = plot.size();
    if plot.stretches() {
        (height as f64 / 540.0).min(width as f64 / 480.0)
    } else {
        (width as f64 / w as f64).min(height as f64 / h as f64)
    }
}

/// Draws `plot` on `backend` at scale `s`; the backend's whole canvas for charts, a centred
/// area of the plot's own size (at `s`) for image plots.
pub fn render<DB: DrawingBackend>(plot: &Plot, backend: DB, s: f64) -> Result<()> {
    ensure_fonts();
    let canvas = backend.into_drawing_area();
    canvas.fill(&WHITE).map_err(fig_err)?;
    let root = if plot.stretches() {
        canvas.clone()
    } else {
        let (w, h) = plot.size();
        let (cw, ch) = canvas.dim_in_pixel();
        let (pw, ph) = (((w as f64 * s).round() as u32).min(cw), ((h as f64 * s).round() as u32).min(ch));
        canvas.clone().shrink((((cw - pw) / 2) as i32, ((ch - ph) / 2) as i32), (pw, ph))
    };
    match plot {
        Plot::Activations { title } => draw_activations(&root, title, s)?,
        Plot::GanDiagram { title } => draw_gan_diagram(&root, title, s)?,
        Plot::Losses { curves, title } => draw_losses(&root, curves, title, s)?,
        Plot::Grid { images, title } => {
            let w = draw_title(&root, title, 20.0, s)?;
            let (px, gap) = (scaled(GRID_PX, s), scaled(GRID_GAP, s));
            let (gw, _) = images.grid_size(px, gap);
            images.draw(&root, ((w as i32 - gw as i32) / 2, scaled(TITLE, s) as i32), px, gap)?;
        }
        Plot::Progression { panels, columns, title } => {
            draw_title(&root, title, 22.0, s)?;
            let (pw, ph) = panel_size(panels, s);
            let m = scaled(MARGIN, s);
            let (px, gap) = (scaled(SHEET_PX, s), scaled(SHEET_GAP, s));
            for (i, (label, images)) in panels.iter().enumerate() {
                let (r, c) = ((i / columns) as u32, (i % columns) as u32);
                let x = (m + c * (pw + m)) as i32;
                let y = (scaled(TITLE, s) + r * (ph + m)) as i32;
                root.draw(&Text::new(
                    label.clone(),
                    (x + pw as i32 / 2, y + scaled(LABEL, s) as i32 / 2),
                    centered(label, 16.0, s),
                ))
                .map_err(fig_err)?;
                images.draw(&root, (x, y + scaled(LABEL, s) as i32), px, gap)?;
            }
        }
        Plot::Rows { rows, title } => {
            draw_title(&root, title, 20.0, s)?;
            let (px, gap) = (scaled(ROWS_PX, s), scaled(GRID_GAP * 2, s));
            let (_, gh) = rows[0].1.grid_size(px, gap);
            let x = (scaled(row_label_width(rows), s) + scaled(MARGIN, s)) as i32;
            for (row, (label, images)) in rows.iter().enumerate() {
                let y = (scaled(TITLE, s) + row as u32 * (gh + scaled(MARGIN, s))) as i32;
                let label_style = text_style(label, ROW_LABEL_SIZE, s).pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Right,
                    plotters::style::text_anchor::VPos::Center,
                ));
                root.draw(&Text::new(
                    label.clone(),
                    (x - scaled(MARGIN, s) as i32, y + gh as i32 / 2),
                    label_style,
                ))
                .map_err(fig_err)?;
                images.draw(&root, (x, y), px, gap)?;
            }
        }
    }
    canvas.present().map_err(fig_err)?;
    Ok(())
}
