//! Convolution a few images at a time, for layers with small filter banks: each thread task takes
//! a fixed run of images, unfolds them into a column matrix that stays in cache and multiplies it
//! with one single-threaded GEMM.
//!
//! The batch-wide form ([`conv_forward`](super::kernels::conv_forward) and friends) writes one
//! column matrix for the whole batch (the autoencoder's 16 -> 8 layer: 144 x 25,088, 14 MB),
//! reads it back from memory, keeps it until the backward pass, and regroups the GEMM's
//! channel-major output into images (and the output gradient back into channels) in passes of
//! their own. Per task all of that stays in L2: the backward pass unfolds the images again
//! instead of keeping the matrix, and weight, bias and input gradients come out of one pass.
//! Layouts as in [`kernels`](super::kernels).

use super::activation::{gate_row, rectify_row};
use super::kernels::{col2im_serial, give_back, im2col_serial, sum, take_scratch, ConvGeometry};
use super::small_gemm::{gemm_nn, gemm_nt};
use rayon::prelude::*;

/// Images per thread task; fixed, so gradient sums are the same on every run. Four images of the
/// autoencoder's 16 -> 8 layer make a 450 KB column matrix, half of this machine's 1 MB L2.
const IMAGES_PER_TASK: usize = 4;

/// Whether the per-task kernels are the better choice: small filter banks, where the
/// batch-wide GEMM is long and thin and the copies around it dominate.
///
/// Measured on 2 cores, batch 128 (see BENCHMARKS.md): the autoencoder's layers (filter banks of
/// 144-1,152 weights) and the discriminator's first layer (1,600).
pub fn prefers_per_image(g: &ConvGeometry) -> bool {
    g.c_out * g.patch_len() <= 4096
}

/// The geometry of `images` images of `g`.
fn task_geometry(g: &ConvGeometry, images: usize) -> ConvGeometry {
    ConvGeometry { batch: images, ..*g }
}

/// A rectifier fused into the per-task passes: its slope for negative inputs and, per output
/// element, whether the input was positive (written by the forward pass, read by the backward).
pub type Rectifier<M> = Option<(f32, M)>;

/// `out` (batch, c_out, out, out) = bias + the convolution of `x` with `w`, rectified in the
/// same pass when `rectifier` is given.
pub fn image_forward(x: &[f32], w: &[f32], bias: &[f32], out: &mut [f32], rectifier: Rectifier<&mut [u8]>, g: &ConvGeometry) {
    let (ckk, l) = (g.patch_len(), g.out_pixels());
    let (x_len, out_len) = (g.c_in * g.size * g.size, g.c_out * l);
    let task_len = IMAGES_PER_TASK * out_len;
    let task = |task: usize, dst: &mut [f32], mut positive: Option<(f32, &mut [u8])>| {
        let gt = task_geometry(g, dst.len() / out_len);
        let n = gt.columns();
        let (mut cols, mut by_channel) = (take_scratch(ckk * n), take_scratch(g.c_out * n));
        im2col_serial(&x[task * IMAGES_PER_TASK * x_len..][..gt.batch * x_len], &mut cols, &gt);
        gemm_nn(w, (ckk, 1), &cols, &mut by_channel, (g.c_out, n, ckk));
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
        give_back(cols);
        give_back(by_channel);
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
pub fn image_backward(
    gout: &[f32],
    rectifier: Rectifier<&[u8]>,
    x: &[f32],
    w: &[f32],
    gx: &mut [f32],
    param_grads: bool,
    g: &ConvGeometry,
) -> Option<(Vec<f32>, Vec<f32>)> {
    let (ckk, l) = (g.patch_len(), g.out_pixels());
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
            let mut by_channel = take_scratch(g.c_out * n);
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
            let mut part = Vec::new();
            if param_grads {
                part = vec![0.0f32; g.c_out * ckk + g.c_out];
                let mut cols = take_scratch(ckk * n);
                im2col_serial(&x[first * x_len..][..gt.batch * x_len], &mut cols, &gt);
                let (gw, gb) = part.split_at_mut(g.c_out * ckk);
                gemm_nt(&by_channel, &cols, gw, (g.c_out, ckk, n));
                for (v, channel) in gb.iter_mut().zip(by_channel.chunks(n)) {
                    *v = sum(channel);
                }
                give_back(cols);
            }
            let mut dcols = take_scratch(ckk * n);
            gemm_nn(w, (1, ckk), &by_channel, &mut dcols, (ckk, n, g.c_out));
            col2im_serial(&mut dcols, gx_task, &gt);
            give_back(dcols);
            give_back(by_channel);
            part
        })
        .collect();
    if !param_grads {
        return None;
    }
    let mut total = vec![0.0f32; g.c_out * ckk + g.c_out];
    for part in &partials {
        for (d, v) in total.iter_mut().zip(part) {
            *d += v;
        }
    }
    let gb = total.split_off(g.c_out * ckk);
    Some((total, gb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::kernels::reference::{batch_kernels, close, values};

    /// The per-task kernels agree with the batch-wide im2col + GEMM, strided and padded, with a
    /// batch that is not a multiple of the task size.
    #[test]
    fn per_image_kernels_match_batch_kernels() {
        for (c_in, c_out, size, kernel, stride, pad, out) in [
            (16, 8, 14, 3, 1, 1, 14),
            (8, 16, 16, 3, 1, 0, 14),
            (8, 8, 7, 3, 2, 1, 4),
            (1, 64, 28, 5, 2, 1, 14),
        ] {
            let g = ConvGeometry {
                batch: 11,
                c_in,
                c_out,
                size,
                kernel,
                stride,
                pad,
                out,
            };
            let x = values(g.batch * c_in * size * size, 1);
            let w = values(c_out * g.patch_len(), 2);
            let bias = values(c_out, 3);
            let gout = values(g.batch * c_out * out * out, 4);
            let (want, want_w, want_b, want_x) = batch_kernels(&x, &w, &bias, &gout, &g, (0.0, 0.5));

            let mut got = vec![0.0; gout.len()];
            image_forward(&x, &w, &bias, &mut got, None, &g);
            close(&got, &want);
            let mut got_x = vec![0.5; x.len()];
            let (got_w, got_b) = image_backward(&gout, None, &x, &w, &mut got_x, true, &g).expect("parameter gradients");
            close(&got_w, &want_w);
            close(&got_b, &want_b);
            close(&got_x, &want_x);
            let mut frozen_x = vec![0.5; x.len()];
            assert!(image_backward(&gout, None, &x, &w, &mut frozen_x, false, &g).is_none());
            close(&frozen_x, &want_x);
        }
    }
}
