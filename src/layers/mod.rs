//! The layers dfdx 0.13 lacks on stable Rust, typed so that shapes are checked by the compiler.
//!
//! Each layer is generic over the batch size and carries its sizes as const generics; a layer
//! whose declared output size or input channel count does not fit its input fails to compile.
//! Built-in dfdx layers used alongside them: `BatchNorm1D`, `BatchNorm2D`, `Tanh`, `Sigmoid`.

mod activation;
mod conv2d;
mod dense;
mod direct_conv;
mod dropout;
mod frozen;
mod image_conv;
mod init;
mod keras_layer;
pub mod kernels;
mod leaky_relu;
mod max_pool2d;
mod padding;
mod reshape;
mod simd;
mod small_gemm;
mod upsample_conv2d;
mod upsampling;

pub use activation::{ConvActivation, Linear};
pub use conv2d::Conv2d;
pub use dense::Dense;
pub use dropout::Dropout;
pub use frozen::FrozenForward;
pub use init::glorot_uniform;
pub use keras_layer::{KerasLayer, Reseed};
pub use leaky_relu::{LeakyRelu, Relu};
pub use max_pool2d::MaxPool2d;
pub use padding::{output_size, padding_before, Padding, Same, Valid};
pub use reshape::{Flatten, Reshape};
pub use upsample_conv2d::UpSampleConv2d;
pub use upsampling::UpSampling2D;
