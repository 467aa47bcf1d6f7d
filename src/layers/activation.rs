//! Rectifier passes, fused into a convolution's output as Keras' `Conv2D(..., activation='relu')`
//! or run by the rectifier layers themselves.
//!
//! A separate activation layer costs a copy of its input out of the dfdx tensor, a fresh output,
//! and on the way back a fresh zeroed gradient and a pass over three tensors. Fused, it is one
//! parallel pass over the convolution's own output (keeping one byte per element: was it
//! positive?) and one over the output gradient.

use super::kernels::zeroed;
use super::leaky_relu::{LeakyRelu, Relu};
use rayon::prelude::*;

/// Elements per thread task.
const CHUNK: usize = 1 << 14;

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

/// The lecture's discriminator writes `Activation(LeakyReLU(0.2))` after each convolution: fused
/// here, listed as its own row in the summary.
impl<const P: usize> ConvActivation for LeakyRelu<P> {
    const SLOPE: Option<f32> = Some(LeakyRelu::<P>::SLOPE);
    const ROW: Option<(&'static str, &'static str)> = Some(("LeakyReLU", "leaky_re_lu"));
}

/// Applies `max(v, slope * v)` to `out` in place and returns, per element, whether it was
/// positive (what the backward pass needs).
pub fn rectify_in_place(out: &mut [f32], slope: f32) -> Vec<u8> {
    let mut positive = zeroed::<u8>(out.len());
    out.par_chunks_mut(CHUNK)
        .zip(positive.par_chunks_mut(CHUNK))
        .for_each(|(o, p)| rectify_row(o, 0.0, slope, p));
    positive
}

/// `values[i] = rect(values[i] + bias)` with `positive[i]` set to whether the sum was positive,
/// where `rect(v) = max(v, slope * v)`: one row of a convolution's output, in cache.
#[inline]
pub fn rectify_row(values: &mut [f32], bias: f32, slope: f32, positive: &mut [u8]) {
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
pub fn gate_in_place(grad: &mut [f32], positive: &[u8], slope: f32) {
    grad.par_chunks_mut(CHUNK)
        .zip(positive.par_chunks(CHUNK))
        .for_each(|(g, p)| gate_row(g, p, slope));
}

/// [`gate_in_place`] on one row, on the calling thread.
#[inline]
pub fn gate_row(grad: &mut [f32], positive: &[u8], slope: f32) {
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
/// `slope` elsewhere (a rectifier layer of its own, [`Relu`] or [`LeakyRelu`]).
pub fn add_gated(gx: &mut [f32], grad: &[f32], positive: &[u8], slope: f32) {
    gx.par_chunks_mut(CHUNK)
        .zip(grad.par_chunks(CHUNK))
        .zip(positive.par_chunks(CHUNK))
        .for_each(|((gx, g), p)| {
            for ((gx, g), p) in gx.iter_mut().zip(g).zip(p) {
                *gx += g * if *p != 0 { 1.0 } else { slope };
            }
        });
}
