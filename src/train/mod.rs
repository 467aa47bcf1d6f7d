//! Training: the lecture's GAN loop and autoencoder fit, with history, progress, clean stops
//! and checkpoints.

mod autoencoder;
pub mod checkpoint;
mod gan;
mod progress;

pub use autoencoder::{Autoencoder, AutoencoderConfig, AutoencoderHistory};
pub use checkpoint::{TensorStore, CHECKPOINT_FILE};
pub use gan::{Gan, GanConfig, GanHistory, Snapshot};
pub use progress::{Progress, StopFlag};

/// How a call to `train` or `fit` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// All requested work was done.
    Finished,
    /// A [`StopFlag`] was raised; the current step was finished and (with a run directory) a
    /// checkpoint written. Call `train`/`fit` again, or `resume` in a new process, to continue.
    Stopped,
}
