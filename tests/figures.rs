//! Figures: decoded PNGs have the right size and real content; SVGs carry their titles; GIFs
//! their frames; bad input and unwritable paths are errors.

mod common;

use genlab::data::Scaling;
use genlab::figures::{save_gif, Activation};
use genlab::judge::SampleScore;
use genlab::{Error, Figure, PixelRange};
use std::collections::HashSet;

/// Decodes a PNG into (width, height, RGB bytes).
fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(png_bytes);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn distinct_colors(rgb: &[u8]) -> usize {
    rgb.chunks(3).map(|p| (p[0], p[1], p[2])).collect::<HashSet<_>>().len()
}

fn digits(n: usize) -> Vec<f32> {
    let idx: Vec<usize> = (0..n).collect();
    common::mnist().test.pixels(&idx, Scaling::Unit)
}

#[test]
fn sample_grid_png_shows_digits_at_the_asked_scale() {
    let fig = Figure::sample_grid(&digits(25), PixelRange::Unit, 5, "Iteration 400").unwrap();
    let (w1, h1) = fig.size();
    let (w, h, rgb) = decode(&fig.to_png(2.0).unwrap());
    assert_eq!((w, h), (2 * w1, 2 * h1));
    assert!(distinct_colors(&rgb) > 20, "gray levels of digits and anti-aliased text");
    // Inside the grid, digits are white strokes on black: both must be common.
    let dark = rgb.chunks(3).filter(|p| p[0] < 30).count();
    let bright_ink = rgb.chunks(3).filter(|p| p[0] > 200 && p[0] == p[1]).count();
    assert!(dark > rgb.len() / 3 / 4, "black background of the digits");
    assert!(bright_ink > rgb.len() / 3 / 10, "white strokes and margins");
    let svg = fig.to_svg().unwrap();
    assert!(svg.contains("Iteration 400") && svg.contains("<svg"));
}

#[test]
fn a_snapshot_of_symmetric_values_renders_the_same_digits() {
    let unit = digits(4);
    let symmetric: Vec<f32> = unit.iter().map(|v| 2.0 * v - 1.0).collect();
    let a = Figure::sample_grid(&unit, PixelRange::Unit, 2, "x").unwrap().to_rgb(1.0).unwrap();
    let b = Figure::sample_grid(&symmetric, PixelRange::Symmetric, 2, "x")
        .unwrap()
        .to_rgb(1.0)
        .unwrap();
    let differing = a.2.iter().zip(&b.2).filter(|(x, y)| x.abs_diff(**y) > 1).count();
    assert_eq!(differing, 0);
}

#[test]
fn activations_figure_has_all_six_panels() {
    let fig = Figure::activations();
    let (w, h, rgb) = decode(&fig.to_png(1.0).unwrap());
    assert_eq!((w, h), fig.size());
    assert!(distinct_colors(&rgb) > 50);
    let blue = rgb.chunks(3).filter(|p| p[2] > 150 && p[0] < 80).count();
    let orange = rgb.chunks(3).filter(|p| p[0] > 200 && p[1] > 90 && p[1] < 160 && p[2] < 60).count();
    assert!(
        blue > 1000 && orange > 300,
        "functions (blue) and derivatives (orange): {blue} {orange}"
    );
    let svg = fig.to_svg().unwrap();
    for act in Activation::ALL {
        let name = act.title().split("  ").next().unwrap();
        assert!(svg.contains(name), "missing panel {name}");
    }
}

#[test]
fn loss_curves_and_reconstructions_render() {
    let d: Vec<f32> = (0..300).map(|i| 0.7 - i as f32 * 0.001).collect();
    let g: Vec<f32> = (0..300).map(|i| 0.7 + (i as f32 * 0.1).sin() * 0.2).collect();
    let fig = Figure::gan_losses(&d, &g, 50).unwrap();
    let (_, _, rgb) = decode(&fig.to_png(1.0).unwrap());
    assert!(distinct_colors(&rgb) > 30);
    assert!(fig.to_svg().unwrap().contains("generator (moving average of 50)"));

    let fig = Figure::autoencoder_losses(&[0.2, 0.12, 0.11], &[0.15, 0.11, 0.105]).unwrap();
    let svg = fig.to_svg().unwrap();
    assert!(svg.contains("train") && svg.contains("test") && svg.contains("epoch"));

    let orig = digits(5);
    let fig = Figure::reconstructions(&orig, &orig, PixelRange::Unit, "After 10 epochs").unwrap();
    let (w, h, rgb) = decode(&fig.to_png(1.0).unwrap());
    assert!(w > h && distinct_colors(&rgb) > 20);
    let svg = fig.to_svg().unwrap();
    assert!(svg.contains("After 10 epochs") && svg.contains("reconstructions"));
}

#[test]
fn judge_scores_render_as_curves_from_one_snapshot_on() {
    let score = |confident: f32, min_class: f32| SampleScore {
        samples: 1000,
        confident,
        class_shares: [0.1; 10],
        min_class,
        fid: 20.0,
    };
    let fig = Figure::sample_scores(&[0, 400, 800], &[score(0.0, 0.0), score(0.4, 0.03), score(0.5, 0.05)]).unwrap();
    let (_, _, rgb) = decode(&fig.to_png(1.0).unwrap());
    // The two series' colours (matplotlib's first two) are drawn.
    assert!(rgb.chunks(3).any(|p| p == [31, 119, 180]) && rgb.chunks(3).any(|p| p == [255, 127, 14]));
    let svg = fig.to_svg().unwrap();
    assert!(
        svg.contains("confident (p &gt;= 0.9)") || svg.contains("confident (p >= 0.9)"),
        "{svg}"
    );
    assert!(svg.contains("smallest digit share x 10") && svg.contains("iteration") && svg.contains("800"));
    // FID on its own axis at the right, in the third colour.
    assert!(
        svg.contains("FID (right axis") && rgb.chunks(3).any(|p| p == [44, 160, 44]),
        "{svg}"
    );
    // A single snapshot (a short run) gets whole-number ticks, not "-0 -0 0 0".
    let svg = Figure::sample_scores(&[0], &[score(0.0, 0.0)]).unwrap().to_svg().unwrap();
    assert!(!svg.contains("<title>-0</title>") && svg.contains("<title>10</title>"), "{svg}");
    assert!(matches!(
        Figure::sample_scores(&[0, 200], &[score(0.0, 0.0)]),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn d_x_and_d_g_z_are_drawn_against_the_half_line_from_their_first_iteration() {
    let real: Vec<f32> = (0..200).map(|i| 0.9 - i as f32 * 0.002).collect();
    let fake: Vec<f32> = (0..200).map(|i| 0.1 + i as f32 * 0.002).collect();
    let svg = Figure::gan_probabilities(&real, &fake, 4000, 20).unwrap().to_svg().unwrap();
    assert!(
        svg.contains("D(x): real images") && svg.contains("D(G(z)): generated images"),
        "{svg}"
    );
    assert!(svg.contains("<title>4100</title>"), "the x axis starts at 4000: {svg}");
    let (_, _, rgb) = decode(&Figure::gan_probabilities(&real, &fake, 0, 20).unwrap().to_png(1.0).unwrap());
    assert!(rgb.chunks(3).any(|p| p == [31, 119, 180]) && rgb.chunks(3).any(|p| p == [255, 127, 14]));
}

#[test]
fn the_gan_diagram_names_its_parts_in_both_languages() {
    let svg = Figure::gan_diagram().to_svg().unwrap();
    assert!(
        svg.contains("generator G") && svg.contains("discriminator D") && svg.contains("noise z"),
        "{svg}"
    );
    let ko = genlab::Language::Korean.scope(|| Figure::gan_diagram().to_svg().unwrap());
    assert!(ko.contains("생성자 G") && ko.contains("판별자 D") && ko.contains("동결"), "{ko}");
    let (_, _, rgb) = decode(&Figure::gan_diagram().to_png(1.0).unwrap());
    assert!(distinct_colors(&rgb) > 20);
}

/// A hand-edited history with losses at f32's limits draws in bounded time (it spun forever).
#[test]
fn losses_at_the_limits_of_f32_still_draw() {
    let huge = [f32::MAX, -f32::MAX, f32::MAX / 2.0];
    let started = std::time::Instant::now();
    let figure = Figure::gan_losses(&huge, &huge, 2).unwrap();
    figure.to_png(1.0).unwrap();
    figure.to_svg().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
}

#[test]
fn runs_with_their_own_points_share_one_figure() {
    let svg = Figure::shares_of(&[("a", &[0, 10, 20], &[0.1, 0.2, 0.3]), ("b", &[0, 5], &[0.2])], "t", "images").unwrap();
    let svg = svg.to_svg().unwrap();
    assert!(svg.contains("<title>20</title>") && svg.contains("images"), "{svg}");
    assert!(matches!(
        Figure::shares_of(&[("a", &[0], &[0.1, 0.2])], "t", "x"),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn progression_sheet_and_gif() {
    let panels: Vec<(String, Vec<f32>)> = (0..4).map(|k| (format!("Iteration {}", k * 400), digits(9))).collect();
    let fig = Figure::progression(&panels, PixelRange::Unit, 2, "Generated digits").unwrap();
    let svg = fig.to_svg().unwrap();
    assert!((0..4).all(|k| svg.contains(&format!("Iteration {}", k * 400))));
    let (w, h, _) = decode(&fig.to_png(1.0).unwrap());
    assert!(w > 2 * 28 * 3 * 2 && h > 2 * 28 * 3 * 2);

    let dir = common::temp_dir("gif");
    let frames: Vec<Figure> = panels
        .iter()
        .map(|(t, imgs)| Figure::sample_grid(imgs, PixelRange::Unit, 3, t).unwrap())
        .collect();
    let path = dir.join("nested/training.gif");
    save_gif(&frames, &path, 200, 1.0).unwrap();
    let mut decoder = gif::DecodeOptions::new().read_info(std::fs::File::open(&path).unwrap()).unwrap();
    let mut count = 0;
    while decoder.read_next_frame().unwrap().is_some() {
        count += 1;
    }
    assert_eq!(count, 4);
}

#[test]
fn save_writes_png_and_svg_and_creates_folders() {
    let dir = common::temp_dir("save");
    let fig = Figure::sample_grid(&digits(4), PixelRange::Unit, 2, "four").unwrap();
    fig.save(dir.join("a/b/grid.png")).unwrap();
    fig.save(dir.join("a/b/grid.svg")).unwrap();
    fig.save_png(dir.join("grid3x.png"), 3.0).unwrap();
    let (w, _, _) = decode(&std::fs::read(dir.join("a/b/grid.png")).unwrap());
    assert_eq!(w, 2 * fig.size().0);
    let (w3, _, _) = decode(&std::fs::read(dir.join("grid3x.png")).unwrap());
    assert_eq!(w3, 3 * fig.size().0);
    assert!(std::fs::read_to_string(dir.join("a/b/grid.svg")).unwrap().contains("four"));
    assert!(matches!(fig.save(dir.join("grid.jpg")), Err(Error::InvalidArgument(_))));
}

#[test]
fn unwritable_paths_and_bad_data_are_clear_errors() {
    let dir = common::temp_dir("unwritable");
    let blocker = dir.join("file");
    std::fs::write(&blocker, b"x").unwrap();
    let fig = Figure::activations();
    let err = fig.save_png(blocker.join("under-a-file.png"), 1.0).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(Figure::sample_grid(&[0.0; 100], PixelRange::Unit, 5, "x").is_err());
    assert!(Figure::sample_grid(&[f32::NAN; 784], PixelRange::Unit, 1, "x").is_err());
    assert!(Figure::gan_losses(&[], &[], 10).is_err());
    assert!(fig.to_png(0.0).is_err());
}
