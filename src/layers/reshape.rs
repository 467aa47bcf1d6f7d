//! Flatten and Reshape between image and vector tensors.

use dfdx::nn::modules::{Module, NonMutableModule, ZeroSizedModule};
use dfdx::prelude::*;

/// `(batch, C, H, W)` to `(batch, N)`; `N == C * H * W` is checked at compile time.
///
/// Keras equivalent: `Flatten()`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Flatten<const N: usize>;

/// `(batch, N)` to `(batch, C, H, W)`; `N == C * H * W` is checked at compile time.
///
/// Tensors here are channels-first, so the lecture's `Reshape((7, 7, 128))` is `Reshape<128, 7, 7>`.
///
/// Keras equivalent: `Reshape((H, W, C))`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Reshape<const C: usize, const H: usize, const W: usize>;

impl<const N: usize> ZeroSizedModule for Flatten<N> {}
impl<const N: usize> NonMutableModule for Flatten<N> {}
impl<const C: usize, const H: usize, const W: usize> ZeroSizedModule for Reshape<C, H, W> {}
impl<const C: usize, const H: usize, const W: usize> NonMutableModule for Reshape<C, H, W> {}

impl<B: Dim, const C: usize, const H: usize, const W: usize, const N: usize, T: Tape<f32, Cpu>>
    Module<Tensor<(B, Const<C>, Const<H>, Const<W>), f32, Cpu, T>> for Flatten<N>
{
    type Output = Tensor<(B, Const<N>), f32, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Const<C>, Const<H>, Const<W>), f32, Cpu, T>) -> Result<Self::Output, CpuError> {
        const { assert!(N == C * H * W, "Flatten<N>: N must equal channels * height * width of the input") };
        let batch = x.shape().0;
        x.try_reshape_like(&(batch, Const::<N>))
    }
}

impl<B: Dim, const N: usize, const C: usize, const H: usize, const W: usize, T: Tape<f32, Cpu>> Module<Tensor<(B, Const<N>), f32, Cpu, T>>
    for Reshape<C, H, W>
{
    type Output = Tensor<(B, Const<C>, Const<H>, Const<W>), f32, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Const<N>), f32, Cpu, T>) -> Result<Self::Output, CpuError> {
        const { assert!(N == C * H * W, "Reshape<C, H, W>: C * H * W must equal the input's length") };
        let batch = x.shape().0;
        x.try_reshape_like(&(batch, Const::<C>, Const::<H>, Const::<W>))
    }
}
