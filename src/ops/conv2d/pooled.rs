//! A per-task convolution and the 2x2 max pooling after it as one op (the autoencoder's
//! `Conv2D(.., activation='relu')` + `MaxPooling2D()` pairs).
//!
//! Each task pools its images' convolution while the convolution is still in cache, so the
//! full-size output (the autoencoder's first layer: 6.4 MB per step) is never written, never
//! copied by the pooling layer, and its gradient is never allocated, zeroed and read back. The
//! arithmetic is the two layers' own, in the same order, so values and gradients are identical to
//! [`conv2d`](super::conv2d) followed by [`max_pool2d`](crate::ops::pool::max_pool2d).

use super::per_task::{backward_task, convolve_task, sum_partials, task_geometry, IMAGES_PER_TASK};
use super::{ConvGeometry, Plan};
use crate::ops::scratch::{zeroed, Scratch};
use crate::ops::{record, Forward, GradOf};
use dfdx::prelude::*;
use rayon::prelude::*;

/// Whether [`conv2d_max_pool`] can run `g`: convolutions that run per task.
pub(crate) fn fuses_max_pool(g: &ConvGeometry) -> bool {
    Plan::choose(g) == Plan::PerTask
}

/// What the backward pass needs.
struct Kept {
    g: ConvGeometry,
    x: Scratch,
    w: Scratch,
    slope: Option<f32>,
    /// Per pooled output, the index (within its `H x H` plane) of the convolution output that
    /// won its window.
    winners: Vec<u32>,
    /// Per pooled output, whether the winner was positive before the rectifier.
    positive: Vec<u8>,
}

/// The rectifier as the convolution applies it (`rectify_row`): `x` where positive, else 0 for
/// ReLU (not `0 * x`, which is -0) or `slope * x`.
#[inline(always)]
fn rectified(x: f32, slope: Option<f32>) -> f32 {
    match slope {
        None => x,
        Some(_) if x > 0.0 => x,
        Some(s) if s == 0.0 => 0.0,
        Some(s) => s * x,
    }
}

/// The convolution of `x` (`g.batch` images) with `weight` and `bias`, rectified with `slope`
/// (`None`: no rectifier), then max-pooled 2x2 with stride 2 from `H x H` (`g.out`) to
/// `PO x PO`, `PO = ceil(H / 2)`, shaped `out_shape`. Only for geometries where
/// [`fuses_max_pool`] holds; parameter gradients are always recorded.
pub(crate) fn conv2d_max_pool<const H: usize, const PO: usize, S: Shape, So: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<S, f32, Cpu, T>,
    (weight, bias): (&Tensor<impl Shape, f32, Cpu>, &Tensor<impl Shape, f32, Cpu>),
    g: ConvGeometry,
    out_shape: So,
    slope: Option<f32>,
) -> Result<Tensor<So, f32, Cpu, T>, CpuError> {
    assert!(
        fuses_max_pool(&g) && g.out == H && PO == H.div_ceil(2),
        "conv2d_max_pool: unsupported geometry {g:?}"
    );
    let (plane, pooled) = (H * H, PO * PO);
    let (x_len, out_len) = (g.c_in * g.size * g.size, g.c_out * pooled);
    record(
        x,
        vec![GradOf::new(weight), GradOf::new(bias)],
        |x, _| {
            let (xs, w, bias) = (Scratch::copy_of(x), Scratch::copy_of(weight), bias.as_vec());
            let mut out = zeroed::<f32>(g.batch * out_len);
            let mut winners = zeroed::<u32>(out.len());
            let mut positive = zeroed::<u8>(out.len());
            let task_len = IMAGES_PER_TASK * out_len;
            out.par_chunks_mut(task_len)
                .zip(winners.par_chunks_mut(task_len))
                .zip(positive.par_chunks_mut(task_len))
                .enumerate()
                .for_each(|(task, ((dst, win), pos))| {
                    let gt = task_geometry(&g, dst.len() / out_len);
                    let n = gt.columns();
                    let by_channel = convolve_task(&xs[task * IMAGES_PER_TASK * x_len..][..gt.batch * x_len], &w, &gt);
                    for i in 0..gt.batch {
                        for (o, &b) in bias.iter().enumerate() {
                            let at = (i * g.c_out + o) * pooled..(i * g.c_out + o + 1) * pooled;
                            let src = &by_channel[o * n + i * plane..][..plane];
                            pool_plane::<H, PO>(src, b, slope, &mut dst[at.clone()], &mut win[at.clone()], &mut pos[at]);
                        }
                    }
                });
            let kept = Kept {
                g,
                x: xs,
                w,
                slope,
                winners,
                positive,
            };
            Ok(Forward {
                values: out,
                shape: out_shape,
                kept,
            })
        },
        move |k, gout, gx| {
            let partials: Vec<Vec<f32>> = gx
                .par_chunks_mut(IMAGES_PER_TASK * x_len)
                .enumerate()
                .map(|(task, gx_task)| {
                    let gt = task_geometry(&k.g, gx_task.len() / x_len);
                    let n = gt.columns();
                    let first = task * IMAGES_PER_TASK;
                    // The gradient before the rectifier, grouped by channel: each pooled
                    // output's gradient goes to its window's winner, through the rectifier.
                    let mut by_channel = Scratch::take(k.g.c_out * n);
                    by_channel.fill(0.0);
                    for i in 0..gt.batch {
                        for o in 0..k.g.c_out {
                            let at = ((first + i) * k.g.c_out + o) * pooled;
                            let dst = &mut by_channel[o * n + i * plane..][..plane];
                            for p in at..at + pooled {
                                let v = &mut dst[k.winners[p] as usize];
                                *v += gout[p];
                                if let (Some(s), 0) = (k.slope, k.positive[p]) {
                                    *v = if s == 0.0 { 0.0 } else { s * *v };
                                }
                            }
                        }
                    }
                    backward_task(&by_channel, &k.x[first * x_len..][..gt.batch * x_len], &k.w, gx_task, true, &gt)
                })
                .collect();
            let (gw, gb) = sum_partials(&partials, &k.g);
            vec![gw, gb]
        },
    )
}

/// Pools one `H x H` plane of convolution output before its bias (`src`): each 2x2 window's
/// largest rectified value (the first of equals, as `max_pool2d` picks it) goes to `dst`, its
/// index to `win` and whether it was positive before the rectifier to `pos`. Windows of an odd
/// last row or column are cut short.
#[inline(always)]
fn pool_plane<const H: usize, const PO: usize>(
    src: &[f32],
    bias: f32,
    slope: Option<f32>,
    dst: &mut [f32],
    win: &mut [u32],
    pos: &mut [u8],
) {
    for oy in 0..PO {
        for ox in 0..PO {
            let first = 2 * oy * H + 2 * ox;
            let x = src[first] + bias;
            let (mut best, mut best_at, mut best_x) = (rectified(x, slope), first, x);
            for iy in 2 * oy..(2 * oy + 2).min(H) {
                for ix in 2 * ox..(2 * ox + 2).min(H) {
                    let x = src[iy * H + ix] + bias;
                    let r = rectified(x, slope);
                    if r > best {
                        (best, best_at, best_x) = (r, iy * H + ix, x);
                    }
                }
            }
            dst[oy * PO + ox] = best;
            win[oy * PO + ox] = best_at as u32;
            pos[oy * PO + ox] = u8::from(slope.is_none() || best_x > 0.0);
        }
    }
}
