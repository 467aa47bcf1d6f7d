//! The lecture's GAN training loop as a concrete type.

use super::engine::engine;
use super::networks::{DiscriminatorNetwork, GeneratorNetwork, ImageBatch, Logits, Taped};
use super::{finite_or_diverged, on_worker_thread, Outcome, MAX_BATCH, MAX_IMAGES_PER_CALL};
use crate::data::{data_dir, image_batch, Mnist, Scaling};
use crate::error::{Error, Result};
use crate::figures::{words, Animation, Figure, PixelRange};
use crate::judge::{reference_digits, DigitClassifier, SampleScore, JUDGE_NOISE_SEED, MAX_SAMPLES};
use crate::kit::checkpoint::{Checkpointed, TensorStore, SNAPSHOTS_TENSOR};
use crate::kit::ema::Ema;
use crate::kit::progress::Progress;
use crate::kit::run_dir::{Claim, RunDir};
use crate::kit::state::{Data, Dataset, RunSettings, TrainerState};
use crate::kit::step::Trained;
use crate::loss::bce_with_logits;
use crate::models;
use crate::optim::{Adam, AdamConfig};
use crate::rng::{mix, step_rng, Stream};
use crate::summary::GanSummaries;
use dfdx::nn::BuildOnDevice;
use dfdx::prelude::*;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Settings of a GAN run; the defaults are the lecture's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GanConfig {
    /// Real and fake images per step (lecture: 32).
    pub batch_size: usize,
    /// Take a snapshot (and write a checkpoint) every this many iterations (lecture: 200).
    pub snapshot_every: u64,
    /// Images per snapshot grid (lecture: 25, a 5x5 grid).
    pub snapshot_images: usize,
    /// Seed of everything random: weights, batches, noise, dropout.
    pub seed: u64,
    /// Optimiser settings of both networks (Keras' Adam defaults).
    pub adam: AdamConfig,
    /// Print a progress line every this many iterations (0: silent).
    pub log_every: u64,
    /// Where checkpoints go; `None` keeps the run in memory only. (Not saved in checkpoints:
    /// a run continues wherever it is resumed from.)
    #[serde(skip)]
    pub run_dir: Option<PathBuf>,
    /// Draw a progress bar with ETA (for terminals) instead of printing lines.
    #[serde(default)]
    pub progress_bar: bool,
    /// At each snapshot, judge this many generated digits with the digit classifier
    /// ([`crate::judge`], loaded from the data directory, trained there on first use); 0: off.
    /// The scores go into [`Snapshot::score`].
    #[serde(default)]
    pub judge_samples: usize,
    /// The discriminator's own optimiser settings; `None`: the same as the generator's
    /// (`adam`), as in the lecture. A faster discriminator is the two time-scale update rule
    /// (TTUR, Heusel et al. 2017: [`AdamConfig::ttur_discriminator`]).
    #[serde(default)]
    pub discriminator_adam: Option<AdamConfig>,
    /// One-sided label smoothing (Salimans et al., "Improved Techniques for Training GANs",
    /// 2016): the discriminator learns real images with target `1 - label_smoothing` instead of
    /// 1, so it cannot grow arbitrarily sure and its gradients to the generator stay useful.
    /// Generated images keep target 0. 0: off (the lecture); 0.1 is the usual value.
    #[serde(default)]
    pub label_smoothing: f32,
    /// Sample from an exponential moving average of the generator's weights with this decay per
    /// iteration (e.g. 0.999; see `ema.rs` for the sources); `None`: off (the lecture).
    /// Training is unchanged: snapshots, scores, [`Gan::generate`] and sample export use the
    /// averaged generator, and [`Snapshot::raw_score`] keeps the trained generator's score.
    #[serde(default)]
    pub ema_decay: Option<f32>,
    /// The discriminator's generated batch comes from the generator in training mode
    /// (BatchNormalization normalising with the batch's own statistics): the very images the
    /// generator's step then improves, as PyTorch's DCGAN example trains. The lecture's
    /// `generator.predict(noise)` uses the running averages instead, so the discriminator
    /// learns to reject slightly different images from those the generator is trained on.
    /// `false`: the lecture's.
    #[serde(default)]
    pub fakes_in_training_mode: bool,
    /// Sampling only: recompute the sampling generator's BatchNormalization statistics from
    /// 16 batches of 128 noise vectors before it generates ("standing statistics", Brock et
    /// al., BigGAN, 2019), instead of the running averages training left, which lag behind
    /// the weights (and, with `ema_decay`, belong to other weights). Training is unchanged.
    #[serde(default)]
    pub standing_statistics: bool,
    /// Sampling only: draw the noise of generated digits from a normal distribution truncated
    /// to `[-t, t]` (each value redrawn until it falls inside; BigGAN's "truncation trick"):
    /// fewer odd digits for less variety. `None`: the plain normal, as the lecture. Training
    /// noise is unchanged.
    #[serde(default)]
    pub truncation: Option<f32>,
    /// Sampling only: discriminator rejection sampling in its top-k form (Azadi et al.,
    /// "Discriminator Rejection Sampling", ICLR 2019): for every `keep` digits wanted, draw
    /// `1 / keep` candidates and keep those the run's own discriminator rates most real (its
    /// logit in inference mode); a digit classifier is never consulted. Costs `1 / keep`
    /// generator passes and as many discriminator passes per digit. Measured on the improved
    /// recipe (`bench/selection.py`): confident digits rise, the rarest digit's share falls.
    /// `None`: every digit drawn is kept, as the lecture. Training is unchanged.
    #[serde(default)]
    pub selection: Option<f32>,
}

/// The candidates drawn for `kept` digits when the share `keep` of them is kept.
fn candidates_for(kept: usize, keep: f32) -> usize {
    ((kept as f64 / keep as f64).ceil() as usize).max(kept)
}

/// A named set of GAN settings: the lecture's, or the best combination measured here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GanRecipe {
    /// The lecture's: batch 32, Keras' Adam defaults for both networks, hard labels, the trained
    /// generator sampled, 4001 iterations.
    Lecture,
    /// The lecture's networks unchanged, trained better (README, "Beyond the lecture"): the
    /// lecture's settings plus an exponential moving average of the generator's weights
    /// (decay 0.999) to sample from, trained 10000 iterations of 32 (320,000 generated images,
    /// 2.5x the lecture's). The best of what was measured: 60.7% confident digits on the mean
    /// of seeds 0-2, where the first combination tried (DCGAN Adam, label smoothing, batch 64)
    /// reached 57.3% and no other technique alone moved the lecture's recipe by more than the
    /// seed spread (README, "Beyond the lecture").
    Improved,
}

impl std::str::FromStr for GanRecipe {
    type Err = Error;
    fn from_str(s: &str) -> Result<GanRecipe> {
        match s {
            "lecture" => Ok(GanRecipe::Lecture),
            "improved" => Ok(GanRecipe::Improved),
            other => Err(Error::InvalidArgument(format!(
                "unknown GAN recipe `{other}`: use `lecture` (the lecture's settings) or `improved`"
            ))),
        }
    }
}

impl GanRecipe {
    /// The recipe's settings (seed 0, no judge, no run directory).
    pub fn config(self) -> GanConfig {
        match self {
            GanRecipe::Lecture => GanConfig::default(),
            GanRecipe::Improved => GanConfig {
                ema_decay: Some(0.999),
                ..GanConfig::default()
            },
        }
    }

    /// Iterations the recipe trains for when no count is given.
    pub fn iterations(self) -> u64 {
        match self {
            GanRecipe::Lecture => GanConfig::LECTURE_ITERATIONS,
            // 10000 x 32 = 320,000 images, the budget of README's ablation.
            GanRecipe::Improved => 10_000,
        }
    }
}

impl GanConfig {
    /// Iterations of the lecture's training loop (`for i in range(4001)`): what `genlab gan`
    /// trains when no count is given.
    pub const LECTURE_ITERATIONS: u64 = 4001;
    /// The most images a snapshot grid holds (a 10x10 grid).
    pub const MAX_SNAPSHOT_IMAGES: usize = 100;

    /// Checks the settings against what training accepts, before anything is allocated; the
    /// error names the setting, its limits and why.
    pub fn check(&self) -> Result<()> {
        let bad = |what: String| Err(Error::InvalidArgument(what));
        if !(2..=MAX_BATCH).contains(&self.batch_size) {
            return bad(format!(
                "batch_size (--batch) is {}; it must be 2 to {MAX_BATCH}: the generator's BatchNormalization \
                 normalises over the batch (one image has no spread, and its losses become NaN), and MNIST has {MAX_BATCH} training images",
                self.batch_size
            ));
        }
        if self.snapshot_every == 0 || !(1..=Self::MAX_SNAPSHOT_IMAGES).contains(&self.snapshot_images) {
            return bad(format!(
                "snapshot_every must be at least 1 and snapshot_images 1 to {}, got {} and {}",
                Self::MAX_SNAPSHOT_IMAGES,
                self.snapshot_every,
                self.snapshot_images
            ));
        }
        if self.judge_samples == 1 || self.judge_samples > MAX_SAMPLES {
            return bad(format!(
                "judge_samples (--judge) is {}; it must be 0 (off) or 2 to {MAX_SAMPLES} (the test set the judge compares with)",
                self.judge_samples
            ));
        }
        if !(0.0..0.5).contains(&self.label_smoothing) {
            return bad(format!(
                "label_smoothing is {}; it must be 0 (off) to below 0.5 (the real target 1 - label_smoothing must stay above the fake one, 0)",
                self.label_smoothing
            ));
        }
        if let Some(d) = self.ema_decay {
            if !(d > 0.0 && d < 1.0) {
                return bad(format!(
                    "ema_decay is {d}; it must be above 0 and below 1 (e.g. 0.999), or None (off)"
                ));
            }
        }
        if let Some(t) = self.truncation {
            if !(t.is_finite() && t >= 0.1) {
                return bad(format!(
                    "truncation is {t}; it must be at least 0.1 (e.g. 1.0: noise values within one standard deviation), or None (off)"
                ));
            }
        }
        if let Some(keep) = self.selection {
            if !(keep.is_finite() && (0.05..=1.0).contains(&keep)) {
                return bad(format!(
                    "selection is {keep}; it must be a share of candidates to keep, 0.05 to 1 (e.g. 0.5: two \
                     candidates per digit), or None (off)"
                ));
            }
        }
        if let Some(adam) = &self.discriminator_adam {
            adam.check()?;
        }
        self.adam.check()
    }
}

impl Default for GanConfig {
    fn default() -> Self {
        GanConfig {
            batch_size: 32,
            snapshot_every: 200,
            snapshot_images: 25,
            seed: 0,
            adam: AdamConfig::default(),
            log_every: 50,
            run_dir: None,
            progress_bar: false,
            judge_samples: 0,
            discriminator_adam: None,
            label_smoothing: 0.0,
            ema_decay: None,
            fakes_in_training_mode: false,
            standing_statistics: false,
            truncation: None,
            selection: None,
        }
    }
}

/// Batches and batch size of [`GanConfig::standing_statistics`].
const STANDING_BATCHES: usize = 16;
const STANDING_BATCH: usize = 128;
/// Mixed into the run seed for the noise of standing statistics.
const STANDING_SEED: u64 = 0x57a4d;

/// `n` noise vectors for generated digits (`width` values each) drawn from `rng`: standard
/// normal, truncated to `[-t, t]` with [`GanConfig::truncation`].
pub(crate) fn sampling_noise(config: &GanConfig, width: usize, n: usize, rng: &mut impl rand::Rng) -> Vec<f32> {
    let draw = |rng: &mut _| -> f32 { StandardNormal.sample(rng) };
    match config.truncation {
        None => (0..n * width).map(|_| draw(rng)).collect(),
        Some(t) => (0..n * width)
            .map(|_| loop {
                let z = draw(rng);
                if z.abs() <= t {
                    break z;
                }
            })
            .collect(),
    }
}

/// The generator's output on the fixed snapshot noise at one iteration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The iteration, as the lecture labels it (0, 200, 400, ...).
    pub iteration: u64,
    /// `snapshot_images` images of 28x28 pixels in `[-1, 1]`, concatenated. (A checkpoint keeps
    /// them as its `snapshots` tensor, not in its JSON state.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<f32>,
    /// The judge's score of `judge_samples` digits (noise seed [`JUDGE_NOISE_SEED`](crate::judge::JUDGE_NOISE_SEED), as `genlab score` draws
    /// them), when [`GanConfig::judge_samples`] is set.
    #[serde(default)]
    pub score: Option<SampleScore>,
    /// With [`GanConfig::ema_decay`], the trained (not averaged) generator's score, judged on
    /// the same noise: what the run would score without the average.
    #[serde(default)]
    pub raw_score: Option<SampleScore>,
}

/// Losses per iteration and the snapshots taken so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GanHistory {
    /// Discriminator loss on real images (target 1).
    pub d_loss_real: Vec<f32>,
    /// Discriminator loss on generated images (target 0).
    pub d_loss_fake: Vec<f32>,
    /// Generator loss through the frozen discriminator (target 1).
    pub g_loss: Vec<f32>,
    /// D(x): the discriminator's mean probability of "real" for the real batch, per iteration
    /// (empty in runs saved before genlab recorded it).
    #[serde(default)]
    pub d_real: Vec<f32>,
    /// D(G(z)): the frozen discriminator's mean probability of "real" for the generated batch
    /// in the generator's update, per iteration (empty in runs saved before genlab recorded it).
    #[serde(default)]
    pub d_fake: Vec<f32>,
    /// Snapshot grids in iteration order.
    pub snapshots: Vec<Snapshot>,
}

impl GanHistory {
    /// The lecture's `d_loss = 0.5 * (d_loss_real + d_loss_fake)`, per iteration.
    pub fn d_loss(&self) -> Vec<f32> {
        self.d_loss_real.iter().zip(&self.d_loss_fake).map(|(r, f)| 0.5 * (r + f)).collect()
    }

    /// The judged snapshots: (iteration, score) in iteration order.
    pub fn scores(&self) -> Vec<(u64, SampleScore)> {
        self.snapshots
            .iter()
            .filter_map(|s| Some((s.iteration, s.score.clone()?)))
            .collect()
    }
}

/// The digit classifier and the real test digits it compares samples with.
struct Judge {
    classifier: DigitClassifier,
    reference: Vec<f32>,
}

/// Where a GAN run stands (saved in its checkpoints).
#[derive(Clone, Default, Serialize, Deserialize)]
struct GanCounters {
    /// Iterations trained.
    iteration: u64,
    #[serde(serialize_with = "history_without_images")]
    history: GanHistory,
}

/// The history as a checkpoint's JSON state holds it: the snapshots' images go into the
/// checkpoint's `snapshots` tensor instead ([`SNAPSHOTS_TENSOR`]).
fn history_without_images<S: serde::Serializer>(history: &GanHistory, serializer: S) -> std::result::Result<S::Ok, S::Error> {
    let snapshots = history
        .snapshots
        .iter()
        .map(|s| Snapshot {
            iteration: s.iteration,
            images: Vec::new(),
            score: s.score.clone(),
            raw_score: s.raw_score.clone(),
        })
        .collect();
    GanHistory {
        d_loss_real: history.d_loss_real.clone(),
        d_loss_fake: history.d_loss_fake.clone(),
        g_loss: history.g_loss.clone(),
        d_real: history.d_real.clone(),
        d_fake: history.d_fake.clone(),
        snapshots,
    }
    .serialize(serializer)
}

impl GanCounters {
    /// Checks that the counters agree with each other and with `config`: one loss of each kind
    /// per iteration, finite; a snapshot at each multiple of `snapshot_every`, of the configured
    /// size. The error says what disagrees.
    fn check(&self, config: &GanConfig) -> std::result::Result<(), String> {
        let h = &self.history;
        let n = self.iteration;
        for (name, losses) in [
            ("d_loss_real", &h.d_loss_real),
            ("d_loss_fake", &h.d_loss_fake),
            ("g_loss", &h.g_loss),
        ] {
            if losses.len() as u64 != n {
                return Err(format!("it counts {n} iterations but holds {} values of {name}", losses.len()));
            }
            if let Some(v) = losses.iter().find(|v| !v.is_finite()) {
                return Err(format!("its history of {name} holds {v}"));
            }
        }
        // D(x) and D(G(z)) cover the last iterations (runs saved before they were recorded
        // hold fewer).
        if h.d_real.len() != h.d_fake.len() || h.d_real.len() as u64 > n {
            return Err(format!(
                "it counts {n} iterations but holds {} values of D(x) and {} of D(G(z))",
                h.d_real.len(),
                h.d_fake.len()
            ));
        }
        if let Some(p) = h.d_real.iter().chain(&h.d_fake).find(|p| !(0.0..=1.0).contains(*p)) {
            return Err(format!("its history of D(x) and D(G(z)) holds {p}, not a probability"));
        }
        let expected = n.div_ceil(config.snapshot_every);
        if h.snapshots.len() as u64 != expected {
            return Err(format!(
                "{n} iterations call for {expected} snapshots, it holds {}",
                h.snapshots.len()
            ));
        }
        for (k, s) in h.snapshots.iter().enumerate() {
            if Some(s.iteration) != (k as u64).checked_mul(config.snapshot_every) || s.images.len() != config.snapshot_images * 784 {
                return Err(format!(
                    "snapshot {k} (iteration {}) does not fit the run's snapshot settings",
                    s.iteration
                ));
            }
        }
        Ok(())
    }
}

/// Where a GAN's settings and counters live (the part of its state that does not depend on
/// the networks' types).
type GanState = TrainerState<GanConfig, GanCounters, Dataset>;

impl RunSettings for GanConfig {
    fn run_dir(&self) -> Option<&Path> {
        self.run_dir.as_deref()
    }
}

/// The state and the work of a GAN run with generator `G` and discriminator `D`; [`Gan`]
/// reaches it through [`GanEngine`].
struct GanCore<G, D> {
    state: GanState,
    dev: Cpu,
    generator: Trained<G>,
    /// The average of the generator's weights, with [`GanConfig::ema_decay`].
    ema: Option<Ema<G>>,
    discriminator: Trained<D>,
    judge: Option<Judge>,
    /// The discriminator's losses on real and generated images of the iteration being written
    /// out call by call ([`Gan::discriminator_train_on_batch`]), with D(x) on the real ones,
    /// until [`Gan::train_on_batch`] ends it.
    pending: [Option<(f32, f32)>; 2],
}

impl<G: GeneratorNetwork, D: DiscriminatorNetwork> GanCore<G, D> {
    /// A fresh GAN on the given data, its networks built from `G` and `D` with weights drawn
    /// from `config.seed`; it holds no run directory yet.
    fn with_data(config: GanConfig, data: Dataset) -> Result<GanCore<G, D>> {
        config.check()?;
        crate::cpu::cpu_path().map_err(Error::InvalidArgument)?;
        crate::memory::keep_freed_memory();
        let dev = Cpu::seed_from_u64(mix(config.seed, Stream::Init as u64));
        let generator = Trained::new(G::build(&dev), Adam::new(config.adam));
        let ema = config.ema_decay.map(|decay| Ema::new(&generator.net, decay));
        let discriminator = Trained::new(D::build(&dev), Adam::new(config.discriminator_adam.unwrap_or(config.adam)));
        Ok(GanCore {
            state: TrainerState::new(config, data),
            dev,
            generator,
            ema,
            discriminator,
            judge: None,
            pending: [None, None],
        })
    }

    fn train(&mut self, iterations: u64) -> Result<Outcome> {
        let config = &self.state.config;
        let mut progress = Progress::new(config.log_every, iterations, config.progress_bar).aligned(self.state.counters.iteration);
        for _ in 0..iterations {
            if self.state.stop.is_raised() {
                self.save_checkpoint()?;
                return Ok(Outcome::Stopped);
            }
            let (real, fake, g) = self.step()?;
            let i = self.state.counters.iteration - 1;
            progress.step(|| format!("iteration {i:>5}  d_loss {:.4}  g_loss {:.4}", 0.5 * (real + fake), g));
            if let Some(Snapshot {
                iteration,
                score: Some(score),
                ..
            }) = self.state.counters.history.snapshots.last()
            {
                let log_every = self.state.config.log_every;
                if *iteration == i && log_every > 0 && i % log_every == 0 {
                    progress.println(&format!("iteration {i:>5}  judged: {}", score.summary_line()));
                }
            }
        }
        self.save_checkpoint()?;
        Ok(Outcome::Finished)
    }

    fn train_until(&mut self, iterations: u64) -> Result<Outcome> {
        let done = self.state.counters.iteration;
        if done >= iterations && self.state.config.log_every > 0 {
            println!("already {done} iterations done (>= {iterations}): nothing to train");
        }
        self.train(iterations.saturating_sub(done))
    }

    /// The batch of iteration `i`: MNIST's real images (in `[-1, 1]`) and noise vectors.
    fn batch_at(&self, i: u64) -> Result<(ImageBatch, Vec<f32>)> {
        let (seed, n) = (self.state.config.seed, self.state.config.batch_size);
        let mnist = self.state.mnist.get()?;
        let indices = mnist.train.random_indices(n, &mut step_rng(seed, i, Stream::Batch));
        let real = mnist.train.batch(&self.dev, &indices, Scaling::Symmetric);
        Ok((real, self.noise(n, &mut step_rng(seed, i, Stream::Noise))))
    }

    /// The seed of the discriminator's dropout in pass `k` (0: real, 1: generated, 2: through
    /// the frozen discriminator) of iteration `i`.
    fn dropout_seed(&self, i: u64, k: u64) -> u64 {
        mix(mix(self.state.config.seed, Stream::Dropout as u64), 3 * i + k)
    }

    fn step(&mut self) -> Result<(f32, f32, f32)> {
        let i = self.state.counters.iteration;
        let (real, noise) = self.batch_at(i)?;
        let real_target = 1.0 - self.state.config.label_smoothing;
        let (losses, probabilities) = on_worker_thread(|| -> Result<_> {
            self.discriminator.net.reseed(self.dropout_seed(i, 0));
            let (d_loss_real, d_x) = self.discriminator_step(real, real_target)?;
            let fake = self.fakes(&noise)?;
            self.discriminator.net.reseed(self.dropout_seed(i, 1));
            let (d_loss_fake, _) = self.discriminator_step(fake, 0.0)?;
            self.discriminator.net.reseed(self.dropout_seed(i, 2));
            let (g_loss, d_g_z) = self.generator_step(&noise, 1.0)?;
            Ok(((d_loss_real, d_loss_fake, g_loss), (d_x, d_g_z)))
        })?;
        self.record(i, losses, probabilities)?;
        Ok(losses)
    }

    /// The generated batch the discriminator learns to reject: `generator.predict(noise)`
    /// (inference mode), or with [`GanConfig::fakes_in_training_mode`] the training-mode images
    /// (BatchNormalization on the batch's statistics), without gradients either way.
    fn fakes(&mut self, noise: &[f32]) -> Result<ImageBatch> {
        Ok(if self.state.config.fakes_in_training_mode {
            // A tape the forward pass records into and that is then dropped: the layers'
            // training-mode passes take taped inputs.
            self.generator
                .net
                .images_training(&self.dev, noise, Gradients::leaky())?
                .split_tape()
                .0
        } else {
            self.generator.net.images(&self.dev, noise)?
        })
    }

    /// After the three updates of iteration `i`: a new iteration to write out, the weight
    /// average, checks that the losses are finite, the history (losses, D(x) and D(G(z))), and
    /// at a snapshot iteration the snapshot (judged, with a judge) and a checkpoint.
    fn record(&mut self, i: u64, (d_loss_real, d_loss_fake, g_loss): (f32, f32, f32), (d_x, d_g_z): (f32, f32)) -> Result<()> {
        self.pending = [None, None];
        if let Some(ema) = &mut self.ema {
            ema.update(&self.generator.net, i);
        }
        let kept = || self.divergence_leaves();
        finite_or_diverged(
            d_loss_real,
            || format!("the discriminator's loss on real images is {d_loss_real} at iteration {i}"),
            kept,
        )?;
        finite_or_diverged(
            d_loss_fake,
            || format!("the discriminator's loss on generated images is {d_loss_fake} at iteration {i}"),
            kept,
        )?;
        finite_or_diverged(g_loss, || format!("the generator's loss is {g_loss} at iteration {i}"), kept)?;

        let counters = &mut self.state.counters;
        counters.iteration += 1;
        counters.history.d_loss_real.push(d_loss_real);
        counters.history.d_loss_fake.push(d_loss_fake);
        counters.history.g_loss.push(g_loss);
        counters.history.d_real.push(d_x);
        counters.history.d_fake.push(d_g_z);
        if i % self.state.config.snapshot_every == 0 {
            let images = self.snapshot_images()?;
            if let Some(v) = images.iter().find(|v| !v.is_finite()) {
                finite_or_diverged(
                    *v,
                    || format!("the generator's weights give {v} at iteration {i}"),
                    || self.divergence_leaves(),
                )?;
            }
            let n = self.state.config.judge_samples;
            if n > 0 && self.judge.is_none() {
                let mnist = self.state.mnist.get()?;
                self.judge = Some(Judge {
                    classifier: DigitClassifier::load_or_train(&data_dir(), mnist)?,
                    reference: reference_digits(mnist, n),
                });
            }
            let (score, raw_score) = match &self.judge {
                Some(judge) => {
                    let judged = |net: &G| -> Result<SampleScore> {
                        judge
                            .classifier
                            .score(&self.generate_with(net, n, JUDGE_NOISE_SEED)?, &judge.reference)
                    };
                    let raw = match self.ema {
                        Some(_) => Some(judged(&self.sampling(&self.generator.net)?)?),
                        None => None,
                    };
                    (Some(judged(&self.sampler()?)?), raw)
                }
                None => (None, None),
            };
            self.state.counters.history.snapshots.push(Snapshot {
                iteration: i,
                images,
                score,
                raw_score,
            });
            if i > 0 {
                self.save_checkpoint()?;
            }
        }
        Ok(())
    }

    /// `n` training noise vectors (standard normal) drawn from `rng`.
    fn noise(&self, n: usize, rng: &mut impl rand::Rng) -> Vec<f32> {
        (0..n * G::NOISE).map(|_| StandardNormal.sample(rng)).collect()
    }

    /// `discriminator.train_on_batch(images, target)`; returns the loss and the mean
    /// probability of "real" the discriminator gave the images.
    fn discriminator_step(&mut self, images: ImageBatch, target: f32) -> Result<(f32, f32)> {
        let dev = &self.dev;
        let mut probability = 0.0;
        let loss = self.discriminator.step(|d, grads| {
            let logits = d.logits_training(images.traced(grads))?;
            probability = mean_probability(&logits);
            let targets = dev.ones_like(logits.shape()) * target;
            Ok(bce_with_logits(logits, &targets)?)
        })?;
        Ok((loss, probability))
    }

    /// `gan.train_on_batch(noise, target)`; returns the loss and D(G(z)), the frozen
    /// discriminator's mean probability of "real" for the generated images.
    fn generator_step(&mut self, noise: &[f32], target: f32) -> Result<(f32, f32)> {
        let (dev, discriminator) = (&self.dev, &mut self.discriminator.net);
        let mut probability = 0.0;
        let loss = self.generator.step(|g, grads| {
            let fake = g.images_training(dev, noise, grads)?;
            let logits = discriminator.logits_frozen(fake)?;
            probability = mean_probability(&logits);
            let targets = dev.ones_like(logits.shape()) * target;
            Ok(bce_with_logits(logits, &targets)?)
        })?;
        Ok((loss, probability))
    }

    fn snapshot_images(&self) -> Result<Vec<f32>> {
        let config = &self.state.config;
        let noise = sampling_noise(
            config,
            G::NOISE,
            config.snapshot_images,
            &mut step_rng(config.seed, 0, Stream::Snapshot),
        );
        Ok(self.sampler()?.images(&self.dev, &noise)?.as_vec())
    }

    /// The generator that samples: the average with [`GanConfig::ema_decay`], else the trained
    /// one; with [`GanConfig::standing_statistics`], a copy with recomputed statistics.
    fn sampler(&self) -> Result<G> {
        self.sampling(self.ema.as_ref().map_or(&self.generator.net, |ema| &ema.net))
    }

    /// `net` as it samples: itself, or with standing statistics a copy whose BatchNormalization
    /// statistics are the exact averages over 16 training-mode batches of 128 sampling noise
    /// vectors (momentum `1/(k+1)` at batch `k` makes the running value the running mean).
    fn sampling(&self, net: &G) -> Result<G> {
        let mut g = net.clone();
        let config = &self.state.config;
        if config.standing_statistics {
            let mut kept = Vec::new();
            g.each_momentum(&mut |m| kept.push(*m));
            let mut rng = step_rng(mix(config.seed, STANDING_SEED), 0, Stream::Noise);
            for k in 0..STANDING_BATCHES {
                let momentum = 1.0 / (k as f64 + 1.0);
                g.each_momentum(&mut |m| *m = momentum);
                let noise = sampling_noise(config, G::NOISE, STANDING_BATCH, &mut rng);
                on_worker_thread(|| {
                    g.images_training(&self.dev, &noise, Gradients::leaky())
                        .map(|out| drop(out.split_tape().0))
                })?;
            }
            let mut kept = kept.into_iter();
            g.each_momentum(&mut |m| *m = kept.next().expect("the same layers"));
        }
        Ok(g)
    }

    fn save_checkpoint(&self) -> Result<()> {
        self.write_checkpoint()
    }

    fn generate(&self, n: usize, seed: u64) -> Result<Vec<f32>> {
        self.generate_with(&self.sampler()?, n, seed)
    }

    fn generate_bytes(&self, n: usize, seed: u64) -> Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(n.min(MAX_IMAGES_PER_CALL) * 784);
        let to_bytes = |pass: Vec<f32>| bytes.extend(pass.iter().map(|&v| Scaling::Symmetric.to_byte(v)));
        self.generate_each(&self.sampler()?, n, seed, &mut { to_bytes })?;
        Ok(bytes)
    }

    /// [`generate`](Gan::generate) with the given generator.
    fn generate_with(&self, generator: &G, n: usize, seed: u64) -> Result<Vec<f32>> {
        let mut images = Vec::with_capacity(n.min(MAX_IMAGES_PER_CALL) * 784);
        self.generate_each(generator, n, seed, &mut |pass| images.extend(pass))?;
        Ok(images)
    }

    /// `n` digits of `generator` from noise drawn with `seed`, handed to `each` a few hundred
    /// at a time (the memory of a large export stays bounded). With
    /// [`GanConfig::selection`], each pass keeps the share of its candidates the discriminator
    /// rates most real, in the order drawn.
    fn generate_each(&self, generator: &G, n: usize, seed: u64, each: &mut dyn FnMut(Vec<f32>)) -> Result<()> {
        if !(1..=MAX_IMAGES_PER_CALL).contains(&n) {
            return Err(Error::InvalidArgument(format!(
                "generate makes 1 to {MAX_IMAGES_PER_CALL} images per call, asked for {n}"
            )));
        }
        let config = &self.state.config;
        let mut rng = step_rng(seed, 0, Stream::Display);
        let mut left = n;
        while left > 0 {
            let kept = left.min(SAMPLES_PER_PASS);
            let drawn = config.selection.map_or(kept, |keep| candidates_for(kept, keep));
            let noise = sampling_noise(config, G::NOISE, drawn, &mut rng);
            let images = self.images_in_passes(generator, &noise)?;
            if drawn == kept {
                each(images);
            } else {
                let logits = self.discriminator_logits(&images, 0)?;
                let mut order: Vec<usize> = (0..drawn).collect();
                order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]).then(a.cmp(&b)));
                let mut best = order[..kept].to_vec();
                best.sort_unstable();
                each(best.iter().flat_map(|&k| images[k * 784..(k + 1) * 784].iter().copied()).collect());
            }
            left -= kept;
        }
        Ok(())
    }

    /// `generator`'s images for `noise`, a few hundred per forward pass (10,000 digits in one
    /// pass held 4 GB of activations); an error when any value is not finite.
    fn images_in_passes(&self, generator: &G, noise: &[f32]) -> Result<Vec<f32>> {
        let mut images = Vec::with_capacity(noise.len() / G::NOISE * 784);
        for chunk in noise.chunks(SAMPLES_PER_PASS * G::NOISE) {
            images.extend(finite_images(generator.images(&self.dev, chunk)?.as_vec())?);
        }
        Ok(images)
    }

    fn generate_from(&self, noise: &[f32]) -> Result<Vec<f32>> {
        self.check_noise(noise, MAX_IMAGES_PER_CALL)?;
        self.images_in_passes(&self.sampler()?, noise)
    }

    fn noise_size(&self) -> usize {
        G::NOISE
    }

    fn summary(&self) -> GanSummaries {
        crate::summaries::of_gan(&self.generator.net, &self.discriminator.net, &self.dev)
    }

    fn discriminate(&self, images: &[f32]) -> Result<Vec<f32>> {
        let x = image_batch(&self.dev, images)?;
        Ok(self.discriminator.net.logits(x)?.sigmoid().as_vec())
    }

    fn discriminator_logits(&self, images: &[f32], dropout_masks: u64) -> Result<Vec<f32>> {
        let mut logits = Vec::with_capacity(images.len() / 784);
        // A copy in training mode draws the masks (its BatchNormalization statistics, if any,
        // move in the copy only); its weights stay frozen.
        let mut masked = (dropout_masks > 0).then(|| self.discriminator.net.clone());
        for chunk in images.chunks(SAMPLES_PER_PASS * 784) {
            let x = image_batch(&self.dev, chunk)?;
            match &mut masked {
                None => logits.extend(self.discriminator.net.logits(x)?.as_vec()),
                Some(d) => {
                    let mut sum = vec![0.0f32; chunk.len() / 784];
                    for k in 0..dropout_masks {
                        d.reseed(mix(mix(self.state.config.seed, Stream::Selection as u64), k));
                        let grads = d.alloc_grads();
                        let pass = d.logits_frozen(x.clone().traced(grads))?.retaped::<NoneTape>().as_vec();
                        sum.iter_mut().zip(pass).for_each(|(s, l)| *s += l);
                    }
                    logits.extend(sum.into_iter().map(|s| s / dropout_masks as f32));
                }
            }
        }
        Ok(logits)
    }
}

/// Images generated per forward pass (bounds the memory of a large score or export).
const SAMPLES_PER_PASS: usize = 500;

/// `images` when every value is finite; an error otherwise (weights that are not finite, as in a
/// damaged or hand-edited checkpoint, would give black samples and a score of 0 that looks real).
fn finite_images(images: Vec<f32>) -> Result<Vec<f32>> {
    match images.iter().find(|v| !v.is_finite()) {
        None => Ok(images),
        Some(v) => Err(Error::InvalidArgument(format!(
            "the generator's images hold {v}: its weights are not finite (a damaged or hand-edited \
             checkpoint?); resume an earlier run or train again"
        ))),
    }
}

/// The mean of `sigmoid(logits)`: the discriminator's mean probability of "real".
fn mean_probability(logits: &Logits<Taped>) -> f32 {
    let values = logits.as_vec();
    values.iter().map(|&l| 1.0 / (1.0 + (-l).exp())).sum::<f32>() / values.len().max(1) as f32
}

impl<G: GeneratorNetwork, D: DiscriminatorNetwork> Checkpointed for GanCore<G, D> {
    const KIND: &'static str = "genlab-gan";
    const WHAT: &'static str = "a GAN";
    type Config = GanConfig;
    type Counters = GanCounters;
    fn fresh(config: GanConfig, run: Option<RunDir>) -> Result<Self> {
        let config = GanConfig {
            run_dir: run.as_ref().map(|r| r.path.clone()),
            ..config
        };
        let mut core = Self::with_data(config, Dataset::on_demand())?;
        core.state.run = run;
        Ok(core)
    }
    fn parts(&self) -> (&GanConfig, &GanCounters) {
        (&self.state.config, &self.state.counters)
    }
    fn run(&self) -> Option<&RunDir> {
        self.state.run.as_ref()
    }
    fn put_tensors(&self, store: &mut TensorStore) {
        let snapshots = &self.state.counters.history.snapshots;
        store.put_rows(SNAPSHOTS_TENSOR, snapshots.iter().map(|s| s.images.as_slice()));
        store.put_module("generator", &self.generator.net);
        store.put_module("discriminator", &self.discriminator.net);
        if let Some(ema) = &self.ema {
            store.put_module("generator_ema", &ema.net);
        }
        store.put_optimizer("opt_g", &self.generator.opt);
        store.put_optimizer("opt_d", &self.discriminator.opt);
    }
    fn restore(&mut self, store: &TensorStore, mut counters: GanCounters) -> std::result::Result<(), String> {
        let snapshots = &mut counters.history.snapshots;
        if let Some(rows) = store.take_rows(SNAPSHOTS_TENSOR, snapshots.len(), self.state.config.snapshot_images * 784)? {
            for (snapshot, images) in snapshots.iter_mut().zip(rows) {
                snapshot.images = images;
            }
        }
        counters.check(&self.state.config)?;
        store.take_module("generator", &mut self.generator.net)?;
        store.take_module("discriminator", &mut self.discriminator.net)?;
        if let Some(ema) = &mut self.ema {
            store.take_module("generator_ema", &mut ema.net)?;
        }
        // One generator update per iteration, two discriminator updates.
        store.take_optimizer("opt_g", &mut self.generator.opt, counters.iteration, &self.generator.net)?;
        store.take_optimizer(
            "opt_d",
            &mut self.discriminator.opt,
            2 * counters.iteration,
            &self.discriminator.net,
        )?;
        self.state.counters = counters;
        Ok(())
    }
}

engine! {
    trait GanEngine for GanCore<G: GeneratorNetwork, D: DiscriminatorNetwork> => Gan, state GanState, config GanConfig;
    &mut self {
        /// Runs `iterations` more training iterations, printing progress and taking a snapshot
        /// (and a checkpoint, with a run directory) every `snapshot_every` iterations. Stops early,
        /// with a checkpoint, when the [`StopFlag`](crate::StopFlag) is raised.
        fn train(iterations: u64) -> Result<Outcome>;
        /// Trains until `iterations` iterations are done in all, where `train` adds that many:
        /// re-running a cell with `train_until(4001)` after a resume finishes the lecture's
        /// 4001 instead of adding 4001 more.
        ///
        /// Keras equivalent: the lecture's `for i in range(4001)` as a total.
        fn train_until(iterations: u64) -> Result<Outcome>;
        /// One iteration of the lecture's loop; returns (d_loss_real, d_loss_fake, g_loss). The
        /// same iteration written out call by call, as the lecture's loop body:
        /// ```no_run
        /// # let mut gan = genlab::Gan::new(Default::default())?;
        /// let (real, noise) = gan.batch()?;                                 // X_train[idx], np.random.normal(0, 1, (32, 100))
        /// let fake = gan.generator_predict(&noise)?;                        // generator.predict(noise)
        /// let (d_loss_real, d_x) = gan.discriminator_train_on_batch(&real, 1.0)?;
        /// let (d_loss_fake, _) = gan.discriminator_train_on_batch(&fake, 0.0)?;
        /// let (g_loss, d_g_z) = gan.train_on_batch(&noise, 1.0)?;           // discriminator frozen
        /// # Ok::<(), genlab::Error>(())
        /// ```
        fn step() -> Result<(f32, f32, f32)>;
        /// The generator's images (784 values each, in `[-1, 1]`) for `noise` as the training
        /// loop makes them for the discriminator: the trained generator in inference mode
        /// (or in training mode, with [`GanConfig::fakes_in_training_mode`]).
        ///
        /// Keras equivalent: `generator.predict(noise)` inside the lecture's loop.
        fn generator_predict(noise: &[f32]) -> Result<Vec<f32>>;
        /// One update of the discriminator on `images` (784 values each, in `[-1, 1]`), all
        /// labelled `target` (1: real, 0: generated), with the dropout masks [`Gan::step`]
        /// uses; returns the loss and the discriminator's mean probability of "real" for the
        /// images (D(x) for real ones, D(G(z)) for generated ones).
        ///
        /// Keras equivalent: `discriminator.train_on_batch(images, np.ones((32, 1)))`.
        fn discriminator_train_on_batch(images: &[f32], target: f32) -> Result<(f32, f32)>;
        /// One update of the generator through the frozen discriminator (its weights neither
        /// updated nor differentiated), every image labelled `target` (the lecture's 1); then the
        /// iteration ends as in [`Gan::step`] (counters, history, snapshot and checkpoint).
        /// Returns the loss and D(G(z)), the frozen discriminator's mean probability of "real"
        /// for the generated images. The iteration's two discriminator updates
        /// ([`discriminator_train_on_batch`](Gan::discriminator_train_on_batch)) come first.
        ///
        /// Keras equivalent: `gan.train_on_batch(noise, np.ones((32, 1)))` with
        /// `discriminator.trainable = False`.
        fn train_on_batch(noise: &[f32], target: f32) -> Result<(f32, f32)>;
    }
    &self {
        /// Writes the checkpoint into the run directory (nothing without one).
        fn save_checkpoint() -> Result<()>;
        /// The generator's images (in `[-1, 1]`) for the run's fixed snapshot noise.
        fn snapshot_images() -> Result<Vec<f32>>;
        /// `n` new images (in `[-1, 1]`, 784 values each) from noise drawn with `seed`.
        ///
        /// Keras equivalent: `generator.predict(np.random.normal(0, 1, (n, 100)))`.
        fn generate(n: usize, seed: u64) -> Result<Vec<f32>>;
        /// [`generate`](Gan::generate)'s digits as pixel bytes (0-255, 784 per image), converted a
        /// few hundred at a time, so a large export never holds them as floats.
        fn generate_bytes(n: usize, seed: u64) -> Result<Vec<u8>>;
        /// The discriminator's probability that each image (784 values in `[-1, 1]`) is real.
        ///
        /// Keras equivalent: `discriminator.predict(images)`.
        fn discriminate(images: &[f32]) -> Result<Vec<f32>>;
        /// The discriminator's logits (log-odds of "real") of images (784 values each in
        /// `[-1, 1]`): in inference mode with `dropout_masks` 0, else the mean over that many
        /// dropout masks in training mode (weights unchanged). The scores that discriminator
        /// rejection sampling ranks candidates by (Azadi et al., ICLR 2019).
        ///
        /// Keras equivalent: `discriminator.predict(images)` before the sigmoid; with masks,
        /// `discriminator(images, training=True)` averaged.
        fn discriminator_logits(images: &[f32], dropout_masks: u64) -> Result<Vec<f32>>;
        /// The generator's images (in `[-1, 1]`) for given noise vectors
        /// ([`noise_size`](Gan::noise_size) values each).
        ///
        /// Keras equivalent: `generator.predict(noise)`.
        fn generate_from(noise: &[f32]) -> Result<Vec<f32>>;
        /// The length of the generator's noise vectors (the lecture's 100).
        fn noise_size() -> usize;
        /// The real images (784 values each, in `[-1, 1]`) and the noise vectors of the current
        /// iteration, as [`Gan::step`] draws them from the run seed.
        ///
        /// Keras equivalent: `X_train[np.random.randint(0, 60000, 32)]` and
        /// `np.random.normal(0, 1, (32, 100))`.
        fn batch() -> Result<(Vec<f32>, Vec<f32>)>;
        /// Keras' tables of the three models this GAN holds: the generator, the discriminator and
        /// the combined model (generator, then the frozen discriminator: its parameters count as
        /// non-trainable there); printed, one after another, each also by itself
        /// (`gan.summary().generator`).
        ///
        /// Keras equivalent: `generator.summary()`, `discriminator.summary()`, `gan.summary()`.
        fn summary() -> GanSummaries;
    }
}

/// The lecture's loop body written out, one Keras call each (see [`Gan::train_on_batch`]).
impl<G: GeneratorNetwork, D: DiscriminatorNetwork> GanCore<G, D> {
    fn batch(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        let (real, noise) = self.batch_at(self.state.counters.iteration)?;
        Ok((real.as_vec(), noise))
    }

    fn generator_predict(&mut self, noise: &[f32]) -> Result<Vec<f32>> {
        self.check_noise(noise, MAX_BATCH)?;
        Ok(on_worker_thread(|| self.fakes(noise))?.as_vec())
    }

    fn discriminator_train_on_batch(&mut self, images: &[f32], target: f32) -> Result<(f32, f32)> {
        let i = self.state.counters.iteration;
        let pass = if target >= 0.5 { 0 } else { 1 };
        let x = image_batch(&self.dev, images)?;
        let (loss, d) = on_worker_thread(|| {
            self.discriminator.net.reseed(self.dropout_seed(i, pass));
            self.discriminator_step(x, target)
        })?;
        self.pending[pass as usize] = Some((loss, d));
        Ok((loss, d))
    }

    fn train_on_batch(&mut self, noise: &[f32], target: f32) -> Result<(f32, f32)> {
        self.check_noise(noise, MAX_BATCH)?;
        let i = self.state.counters.iteration;
        let [Some((d_loss_real, d_x)), Some((d_loss_fake, _))] = self.pending else {
            return Err(Error::InvalidArgument(format!(
                "iteration {i} has {} yet: train the discriminator on a real batch \
                 (gan.discriminator_train_on_batch(&real, 1.0)) and on a generated one (.., 0.0) before gan.train_on_batch; \
                 the history keeps both losses of every iteration",
                if self.pending[0].is_none() {
                    "no discriminator loss on real images"
                } else {
                    "no discriminator loss on generated images"
                }
            )));
        };
        let (g_loss, d) = on_worker_thread(|| {
            self.discriminator.net.reseed(self.dropout_seed(i, 2));
            self.generator_step(noise, target)
        })?;
        self.record(i, (d_loss_real, d_loss_fake, g_loss), (d_x, d))?;
        Ok((g_loss, d))
    }

    /// An error unless `noise` is 1 to `most` whole noise vectors of this generator.
    fn check_noise(&self, noise: &[f32], most: usize) -> Result<()> {
        let width = G::NOISE;
        if noise.is_empty() || noise.len() % width != 0 || noise.len() / width > most {
            return Err(Error::InvalidArgument(format!(
                "noise must be 1 to {most} whole vectors of {width} values (this generator's noise size), got {} values",
                noise.len()
            )));
        }
        Ok(())
    }
}

/// The networks of a GAN a student writes: `Gan::with_networks::<Generator, Discriminator>()`
/// names them (their builder types, as written in a cell), and its methods start or continue a
/// run with them exactly as [`Gan::new`], [`Gan::start_over`], [`Gan::resume`] and
/// [`Gan::load_checkpoint`] do with the lecture's.
pub struct GanNetworks<G, D>(PhantomData<(G, D)>);

impl<GB, DB> GanNetworks<GB, DB>
where
    GB: BuildOnDevice<Cpu, f32>,
    DB: BuildOnDevice<Cpu, f32>,
    GB::Built: GeneratorNetwork,
    DB::Built: DiscriminatorNetwork,
{
    /// A fresh GAN on MNIST from the data directory; weights drawn from `config.seed`.
    ///
    /// With a `run_dir`, the directory is locked against other processes, and one that
    /// already holds a run's checkpoint is refused ([`Error::RunExists`]): continue it with
    /// `resume`, or replace it with `start_over`.
    pub fn start(self, config: GanConfig) -> Result<Gan> {
        self.start_with_data(config, Mnist::load()?)
    }

    /// A fresh GAN on the given data (a `run_dir` is taken as by `start`).
    pub fn start_with_data(self, config: GanConfig, mnist: Arc<Mnist>) -> Result<Gan> {
        let mut core = GanCore::<GB::Built, DB::Built>::with_data(config, Dataset::given(mnist))?;
        core.state.claim_run_dir(Claim::Fresh)?;
        Ok(Gan { engine: Box::new(core) })
    }

    /// A fresh GAN like `start`, replacing the run in `config.run_dir` if there is one: its
    /// checkpoint is removed once the new model is built (the notebooks' restart cells).
    pub fn start_over(self, config: GanConfig) -> Result<Gan> {
        let mut core = GanCore::<GB::Built, DB::Built>::with_data(config, Dataset::given(Mnist::load()?))?;
        core.state.claim_run_dir(Claim::StartOver)?;
        Ok(Gan { engine: Box::new(core) })
    }

    /// Continues the run whose checkpoint is in `run_dir` (written by a run of these networks):
    /// weights, BatchNorm statistics, optimiser moments, counters and history. The directory is
    /// locked against other processes. A checkpoint of other networks is refused, naming the
    /// first tensor that does not fit.
    pub fn resume(self, run_dir: impl AsRef<Path>) -> Result<Gan> {
        Ok(Gan {
            engine: Box::new(GanCore::<GB::Built, DB::Built>::resume(run_dir.as_ref())?),
        })
    }

    /// The GAN in a checkpoint file, to look at (generate, score, draw): it takes no run
    /// directory and writes no checkpoints, so a run still training there is not disturbed.
    pub fn load_checkpoint(self, path: impl AsRef<Path>) -> Result<Gan> {
        Ok(Gan {
            engine: Box::new(GanCore::<GB::Built, DB::Built>::from_checkpoint(path.as_ref(), None)?),
        })
    }
}

/// A GAN with its training state: generator, discriminator, one Adam each, iteration counter
/// and history; the lecture's networks ([`Gan::new`]) or a student's
/// ([`Gan::with_networks`]).
///
/// `train(n)` runs `n` more iterations from wherever the model is, so re-running a notebook cell
/// continues the curve; [`Gan::start_over`] starts over. Each iteration is the lecture's loop
/// body: a random real batch, `discriminator.train_on_batch(real, 1)`,
/// `discriminator.train_on_batch(generator.predict(noise), 0)`, then
/// `gan.train_on_batch(noise, 1)` with the discriminator frozen.
///
/// The work runs behind a trait object created with the model. In an evcxr notebook every cell
/// links its own copy of genlab and dfdx, and dfdx numbers tensors with a per-copy counter; going
/// through the object keeps all of a model's tensor work in the copy that created it, so a model
/// made in one cell trains correctly in any later cell.
pub struct Gan {
    engine: Box<dyn GanEngine>,
}

/// Starting and continuing runs of the lecture's networks ([`models::Generator`],
/// [`models::Discriminator`]).
impl Gan {
    /// The networks `G` and `D` (builder types, e.g. a student's type aliases) to start or
    /// continue a run with: `Gan::with_networks::<Generator, Discriminator>().start(config)`.
    pub fn with_networks<G, D>() -> GanNetworks<G, D> {
        GanNetworks(PhantomData)
    }

    /// A fresh GAN of the lecture's networks on MNIST from the data directory (see
    /// [`GanNetworks::start`]).
    pub fn new(config: GanConfig) -> Result<Gan> {
        Self::lecture().start(config)
    }

    /// A fresh GAN of the lecture's networks on the given data.
    pub fn with_data(config: GanConfig, mnist: Arc<Mnist>) -> Result<Gan> {
        Self::lecture().start_with_data(config, mnist)
    }

    /// A fresh GAN of the lecture's networks replacing the run in `config.run_dir` (see
    /// [`GanNetworks::start_over`]).
    pub fn start_over(config: GanConfig) -> Result<Gan> {
        Self::lecture().start_over(config)
    }

    /// Continues a run of the lecture's networks (see [`GanNetworks::resume`]).
    pub fn resume(run_dir: impl AsRef<Path>) -> Result<Gan> {
        Self::lecture().resume(run_dir)
    }

    /// The lecture's GAN in a checkpoint file (see [`GanNetworks::load_checkpoint`]), written
    /// by either spelling of the lecture's networks: `genlab::models` (the command line's) or
    /// the types written line by line as in notebook 01 ([`models::exercises`]), whose tensors
    /// are grouped differently. `genlab score`, `sample` and `export` read notebook runs so.
    pub fn load_checkpoint(path: impl AsRef<Path>) -> Result<Gan> {
        let path = path.as_ref();
        crate::kit::checkpoint::or_other_spelling(Self::lecture().load_checkpoint(path), || {
            Self::with_networks::<models::exercises::Generator, models::exercises::Discriminator>().load_checkpoint(path)
        })
    }

    fn lecture() -> GanNetworks<models::Generator, models::Discriminator> {
        Self::with_networks()
    }
}

impl Gan {
    /// A latent walk: for each of `walks` pairs of noise vectors (drawn with `seed`), `steps`
    /// images along the straight line from one to the other, row by row (walk-major).
    pub fn latent_walk(&self, walks: usize, steps: usize, seed: u64) -> Result<Vec<f32>> {
        if walks == 0 || steps < 2 {
            return Err(Error::InvalidArgument("a latent walk needs at least one walk of two steps".into()));
        }
        let width = self.noise_size();
        let mut rng = step_rng(seed, 0, Stream::Display);
        let mut noise = Vec::with_capacity(walks * steps * width);
        for _ in 0..walks {
            let a: Vec<f32> = (0..width).map(|_| StandardNormal.sample(&mut rng)).collect();
            let b: Vec<f32> = (0..width).map(|_| StandardNormal.sample(&mut rng)).collect();
            for t in 0..steps {
                let alpha = t as f32 / (steps - 1) as f32;
                noise.extend(a.iter().zip(&b).map(|(x, y)| (1.0 - alpha) * x + alpha * y));
            }
        }
        self.generate_from(&noise)
    }
    /// Changes how this GAN samples from now on, leaving its training alone: standing
    /// statistics and truncation ([`GanConfig::standing_statistics`], [`GanConfig::truncation`]).
    /// Saved with the next checkpoint. Try them on a trained run: `gan.set_sampling(true, Some(1.0))`.
    pub fn set_sampling(&mut self, standing_statistics: bool, truncation: Option<f32>) -> Result<()> {
        self.change_config(|c| {
            c.standing_statistics = standing_statistics;
            c.truncation = truncation;
        })
    }
    /// Sets discriminator rejection sampling ([`GanConfig::selection`]: the share of candidates
    /// kept, `None` for none) for what it generates from now on; training is unchanged.
    pub fn set_selection(&mut self, keep: Option<f32>) -> Result<()> {
        self.change_config(|c| c.selection = keep)
    }
    /// Applies `change` to a copy of the settings and keeps it if it passes their checks.
    fn change_config(&mut self, change: impl FnOnce(&mut GanConfig)) -> Result<()> {
        let mut config = self.config().clone();
        change(&mut config);
        config.check()?;
        self.engine.state_mut().config = config;
        Ok(())
    }
    /// The judge's score of `n` digits (2 to 10,000) generated from the judge's noise
    /// ([`JUDGE_NOISE_SEED`]): what `genlab score` prints. The digit classifier is loaded from
    /// the data directory (trained there on first use, about 5 minutes).
    pub fn score(&self, n: usize) -> Result<SampleScore> {
        if !(2..=MAX_SAMPLES).contains(&n) {
            return Err(Error::InvalidArgument(format!(
                "a score judges 2 to {MAX_SAMPLES} digits (the test set it compares with), asked for {n}"
            )));
        }
        // The digits first: a generator whose output is not finite is refused before the judge
        // is loaded (or trained, on first use).
        let digits = self.generate(n, JUDGE_NOISE_SEED)?;
        let mnist = self.mnist()?;
        let judge = DigitClassifier::load_or_train(&data_dir(), mnist)?;
        judge.score(&digits, &reference_digits(mnist, n))
    }
    /// The data it trains on: loaded from the data directory on first use when the GAN was
    /// loaded from a checkpoint (sampling from it needs no MNIST).
    pub fn mnist(&self) -> Result<&Arc<Mnist>> {
        self.engine.state().mnist.get()
    }
    /// Iterations trained so far.
    pub fn iteration(&self) -> u64 {
        self.engine.state().counters.iteration
    }
    /// Losses and snapshots so far.
    pub fn history(&self) -> &GanHistory {
        &self.engine.state().counters.history
    }
}

/// Figures of the run, as the lecture shows them.
impl Gan {
    /// The snapshot grid of the latest snapshot (or of the current generator when none yet),
    /// titled with its iteration.
    pub fn snapshot_figure(&self) -> Result<Figure> {
        let (iteration, images) = match self.history().snapshots.last() {
            Some(s) => (s.iteration, s.images.clone()),
            None => (self.iteration(), self.snapshot_images()?),
        };
        let cols = (self.config().snapshot_images as f64).sqrt().ceil() as usize;
        Figure::sample_grid(&images, PixelRange::Symmetric, cols, &words::iteration(iteration))
    }

    /// The snapshots whose iteration is a multiple of `every`, side by side, like the lecture's
    /// results slides (every 400: iterations 0, 400, ..., 4000).
    pub fn progression_figure(&self, every: u64) -> Result<Figure> {
        self.progression_sheet(every, 0..=u64::MAX, 6)
    }

    /// The snapshots of [`progression_figure`](Gan::progression_figure) within `iterations`
    /// only, three panels per row (about 900 px wide, a notebook's width, where the full sheet
    /// shrinks its titles): the lecture's two results slides are
    /// `progression_figure_in(400, 0..=2000)` and `progression_figure_in(400, 2400..=4000)`.
    pub fn progression_figure_in(&self, every: u64, iterations: std::ops::RangeInclusive<u64>) -> Result<Figure> {
        self.progression_sheet(every, iterations, 3)
    }

    /// The snapshots of the given iterations, in that order: the lecture's two results slides
    /// are `progression_figure_at(&[0, 400, 800, 1600, 2000, 2400])` and
    /// `progression_figure_at(&[2800, 3200, 3600, 4000])`. Three panels per row (two for four
    /// panels, so no panel stays empty). An iteration without a snapshot is an error that
    /// names the snapshot iterations there are.
    pub fn progression_figure_at(&self, iterations: &[u64]) -> Result<Figure> {
        let snapshots = &self.history().snapshots;
        let panels = iterations
            .iter()
            .map(|&i| match snapshots.iter().find(|s| s.iteration == i) {
                Some(s) => Ok((words::iteration(i), s.images.clone())),
                None => Err(Error::InvalidArgument(format!(
                    "no snapshot at iteration {i}: this run has them every {} iterations up to {} \
                     (train further, or pick from those)",
                    self.config().snapshot_every,
                    snapshots.last().map_or(0, |s| s.iteration)
                ))),
            })
            .collect::<Result<Vec<_>>>()?;
        let columns = if panels.len() == 4 { 2 } else { panels.len().clamp(1, 3) };
        let (first, last) = (iterations.first().copied().unwrap_or(0), iterations.last().copied().unwrap_or(0));
        let title = words::generated_digits((panels.len() > 1).then_some((first, last)));
        Figure::progression(&panels, PixelRange::Symmetric, columns, &title)
    }

    fn progression_sheet(&self, every: u64, iterations: std::ops::RangeInclusive<u64>, columns: usize) -> Result<Figure> {
        let snapshots: Vec<(u64, Vec<f32>)> = self
            .history()
            .snapshots
            .iter()
            .filter(|s| every > 0 && s.iteration % every == 0 && iterations.contains(&s.iteration))
            .map(|s| (s.iteration, s.images.clone()))
            .collect();
        let (Some((first, _)), Some((last, _))) = (snapshots.first(), snapshots.last()) else {
            return Err(Error::InvalidArgument(format!(
                "no snapshot at a multiple of {every} in {iterations:?} yet: train first"
            )));
        };
        let ranged = iterations != (0..=u64::MAX) && snapshots.len() > 1;
        let title = words::generated_digits(ranged.then_some((*first, *last)));
        let panels: Vec<(String, Vec<f32>)> = snapshots.into_iter().map(|(i, images)| (words::iteration(i), images)).collect();
        Figure::progression(&panels, PixelRange::Symmetric, columns, &title)
    }

    /// `n` real MNIST training digits (picked by `seed`) beside `n` digits the generator makes
    /// now (from noise drawn with `seed`): what it is trying to imitate, and how close it is.
    pub fn real_and_generated_figure(&self, n: usize, seed: u64) -> Result<Figure> {
        if !(1..=MAX_SAMPLES).contains(&n) {
            return Err(Error::InvalidArgument(format!(
                "a figure shows 1 to {MAX_SAMPLES} digits of each, asked for {n}"
            )));
        }
        let train = &self.mnist()?.train;
        let real = train.pixels(
            &train.random_indices(n, &mut step_rng(seed, 0, Stream::Display)),
            Scaling::Symmetric,
        );
        let (title, real_label, generated_label) = words::real_and_generated(self.iteration());
        let panels = [(real_label, real), (generated_label, self.generate(n, seed)?)];
        Figure::progression(&panels, PixelRange::Symmetric, 2, &title)
    }

    /// The judge's scores per snapshot as curves (needs [`GanConfig::judge_samples`] > 0).
    pub fn score_figure(&self) -> Result<Figure> {
        let (iterations, scores): (Vec<u64>, Vec<SampleScore>) = self.history().scores().into_iter().unzip();
        if scores.is_empty() {
            return Err(Error::InvalidArgument(
                "no judged snapshot yet: set `judge_samples` (e.g. 1000) in GanConfig and train".into(),
            ));
        }
        Figure::sample_scores(&iterations, &scores)
    }

    /// Discriminator (`0.5 * (real + fake)`) and generator losses per iteration.
    pub fn loss_figure(&self) -> Result<Figure> {
        Figure::gan_losses(&self.history().d_loss(), &self.history().g_loss, 50)
    }

    /// D(x) and D(G(z)) per iteration: how sure the discriminator is that real images are
    /// real and that generated ones are, with the 0.5 line where it could not tell them apart.
    pub fn probability_figure(&self) -> Result<Figure> {
        let h = self.history();
        if h.d_real.is_empty() {
            return Err(Error::InvalidArgument(
                "no D(x) and D(G(z)) recorded yet: train first (runs saved by an older genlab record them from their next iteration)"
                    .into(),
            ));
        }
        let first = self.iteration() - h.d_real.len() as u64;
        Figure::gan_probabilities(&h.d_real, &h.d_fake, first, 50)
    }

    /// The judge's confident share of several runs, against the images each had generated by
    /// then (thousands), so that runs with other batch sizes line up: `runs` holds a name and a
    /// run each, every run judged ([`GanConfig::judge_samples`]).
    ///
    /// ```no_run
    /// # fn main() -> genlab::Result<()> {
    /// # let (lecture, better) = (genlab::Gan::new(Default::default())?, genlab::Gan::new(Default::default())?);
    /// let figure = genlab::Gan::score_comparison(&[("lecture", &lecture), ("improved", &better)])?;
    /// # Ok(()) }
    /// ```
    pub fn score_comparison(runs: &[(&str, &Gan)]) -> Result<Figure> {
        let curves = runs
            .iter()
            .map(|(name, gan)| {
                let scores = gan.history().scores();
                if scores.is_empty() {
                    return Err(Error::InvalidArgument(format!(
                        "run `{name}` has no judged snapshot: set `judge_samples` (e.g. 1000) in its GanConfig and train"
                    )));
                }
                let batch = gan.config().batch_size as u64;
                let x: Vec<u64> = scores.iter().map(|(i, _)| i * batch / 1000).collect();
                let y: Vec<f32> = scores.iter().map(|(_, s)| s.confident).collect();
                Ok((*name, x, y))
            })
            .collect::<Result<Vec<_>>>()?;
        let series: Vec<(&str, &[u64], &[f32])> = curves.iter().map(|(n, x, y)| (*n, &x[..], &y[..])).collect();
        let (title, x_label) = words::score_comparison();
        Figure::shares_of(&series, &title, &x_label)
    }

    /// A latent walk as a grid: one walk per row, from one noise vector to another.
    pub fn latent_walk_figure(&self, walks: usize, steps: usize, seed: u64) -> Result<Figure> {
        let images = self.latent_walk(walks, steps, seed)?;
        Figure::sample_grid(&images, PixelRange::Symmetric, steps, &words::latent_walk())
    }

    /// A latent walk as a looping GIF: `walks` digits (in a grid) morphing over `steps` frames.
    pub fn latent_walk_gif(&self, walks: usize, steps: usize, seed: u64) -> Result<Animation> {
        let images = self.latent_walk(walks, steps, seed)?;
        let cols = (walks as f64).sqrt().ceil() as usize;
        let frames = (0..steps)
            .map(|t| {
                let frame: Vec<f32> = (0..walks).flat_map(|w| images[(w * steps + t) * 784..][..784].to_vec()).collect();
                Figure::sample_grid(&frame, PixelRange::Symmetric, cols, &words::step_of(t + 1, steps))
            })
            .collect::<Result<Vec<_>>>()?;
        Animation::from_frames(&frames, 150, 1.0)
    }

    /// Writes [`latent_walk_gif`](Gan::latent_walk_gif) to `path`.
    pub fn save_latent_walk_gif(&self, path: impl AsRef<Path>, walks: usize, steps: usize, seed: u64) -> Result<()> {
        self.latent_walk_gif(walks, steps, seed)?.save(path)
    }

    /// Every snapshot grid in turn, as a looping GIF (shown inline when last in a cell).
    pub fn training_gif(&self) -> Result<Animation> {
        self.training_gif_at(1.0)
    }

    /// [`training_gif`](Gan::training_gif) at `scale` (2.0 for slides).
    pub(crate) fn training_gif_at(&self, scale: f64) -> Result<Animation> {
        let cols = (self.config().snapshot_images as f64).sqrt().ceil() as usize;
        let frames = self
            .history()
            .snapshots
            .iter()
            .map(|s| Figure::sample_grid(&s.images, PixelRange::Symmetric, cols, &words::iteration(s.iteration)))
            .collect::<Result<Vec<_>>>()?;
        Animation::from_frames(&frames, 300, scale)
    }

    /// Writes [`training_gif`](Gan::training_gif) to `path`.
    pub fn save_gif(&self, path: impl AsRef<Path>) -> Result<()> {
        self.training_gif()?.save(path)
    }
}
