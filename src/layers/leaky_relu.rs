//! Rectifiers: ReLU and Leaky ReLU (its slope in the type), one parallel pass each way.

use super::activation::{add_gated, rectify_in_place};
use super::kernels::zeroed;
use dfdx::nn::modules::{Module, NonMutableModule, ZeroSizedModule};
use dfdx::prelude::*;

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

/// `x` where positive, `slope * x` elsewhere (exactly 0 for `slope` 0), with its backward op:
/// the same passes as a rectifier fused into a convolution ([`rectify_in_place`], [`add_gated`]).
fn rectify<S: Shape, T: Tape<f32, Cpu>>(x: Tensor<S, f32, Cpu, T>, slope: f32) -> Result<Tensor<S, f32, Cpu, T>, CpuError> {
    let shape = *x.shape();
    let (x, mut tape) = x.split_tape();
    let mut out = zeroed::<f32>(shape.num_elements());
    x.copy_into(&mut out);
    let positive = rectify_in_place(&mut out, slope);
    let out = x.device().tensor_from_vec(out, shape);
    if !T::OWNS_TAPE {
        return Ok(out.put_tape(tape));
    }
    let (x_id, out_id) = (x.ghost(), out.ghost());
    tape.add_backward_op(move |grads| {
        grads.try_alloc_for(&x_id)?;
        // Moved out of `grads` (and back below) rather than copied: both are borrowed at once.
        let gout = std::mem::take(&mut **grads.get_or_alloc_mut(&out_id)?);
        add_gated(grads.get_or_alloc_mut(&x_id)?, &gout, &positive, slope);
        **grads.get_or_alloc_mut(&out_id)? = gout;
        Ok(())
    });
    Ok(out.put_tape(tape))
}
