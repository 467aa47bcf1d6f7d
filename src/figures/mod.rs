//! Figures for notebooks and slides, drawn with plotters: PNG inline in evcxr, PNG (any scale)
//! and SVG export, and animated GIFs.
//!
//! Figures take plain data (slices of pixel values, loss histories), not models. Text is drawn
//! with an embedded font (DejaVu Sans, licence in `assets/fonts/`), so nothing depends on system
//! fonts or fontconfig.

mod activations;
mod canvas;
mod gif;
mod images;
mod losses;

pub use activations::Activation;
pub use gif::{save_gif, Animation};
pub use images::{PixelRange, IMAGE_SIDE};

use crate::error::{Error, Result};
use base64::Engine;
use canvas::Plot;
use std::path::Path;

/// A figure: a description of what to draw and its size in logical pixels (scale 1).
///
/// Shows inline as PNG when it is the last expression of an evcxr cell; `save_png`, `save_svg`
/// or `save` write it for slides.
///
/// Matplotlib equivalent: a `plt.figure()` with `plt.show()` / `plt.savefig(...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    width: u32,
    height: u32,
    plot: Plot,
}

impl Figure {
    fn new(plot: Plot) -> Figure {
        let (width, height) = plot.size();
        Figure { width, height, plot }
    }

    /// The lecture's activation-functions slide: sigmoid, tanh, ReLU, Leaky ReLU (`max(0.1x, x)`),
    /// Maxout and ELU, one panel each with its formula, derivatives dashed.
    pub fn activations() -> Figure {
        Figure::new(Plot::Activations)
    }

    /// A `rows x cols` grid of 28x28 images (784 values each, in `range`), with a title.
    ///
    /// Matplotlib equivalent: the lecture's 5x5 `plt.subplots` grid of `gen_imgs`.
    pub fn sample_grid(images: &[f32], range: PixelRange, cols: usize, title: &str) -> Result<Figure> {
        let images = images::Images::new(images, range, cols)?;
        Ok(Figure::new(Plot::Grid {
            images,
            title: title.to_string(),
        }))
    }

    /// Several snapshot grids side by side, each labelled (e.g. "Iteration 400"), as on the
    /// lecture's results slides. `panels` holds (label, images); `columns` panels per row.
    pub fn progression(panels: &[(String, Vec<f32>)], range: PixelRange, columns: usize, title: &str) -> Result<Figure> {
        if panels.is_empty() || columns == 0 {
            return Err(Error::InvalidArgument(
                "a progression sheet needs at least one panel and one column".into(),
            ));
        }
        let panels = panels
            .iter()
            .map(|(label, imgs)| {
                let n = imgs.len() / IMAGE_SIDE.pow(2);
                let side = (n as f64).sqrt().ceil().max(1.0) as usize;
                Ok((label.clone(), images::Images::new(imgs, range, side)?))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Figure::new(Plot::Progression {
            panels,
            columns,
            title: title.to_string(),
        }))
    }

    /// Originals on top, reconstructions below, as on the lecture's autoencoder slides.
    pub fn reconstructions(originals: &[f32], reconstructions: &[f32], range: PixelRange, title: &str) -> Result<Figure> {
        Figure::image_rows(&[("test images", originals), ("reconstructions", reconstructions)], range, title)
    }

    /// Labelled rows of images (equal counts), e.g. noisy / cleaned / original.
    pub fn image_rows(rows: &[(&str, &[f32])], range: PixelRange, title: &str) -> Result<Figure> {
        let first = rows
            .first()
            .ok_or_else(|| Error::InvalidArgument("at least one row of images is needed".into()))?;
        if let Some((label, values)) = rows.iter().find(|(_, v)| v.len() != first.1.len()) {
            return Err(Error::InvalidArgument(format!(
                "row `{label}` has {} values, row `{}` has {}: rows must hold the same number of images",
                values.len(),
                first.0,
                first.1.len()
            )));
        }
        let n = first.1.len() / IMAGE_SIDE.pow(2);
        let rows = rows
            .iter()
            .map(|(label, values)| Ok((label.to_string(), images::Images::new(values, range, n)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Figure::new(Plot::Rows {
            rows,
            title: title.to_string(),
        }))
    }

    /// GAN losses per iteration: raw values faint, a moving average over `window` bold.
    pub fn gan_losses(d_loss: &[f32], g_loss: &[f32], window: usize) -> Result<Figure> {
        let curves = losses::Curves::per_iteration(&[("discriminator", d_loss), ("generator", g_loss)], window)?;
        Ok(Figure::new(Plot::Losses {
            curves,
            title: "GAN losses".into(),
        }))
    }

    /// Autoencoder losses per epoch: training and test (Keras' `loss` and `val_loss`).
    pub fn autoencoder_losses(train: &[f32], test: &[f32]) -> Result<Figure> {
        let curves = losses::Curves::per_epoch(&[("train", train), ("test", test)])?;
        Ok(Figure::new(Plot::Losses {
            curves,
            title: "Autoencoder loss (binary cross-entropy)".into(),
        }))
    }

    /// How the digit classifier judged the generator's samples at each snapshot: the share it
    /// labels with confidence >= 0.9 and the smallest share of any digit (0 means a digit is
    /// missing: mode collapse), against the iteration.
    pub fn sample_scores(iterations: &[u64], scores: &[crate::judge::SampleScore]) -> Result<Figure> {
        let confident: Vec<f32> = scores.iter().map(|s| s.confident).collect();
        let min_class: Vec<f32> = scores.iter().map(|s| s.min_class).collect();
        let curves = losses::Curves::shares_at(
            iterations,
            &[("confident (p >= 0.9)", &confident), ("smallest digit share", &min_class)],
        )?;
        Ok(Figure::new(Plot::Losses {
            curves,
            title: "Generated digits as the classifier sees them".into(),
        }))
    }

    /// Width and height in logical pixels (PNG at scale 1, SVG).
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// RGB pixels at `scale` (2.0 doubles width, height, fonts and lines).
    pub fn to_rgb(&self, scale: f64) -> Result<(u32, u32, Vec<u8>)> {
        if !(scale.is_finite() && scale > 0.0 && scale <= 16.0) {
            return Err(Error::InvalidArgument(format!("scale must be in (0, 16], got {scale}")));
        }
        let (w, h) = (
            (self.width as f64 * scale).round() as u32,
            (self.height as f64 * scale).round() as u32,
        );
        // Drawn at twice the size and averaged down: plotters' bitmap lines and text have no
        // anti-aliasing, and curves drawn at the final size look jagged.
        let (big_w, big_h) = (2 * w, 2 * h);
        let mut big = vec![255u8; (big_w * big_h * 3) as usize];
        {
            let backend = plotters::backend::BitMapBackend::with_buffer(&mut big, (big_w, big_h));
            canvas::render(&self.plot, backend, 2.0 * scale)?;
        }
        Ok((w, h, halve(&big, w as usize, h as usize)))
    }

    /// PNG bytes at `scale`.
    pub fn to_png(&self, scale: f64) -> Result<Vec<u8>> {
        let (w, h, rgb) = self.to_rgb(scale)?;
        encode_png(w, h, &rgb)
    }

    /// SVG text (vector, for slides; digit images are embedded as PNG).
    pub fn to_svg(&self) -> Result<String> {
        let mut svg = String::new();
        {
            let backend = plotters::backend::SVGBackend::with_string(&mut svg, (self.width, self.height));
            canvas::render(&self.plot, backend, 1.0)?;
        }
        Ok(svg)
    }

    /// Writes a PNG at `scale` (e.g. 2.0 or 3.0 for a 1920-px slide), creating parent folders.
    pub fn save_png(&self, path: impl AsRef<Path>, scale: f64) -> Result<()> {
        write_file(path.as_ref(), &self.to_png(scale)?)
    }

    /// Writes an SVG, creating parent folders.
    pub fn save_svg(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), self.to_svg()?.as_bytes())
    }

    /// Writes PNG (at 2x) or SVG, chosen by the extension of `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("png") => self.save_png(path, 2.0),
            Some("svg") => self.save_svg(path),
            _ => Err(Error::InvalidArgument(format!("{}: use a .png or .svg file name", path.display()))),
        }
    }

    /// Shows the figure in an evcxr (Jupyter) cell as `image/png`, which JupyterLab renders in
    /// trusted and untrusted notebooks alike.
    pub fn evcxr_display(&self) {
        match self.to_png(1.0) {
            Ok(png) => println!(
                "EVCXR_BEGIN_CONTENT image/png\n{}\nEVCXR_END_CONTENT",
                base64::engine::general_purpose::STANDARD.encode(png)
            ),
            Err(e) => eprintln!("figure could not be drawn: {e}"),
        }
    }
}

/// An RGB image of `2w x 2h` pixels averaged down to `w x h` (each output pixel the mean of
/// its 2x2 block).
fn halve(big: &[u8], w: usize, h: usize) -> Vec<u8> {
    let row = 2 * w * 3;
    let mut out = vec![0u8; w * h * 3];
    for (y, out_row) in out.chunks_exact_mut(w * 3).enumerate() {
        let (top, bottom) = (&big[2 * y * row..][..row], &big[(2 * y + 1) * row..][..row]);
        for (x, px) in out_row.chunks_exact_mut(3).enumerate() {
            for (c, v) in px.iter_mut().enumerate() {
                let at = |line: &[u8], dx: usize| line[(2 * x + dx) * 3 + c] as u16;
                *v = ((at(top, 0) + at(top, 1) + at(bottom, 0) + at(bottom, 1) + 2) / 4) as u8;
            }
        }
    }
    out
}

/// Encodes RGB pixels as PNG.
pub fn encode_png(width: u32, height: u32, rgb: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc.write_header().map_err(|e| Error::Figure(e.to_string()))?;
        writer.write_image_data(rgb).map_err(|e| Error::Figure(e.to_string()))?;
    }
    Ok(out)
}

/// Writes `bytes` to `path`, creating its parent folders; errors name the path.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io("creating folder", parent, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| Error::io("writing", path, e))
}
