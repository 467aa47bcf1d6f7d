//! # genlab
//!
//! Learn and teach generative models in Rust: the DCGAN and convolutional autoencoder of a
//! Keras lecture, rebuilt on [dfdx](https://docs.rs/dfdx/0.13.0) with compile-time-shaped
//! tensors, trained on MNIST, drawn with plotters, and stepped through in evcxr notebooks.
//!
//! ```no_run
//! use genlab::prelude::*;
//! type Generator = (
//!     (Dense<100, 6272>, LeakyRelu<20>),  // Dense(128*7*7, input_dim=100, activation=LeakyReLU(0.2))
//!     BatchNorm1D<6272>,                  // BatchNormalization()
//!     Reshape<128, 7, 7>,                 // Reshape((7, 7, 128))
//!     (UpSampling2D<14>, Conv2d<128, 64, 5, 1, Same, 14>, BatchNorm2D<64>, Activation<LeakyRelu<20>>),
//!     (UpSampling2D<28>, Conv2d<64, 1, 5, 1, Same, 28>, Tanh),
//! );
//! type Discriminator = genlab::models::Discriminator; // or written line by line, as the generator
//! let mut gan = Gan::with_networks::<Generator, Discriminator>().start(GanConfig::default())?;
//! gan.train(200)?;                                 // continues where it is on every call
//! println!("{}", gan.summary());                   // Keras' tables of its three models
//! # Ok::<(), genlab::Error>(())
//! ```
//!
//! `Gan::new(config)` trains the lecture's networks as `genlab::models` defines them.
//!
//! Modules, in the direction data flows: [`data`] (MNIST) → [`layers`] (typed layers, each
//! checking its shapes and calling an op) → [`models`] (the lecture's models as types) →
//! [`train`] (loops, history, checkpoints); [`summary`] derives Keras-style summaries from the
//! model types and [`figures`] draws plain data. Behind the layers, crate-private: `ops` (the
//! tape plumbing written once, the convolution planner and one file per kernel path, scratch
//! buffers) and `cpu` (everything that depends on the instruction set, detected once).

mod cpu;
pub mod data;
mod error;
pub mod figures;
mod files;
pub mod judge;
mod kit;
pub mod layers;
mod lock;
mod memory;
pub mod models;
mod ops;
pub mod optim;
pub mod prelude;
pub mod rng;
pub mod summaries;
pub mod summary;
pub mod train;
mod walk;

/// The dfdx version genlab is built on, re-exported so notebooks and examples use the same one.
pub use dfdx;

/// Loss functions.
pub mod loss {
    pub use crate::ops::bce::bce_with_logits;
}
pub use cpu::{cpu_path, supported_paths, CpuPath, CPU_ENV};
pub use error::{Error, Result};
pub use figures::{set_language, Figure, Language, PixelRange, SLIDE_16_9};
pub use train::{
    Autoencoder, AutoencoderConfig, AutoencoderNetworks, ExportOptions, Gan, GanConfig, GanNetworks, GanRecipe, Outcome, StopFlag, Trainer,
};
