//! Convolution a few images at a time, for layers with small filter banks: each thread task takes
//! a fixed run of images, unfolds them into a column matrix that stays in cache and multiplies it
//! with one single-threaded GEMM.
//!
//! The batch-wide path (`batched.rs`) writes one
//! column matrix for the whole batch (the autoencoder's 16 -> 8 layer: 144 x 25,088, 14 MB),
//! reads it back from memory, keeps it until the backward pass, and regroups the GEMM's
//! channel-major output into images (and the output gradient back into channels) in passes of
//! their own. Per task all of that stays in L2: the backward pass unfolds the images again
//! instead of keeping the matrix, and weight, bias and input gradients come out of one pass.
//! Layouts as in [`conv2d`](super).

use super::im2col::{col2im_serial, im2col_serial};
use super::{ConvGeometry, ParamGrads};
use crate::cpu::reduce::sum;
use crate::cpu::small_gemm::{gemm_nn, gemm_nt};
use crate::ops::rectify::{gate_row, rectify_row};
use crate::ops::scratch::Scratch;
use rayon::prelude::*;

/// Images per thread task; fixed, so gradient sums are the same on every run. Four images of the
/// autoencoder's 16 -> 8 layer make a 450 KB column matrix, half of this machine's 1 MB L2.
pub(super) const IMAGES_PER_TASK: usize = 4;

/// The geometry of `images` images of `g`.
pub(super) fn task_geometry(g: &ConvGeometry, images: usize) -> ConvGeometry {
    ConvGeometry { batch: images, ..*g }
}

/// A rectifier fused into the per-task passes: its slope for negative inputs and, per output
/// element, whether the input was positive (written by the forward pass, read by the backward).
pub(crate) type Rectifier<M> = Option<(f32, M)>;

/// `out` (batch, c_out, out, out) = bias + the convolution of `x` with `w`, rectified in the
/// same pass when `rectifier` is given.
pub(crate) fn forward(x: &[f32], w: &[f32], bias: &[f32], out: &mut [f32], rectifier: Rectifier<&mut [u8]>, g: &ConvGeometry) {
    let l = g.out_pixels();
    let (x_len, out_len) = (g.c_in * g.size * g.size, g.c_out * l);
    let task_len = IMAGES_PER_TASK * out_len;
    let task = |task: usize, dst: &mut [f32], mut positive: Option<(f32, &mut [u8])>| {
        let gt = task_geometry(g, dst.len() / out_len);
        let n = gt.columns();
        let by_channel = convolve_task(&x[task * IMAGES_PER_TASK * x_len..][..gt.batch * x_len], w, &gt);
        // (c_out, images * l) -> (images, c_out, l), adding the bias (and rectifying).
        for (i, img_out) in dst.chunks_mut(out_len).enumerate() {
            for (o, channel) in img_out.chunks_mut(l).enumerate() {
                let src = &by_channel[o * n + i * l..][..l];
                match &mut positive {
                    Some((slope, mask)) => {
                        channel.copy_from_slice(src);
                        rectify_row(channel, bias[o], *slope, &mut mask[i * out_len + o * l..][..l]);
                    }
                    None => channel.iter_mut().zip(src).for_each(|(d, v)| *d = v + bias[o]),
                }
            }
        }
    };
    match rectifier {
        Some((slope, positive)) => out
            .par_chunks_mut(task_len)
            .zip(positive.par_chunks_mut(task_len))
            .enumerate()
            .for_each(|(t, (dst, mask))| task(t, dst, Some((slope, mask)))),
        None => out.par_chunks_mut(task_len).enumerate().for_each(|(t, dst)| task(t, dst, None)),
    }
}

/// The backward pass: adds the input gradient to `gx` (batch, c_in, size, size) and, when
/// `param_grads`, returns the weight gradient `(c_out, patch_len)` and the bias gradient
/// `(c_out)` to be added to the parameters' gradients.
pub(crate) fn backward(
    gout: &[f32],
    rectifier: Rectifier<&[u8]>,
    x: &[f32],
    w: &[f32],
    gx: &mut [f32],
    param_grads: bool,
    g: &ConvGeometry,
) -> ParamGrads {
    let l = g.out_pixels();
    let (x_len, out_len) = (g.c_in * g.size * g.size, g.c_out * l);
    let partials: Vec<Vec<f32>> = gx
        .par_chunks_mut(IMAGES_PER_TASK * x_len)
        .enumerate()
        .map(|(task, gx_task)| {
            let gt = task_geometry(g, gx_task.len() / x_len);
            let n = gt.columns();
            let first = task * IMAGES_PER_TASK;
            // The output gradient regrouped by channel, (c_out, images * l), and taken back
            // through the rectifier.
            let mut by_channel = Scratch::take(g.c_out * n);
            let span = first * out_len..(first + gt.batch) * out_len;
            for (i, go) in gout[span.clone()].chunks(out_len).enumerate() {
                for (o, channel) in go.chunks(l).enumerate() {
                    let dst = &mut by_channel[o * n + i * l..][..l];
                    dst.copy_from_slice(channel);
                    if let Some((slope, positive)) = rectifier {
                        gate_row(dst, &positive[span.start + i * out_len + o * l..][..l], slope);
                    }
                }
            }
            backward_task(&by_channel, &x[first * x_len..][..gt.batch * x_len], w, gx_task, param_grads, &gt)
        })
        .collect();
    param_grads.then(|| sum_partials(&partials, g))
}

/// One task's convolution before bias and rectifier: the images `x_task` (`gt.batch` of them)
/// convolved with `w`, grouped by channel, `(c_out, images * out_pixels)`.
pub(crate) fn convolve_task(x_task: &[f32], w: &[f32], gt: &ConvGeometry) -> Scratch {
    let (ckk, n) = (gt.patch_len(), gt.columns());
    let (mut cols, mut by_channel) = (Scratch::take(ckk * n), Scratch::take(gt.c_out * n));
    im2col_serial(x_task, &mut cols, gt);
    gemm_nn(w, (ckk, 1), &cols, &mut by_channel, (gt.c_out, n, ckk));
    by_channel
}

/// One task's backward pass from the gradient before its rectifier, grouped by channel
/// (`(c_out, images * out_pixels)`, see [`convolve_task`]): adds the input gradient of the
/// images `x_task` to `gx_task` and, when `param_grads`, returns the task's weight and bias
/// gradients (weights then biases; empty otherwise).
pub(crate) fn backward_task(
    by_channel: &[f32],
    x_task: &[f32],
    w: &[f32],
    gx_task: &mut [f32],
    param_grads: bool,
    gt: &ConvGeometry,
) -> Vec<f32> {
    let (ckk, n) = (gt.patch_len(), gt.columns());
    let mut part = Vec::new();
    if param_grads {
        part = vec![0.0f32; gt.c_out * ckk + gt.c_out];
        let mut cols = Scratch::take(ckk * n);
        im2col_serial(x_task, &mut cols, gt);
        let (gw, gb) = part.split_at_mut(gt.c_out * ckk);
        gemm_nt(by_channel, &cols, gw, (gt.c_out, ckk, n));
        for (v, channel) in gb.iter_mut().zip(by_channel.chunks(n)) {
            *v = sum(channel);
        }
    }
    let mut dcols = Scratch::take(ckk * n);
    gemm_nn(w, (1, ckk), by_channel, &mut dcols, (ckk, n, gt.c_out));
    col2im_serial(&mut dcols, gx_task, gt);
    part
}

/// The tasks' weight and bias gradients added up in task order (so the sums are the same on
/// every run), split into weights and biases.
pub(crate) fn sum_partials(partials: &[Vec<f32>], g: &ConvGeometry) -> (Vec<f32>, Vec<f32>) {
    let mut total = vec![0.0f32; g.c_out * g.patch_len() + g.c_out];
    for part in partials {
        for (d, v) in total.iter_mut().zip(part) {
            *d += v;
        }
    }
    let gb = total.split_off(g.c_out * g.patch_len());
    (total, gb)
}
