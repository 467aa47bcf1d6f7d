//! Leaky ReLU with its slope in the type.

use dfdx::nn::modules::{Module, NonMutableModule, ZeroSizedModule};
use dfdx::prelude::*;

/// `max(x, a x)` with `a = SLOPE_PERCENT / 100`; the lecture uses 0.2, `LeakyRelu<20>`.
///
/// dfdx's own `LeakyReLU` keeps the slope as a value with default 0.05, which a model type cannot
/// set; here the slope is part of the type, so the model alias reads like the lecture.
///
/// Keras equivalent: `LeakyReLU(0.2)` (also as `Activation(LeakyReLU(0.2))`).
#[derive(Debug, Default, Clone, Copy)]
pub struct LeakyRelu<const SLOPE_PERCENT: usize = 20>;

impl<const P: usize> LeakyRelu<P> {
    /// The negative-side slope, `SLOPE_PERCENT / 100`.
    pub const SLOPE: f32 = P as f32 / 100.0;
}

impl<const P: usize> ZeroSizedModule for LeakyRelu<P> {}
impl<const P: usize> NonMutableModule for LeakyRelu<P> {}

impl<const P: usize, S: Shape, T: Tape<f32, Cpu>> Module<Tensor<S, f32, Cpu, T>> for LeakyRelu<P> {
    type Output = Tensor<S, f32, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<S, f32, Cpu, T>) -> Result<Self::Output, CpuError> {
        x.try_prelu(Self::SLOPE)
    }
}
