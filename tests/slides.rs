//! Figures for slides: Korean text drawn as glyphs (not the missing-glyph box) in PNG and SVG,
//! exact slide sizes, and a run's figures exported in one call in either language.

mod common;

use genlab::figures::{Language, SLIDE_16_9};
use genlab::{Autoencoder, AutoencoderConfig, ExportOptions, Figure, Gan, GanConfig, PixelRange};
use std::path::Path;

fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(png_bytes);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// The title band (the top 36 rows) of a 4-digit grid titled `title`, at scale 2.
fn title_band(title: &str) -> Vec<u8> {
    let images = vec![0.5f32; 4 * 784];
    let figure = Figure::sample_grid(&images, PixelRange::Unit, 2, title).unwrap();
    let (w, _, rgb) = figure.to_rgb(2.0).unwrap();
    rgb[..(w * 3 * 72) as usize].to_vec()
}

fn ink(band: &[u8]) -> usize {
    band.iter().filter(|&&v| v < 128).count()
}

#[test]
fn korean_titles_render_as_glyphs_not_as_missing_glyph_boxes() {
    let (generator, discriminator) = (title_band("생성자 손실"), title_band("판별자 손실"));
    // Characters neither font has: what missing glyphs look like, box after box.
    let missing = title_band("ᚠᚡᚢ ᚣᚤ");
    assert!(ink(&generator) > 200, "the Korean title left almost no ink");
    assert_ne!(
        generator, discriminator,
        "two different Korean titles drew the same pixels (boxes?)"
    );
    assert_ne!(generator, missing);
    // Boxes of equal-length strings are equal; glyphs are not.
    assert_eq!(missing, title_band("ᚥᚦᚧ ᚨᚩ"), "the missing-glyph reference is not a fixed box");
    // The same Korean title in SVG: outlines, no <text> that needs an installed font.
    let figure = Figure::sample_grid(&[0.5; 784], PixelRange::Unit, 1, "생성자 손실").unwrap();
    let svg = figure.to_svg().unwrap();
    assert!(!svg.contains("<text"), "SVG text would need fonts on the viewer's machine");
    assert!(svg.contains("<path d=\"M") && svg.contains("<title>생성자 손실</title>"));
}

#[test]
fn slide_sizes_are_exact_for_every_kind_of_figure() {
    let images = vec![0.5f32; 25 * 784];
    let figures = [
        Figure::activations(),
        Figure::sample_grid(&images, PixelRange::Unit, 5, "grid").unwrap(),
        Figure::gan_losses(&[0.7, 0.6, 0.5], &[1.0, 1.2, 1.1], 2).unwrap(),
        Figure::autoencoder_losses(&[0.2, 0.1], &[0.21, 0.12]).unwrap(),
        Figure::image_rows(&[("a", &images[..5 * 784]), ("b", &images[..5 * 784])], PixelRange::Unit, "rows").unwrap(),
    ];
    for figure in &figures {
        for (w, h) in [SLIDE_16_9, (1280, 720), (1024, 768)] {
            let (pw, ph, rgb) = decode(&figure.to_png_sized(w, h).unwrap());
            assert_eq!((pw, ph), (w, h));
            assert!(rgb.iter().any(|&v| v < 100), "{w}x{h} is blank");
            let svg = figure.to_svg_sized(w, h).unwrap();
            assert!(svg.contains(&format!("width=\"{w}\"")) && svg.contains(&format!("height=\"{h}\"")));
        }
    }
    let err = figures[0].to_png_sized(0, 1080).unwrap_err().to_string();
    assert!(err.contains("1920x1080"), "{err}");
}

#[test]
fn text_can_be_replaced_and_short_runs_get_whole_epoch_ticks() {
    let figure = Figure::autoencoder_losses(&[0.2, 0.1], &[0.21, 0.12]).unwrap();
    let renamed = figure
        .clone()
        .with_title("오토인코더 손실")
        .with_axis_labels("에포크", "손실")
        .unwrap()
        .with_legend(&["학습", "테스트"])
        .unwrap();
    let svg = renamed.to_svg().unwrap();
    for words in ["오토인코더 손실", "에포크", "손실", "학습", "테스트"] {
        assert!(svg.contains(&format!("<title>{words}</title>")), "{words} missing");
    }
    assert!(figure.clone().with_legend(&["one"]).is_err());
    assert!(Figure::activations().with_axis_labels("x", "y").is_err());
    // A 2-epoch curve: the x axis reads 1 and 2, once each.
    let ticks: Vec<&str> = svg
        .split("<title>")
        .skip(1)
        .filter_map(|t| t.split("</title>").next())
        .filter(|t| *t == "1" || *t == "2")
        .collect();
    assert_eq!(ticks, ["1", "2"], "x tick labels of a 2-epoch curve");
}

fn pngs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_run_exports_all_its_figures_in_korean_and_english_at_slide_size() {
    let config = GanConfig {
        log_every: 0,
        snapshot_every: 2,
        snapshot_images: 4,
        ..GanConfig::default()
    };
    let mut gan = Gan::with_data(config, common::mnist()).unwrap();
    gan.train_until(9).unwrap();
    let dir = common::temp_dir("export-gan");
    let options = |language| ExportOptions {
        language,
        size: Some(SLIDE_16_9),
        svg: true,
        ..ExportOptions::default()
    };
    let ko = gan.export_figures(dir.join("ko"), &options(Language::Korean)).unwrap();
    let en = gan.export_figures(dir.join("en"), &options(Language::English)).unwrap();
    assert_eq!(ko.len(), en.len());
    assert_eq!(pngs(&dir.join("ko")), pngs(&dir.join("en")));
    for name in [
        "progression",
        "progression_first_half",
        "progression_second_half",
        "snapshot",
        "real_and_generated",
        "losses",
        "probabilities",
        "latent_walk",
    ] {
        let (k, e) = (
            dir.join("ko").join(format!("{name}.png")),
            dir.join("en").join(format!("{name}.png")),
        );
        let (kw, kh, k_rgb) = decode(&std::fs::read(&k).unwrap());
        let (ew, eh, e_rgb) = decode(&std::fs::read(&e).unwrap());
        assert_eq!((kw, kh, ew, eh), (1920, 1080, 1920, 1080), "{name}");
        assert_ne!(k_rgb, e_rgb, "{name}: Korean and English exports drew the same pixels");
    }
    let ko_losses = std::fs::read_to_string(dir.join("ko/losses.svg")).unwrap();
    let en_losses = std::fs::read_to_string(dir.join("en/losses.svg")).unwrap();
    assert!(ko_losses.contains("<title>GAN 손실</title>") && ko_losses.contains("<title>반복</title>"));
    assert!(
        ko_losses.contains("<title>판별자 손실 (구간 50 이동 평균)</title>"),
        "legend not in Korean"
    );
    assert!(en_losses.contains("<title>GAN losses</title>") && en_losses.contains("<title>iteration</title>"));
    assert!(dir.join("ko/training.gif").is_file());
    // The language is the export's own: the thread's default is untouched.
    assert_eq!(Language::current(), Language::English);

    let mut ae = Autoencoder::with_data(
        AutoencoderConfig {
            log_every: 0,
            train_images: Some(256),
            ..AutoencoderConfig::default()
        },
        common::mnist(),
    )
    .unwrap();
    ae.fit_until(1).unwrap();
    let written = ae.export_figures(dir.join("ae"), &options(Language::Korean)).unwrap();
    let names = pngs(&dir.join("ae"));
    assert_eq!(written.len(), 8, "{names:?}");
    let code = std::fs::read_to_string(dir.join("ae/code.svg")).unwrap();
    assert!(code.contains("8×4×4 = 128"), "the code h figure names the code's size");
    let rows = std::fs::read_to_string(dir.join("ae/progression.svg")).unwrap();
    assert!(rows.contains("<title>테스트할 이미지</title>") && rows.contains("<title>1 에포크 후</title>"));
}
