//! One import for a notebook cell or a program that writes its own models:
//! `use genlab::prelude::*;`.
//!
//! It brings dfdx's tensors, devices, shapes and tensor operations, its `Module` traits and its
//! `Tanh` and `Sigmoid` activations, genlab's layers (which take the place of dfdx's layers of
//! the same names: `BatchNorm1D`, `BatchNorm2D`, `Reshape`, `Dropout`, `Linear`), and the
//! trainers, figures and summaries. Importing `dfdx::prelude::*` and `genlab::layers::*` side
//! by side instead makes those names ambiguous.

pub use dfdx::nn::{BuildOnDevice, DeviceBuildExt, Module, ModuleMut};
pub use dfdx::prelude::*;

pub use crate::layers::{
    Activation, BatchNorm1D, BatchNorm2D, Conv2d, Dense, Dropout, Flatten, LeakyRelu, Linear, MaxPool2d, Relu, Reshape, Same,
    UpSampleConv2d, UpSampling2D, Valid,
};
pub use crate::summaries;
pub use crate::{
    set_language, Autoencoder, AutoencoderConfig, ExportOptions, Figure, Gan, GanConfig, GanRecipe, Language, PixelRange, SLIDE_16_9,
};
