//! Rectifiers: ReLU and Leaky ReLU (its slope in the type), as layers of their own (one
//! parallel pass each way) or fused into a convolution as its activation ([`ConvActivation`]).

use crate::ops::rectify::rectify;
use dfdx::nn::modules::{Module, NonMutableModule, ZeroSizedModule};
use dfdx::prelude::*;

/// What a convolution applies to its output: the identity ([`Linear`]) or a rectifier
/// ([`Relu`], [`LeakyRelu`]).
///
/// Keras equivalent: the `activation=` argument of `Conv2D`.
pub trait ConvActivation: Default + Copy + std::fmt::Debug + Send + Sync + 'static {
    /// The slope for negative inputs, `None` for the identity (0 for ReLU).
    const SLOPE: Option<f32>;
    /// The summary row `(Keras class, Keras name)` of an activation the lecture writes as a
    /// layer of its own (`Activation(LeakyReLU(0.2))`); `None` when it is part of the layer
    /// (`activation='relu'`).
    const ROW: Option<(&'static str, &'static str)> = None;
}

/// No activation: the convolution's output as it is.
///
/// Keras equivalent: `activation=None` (the default, 'linear').
#[derive(Debug, Default, Clone, Copy)]
pub struct Linear;

impl ConvActivation for Linear {
    const SLOPE: Option<f32> = None;
}

impl ConvActivation for Relu {
    const SLOPE: Option<f32> = Some(0.0);
}

/// `Conv2D(.., activation=LeakyReLU(0.2))`: part of the layer, no row. The lecture's
/// discriminator writes `Activation(LeakyReLU(0.2))` after each convolution instead, which is
/// [`Activation<LeakyRelu<20>>`](super::Activation) as the activation parameter.
impl<const P: usize> ConvActivation for LeakyRelu<P> {
    const SLOPE: Option<f32> = Some(LeakyRelu::<P>::SLOPE);
}

/// `max(x, a x)` with `a = SLOPE_PERCENT / 100`; the lecture uses 0.2, `LeakyRelu<20>`.
///
/// dfdx's own `LeakyReLU` keeps the slope as a value with default 0.05, which a model type cannot
/// set; here the slope is part of the type, so the model alias reads like the lecture. Forward
/// and backward are one parallel pass each (dfdx's `prelu` makes several single-threaded passes
/// with a temporary tensor each); the gradient at 0 is the negative side's, as in TensorFlow.
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
        rectify(x, Self::SLOPE)
    }
}

/// `max(x, 0)`, the lecture's `activation='relu'`.
///
/// dfdx's `ReLU` makes several single-threaded passes with a temporary tensor each; this one
/// shares Leaky ReLU's single parallel pass (the gradient at 0 is 0, as in TensorFlow).
///
/// Keras equivalent: `activation='relu'` in a layer, or `Activation('relu')`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Relu;

impl ZeroSizedModule for Relu {}
impl NonMutableModule for Relu {}

impl<S: Shape, T: Tape<f32, Cpu>> Module<Tensor<S, f32, Cpu, T>> for Relu {
    type Output = Tensor<S, f32, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<S, f32, Cpu, T>) -> Result<Self::Output, CpuError> {
        rectify(x, 0.0)
    }
}
