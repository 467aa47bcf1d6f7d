//! The typed layers: each a short file that checks its shapes at compile time and calls an op
//! (`crate::ops`) for the work. They fill what dfdx 0.13 lacks on stable Rust (convolution,
//! pooling, flatten) and replace what is slow in it (rectifiers, upsampling, dropout,
//! BatchNormalization).
//!
//! Each layer is generic over the batch size and carries its sizes as const generics; a layer
//! whose declared output size or input channel count does not fit its input fails to compile.
//! Built-in dfdx layers used alongside them: `Tanh`, `Sigmoid`.

/// Invokes `$m!` once per tuple arity, 1 to 8, as `$m!(X0; 0 A X0 X1, 1 B X1 X2 => X2)`: index,
/// layer type, its input and output types, then the last output. Every per-tuple impl (frozen
/// forward, reseed, summary) goes through this one list, so they all stop at the same arity.
macro_rules! for_each_tuple {
    ($m:ident) => {
        $m!(X0; 0 A X0 X1 => X1);
        $m!(X0; 0 A X0 X1, 1 B X1 X2 => X2);
        $m!(X0; 0 A X0 X1, 1 B X1 X2, 2 C X2 X3 => X3);
        $m!(X0; 0 A X0 X1, 1 B X1 X2, 2 C X2 X3, 3 D X3 X4 => X4);
        $m!(X0; 0 A X0 X1, 1 B X1 X2, 2 C X2 X3, 3 D X3 X4, 4 E X4 X5 => X5);
        $m!(X0; 0 A X0 X1, 1 B X1 X2, 2 C X2 X3, 3 D X3 X4, 4 E X4 X5, 5 F X5 X6 => X6);
        $m!(X0; 0 A X0 X1, 1 B X1 X2, 2 C X2 X3, 3 D X3 X4, 4 E X4 X5, 5 F X5 X6, 6 G X6 X7 => X7);
        $m!(X0; 0 A X0 X1, 1 B X1 X2, 2 C X2 X3, 3 D X3 X4, 4 E X4 X5, 5 F X5 X6, 6 G X6 X7, 7 H X7 X8 => X8);
    };
}
pub(crate) use for_each_tuple;

mod activation;
mod batch_norm;
mod conv2d;
mod dense;
mod dropout;
mod frozen;
mod init;
mod keras;
mod max_pool2d;
mod padding;
mod rectifier;
mod reshape;
mod upsample_conv2d;
mod upsampling;

pub use activation::Activation;
pub use batch_norm::{BatchNorm, BatchNorm1D, BatchNorm2D};
pub use conv2d::Conv2d;
pub use dense::Dense;
pub use dropout::Dropout;
pub use frozen::FrozenForward;
pub use init::glorot_uniform;
pub use keras::{BatchNormMomenta, KerasLayer, Reseed, VectorInput};
pub use max_pool2d::MaxPool2d;
pub use padding::{output_size, padding_before, Padding, Same, Valid};
pub use rectifier::{ConvActivation, LeakyRelu, Linear, Relu};
pub use reshape::{Flatten, Reshape};
pub use upsample_conv2d::UpSampleConv2d;
pub use upsampling::{UpSampling2D, Upsampled};
