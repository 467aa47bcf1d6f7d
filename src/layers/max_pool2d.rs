//! 2x2 max pooling with Keras 'same' padding.

use crate::ops::pool::max_pool2d;
use dfdx::nn::modules::{Module, NonMutableModule, ZeroSizedModule};
use dfdx::prelude::*;

/// Maximum over 2x2 windows with stride 2: `(batch, C, H, H)` to `(batch, C, OUT, OUT)`, where
/// `OUT == ceil(H / 2)` is checked at compile time. For odd `H` the last window is cut short, as
/// Keras' 'same' padding does (padding never wins the max).
///
/// Keras equivalent: `MaxPooling2D(pool_size=2, padding='same')`.
#[derive(Debug, Default, Clone, Copy)]
pub struct MaxPool2d<const OUT: usize>;

impl<const O: usize> ZeroSizedModule for MaxPool2d<O> {}
impl<const O: usize> NonMutableModule for MaxPool2d<O> {}

impl<B: Dim, const C: usize, const H: usize, const O: usize, T: Tape<f32, Cpu>>
    Module<Tensor<(B, Const<C>, Const<H>, Const<H>), f32, Cpu, T>> for MaxPool2d<O>
{
    type Output = Tensor<(B, Const<C>, Const<O>, Const<O>), f32, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Const<C>, Const<H>, Const<H>), f32, Cpu, T>) -> Result<Self::Output, CpuError> {
        const { assert!(O == H.div_ceil(2), "MaxPool2d<OUT>: OUT must be ceil(input size / 2)") };
        let batch = x.shape().0;
        max_pool2d::<H, O, _, _, _>(x, batch.size() * C, (batch, Const::<C>, Const::<O>, Const::<O>))
    }
}
