//! Rectifiers: ReLU and Leaky ReLU (its slope in the type), one parallel pass each way.

use super::kernels::{give_back, take_scratch, zeroed};
use dfdx::nn::modules::{Module, NonMutableModule, ZeroSizedModule};
use dfdx::prelude::*;
use rayon::prelude::*;

/// Elements per thread task.
const CHUNK: usize = 1 << 14;

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

/// `x` where positive, `slope * x` elsewhere (exactly 0 for `slope` 0), with its backward op.
fn rectify<S: Shape, T: Tape<f32, Cpu>>(x: Tensor<S, f32, Cpu, T>, slope: f32) -> Result<Tensor<S, f32, Cpu, T>, CpuError> {
    let shape = *x.shape();
    let (x, mut tape) = x.split_tape();
    let mut xs = take_scratch(shape.num_elements());
    x.copy_into(&mut xs);
    let mut out = zeroed::<f32>(xs.len());
    // Selects, not branches (the signs are close to random), so the loops vectorise.
    out.par_chunks_mut(CHUNK).zip(xs.par_chunks(CHUNK)).for_each(|(o, v)| {
        if slope == 0.0 {
            for (o, &v) in o.iter_mut().zip(v) {
                *o = if v > 0.0 { v } else { 0.0 };
            }
        } else {
            for (o, &v) in o.iter_mut().zip(v) {
                *o = if v > 0.0 { v } else { slope * v };
            }
        }
    });
    let out = x.device().tensor_from_vec(out, shape);
    if !T::OWNS_TAPE {
        give_back(xs);
        return Ok(out.put_tape(tape));
    }
    let (x_id, out_id) = (x.ghost(), out.ghost());
    tape.add_backward_op(move |grads| {
        grads.try_alloc_for(&x_id)?;
        // Moved out of `grads` (and back below) rather than copied: both are borrowed at once.
        let gout = std::mem::take(&mut **grads.get_or_alloc_mut(&out_id)?);
        let gx = grads.get_or_alloc_mut(&x_id)?;
        gx.par_chunks_mut(CHUNK)
            .zip(gout.par_chunks(CHUNK))
            .zip(xs.par_chunks(CHUNK))
            .for_each(|((gx, go), v)| {
                for ((gx, &go), &v) in gx.iter_mut().zip(go).zip(v) {
                    *gx += go * if v > 0.0 { 1.0 } else { slope };
                }
            });
        **grads.get_or_alloc_mut(&out_id)? = gout;
        give_back(xs);
        Ok(())
    });
    Ok(out.put_tape(tape))
}
