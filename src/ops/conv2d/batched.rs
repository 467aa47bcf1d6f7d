//! The batch-wide path: one column matrix for the whole batch and one GEMM per layer, split
//! across threads inside the GEMM; the column matrix is kept for the backward pass. For large
//! filter banks, where the GEMM is big enough to use both cores well.

use super::im2col::{col2im, im2col};
use super::{ConvGeometry, ParamGrads};
use crate::cpu::dispatch;
use crate::cpu::gemm::gemm;
use crate::cpu::reduce::{dot, sum};
use crate::ops::scratch::Scratch;
use rayon::prelude::*;

/// Forward pass: `out` from the input `x`; returns the column matrix for the backward pass.
pub(crate) fn forward(x: &[f32], w: &[f32], bias: &[f32], out: &mut [f32], g: &ConvGeometry) -> Scratch {
    let mut cols = Scratch::take(g.patch_len() * g.columns());
    conv_forward(x, w, bias, &mut cols, out, g);
    cols
}

/// Backward pass: adds the input gradient to `gx` and, when `param_grads`, returns the weight
/// and bias gradients.
pub(crate) fn backward(gout: &[f32], cols: &[f32], w: &[f32], gx: &mut [f32], param_grads: bool, g: &ConvGeometry) -> ParamGrads {
    let gt = grad_by_channel(gout, g);
    conv_input_grad(&gt, w, gx, g);
    param_grads.then(|| {
        let (mut gw, mut gb) = (vec![0.0; g.c_out * g.patch_len()], vec![0.0; g.c_out]);
        conv_weight_grad(&gt, cols, &mut gw, g);
        conv_bias_grad(&gt, &mut gb, g);
        (gw, gb)
    })
}

/// Forward convolution: `out` (batch, c_out, out, out) from `x`, `w` (c_out, patch_len) and
/// `bias`. Leaves the column matrix in `cols` for the backward pass.
pub(crate) fn conv_forward(x: &[f32], w: &[f32], bias: &[f32], cols: &mut [f32], out: &mut [f32], g: &ConvGeometry) {
    let (ckk, n, l) = (g.patch_len(), g.columns(), g.out_pixels());
    im2col(x, cols, g);
    let mut by_channel = Scratch::take(g.c_out * n);
    gemm((g.c_out, n, ckk), w, (ckk, 1), cols, (n, 1), &mut by_channel, false);
    // (c_out, batch * l) -> (batch, c_out, l), adding the bias on the way.
    out.par_chunks_mut(l).enumerate().for_each(|(bo, dst)| {
        let (b, o) = (bo / g.c_out, bo % g.c_out);
        let src = &by_channel[o * n + b * l..][..l];
        for (d, s) in dst.iter_mut().zip(src) {
            *d = s + bias[o];
        }
    });
}

/// First step of the backward pass: the output gradient `gout` (batch, c_out, out, out)
/// regrouped by channel, `(c_out, columns)`, in a scratch buffer.
pub(crate) fn grad_by_channel(gout: &[f32], g: &ConvGeometry) -> Scratch {
    let (n, l) = (g.columns(), g.out_pixels());
    let mut gt = Scratch::take(g.c_out * n);
    gt.par_chunks_mut(n).enumerate().for_each(|(o, dst)| {
        for b in 0..g.batch {
            dst[b * l..][..l].copy_from_slice(&gout[(b * g.c_out + o) * l..][..l]);
        }
    });
    gt
}

/// Accumulates the bias gradient `(c_out)` from the channel-grouped output gradient `gt`.
pub(crate) fn conv_bias_grad(gt: &[f32], gb: &mut [f32], g: &ConvGeometry) {
    let n = g.columns();
    for (o, v) in gb.iter_mut().enumerate() {
        *v += sum(&gt[o * n..(o + 1) * n]);
    }
}

/// Accumulates the weight gradient `(c_out, patch_len)` from the channel-grouped output
/// gradient `gt` and the forward pass's column matrix: `dW += gt * cols^T`.
pub(crate) fn conv_weight_grad(gt: &[f32], cols: &[f32], gw: &mut [f32], g: &ConvGeometry) {
    let (ckk, n) = (g.patch_len(), g.columns());
    if g.c_out * ckk * super::DOTS_MIN_LENGTH_RATIO <= n {
        // Long and thin (the discriminator's first layer on a large batch): dot products.
        add_row_dots(gt, cols, gw, g.c_out, ckk, n);
    } else {
        gemm((g.c_out, ckk, n), gt, (n, 1), cols, (1, n), gw, true);
    }
}

/// Columns of `k` per task in [`add_row_dots`]; fixed, so the sums are the same on every run.
const DOT_CHUNK: usize = 2048;

/// `c (m x n) += a (m x k) * b (n x k)^T` for a small `c` and a long `k`, both operands
/// row-major along `k`: every entry is a dot product of two rows. Threads take fixed slices of
/// `k` and their partial results are added in order (deterministic).
pub(crate) fn add_row_dots(a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, k: usize) {
    assert!(
        a.len() >= m * k && b.len() >= n * k && c.len() >= m * n,
        "add_row_dots: buffer too small"
    );
    let starts: Vec<usize> = (0..k).step_by(DOT_CHUNK).collect();
    let partials: Vec<Vec<f32>> = starts
        .par_iter()
        .map(|&k0| {
            let mut part = vec![0.0f32; m * n];
            row_dots_chunk(a, b, &mut part, (m, n, k), k0..(k0 + DOT_CHUNK).min(k));
            part
        })
        .collect();
    for part in &partials {
        for (d, v) in c.iter_mut().zip(part) {
            *d += v;
        }
    }
}

dispatch! {
    /// Columns `span` of [`add_row_dots`] into `part`.
    fn row_dots_chunk => row_dots_chunk_impl(a: &[f32], b: &[f32], part: &mut [f32], dims: (usize, usize, usize), span: std::ops::Range<usize>)
}

#[inline(always)]
fn row_dots_chunk_impl(a: &[f32], b: &[f32], part: &mut [f32], (m, n, k): (usize, usize, usize), span: std::ops::Range<usize>) {
    for i in 0..m {
        let ar = &a[i * k..][span.clone()];
        for j in 0..n {
            part[i * n + j] = dot(ar, &b[j * k..][span.clone()]);
        }
    }
}

/// Adds the input gradient to `gx` (batch, c_in, size, size): `W^T * gt`, folded by [`col2im`].
pub(crate) fn conv_input_grad(gt: &[f32], w: &[f32], gx: &mut [f32], g: &ConvGeometry) {
    let (ckk, n) = (g.patch_len(), g.columns());
    // dcols (ckk, n) = W^T (ckk, c_out) * gt (c_out, n)
    let mut dcols = Scratch::take(ckk * n);
    gemm((ckk, n, g.c_out), w, (1, ckk), gt, (n, 1), &mut dcols, false);
    col2im(&dcols, gx, g);
}
