//! Direct stride-1 convolution for single-filter layers (the autoencoder's output layer).
//!
//! With one filter the im2col matrix is many times larger than the images (the autoencoder's
//! last layer unfolds 16 channels of 28x28 into a 144 x 100,352 matrix, 58 MB per step) and every
//! GEMM is a single row or column. Here every kernel tap is a run of row-wise multiply-adds on
//! the images themselves, which the compiler vectorises; threads split the batch. Layouts as in
//! [`conv2d`](super).

use super::{ConvGeometry, ParamGrads};
use crate::cpu::dispatch;
use crate::cpu::reduce::sum;
use rayon::prelude::*;

/// Images per thread task in the weight gradient; fixed so the sums are the same on every run.
const WEIGHT_GRAD_CHUNK: usize = 8;

/// Every tap of the kernel as (ky, kx, rows, cols): the output rows `[y0, y1)` and columns
/// `[x0, x1)` whose input pixel `(oy + ky - pad, ox + kx - pad)` lies inside the image.
fn taps(g: &ConvGeometry) -> Vec<Tap> {
    let mut taps = Vec::with_capacity(g.kernel * g.kernel);
    for ky in 0..g.kernel {
        for kx in 0..g.kernel {
            let (rows, cols) = (g.valid_range(ky), g.valid_range(kx));
            if rows.0 < rows.1 && cols.0 < cols.1 {
                taps.push((ky, kx, rows, cols));
            }
        }
    }
    taps
}

type Tap = (usize, usize, (usize, usize), (usize, usize));

/// `out` (batch, c_out, out, out) = bias + the convolution of `x` with `w`.
pub(crate) fn forward(x: &[f32], w: &[f32], bias: &[f32], out: &mut [f32], g: &ConvGeometry) {
    debug_assert_eq!(g.stride, 1);
    let (h, o) = (g.size, g.out);
    let taps = taps(g);
    out.par_chunks_mut(g.c_out * o * o).enumerate().for_each(|(b, dst)| {
        forward_image(&x[b * g.c_in * h * h..][..g.c_in * h * h], w, bias, dst, g, &taps);
    });
}

dispatch! {
    /// One image of [`forward`].
    fn forward_image => forward_image_impl(img: &[f32], w: &[f32], bias: &[f32], dst: &mut [f32], g: &ConvGeometry, taps: &[Tap])
}

#[inline(always)]
fn forward_image_impl(img: &[f32], w: &[f32], bias: &[f32], dst: &mut [f32], g: &ConvGeometry, taps: &[Tap]) {
    let (h, o, k, p) = (g.size, g.out, g.kernel, g.pad);
    for (oc, acc) in dst.chunks_mut(o * o).enumerate() {
        acc.fill(bias[oc]);
        for (c, xc) in img.chunks(h * h).enumerate() {
            let wk = &w[(oc * g.c_in + c) * k * k..][..k * k];
            for &(ky, kx, (y0, y1), (x0, x1)) in taps {
                let wv = wk[ky * k + kx];
                for oy in y0..y1 {
                    let src = &xc[(oy + ky - p) * h + x0 + kx - p..][..x1 - x0];
                    for (a, s) in acc[oy * o + x0..oy * o + x1].iter_mut().zip(src) {
                        *a += wv * s;
                    }
                }
            }
        }
    }
}

/// Backward pass: adds the input gradient to `gx` and, when `param_grads`, returns the weight
/// and bias gradients.
pub(crate) fn backward(gout: &[f32], x: &[f32], w: &[f32], gx: &mut [f32], param_grads: bool, g: &ConvGeometry) -> ParamGrads {
    input_grad(gout, w, gx, g);
    param_grads.then(|| {
        let (mut gw, mut gb) = (vec![0.0; g.c_out * g.patch_len()], vec![0.0; g.c_out]);
        self::param_grads(gout, x, &mut gw, &mut gb, g);
        (gw, gb)
    })
}

/// Adds the input gradient to `gx` (batch, c_in, size, size) from the output gradient `gout`.
pub(crate) fn input_grad(gout: &[f32], w: &[f32], gx: &mut [f32], g: &ConvGeometry) {
    let (h, o) = (g.size, g.out);
    let taps = taps(g);
    gx.par_chunks_mut(g.c_in * h * h).enumerate().for_each(|(b, gimg)| {
        input_grad_image(&gout[b * g.c_out * o * o..][..g.c_out * o * o], w, gimg, g, &taps);
    });
}

dispatch! {
    /// One image of [`input_grad`].
    fn input_grad_image => input_grad_image_impl(go: &[f32], w: &[f32], gimg: &mut [f32], g: &ConvGeometry, taps: &[Tap])
}

#[inline(always)]
fn input_grad_image_impl(go: &[f32], w: &[f32], gimg: &mut [f32], g: &ConvGeometry, taps: &[Tap]) {
    let (h, o, k, p) = (g.size, g.out, g.kernel, g.pad);
    for (c, gxc) in gimg.chunks_mut(h * h).enumerate() {
        for (oc, goc) in go.chunks(o * o).enumerate() {
            let wk = &w[(oc * g.c_in + c) * k * k..][..k * k];
            for &(ky, kx, (y0, y1), (x0, x1)) in taps {
                let wv = wk[ky * k + kx];
                for oy in y0..y1 {
                    let dst = &mut gxc[(oy + ky - p) * h + x0 + kx - p..][..x1 - x0];
                    for (a, s) in dst.iter_mut().zip(&goc[oy * o + x0..oy * o + x1]) {
                        *a += wv * s;
                    }
                }
            }
        }
    }
}

/// Adds the weight gradient `(c_out, c_in, k, k)` to `gw` and the bias gradient to `gb`.
///
/// Threads take fixed chunks of the batch and the partial sums are added in chunk order, so the
/// result does not depend on scheduling (runs repeat bit for bit).
pub(crate) fn param_grads(gout: &[f32], x: &[f32], gw: &mut [f32], gb: &mut [f32], g: &ConvGeometry) {
    let taps = taps(g);
    let w_len = g.c_out * g.c_in * g.kernel * g.kernel;
    let starts: Vec<usize> = (0..g.batch).step_by(WEIGHT_GRAD_CHUNK).collect();
    let partials: Vec<Vec<f32>> = starts
        .par_iter()
        .map(|&b0| {
            let mut part = vec![0.0f32; w_len + g.c_out];
            param_grads_chunk(gout, x, b0..(b0 + WEIGHT_GRAD_CHUNK).min(g.batch), &mut part, g, &taps);
            part
        })
        .collect();
    for part in &partials {
        for (d, v) in gw.iter_mut().zip(&part[..w_len]) {
            *d += v;
        }
        for (d, v) in gb.iter_mut().zip(&part[w_len..]) {
            *d += v;
        }
    }
}

dispatch! {
    /// The images `batch` of [`param_grads`], summed into `part` (weights, then biases).
    fn param_grads_chunk => param_grads_chunk_impl(
        gout: &[f32], x: &[f32], batch: std::ops::Range<usize>, part: &mut [f32], g: &ConvGeometry, taps: &[Tap],
    )
}

#[inline(always)]
fn param_grads_chunk_impl(gout: &[f32], x: &[f32], batch: std::ops::Range<usize>, part: &mut [f32], g: &ConvGeometry, taps: &[Tap]) {
    let (h, o, k, p) = (g.size, g.out, g.kernel, g.pad);
    let w_len = g.c_out * g.c_in * k * k;
    let mut row = vec![0.0f32; o];
    for b in batch {
        let go = &gout[b * g.c_out * o * o..][..g.c_out * o * o];
        let img = &x[b * g.c_in * h * h..][..g.c_in * h * h];
        for (oc, goc) in go.chunks(o * o).enumerate() {
            part[w_len + oc] += sum(goc);
            for (c, xc) in img.chunks(h * h).enumerate() {
                let base = (oc * g.c_in + c) * k * k;
                for &(ky, kx, (y0, y1), (x0, x1)) in taps {
                    // Multiply-add whole rows, then sum the row once per tap.
                    let acc = &mut row[..x1 - x0];
                    acc.fill(0.0);
                    for oy in y0..y1 {
                        let src = &xc[(oy + ky - p) * h + x0 + kx - p..][..x1 - x0];
                        for ((a, gv), s) in acc.iter_mut().zip(&goc[oy * o + x0..oy * o + x1]).zip(src) {
                            *a += gv * s;
                        }
                    }
                    part[base + ky * k + kx] += acc.iter().sum::<f32>();
                }
            }
        }
    }
}
