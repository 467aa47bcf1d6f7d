//! A run's figures for slides in one call: every figure of a GAN or an autoencoder, in one
//! language, at one size, as PNG (and SVG), with a GIF where the run has frames.

use super::{Autoencoder, Gan};
use crate::error::{Error, Result};
use crate::figures::{Figure, Language};
use std::path::{Path, PathBuf};

/// How [`Gan::export_figures`] and [`Autoencoder::export_figures`] write figures.
///
/// Keras equivalent: none (matplotlib's `savefig` per figure).
#[derive(Debug, Clone, PartialEq)]
pub struct ExportOptions {
    /// The language of the figures' words (default: [`Language::current`]).
    pub language: Language,
    /// An exact size in pixels for every PNG and SVG (e.g. [`crate::figures::SLIDE_16_9`]);
    /// `None`: each figure at its own size times `scale`.
    pub size: Option<(u32, u32)>,
    /// The scale of PNGs and GIFs when `size` is `None` (default 2: sharp on a 1920-px slide).
    pub scale: f64,
    /// Also write an SVG of each figure.
    pub svg: bool,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            language: Language::current(),
            size: None,
            scale: 2.0,
            svg: false,
        }
    }
}

/// The names (without extension) of the figures a GAN export writes, as far as the run has
/// them; `training.gif` comes with them.
pub const GAN_FIGURES: [&str; 9] = [
    "progression",
    "progression_first_half",
    "progression_second_half",
    "snapshot",
    "real_and_generated",
    "losses",
    "probabilities",
    "scores",
    "latent_walk",
];

/// The names of the figures an autoencoder export writes (`denoising` for denoisers only).
pub const AUTOENCODER_FIGURES: [&str; 5] = ["progression", "reconstructions", "code", "losses", "denoising"];

/// The lecture's two results slides, in snapshots (every 200 iterations there): iterations 0,
/// 400, 800, 1600, 2000, 2400 and 2800, 3200, 3600, 4000.
const LECTURE_SLIDE_1: [u64; 6] = [0, 2, 4, 8, 10, 12];
const LECTURE_SLIDE_2: [u64; 4] = [14, 16, 18, 20];

impl ExportOptions {
    /// An error unless every setting can be drawn: the size 16 to 8192 pixels each way, the
    /// scale in (0, 16]. Exports check it before they create anything.
    pub fn check(&self) -> Result<()> {
        if let Some((w, h)) = self.size {
            crate::figures::check_size(w, h)?;
        }
        if !(self.scale.is_finite() && self.scale > 0.0 && self.scale <= 16.0) {
            return Err(crate::Error::InvalidArgument(format!(
                "scale must be in (0, 16], got {}",
                self.scale
            )));
        }
        Ok(())
    }

    /// Writes `figure` as `dir/name.png` (and `.svg`); returns the files.
    fn write(&self, figure: &Figure, dir: &Path, name: &str, written: &mut Vec<PathBuf>) -> Result<()> {
        let png = dir.join(format!("{name}.png"));
        match self.size {
            Some((w, h)) => figure.save_png_sized(&png, w, h)?,
            None => figure.save_png(&png, self.scale)?,
        }
        written.push(png);
        if self.svg {
            let svg = dir.join(format!("{name}.svg"));
            match self.size {
                Some((w, h)) => figure.save_svg_sized(&svg, w, h)?,
                None => figure.save_svg(&svg)?,
            }
            written.push(svg);
        }
        Ok(())
    }
}

impl Gan {
    /// Writes every figure of the run into `dir` (created if missing): the progression sheet
    /// (every second snapshot) and the lecture's two results slides (iterations 0, 400, 800,
    /// 1600, 2000, 2400 and 2800 ... 4000 at the lecture's snapshots every 200; the two halves
    /// of the sheet in a shorter run), the latest snapshot grid, real digits beside generated
    /// ones, the losses, D(x) and D(G(z)), the judge's scores (judged runs), a latent walk and
    /// `training.gif`. Returns the files written.
    ///
    /// `genlab export RUN_DIR --out DIR [--lang ko] [--size 1920x1080] [--svg]` does the same.
    pub fn export_figures(&self, dir: impl AsRef<Path>, options: &ExportOptions) -> Result<Vec<PathBuf>> {
        let dir = dir.as_ref();
        options.check()?;
        options.language.scope(|| {
            let mut written = Vec::new();
            let snapshots = &self.history().snapshots;
            // Every second snapshot, as the lecture's slides (snapshots every 200, slides every 400).
            let every = 2 * self.config().snapshot_every.max(1);
            if let Some(last) = snapshots.last().map(|s| s.iteration) {
                options.write(&self.progression_figure(every)?, dir, "progression", &mut written)?;
                let at = |ks: &[u64]| -> Vec<u64> { ks.iter().map(|k| k * self.config().snapshot_every).collect() };
                let (slide_1, slide_2) = (at(&LECTURE_SLIDE_1), at(&LECTURE_SLIDE_2));
                let half = last / 2 / every * every;
                if slide_2.last().is_some_and(|&i| i <= last) {
                    options.write(&self.progression_figure_at(&slide_1)?, dir, "progression_first_half", &mut written)?;
                    options.write(&self.progression_figure_at(&slide_2)?, dir, "progression_second_half", &mut written)?;
                } else if half > 0 && half < last {
                    let first = self.progression_figure_in(every, 0..=half)?;
                    options.write(&first, dir, "progression_first_half", &mut written)?;
                    let second = self.progression_figure_in(every, half + 1..=last)?;
                    options.write(&second, dir, "progression_second_half", &mut written)?;
                }
                let gif = dir.join("training.gif");
                self.training_gif_at(options.scale)?.save(&gif)?;
                written.push(gif);
            }
            options.write(&self.snapshot_figure()?, dir, "snapshot", &mut written)?;
            // The one figure that needs MNIST: without it, the others are still written.
            match self.real_and_generated_figure(25, self.config().seed) {
                Ok(figure) => options.write(&figure, dir, "real_and_generated", &mut written)?,
                Err(e @ (Error::MissingData { .. } | Error::CorruptData { .. })) => {
                    eprintln!("note: real_and_generated was not written, it shows real digits beside generated ones: {e}")
                }
                Err(e) => return Err(e),
            }
            if !self.history().g_loss.is_empty() {
                options.write(&self.loss_figure()?, dir, "losses", &mut written)?;
            }
            if !self.history().d_real.is_empty() {
                options.write(&self.probability_figure()?, dir, "probabilities", &mut written)?;
            }
            if !self.history().scores().is_empty() {
                options.write(&self.score_figure()?, dir, "scores", &mut written)?;
            }
            options.write(&self.latent_walk_figure(4, 10, 0)?, dir, "latent_walk", &mut written)?;
            Ok(written)
        })
    }
}

impl Autoencoder {
    /// Writes every figure of the run into `dir` (created if missing): the snapshot digits after
    /// 10 epochs and after the last (the lecture's results slide), 5 random test images over
    /// their reconstructions, the losses and, for a denoiser, the denoising rows. Returns the
    /// files written.
    ///
    /// `genlab export RUN_DIR --out DIR [--lang ko] [--size 1920x1080] [--svg]` does the same.
    pub fn export_figures(&self, dir: impl AsRef<Path>, options: &ExportOptions) -> Result<Vec<PathBuf>> {
        let dir = dir.as_ref();
        options.check()?;
        options.language.scope(|| {
            let mut written = Vec::new();
            let mut epochs: Vec<u64> = [10, self.epoch()].into_iter().filter(|e| (1..=self.epoch()).contains(e)).collect();
            epochs.dedup();
            if !epochs.is_empty() && self.config().snapshot_images > 0 {
                options.write(&self.progression_figure(&epochs)?, dir, "progression", &mut written)?;
            }
            options.write(
                &self.reconstruction_figure(5, self.config().seed)?,
                dir,
                "reconstructions",
                &mut written,
            )?;
            if self.config().snapshot_images > 0 {
                options.write(&self.code_figure()?, dir, "code", &mut written)?;
            }
            if !self.history().train_loss.is_empty() {
                options.write(&self.loss_figure()?, dir, "losses", &mut written)?;
            }
            if self.config().noise_factor > 0.0 {
                let figure = self.denoise_figure(5, self.config().noise_factor, self.config().seed)?;
                options.write(&figure, dir, "denoising", &mut written)?;
            }
            Ok(written)
        })
    }
}
