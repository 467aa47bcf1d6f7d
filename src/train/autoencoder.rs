//! The lecture's autoencoder training (`autoencoder.fit`) as a concrete type.

use super::engine::engine;
use super::networks::AutoencoderNetwork;
use super::{finite_or_diverged, on_worker_thread, Outcome, MAX_BATCH, MAX_IMAGES_PER_CALL};
use crate::data::{add_noise, image_batch, ImageBatch, Mnist, Scaling, Split};
use crate::error::{Error, Result};
use crate::figures::{words, Figure, PixelRange};
use crate::kit::checkpoint::{Checkpointed, TensorStore, SNAPSHOTS_TENSOR};
use crate::kit::progress::Progress;
use crate::kit::run_dir::{Claim, RunDir};
use crate::kit::state::{RunSettings, TrainerState};
use crate::kit::step::Trained;
use crate::loss::bce_with_logits;
use crate::models;
use crate::optim::{Adam, AdamConfig};
use crate::rng::{mix, step_rng, Stream};
use crate::summary::{KerasNames, Summary};
use dfdx::nn::BuildOnDevice;
use dfdx::prelude::*;
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Settings of an autoencoder run; the defaults are the lecture's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderConfig {
    /// Images per training step (lecture: 128).
    pub batch_size: usize,
    /// Seed of the weights and the shuffling.
    pub seed: u64,
    /// Optimiser settings (Keras' Adam defaults).
    pub adam: AdamConfig,
    /// Print a progress line every this many steps, and one line per finished epoch (0: silent;
    /// the default [`EPOCHS_ONLY`](AutoencoderConfig::EPOCHS_ONLY): the epoch lines alone).
    pub log_every: u64,
    /// Where checkpoints go (one per epoch and on stop); `None` keeps the run in memory only.
    /// (Not saved in checkpoints: a run continues wherever it is resumed from.)
    #[serde(skip)]
    pub run_dir: Option<PathBuf>,
    /// Draw a progress bar with ETA (for terminals) instead of printing lines.
    #[serde(default)]
    pub progress_bar: bool,
    /// Train on only the first this many training images (quick experiments); `None`: all 60,000.
    #[serde(default)]
    pub train_images: Option<usize>,
    /// Denoising: inputs get Gaussian noise of this standard deviation (clipped to `[0, 1]`)
    /// and the target is the clean image; 0 trains the lecture's plain autoencoder.
    #[serde(default)]
    pub noise_factor: f32,
    /// Test images (of different digits, picked by `seed`) whose reconstructions are kept after
    /// every epoch, for [`Autoencoder::progression_figure`]; 0 to 10.
    #[serde(default = "lecture_snapshot_images")]
    pub snapshot_images: usize,
}

/// The lecture shows 5 test images.
fn lecture_snapshot_images() -> usize {
    5
}

impl AutoencoderConfig {
    /// Epochs of the lecture's training (`epochs=50`): what `genlab autoencoder` trains when no
    /// count is given.
    pub const LECTURE_EPOCHS: u64 = 50;

    /// `log_every` for one line per epoch and none between, as Keras' `fit(.., verbose=2)`.
    pub const EPOCHS_ONLY: u64 = u64::MAX;

    /// Checks the settings against what training accepts, before anything is allocated; the
    /// error names the setting, its limits and why.
    pub fn check(&self) -> Result<()> {
        if !(1..=MAX_BATCH).contains(&self.batch_size) || self.train_images == Some(0) {
            return Err(Error::InvalidArgument(format!(
                "batch_size (--batch) must be 1 to {MAX_BATCH} (MNIST's training images) and train_images at least 1, got {} and {:?}",
                self.batch_size, self.train_images
            )));
        }
        if !(self.noise_factor.is_finite() && self.noise_factor >= 0.0) {
            return Err(Error::InvalidArgument(format!(
                "noise_factor must be a finite number >= 0, got {}",
                self.noise_factor
            )));
        }
        if self.snapshot_images > 10 {
            return Err(Error::InvalidArgument(format!(
                "snapshot_images must be 0 to 10 (one test image per digit), got {}",
                self.snapshot_images
            )));
        }
        self.adam.check()
    }
}

impl Default for AutoencoderConfig {
    fn default() -> Self {
        AutoencoderConfig {
            batch_size: 128,
            seed: 0,
            adam: AdamConfig::default(),
            log_every: AutoencoderConfig::EPOCHS_ONLY,
            run_dir: None,
            progress_bar: false,
            train_images: None,
            noise_factor: 0.0,
            snapshot_images: lecture_snapshot_images(),
        }
    }
}

/// Per-epoch losses, as Keras' `fit` reports them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderHistory {
    /// Mean binary cross-entropy over each epoch's training steps (Keras' `loss`).
    pub train_loss: Vec<f32>,
    /// Binary cross-entropy on the test set after each epoch (Keras' `val_loss`).
    pub test_loss: Vec<f32>,
    /// Reconstructions (in `[0, 1]`) of the run's snapshot test images after each epoch, their
    /// 784 values each concatenated. (A checkpoint keeps them as its `snapshots` tensor, not in
    /// its JSON state.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snapshots: Vec<Vec<f32>>,
}

/// Where an autoencoder run stands (saved in its checkpoints), mid-epoch included.
#[derive(Clone, Default, Serialize, Deserialize)]
struct AutoencoderCounters {
    /// Epochs completed.
    epoch: u64,
    step_in_epoch: u64,
    epoch_loss_sum: f64,
    epoch_images: u64,
    #[serde(serialize_with = "history_without_images")]
    history: AutoencoderHistory,
}

/// The history as a checkpoint's JSON state holds it: the reconstructions go into the
/// checkpoint's `snapshots` tensor instead ([`SNAPSHOTS_TENSOR`]).
fn history_without_images<S: serde::Serializer>(history: &AutoencoderHistory, serializer: S) -> std::result::Result<S::Ok, S::Error> {
    AutoencoderHistory {
        train_loss: history.train_loss.clone(),
        test_loss: history.test_loss.clone(),
        snapshots: Vec::new(),
    }
    .serialize(serializer)
}

impl AutoencoderCounters {
    /// Checks that the counters agree with each other and with the run's epoch: a position
    /// inside the epoch, the images seen so far in it, one finite pair of losses per epoch.
    fn check(&self, per_epoch: u64, batch: usize, train_len: usize, snapshot_images: usize) -> std::result::Result<(), String> {
        let h = &self.history;
        if self.step_in_epoch >= per_epoch {
            return Err(format!("it stands at step {} of an epoch of {per_epoch} steps", self.step_in_epoch));
        }
        let seen = (self.step_in_epoch as usize).saturating_mul(batch).min(train_len) as u64;
        if self.epoch_images != seen || !self.epoch_loss_sum.is_finite() || self.epoch_loss_sum < 0.0 {
            return Err(format!(
                "{} steps into the epoch it counts {} images (expected {seen}) and a loss sum of {}",
                self.step_in_epoch, self.epoch_images, self.epoch_loss_sum
            ));
        }
        if h.train_loss.len() as u64 != self.epoch || h.test_loss.len() as u64 != self.epoch {
            return Err(format!(
                "it counts {} epochs but holds {} training and {} test losses",
                self.epoch,
                h.train_loss.len(),
                h.test_loss.len()
            ));
        }
        if let Some(v) = h.train_loss.iter().chain(&h.test_loss).find(|v| !v.is_finite()) {
            return Err(format!("its loss history holds {v}"));
        }
        let size = snapshot_images * 784;
        if h.snapshots.len() as u64 != self.epoch || h.snapshots.iter().any(|s| s.len() != size) {
            return Err(format!(
                "it counts {} epochs but holds {} reconstruction snapshots (expected one per epoch of {size} values)",
                self.epoch,
                h.snapshots.len()
            ));
        }
        Ok(())
    }
}

/// The state and the work of an autoencoder run; [`Autoencoder`] reaches it through [`AutoencoderEngine`].
struct AutoencoderCore<N> {
    state: AutoencoderState,
    dev: Cpu,
    net: Trained<N>,
}

/// Where an autoencoder's settings and counters live (the part of its state that does not
/// depend on the network's type).
type AutoencoderState = TrainerState<AutoencoderConfig, AutoencoderCounters>;

impl RunSettings for AutoencoderConfig {
    fn run_dir(&self) -> Option<&Path> {
        self.run_dir.as_deref()
    }
}

impl AutoencoderState {
    /// Training steps in one epoch.
    fn steps_per_epoch(&self) -> u64 {
        self.train_len().div_ceil(self.config.batch_size) as u64
    }

    /// Training images used per epoch.
    fn train_len(&self) -> usize {
        self.config
            .train_images
            .map_or(self.mnist.train.len(), |n| n.min(self.mnist.train.len()))
    }
}

impl<N: AutoencoderNetwork> AutoencoderCore<N> {
    /// A fresh autoencoder on the given data, its network built from `B` with weights drawn
    /// from `config.seed`; it holds no run directory yet.
    fn with_data(config: AutoencoderConfig, mnist: Arc<Mnist>) -> Result<AutoencoderCore<N>> {
        config.check()?;
        crate::cpu::cpu_path().map_err(Error::InvalidArgument)?;
        crate::memory::keep_freed_memory();
        let dev = Cpu::seed_from_u64(mix(config.seed, Stream::Init as u64));
        let net = Trained::new(N::build(&dev), Adam::new(config.adam));
        Ok(AutoencoderCore {
            state: TrainerState::new(config, mnist),
            dev,
            net,
        })
    }

    fn save_checkpoint(&self) -> Result<()> {
        self.write_checkpoint()
    }

    fn steps_per_epoch(&self) -> u64 {
        self.state.steps_per_epoch()
    }

    fn train_len(&self) -> usize {
        self.state.train_len()
    }

    fn fit_steps(&mut self, steps: u64) -> Result<Outcome> {
        let per_epoch = self.steps_per_epoch();
        let mut progress = Progress::new(self.state.config.log_every, steps, self.state.config.progress_bar);
        let mut order = self.epoch_order();
        for _ in 0..steps {
            if self.state.stop.is_raised() {
                self.save_checkpoint()?;
                return Ok(Outcome::Stopped);
            }
            let b = self.state.config.batch_size;
            let start = self.state.counters.step_in_epoch as usize * b;
            let indices = &order[start..(start + b).min(order.len())];
            let clean = self.state.mnist.train.pixels(indices, Scaling::Unit);
            let global_step = self.state.counters.epoch * per_epoch + self.state.counters.step_in_epoch;
            let noisy = self.noisy(&clean, global_step);
            let loss = self.optimizer_step(image_batch(&self.dev, &noisy)?, image_batch(&self.dev, &clean)?)?;
            let step = self.state.counters.step_in_epoch + 1;
            finite_or_diverged(
                loss,
                || format!("the loss is {loss} at step {step} of epoch {}", self.state.counters.epoch + 1),
                || self.divergence_leaves(),
            )?;
            self.state.counters.epoch_loss_sum += loss as f64 * indices.len() as f64;
            self.state.counters.epoch_images += indices.len() as u64;
            self.state.counters.step_in_epoch += 1;
            let (epoch, step) = (self.state.counters.epoch, self.state.counters.step_in_epoch);
            let running = self.state.counters.epoch_loss_sum / self.state.counters.epoch_images as f64;
            if self.state.counters.step_in_epoch < per_epoch {
                progress.step(|| format!("epoch {:>3}  step {step:>4}/{per_epoch}  loss {running:.4}", epoch + 1));
            } else {
                let (train, test) = self.finish_epoch()?;
                progress.skip_line();
                if self.state.config.log_every > 0 {
                    progress.println(&format!(
                        "epoch {:>3} done: loss {train:.4}  val_loss {test:.4}  [{:.0} s]",
                        self.state.counters.epoch,
                        progress.elapsed()
                    ));
                }
                order = self.epoch_order();
            }
        }
        Ok(Outcome::Finished)
    }

    fn snapshot_indices(&self) -> Vec<usize> {
        let test = &self.state.mnist.test;
        let mut seen = [false; 10];
        let mut picks = Vec::new();
        for i in test.shuffled_indices(&mut step_rng(self.state.config.seed, 0, Stream::Display)) {
            if picks.len() == self.state.config.snapshot_images {
                break;
            }
            if let Some(first) = seen.get_mut(test.labels[i] as usize).filter(|s| !**s) {
                *first = true;
                picks.push(i);
            }
        }
        picks
    }

    /// The epoch's order of the training images it uses (the first `train_images` of them).
    fn epoch_order(&self) -> Vec<usize> {
        self.state.mnist.train.shuffled_first(
            self.train_len(),
            &mut step_rng(self.state.config.seed, self.state.counters.epoch, Stream::Batch),
        )
    }

    /// Closes an epoch: records its losses (returned as (train, test)) and writes a checkpoint.
    fn finish_epoch(&mut self) -> Result<(f32, f32)> {
        let train = (self.state.counters.epoch_loss_sum / self.state.counters.epoch_images.max(1) as f64) as f32;
        let test = self.evaluate(&self.state.mnist.test)?;
        let epoch = self.state.counters.epoch + 1;
        finite_or_diverged(
            test,
            || format!("the test loss is {test} after epoch {epoch}"),
            || self.divergence_leaves(),
        )?;
        let snapshot = self.reconstruct(&self.state.mnist.test.pixels(&self.snapshot_indices(), Scaling::Unit))?;
        self.state.counters.history.train_loss.push(train);
        self.state.counters.history.test_loss.push(test);
        self.state.counters.history.snapshots.push(snapshot);
        self.state.counters.epoch += 1;
        self.state.counters.step_in_epoch = 0;
        self.state.counters.epoch_loss_sum = 0.0;
        self.state.counters.epoch_images = 0;
        self.save_checkpoint()?;
        Ok((train, test))
    }

    /// The input for clean images: themselves, or with noise for a denoising autoencoder (seeded
    /// by the run seed and `step`).
    fn noisy(&self, clean: &[f32], step: u64) -> Vec<f32> {
        let mut x = clean.to_vec();
        if self.state.config.noise_factor > 0.0 {
            add_noise(
                &mut x,
                self.state.config.noise_factor,
                &mut step_rng(self.state.config.seed, step, Stream::Noise),
            );
        }
        x
    }

    /// One optimiser step from `input` towards `target`; returns the loss.
    fn optimizer_step(&mut self, input: ImageBatch, target: ImageBatch) -> Result<f32> {
        on_worker_thread(|| {
            self.net.step(|net, grads| {
                let logits = net.logits_training(input.traced(grads))?;
                Ok(bce_with_logits(logits, &target)?)
            })
        })
    }

    fn train_step(&mut self, images: &[f32]) -> Result<f32> {
        let step = self.state.counters.epoch * self.steps_per_epoch() + self.state.counters.step_in_epoch;
        let input = image_batch(&self.dev, &self.noisy(images, step))?;
        self.optimizer_step(input, image_batch(&self.dev, images)?)
    }

    fn evaluate(&self, split: &Split) -> Result<f32> {
        let mut sum = 0.0f64;
        let indices: Vec<usize> = (0..split.len()).collect();
        on_worker_thread(|| {
            for (k, chunk) in indices.chunks(500).enumerate() {
                let clean = split.pixels(chunk, Scaling::Unit);
                // Fixed evaluation noise (a stream apart from training), so test losses compare.
                let noisy = self.noisy(&clean, u64::MAX - k as u64);
                let logits = self.net.net.logits(image_batch(&self.dev, &noisy)?)?;
                let target = image_batch(&self.dev, &clean)?;
                sum += bce_with_logits(logits, &target)?.array() as f64 * chunk.len() as f64;
            }
            Ok::<_, Error>(())
        })?;
        Ok((sum / split.len().max(1) as f64) as f32)
    }

    fn summary(&self) -> Summary {
        self.net.net.summary(&mut KerasNames::default(), &self.dev)
    }

    fn reconstruct(&self, images: &[f32]) -> Result<Vec<f32>> {
        if images.len() / crate::data::PIXELS > MAX_IMAGES_PER_CALL {
            return Err(Error::InvalidArgument(format!(
                "reconstruct takes at most {MAX_IMAGES_PER_CALL} images per call"
            )));
        }
        let x = image_batch(&self.dev, images)?;
        Ok(self.net.net.logits(x)?.sigmoid().as_vec())
    }

    fn encode(&self, images: &[f32]) -> Result<(Vec<usize>, Vec<f32>)> {
        if images.len() / crate::data::PIXELS > MAX_IMAGES_PER_CALL {
            return Err(Error::InvalidArgument(format!(
                "encode takes at most {MAX_IMAGES_PER_CALL} images per call"
            )));
        }
        let x = image_batch(&self.dev, images)?;
        Ok(self.net.net.code(x)?)
    }
}

impl<N: AutoencoderNetwork> Checkpointed for AutoencoderCore<N> {
    const KIND: &'static str = "genlab-autoencoder";
    const WHAT: &'static str = "an autoencoder";
    type Config = AutoencoderConfig;
    type Counters = AutoencoderCounters;
    fn fresh(config: AutoencoderConfig, run: Option<RunDir>) -> Result<Self> {
        let config = AutoencoderConfig {
            run_dir: run.as_ref().map(|r| r.path.clone()),
            ..config
        };
        let mut core = Self::with_data(config, Mnist::load()?)?;
        core.state.run = run;
        Ok(core)
    }
    fn parts(&self) -> (&AutoencoderConfig, &AutoencoderCounters) {
        (&self.state.config, &self.state.counters)
    }
    fn run(&self) -> Option<&RunDir> {
        self.state.run.as_ref()
    }
    fn put_tensors(&self, store: &mut TensorStore) {
        let snapshots = &self.state.counters.history.snapshots;
        store.put_rows(SNAPSHOTS_TENSOR, snapshots.iter().map(Vec::as_slice));
        store.put_module("autoencoder", &self.net.net);
        store.put_optimizer("opt", &self.net.opt);
    }
    fn restore(&mut self, store: &TensorStore, mut counters: AutoencoderCounters) -> std::result::Result<(), String> {
        let size = self.state.config.snapshot_images * 784;
        let epochs = usize::try_from(counters.epoch).map_err(|_| "its epoch count overflows")?;
        if let Some(rows) = store.take_rows(SNAPSHOTS_TENSOR, epochs, size)? {
            counters.history.snapshots = rows;
        }
        let per_epoch = self.steps_per_epoch();
        counters.check(
            per_epoch,
            self.state.config.batch_size,
            self.train_len(),
            self.state.config.snapshot_images,
        )?;
        store.take_module("autoencoder", &mut self.net.net)?;
        let steps = per_epoch
            .checked_mul(counters.epoch)
            .and_then(|s| s.checked_add(counters.step_in_epoch))
            .ok_or("its step count overflows")?;
        store.take_optimizer("opt", &mut self.net.opt, steps, &self.net.net)?;
        self.state.counters = counters;
        Ok(())
    }
}

engine! {
    trait AutoencoderEngine for AutoencoderCore<N: AutoencoderNetwork> => Autoencoder, state AutoencoderState, config AutoencoderConfig;
    &mut self {
        /// Trains `steps` more training steps (crossing epoch ends as needed).
        fn fit_steps(steps: u64) -> Result<Outcome>;
        /// One optimiser step on images given in `[0, 1]` (784 values each); returns the loss.
        ///
        /// Keras equivalent: `autoencoder.train_on_batch(x, x)`.
        fn train_step(images: &[f32]) -> Result<f32>;
    }
    &self {
        /// Mean binary cross-entropy of the reconstructions of a whole split.
        ///
        /// Keras equivalent: `autoencoder.evaluate(X_test, X_test)`.
        fn evaluate(split: &Split) -> Result<f32>;
        /// Reconstructions (in `[0, 1]`) of images given in `[0, 1]`, 784 values each.
        ///
        /// Keras equivalent: `autoencoder.predict(images)`.
        fn reconstruct(images: &[f32]) -> Result<Vec<f32>>;
        /// The encoder's code h of images given in `[0, 1]` (784 values each): the shape of one
        /// image's code (`[8, 4, 4]` for the lecture's encoder) and the values, image after image.
        ///
        /// Keras equivalent: `encoder.predict(images)`, the encoder as its own `Model`.
        fn encode(images: &[f32]) -> Result<(Vec<usize>, Vec<f32>)>;
        /// Writes the checkpoint into the run directory (nothing without one).
        fn save_checkpoint() -> Result<()>;
        /// The run's snapshot test images (indices into the test set): the first image of each
        /// new digit in an order shuffled by the run seed, `snapshot_images` of them.
        fn snapshot_indices() -> Vec<usize>;
        /// Keras' table of the autoencoder this trainer holds.
        ///
        /// Keras equivalent: `autoencoder.summary()`.
        fn summary() -> Summary;
    }
}

/// A code (`shape` per image: channels, height, width; or a flat vector) as 28x28 pictures,
/// one row per channel with one picture per image, each map enlarged by repeating its values
/// (a flat code is one channel laid out as a square).
fn code_maps(shape: &[usize], code: &[f32]) -> Vec<Vec<f32>> {
    let side = crate::data::PIXELS.isqrt();
    let per_image: usize = shape.iter().product::<usize>().max(1);
    let images = code.len() / per_image;
    let (channels, h, w) = match *shape {
        [c, h, w] => (c, h, w),
        _ => {
            let n = per_image.isqrt().max(1);
            (1, n, per_image.div_ceil(n))
        }
    };
    (0..channels)
        .map(|c| {
            (0..images)
                .flat_map(|k| {
                    let map = &code[k * per_image + c * h * w..];
                    (0..side * side).map(move |p| {
                        let (y, x) = ((p / side) * h / side, (p % side) * w / side);
                        map.get(y * w + x)
                            .copied()
                            .filter(|_| y * w + x < per_image / channels)
                            .unwrap_or(0.0)
                    })
                })
                .collect()
        })
        .collect()
}

/// The lecture's convolutional autoencoder with its training state.
///
/// `fit(epochs)` trains that many more epochs over the 60,000 training images (shuffled, batch
/// 128) and measures the test loss after each, like
/// `autoencoder.fit(X_train, X_train, epochs, batch_size=128, validation_data=(X_test, X_test))`.
/// Calling it again continues; [`Autoencoder::new`] starts over.
///
/// The work runs behind a trait object created with the model, so that a model made in one
/// evcxr cell trains correctly in later ones (see [`crate::Gan`] for why).
pub struct Autoencoder {
    engine: Box<dyn AutoencoderEngine>,
}

/// The networks of an autoencoder a student writes:
/// `Autoencoder::with_networks::<Encoder, Decoder>()` names them (their builder types, as
/// written in a cell), and its methods start or continue a run with them exactly as
/// [`Autoencoder::new`], [`Autoencoder::start_over`], [`Autoencoder::resume`] and
/// [`Autoencoder::load_checkpoint`] do with the lecture's.
pub struct AutoencoderNetworks<E, D>(PhantomData<(E, D)>);

impl<E, D> AutoencoderNetworks<E, D>
where
    (E, D): BuildOnDevice<Cpu, f32>,
    <(E, D) as BuildOnDevice<Cpu, f32>>::Built: AutoencoderNetwork,
{
    /// A fresh autoencoder on MNIST from the data directory; weights drawn from `config.seed`.
    ///
    /// With a `run_dir`, the directory is locked against other processes, and one that
    /// already holds a run's checkpoint is refused ([`Error::RunExists`]): continue it with
    /// `resume`, or replace it with `start_over`.
    pub fn start(self, config: AutoencoderConfig) -> Result<Autoencoder> {
        self.start_with_data(config, Mnist::load()?)
    }

    /// A fresh autoencoder on the given data (a `run_dir` is taken as by `start`).
    pub fn start_with_data(self, config: AutoencoderConfig, mnist: Arc<Mnist>) -> Result<Autoencoder> {
        let mut core = AutoencoderCore::<<(E, D) as BuildOnDevice<Cpu, f32>>::Built>::with_data(config, mnist)?;
        core.state.claim_run_dir(Claim::Fresh)?;
        Ok(Autoencoder { engine: Box::new(core) })
    }

    /// A fresh autoencoder like `start`, replacing the run in `config.run_dir` if there is one:
    /// its checkpoint is removed once the new model is built (the notebooks' restart cells).
    pub fn start_over(self, config: AutoencoderConfig) -> Result<Autoencoder> {
        let mut core = AutoencoderCore::<<(E, D) as BuildOnDevice<Cpu, f32>>::Built>::with_data(config, Mnist::load()?)?;
        core.state.claim_run_dir(Claim::StartOver)?;
        Ok(Autoencoder { engine: Box::new(core) })
    }

    /// Continues the run whose checkpoint is in `run_dir` (written by a run of these networks):
    /// weights, optimiser moments, counters and history, mid-epoch if it stopped there. The
    /// directory is locked against other processes. A checkpoint of other networks is
    /// refused, naming the first tensor that does not fit.
    pub fn resume(self, run_dir: impl AsRef<Path>) -> Result<Autoencoder> {
        let core = AutoencoderCore::<<(E, D) as BuildOnDevice<Cpu, f32>>::Built>::resume(run_dir.as_ref())?;
        Ok(Autoencoder { engine: Box::new(core) })
    }

    /// The autoencoder in a checkpoint file, to look at (reconstruct, draw): it takes no run
    /// directory and writes no checkpoints.
    pub fn load_checkpoint(self, path: impl AsRef<Path>) -> Result<Autoencoder> {
        let core = AutoencoderCore::<<(E, D) as BuildOnDevice<Cpu, f32>>::Built>::from_checkpoint(path.as_ref(), None)?;
        Ok(Autoencoder { engine: Box::new(core) })
    }
}

/// Starting and continuing runs of the lecture's autoencoder ([`models::Encoder`],
/// [`models::Decoder`]).
impl Autoencoder {
    /// The encoder `E` and decoder `D` (builder types, e.g. a student's type aliases) to start
    /// or continue a run with: `Autoencoder::with_networks::<Encoder, Decoder>().start(config)`.
    pub fn with_networks<E, D>() -> AutoencoderNetworks<E, D> {
        AutoencoderNetworks(PhantomData)
    }

    /// A fresh autoencoder of the lecture's networks on MNIST from the data directory (see
    /// [`AutoencoderNetworks::start`]).
    pub fn new(config: AutoencoderConfig) -> Result<Autoencoder> {
        Self::lecture().start(config)
    }

    /// A fresh autoencoder of the lecture's networks on the given data.
    pub fn with_data(config: AutoencoderConfig, mnist: Arc<Mnist>) -> Result<Autoencoder> {
        Self::lecture().start_with_data(config, mnist)
    }

    /// A fresh autoencoder of the lecture's networks replacing the run in `config.run_dir`
    /// (see [`AutoencoderNetworks::start_over`]).
    pub fn start_over(config: AutoencoderConfig) -> Result<Autoencoder> {
        Self::lecture().start_over(config)
    }

    /// Continues a run of the lecture's autoencoder (see [`AutoencoderNetworks::resume`]).
    pub fn resume(run_dir: impl AsRef<Path>) -> Result<Autoencoder> {
        Self::lecture().resume(run_dir)
    }

    /// The lecture's autoencoder in a checkpoint file (see [`AutoencoderNetworks::load_checkpoint`]),
    /// written by either spelling of the lecture's networks: `genlab::models` or the types written
    /// line by line as in notebook 02 ([`models::exercises`]).
    pub fn load_checkpoint(path: impl AsRef<Path>) -> Result<Autoencoder> {
        let path = path.as_ref();
        crate::kit::checkpoint::or_other_spelling(Self::lecture().load_checkpoint(path), || {
            Self::with_networks::<models::exercises::Encoder, models::exercises::Decoder>().load_checkpoint(path)
        })
    }

    fn lecture() -> AutoencoderNetworks<models::Encoder, models::Decoder> {
        Self::with_networks()
    }
}

impl Autoencoder {
    /// Trains `epochs` more epochs (finishing a partly trained epoch first), printing progress,
    /// evaluating the test loss after each epoch and writing a checkpoint after each (with a
    /// run directory).
    ///
    /// Keras equivalent: `autoencoder.fit(X_train, X_train, epochs, batch_size=128, validation_data=(X_test, X_test))`.
    pub fn fit(&mut self, epochs: u64) -> Result<Outcome> {
        let steps = self.steps_for_epochs(epochs)?;
        let done = self.engine.state().counters.step_in_epoch;
        self.fit_steps(steps.saturating_sub(done))
    }
    /// Trains until `epochs` epochs are done in all (none when the run is there already),
    /// where [`fit`](Autoencoder::fit) adds that many: re-running a cell with `fit_until(50)`
    /// after a resume finishes the lecture's 50 instead of adding more.
    ///
    /// Keras equivalent: `fit(.., epochs=50, initial_epoch=done)`.
    pub fn fit_until(&mut self, epochs: u64) -> Result<Outcome> {
        let done = self.epoch();
        if done >= epochs && self.config().log_every > 0 {
            println!("already {done} epochs done (>= {epochs}): nothing to train");
        }
        self.fit(epochs.saturating_sub(done))
    }
    /// Training steps in `epochs` epochs, or an error when that count overflows.
    pub fn steps_for_epochs(&self, epochs: u64) -> Result<u64> {
        epochs.checked_mul(self.steps_per_epoch()).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "{epochs} epochs of {} steps are more steps than genlab can count",
                self.steps_per_epoch()
            ))
        })
    }
    /// The test images at `indices` (in `[0, 1]`) and their reconstructions.
    pub fn reconstruct_test(&self, indices: &[usize]) -> Result<(Vec<f32>, Vec<f32>)> {
        let test = &self.mnist().test;
        if let Some(&bad) = indices.iter().find(|&&i| i >= test.len()) {
            return Err(Error::InvalidArgument(format!(
                "test image {bad} does not exist (there are {})",
                test.len()
            )));
        }
        let originals = test.pixels(indices, Scaling::Unit);
        let reconstructions = self.reconstruct(&originals)?;
        Ok((originals, reconstructions))
    }
    /// Training steps in one epoch.
    pub fn steps_per_epoch(&self) -> u64 {
        self.engine.state().steps_per_epoch()
    }
    /// The data it trains on.
    pub fn mnist(&self) -> &Arc<Mnist> {
        &self.engine.state().mnist
    }
    /// Epochs completed.
    pub fn epoch(&self) -> u64 {
        self.engine.state().counters.epoch
    }
    /// Training steps completed, over all epochs.
    pub fn steps_done(&self) -> u64 {
        let state = self.engine.state();
        state.counters.epoch * state.steps_per_epoch() + state.counters.step_in_epoch
    }
    /// Per-epoch losses so far.
    pub fn history(&self) -> &AutoencoderHistory {
        &self.engine.state().counters.history
    }
}

/// Figures of the run, as the lecture shows them.
impl Autoencoder {
    /// `n` random test images (chosen by `seed`, like the lecture's `np.random.randint`) over
    /// their reconstructions, titled with the epochs trained.
    pub fn reconstruction_figure(&self, n: usize, seed: u64) -> Result<Figure> {
        use rand::Rng;
        let mut rng = step_rng(seed, 0, Stream::Display);
        let indices: Vec<usize> = (0..n).map(|_| rng.gen_range(0..self.mnist().test.len())).collect();
        let (originals, reconstructions) = self.reconstruct_test(&indices)?;
        Figure::reconstructions(
            &originals,
            &reconstructions,
            PixelRange::Unit,
            &words::after_epochs(self.epoch(), false),
        )
    }

    /// The run's snapshot test images (different digits) over their reconstructions after each
    /// of `epochs`, one row per epoch: the lecture's results slide after 10 and 50 epochs is
    /// `progression_figure(&[10, 50])`. Reconstructions are kept after every epoch, so this
    /// works after a resume too.
    pub fn progression_figure(&self, epochs: &[u64]) -> Result<Figure> {
        let history = self.history();
        let n = self.config().snapshot_images;
        if n == 0 || epochs.is_empty() {
            return Err(Error::InvalidArgument(
                "progression_figure needs snapshot_images > 0 and at least one epoch, e.g. &[10, 50]".into(),
            ));
        }
        let mut rows = Vec::new();
        for &e in epochs {
            let Some(images) = e.checked_sub(1).and_then(|i| history.snapshots.get(i as usize)) else {
                return Err(Error::InvalidArgument(format!(
                    "no reconstructions after epoch {e}: the run has {} epochs (train with fit_until({e}))",
                    self.epoch()
                )));
            };
            rows.push((words::after_epochs(e, true), images.as_slice()));
        }
        let originals = self.mnist().test.pixels(&self.engine.snapshot_indices(), Scaling::Unit);
        let test_images = words::test_images();
        let mut labelled: Vec<(&str, &[f32])> = vec![(&test_images, &originals)];
        labelled.extend(rows.iter().map(|(label, images)| (label.as_str(), *images)));
        Figure::image_rows(&labelled, PixelRange::Unit, &words::reconstructions_during_training())
    }

    /// The denoising view (Keras blog): `n` random test images with noise of `noise_factor`
    /// (top), the autoencoder's output for them (middle) and the clean originals (bottom).
    pub fn denoise_figure(&self, n: usize, noise_factor: f32, seed: u64) -> Result<Figure> {
        use rand::Rng;
        let mut rng = step_rng(seed, 0, Stream::Display);
        let test = &self.mnist().test;
        let indices: Vec<usize> = (0..n).map(|_| rng.gen_range(0..test.len())).collect();
        let originals = test.pixels(&indices, Scaling::Unit);
        let mut noisy = originals.clone();
        add_noise(&mut noisy, noise_factor, &mut rng);
        let cleaned = self.reconstruct(&noisy)?;
        let (title, [noisy_label, cleaned_label, original_label]) = words::denoising(self.epoch());
        Figure::image_rows(
            &[(&noisy_label, &noisy), (&cleaned_label, &cleaned), (&original_label, &originals)],
            PixelRange::Unit,
            &title,
        )
    }

    /// What the encoder makes of the run's snapshot test images (different digits): the
    /// images on top, their code h below, one row per channel of the code (4x4 each for the
    /// lecture's encoder, drawn large; black is 0, white the largest value in the figure), and
    /// the reconstructions at the bottom: the lecture's "인코더를 이용하여 차원 축소 및 특징
    /// 추출", 784 values down to 128.
    pub fn code_figure(&self) -> Result<Figure> {
        let originals = self.mnist().test.pixels(&self.engine.snapshot_indices(), Scaling::Unit);
        if originals.is_empty() {
            return Err(Error::InvalidArgument("code_figure needs snapshot_images > 0".into()));
        }
        let (shape, code) = self.encode(&originals)?;
        let reconstructions = self.reconstruct(&originals)?;
        let maps = code_maps(&shape, &code);
        let most = code.iter().fold(f32::MIN_POSITIVE, |m, &v| m.max(v.abs()));
        let (title, test_label, channel_label, made_label) = words::code(&shape);
        let channel_labels: Vec<String> = (1..=maps.len()).map(channel_label).collect();
        let scaled: Vec<Vec<f32>> = maps
            .iter()
            .map(|m| m.iter().map(|v| (v / most).clamp(0.0, 1.0)).collect())
            .collect();
        let mut rows: Vec<(&str, &[f32])> = vec![(&test_label, &originals)];
        rows.extend(channel_labels.iter().map(String::as_str).zip(scaled.iter().map(Vec::as_slice)));
        rows.push((&made_label, &reconstructions));
        Figure::image_rows(&rows, PixelRange::Unit, &title)
    }

    /// Training and test loss per epoch.
    pub fn loss_figure(&self) -> Result<Figure> {
        Figure::autoencoder_losses(&self.history().train_loss, &self.history().test_loss)
    }
}
