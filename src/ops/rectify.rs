//! Rectifier passes, `max(v, slope * v)`: fused into a convolution's output as Keras'
//! `Conv2D(..., activation='relu')`, or as the op of the rectifier layers themselves ([`rectify`]).
//!
//! A separate activation layer costs a copy of its input out of the dfdx tensor, a fresh output,
//! and on the way back a fresh zeroed gradient and a pass over three tensors. Fused, it is one
//! parallel pass over the convolution's own output (keeping one byte per element: was it
//! positive?) and one over the output gradient.

use super::scratch::zeroed;
use super::{record, Forward, ELEMENTS_PER_TASK as CHUNK};
use dfdx::prelude::*;
use rayon::prelude::*;

/// Applies `max(v, slope * v)` to `out` in place and returns, per element, whether it was
/// positive (what the backward pass needs).
pub(crate) fn rectify_in_place(out: &mut [f32], slope: f32) -> Vec<u8> {
    let mut positive = zeroed::<u8>(out.len());
    out.par_chunks_mut(CHUNK)
        .zip(positive.par_chunks_mut(CHUNK))
        .for_each(|(o, p)| rectify_row(o, 0.0, slope, p));
    positive
}

/// `values[i] = rect(values[i] + bias)` with `positive[i]` set to whether the sum was positive,
/// where `rect(v) = max(v, slope * v)`: one row of a convolution's output, in cache.
#[inline]
pub(crate) fn rectify_row(values: &mut [f32], bias: f32, slope: f32, positive: &mut [u8]) {
    // Selects, not branches: the signs are close to random, and the loops vectorise.
    if slope == 0.0 {
        for (v, p) in values.iter_mut().zip(positive) {
            let x = *v + bias;
            *p = u8::from(x > 0.0);
            *v = if x > 0.0 { x } else { 0.0 };
        }
    } else {
        for (v, p) in values.iter_mut().zip(positive) {
            let x = *v + bias;
            *p = u8::from(x > 0.0);
            *v = if x > 0.0 { x } else { slope * x };
        }
    }
}

/// Turns the gradient of the rectified output into the gradient of its input, in place: kept
/// where the input was positive, times `slope` elsewhere.
pub(crate) fn gate_in_place(grad: &mut [f32], positive: &[u8], slope: f32) {
    grad.par_chunks_mut(CHUNK)
        .zip(positive.par_chunks(CHUNK))
        .for_each(|(g, p)| gate_row(g, p, slope));
}

/// [`gate_in_place`] on one row, on the calling thread.
#[inline]
pub(crate) fn gate_row(grad: &mut [f32], positive: &[u8], slope: f32) {
    if slope == 0.0 {
        for (g, p) in grad.iter_mut().zip(positive) {
            *g = if *p != 0 { *g } else { 0.0 };
        }
    } else {
        for (g, p) in grad.iter_mut().zip(positive) {
            *g = if *p != 0 { *g } else { slope * *g };
        }
    }
}

/// Adds the gradient before a rectifier to `gx`: `grad` where the input was positive, times
/// `slope` elsewhere (a rectifier layer of its own).
pub(crate) fn add_gated(gx: &mut [f32], grad: &[f32], positive: &[u8], slope: f32) {
    gx.par_chunks_mut(CHUNK)
        .zip(grad.par_chunks(CHUNK))
        .zip(positive.par_chunks(CHUNK))
        .for_each(|((gx, g), p)| {
            for ((gx, g), p) in gx.iter_mut().zip(g).zip(p) {
                *gx += g * if *p != 0 { 1.0 } else { slope };
            }
        });
}

/// `x` where positive, `slope * x` elsewhere (exactly 0 for `slope` 0), with its backward op:
/// the same passes as a rectifier fused into a convolution ([`rectify_in_place`], [`add_gated`]).
pub(crate) fn rectify<S: Shape, T: Tape<f32, Cpu>>(x: Tensor<S, f32, Cpu, T>, slope: f32) -> Result<Tensor<S, f32, Cpu, T>, CpuError> {
    let shape = *x.shape();
    record(
        x,
        Vec::new(),
        |x, _| {
            let mut values = zeroed::<f32>(shape.num_elements());
            x.copy_into(&mut values);
            let positive = rectify_in_place(&mut values, slope);
            Ok(Forward {
                values,
                shape,
                kept: positive,
            })
        },
        move |positive, gout, gx| {
            add_gated(gx, gout, &positive, slope);
            Vec::new()
        },
    )
}
