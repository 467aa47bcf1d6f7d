//! Training: the lecture's GAN loop and autoencoder fit, for the lecture's networks or a
//! student's, with history, progress, clean stops and checkpoints.
//!
//! Rooms: `gan.rs` and `autoencoder.rs` (the two trainers, generic over their networks),
//! `networks.rs` (what a trainer needs of a network: the traits a student's model types meet),
//! `engine.rs` (the evcxr-safe trait object: forwarding generated from one list of operations),
//! `export.rs` (a run's figures in one call), `background.rs` (training in a thread while other
//! cells run), `samples.rs` (generated digits as IDX or PNGs), `selection.rs` (scores that choose among
//! generated digits at sampling time). What any training loop needs
//! (one optimiser step, progress, checkpoints, run directories, the weight average) is the kit
//! below, `crate::kit`, which the judge uses too.

mod autoencoder;
mod background;
mod engine;
mod export;
mod gan;
pub mod networks;
mod samples;
mod selection;

pub use crate::kit::checkpoint::TensorStore;
pub use crate::kit::progress::{Progress, StopFlag};
pub use crate::kit::run_dir::{CHECKPOINT_FILE, RUN_LOCK_FILE};
pub use autoencoder::{Autoencoder, AutoencoderConfig, AutoencoderHistory, AutoencoderNetworks};
pub use background::{Steps, Training, TrainingStatus};
pub use export::{ExportOptions, AUTOENCODER_FIGURES, GAN_FIGURES};
pub use gan::{Gan, GanConfig, GanHistory, GanNetworks, GanRecipe, Snapshot};
pub use networks::{AutoencoderNetwork, DiscriminatorNetwork, GeneratorNetwork};
pub use samples::SampleOutput;
pub use selection::Candidates;

/// What both trainers ([`Gan`], [`Autoencoder`]) offer a program that runs them: start, resume,
/// stop and how progress is drawn. (Each also has these as inherent methods.)
pub trait Trainer: Sized {
    /// Its settings.
    type Config;
    /// A fresh trainer on MNIST from the data directory (a run directory holding a run is refused).
    fn start(config: Self::Config) -> crate::Result<Self>;
    /// A fresh trainer that replaces the run in its run directory, if any.
    fn start_over(config: Self::Config) -> crate::Result<Self>;
    /// The model in a checkpoint file, without a run directory.
    fn load_checkpoint(path: &std::path::Path) -> crate::Result<Self>;
    /// The run whose checkpoint is in `run_dir`.
    fn resume(run_dir: &std::path::Path) -> crate::Result<Self>;
    /// The flag that stops training after the current step (with a checkpoint).
    fn stop_flag(&self) -> StopFlag;
    /// Draw progress as a bar (terminals) or as lines (notebooks, logs).
    fn set_progress_bar(&mut self, bar: bool);
}

/// The largest batch genlab trains with: MNIST's training set (60,000 images).
pub const MAX_BATCH: usize = 60_000;

/// The most images one call generates or reconstructs (about 300 MB of pixels).
pub const MAX_IMAGES_PER_CALL: usize = 100_000;

/// `Ok` for a finite `value`; else [`Error::Diverged`](crate::Error::Diverged) saying `what`
/// went wrong and what was `kept`.
pub(crate) fn finite_or_diverged(value: f32, what: impl FnOnce() -> String, kept: impl FnOnce() -> String) -> crate::Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(crate::Error::Diverged {
            what: what(),
            kept: kept(),
        })
    }
}

/// How a call to `train` or `fit` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// All requested work was done.
    Finished,
    /// A [`StopFlag`] was raised; the current step was finished and (with a run directory) a
    /// checkpoint written. Call `train`/`fit` again, or `resume` in a new process, to continue.
    Stopped,
}

/// Runs `work` on one of rayon's worker threads and waits for it.
///
/// The layers' parallel passes then fork from a worker, whose partner steals half, instead of
/// being handed over from a thread outside the pool that sleeps until each pass is done and
/// is woken again: about 50 such hand-overs per autoencoder step. (The hand-over itself is not
/// generic, so a notebook cell that builds a trainer for its own networks compiles it once.)
pub(crate) fn on_worker_thread<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    let (mut work, mut result) = (Some(work), None);
    run_on_worker(&mut || result = work.take().map(|work| work()));
    result.expect("the work ran once")
}

fn run_on_worker(work: &mut (dyn FnMut() + Send)) {
    rayon::scope(|_| work())
}
