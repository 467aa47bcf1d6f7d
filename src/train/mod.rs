//! Training: the lecture's GAN loop and autoencoder fit, with history, progress, clean stops
//! and checkpoints.

//!
//! Rooms: `gan.rs` and `autoencoder.rs` (the two trainers), `engine.rs` (the evcxr-safe trait
//! object, each operation written once), `checkpoint.rs` (one checkpoint trait for both),
//! `step.rs` (one optimiser step), `progress.rs` (progress lines, bars and the stop flag).

mod autoencoder;
pub mod checkpoint;
mod engine;
mod gan;
mod progress;
mod step;

pub use autoencoder::{Autoencoder, AutoencoderConfig, AutoencoderHistory};
pub use checkpoint::{TensorStore, CHECKPOINT_FILE};
pub use gan::{Gan, GanConfig, GanHistory, Snapshot};
pub use progress::{Progress, StopFlag};
pub(crate) use step::Trained;

/// What both trainers ([`Gan`], [`Autoencoder`]) offer a program that runs them: start, resume,
/// stop and how progress is drawn. (Each also has these as inherent methods.)
pub trait Trainer: Sized {
    /// Its settings.
    type Config;
    /// A fresh trainer on MNIST from the data directory.
    fn start(config: Self::Config) -> crate::Result<Self>;
    /// The run whose checkpoint is in `run_dir`.
    fn resume(run_dir: &std::path::Path) -> crate::Result<Self>;
    /// The flag that stops training after the current step (with a checkpoint).
    fn stop_flag(&self) -> StopFlag;
    /// Draw progress as a bar (terminals) or as lines (notebooks, logs).
    fn set_progress_bar(&mut self, bar: bool);
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
/// is woken again: about 50 such hand-overs per autoencoder step.
pub(crate) fn on_worker_thread<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| work())
}
