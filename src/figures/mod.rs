//! Figures for notebooks and slides, drawn with plotters: PNG inline in evcxr, PNG (any scale)
//! and SVG export, and animated GIFs.
//!
//! Figures take plain data (slices of pixel values, loss histories), not models. Their words
//! come in English or Korean ([`set_language`], [`Language`]) and can be replaced one by one
//! (`with_title`, `with_axis_labels`, `with_legend`, `with_panel_labels`). Text is drawn with
//! two embedded fonts (DejaVu Sans; genlab Hangul, a subset of NanumSquare; licences in
//! `assets/fonts/`) and written into SVG as outlines, so nothing depends on system fonts.

mod activations;
mod canvas;
mod diagram;
mod gif;
mod images;
mod losses;
mod text;
pub(crate) mod words;

pub use activations::Activation;
pub use gif::{save_gif, Animation};
pub use images::{PixelRange, IMAGE_SIDE};
pub use words::{set_language, Language, LANGUAGE_ENV};

/// A 16:9 slide in pixels (full HD), for [`Figure::save_png_sized`] and
/// [`Figure::save_svg_sized`].
pub const SLIDE_16_9: (u32, u32) = (1920, 1080);

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
        Figure::new(Plot::Activations {
            title: words::activations_title(),
        })
    }

    /// The GAN as a diagram (the lecture's GAN slides): noise z into the generator, its fake
    /// images and real MNIST images into the discriminator, the discriminator's probability of
    /// "real", and the generator's update through the frozen discriminator.
    pub fn gan_diagram() -> Figure {
        Figure::new(Plot::GanDiagram {
            title: words::gan_diagram_title(),
        })
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
        let (test, made) = (words::test_images(), words::reconstructions());
        Figure::image_rows(&[(&test, originals), (&made, reconstructions)], range, title)
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
        let (title, d, g) = words::gan_losses();
        let curves = losses::Curves::per_iteration(&[(&d, d_loss), (&g, g_loss)], window)?;
        Ok(Figure::new(Plot::Losses { curves, title }))
    }

    /// Autoencoder losses per epoch: training and test (Keras' `loss` and `val_loss`).
    pub fn autoencoder_losses(train: &[f32], test: &[f32]) -> Result<Figure> {
        let (title, train_name, test_name) = words::autoencoder_losses();
        let curves = losses::Curves::per_epoch(&[(&train_name, train), (&test_name, test)])?;
        Ok(Figure::new(Plot::Losses { curves, title }))
    }

    /// The discriminator's mean probability of "real" per iteration: D(x) for the real batch
    /// and D(G(z)) for the generated one, raw values faint, a moving average over `window`
    /// bold, the first value at iteration `first_iteration`, and a dashed line at 0.5, where a
    /// discriminator that cannot tell them apart would put both.
    pub fn gan_probabilities(d_real: &[f32], d_fake: &[f32], first_iteration: u64, window: usize) -> Result<Figure> {
        let (title, real, fake) = words::gan_probabilities();
        let curves = losses::Curves::probabilities(&[(&real, d_real), (&fake, d_fake)], first_iteration, window)?;
        Ok(Figure::new(Plot::Losses { curves, title }))
    }

    /// How the digit classifier judged the generator's samples at each snapshot, against the
    /// iteration: the share it labels with confidence >= 0.9, the smallest share of any digit
    /// times 10 (1 when all ten digits come equally often, 0 when one is missing: mode
    /// collapse), and the Fréchet distance (FID) on its own axis at the right.
    pub fn sample_scores(iterations: &[u64], scores: &[crate::judge::SampleScore]) -> Result<Figure> {
        if iterations.len() != scores.len() {
            return Err(Error::InvalidArgument(format!(
                "{} scores for {} iterations: give one score per iteration",
                scores.len(),
                iterations.len()
            )));
        }
        let confident: Vec<f32> = scores.iter().map(|s| s.confident).collect();
        let evenness: Vec<f32> = scores.iter().map(|s| (10.0 * s.min_class).min(1.0)).collect();
        let fid: Vec<f32> = scores.iter().map(|s| s.fid as f32).collect();
        let [title, confident_name, min_name, fid_name, fid_axis] = words::sample_scores();
        let curves = losses::Curves::shares_at(iterations, &[(&confident_name, &confident), (&min_name, &evenness)])?
            .with_secondary(&fid_name, &fid, &fid_axis)?;
        Ok(Figure::new(Plot::Losses { curves, title }))
    }

    /// Shares in `[0, 1]` (e.g. the judge's confident share) of several runs as curves with
    /// markers at `x` (a series shorter than `x` covers its first points), titled `title`, the
    /// x axis named `x_label`: runs compared by images seen, say.
    ///
    /// Matplotlib equivalent: `plt.plot(x, share, marker='o', label=name)` per series, `plt.ylim(0, 1)`.
    pub fn shares(x: &[u64], series: &[(&str, &[f32])], title: &str, x_label: &str) -> Result<Figure> {
        let runs: Vec<(&str, &[u64], &[f32])> = series.iter().map(|(name, v)| (*name, x, *v)).collect();
        Figure::shares_of(&runs, title, x_label)
    }

    /// Shares in `[0, 1]` of several runs as curves with markers, each run at its own points:
    /// (name, x, values) per run; titled `title`, the x axis named `x_label`.
    ///
    /// Matplotlib equivalent: `plt.plot(x, share, marker='o', label=name)` per run, `plt.ylim(0, 1)`.
    pub fn shares_of(series: &[(&str, &[u64], &[f32])], title: &str, x_label: &str) -> Result<Figure> {
        let mut curves = losses::Curves::shares_of(series)?;
        curves.x_desc = x_label.to_string();
        Ok(Figure::new(Plot::Losses {
            curves,
            title: title.to_string(),
        }))
    }

    /// The same figure with another title.
    ///
    /// Matplotlib equivalent: `plt.title(..)` / `fig.suptitle(..)`.
    pub fn with_title(mut self, title: impl Into<String>) -> Figure {
        *self.plot.title_mut() = title.into();
        self
    }

    /// The same curves with other axis names (curve figures only: losses, scores).
    ///
    /// Matplotlib equivalent: `plt.xlabel(..)`, `plt.ylabel(..)`.
    pub fn with_axis_labels(mut self, x: impl Into<String>, y: impl Into<String>) -> Result<Figure> {
        let Plot::Losses { curves, .. } = &mut self.plot else {
            return Err(Error::InvalidArgument(
                "only curve figures (losses, scores) have axes to name".into(),
            ));
        };
        (curves.x_desc, curves.y_desc) = (x.into(), y.into());
        Ok(self)
    }

    /// The same curves with other legend entries, one per curve in order (curve figures only).
    ///
    /// Matplotlib equivalent: `plt.legend([..])`.
    pub fn with_legend(mut self, names: &[&str]) -> Result<Figure> {
        let Plot::Losses { curves, .. } = &mut self.plot else {
            return Err(Error::InvalidArgument("only curve figures (losses, scores) have a legend".into()));
        };
        if names.len() != curves.series.len() {
            return Err(Error::InvalidArgument(format!(
                "this figure has {} curves, {} legend entries were given",
                curves.series.len(),
                names.len()
            )));
        }
        for ((name, _), new) in curves.series.iter_mut().zip(names) {
            *name = new.to_string();
        }
        Ok(self)
    }

    /// The same image figure with other panel or row labels, one per panel (progression
    /// sheets) or row (reconstructions, denoising), in order.
    pub fn with_panel_labels(mut self, labels: &[&str]) -> Result<Figure> {
        let panels = match &mut self.plot {
            Plot::Progression { panels, .. } => panels,
            Plot::Rows { rows, .. } => rows,
            _ => {
                return Err(Error::InvalidArgument(
                    "only progression sheets and image rows have panel labels".into(),
                ))
            }
        };
        if labels.len() != panels.len() {
            return Err(Error::InvalidArgument(format!(
                "this figure has {} panels, {} labels were given",
                panels.len(),
                labels.len()
            )));
        }
        for ((label, _), new) in panels.iter_mut().zip(labels) {
            *label = new.to_string();
        }
        Ok(self)
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
        Ok((w, h, self.raster(w, h, scale)?))
    }

    /// RGB pixels of exactly `width x height` (e.g. [`SLIDE_16_9`]): curve figures fill it with
    /// text scaled to the height (1080 px high: twice the screen size); image figures grow until
    /// they touch two sides, centred on white.
    pub fn to_rgb_sized(&self, width: u32, height: u32) -> Result<Vec<u8>> {
        check_size(width, height)?;
        self.raster(width, height, canvas::fit_scale(&self.plot, width, height))
    }

    /// Drawn at twice the size and averaged down: plotters' bitmap lines and text have no
    /// anti-aliasing, and curves drawn at the final size look jagged.
    fn raster(&self, w: u32, h: u32, scale: f64) -> Result<Vec<u8>> {
        let (big_w, big_h) = (2 * w, 2 * h);
        let mut big = vec![255u8; (big_w as usize) * (big_h as usize) * 3];
        {
            let backend = plotters::backend::BitMapBackend::with_buffer(&mut big, (big_w, big_h));
            canvas::render(&self.plot, backend, 2.0 * scale)?;
        }
        Ok(halve(&big, w as usize, h as usize))
    }

    /// PNG bytes at `scale`.
    pub fn to_png(&self, scale: f64) -> Result<Vec<u8>> {
        let (w, h, rgb) = self.to_rgb(scale)?;
        encode_png(w, h, &rgb)
    }

    /// PNG bytes of exactly `width x height` (see [`to_rgb_sized`](Figure::to_rgb_sized)).
    pub fn to_png_sized(&self, width: u32, height: u32) -> Result<Vec<u8>> {
        encode_png(width, height, &self.to_rgb_sized(width, height)?)
    }

    /// SVG text (vector, for slides; letters as outlines, digit images embedded as PNG).
    pub fn to_svg(&self) -> Result<String> {
        self.svg(self.width, self.height, 1.0)
    }

    /// SVG of exactly `width x height` pixels, laid out as
    /// [`to_rgb_sized`](Figure::to_rgb_sized) lays out the PNG.
    pub fn to_svg_sized(&self, width: u32, height: u32) -> Result<String> {
        check_size(width, height)?;
        self.svg(width, height, canvas::fit_scale(&self.plot, width, height))
    }

    fn svg(&self, w: u32, h: u32, scale: f64) -> Result<String> {
        let mut svg = String::new();
        {
            let backend = plotters::backend::SVGBackend::with_string(&mut svg, (w, h));
            canvas::render(&self.plot, backend, scale)?;
        }
        Ok(text::outline_svg_text(&svg))
    }

    /// Writes a PNG at `scale` (e.g. 2.0 or 3.0 for a 1920-px slide), creating parent folders.
    pub fn save_png(&self, path: impl AsRef<Path>, scale: f64) -> Result<()> {
        write_file(path.as_ref(), &self.to_png(scale)?)
    }

    /// Writes a PNG of exactly `width x height` (`save_png_sized(path, SLIDE_16_9.0,
    /// SLIDE_16_9.1)` for a 16:9 slide), creating parent folders.
    pub fn save_png_sized(&self, path: impl AsRef<Path>, width: u32, height: u32) -> Result<()> {
        write_file(path.as_ref(), &self.to_png_sized(width, height)?)
    }

    /// Writes an SVG, creating parent folders.
    pub fn save_svg(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), self.to_svg()?.as_bytes())
    }

    /// Writes an SVG of exactly `width x height` pixels, creating parent folders.
    pub fn save_svg_sized(&self, path: impl AsRef<Path>, width: u32, height: u32) -> Result<()> {
        write_file(path.as_ref(), self.to_svg_sized(width, height)?.as_bytes())
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

pub(crate) fn check_size(width: u32, height: u32) -> Result<()> {
    if !(16..=8192).contains(&width) || !(16..=8192).contains(&height) {
        return Err(Error::InvalidArgument(format!(
            "a figure of {width}x{height} pixels: width and height must be 16 to 8192 (a 16:9 slide is 1920x1080)"
        )));
    }
    Ok(())
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
        // zlib's default level with per-row filters: 2.4x (curves) to 4x (digit sheets) smaller
        // than the fast level, for about 13 ms more per figure, which keeps notebooks with
        // their stored figures small.
        enc.set_compression(png::Compression::Default);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
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
