//! 2-D convolution: one planner that picks the kernels for a layer's geometry, each set of
//! kernels in its own file, and the op that records the chosen path on the tape.
//!
//! | path | file | used for |
//! |---|---|---|
//! | [`Plan::Direct`] | `direct.rs` | stride-1 single-filter layers (the autoencoder's output) |
//! | [`Plan::PerTask`] | `per_task.rs` | small filter banks: a few images per thread task, in cache |
//! | [`Plan::Batched`] | `batched.rs` | large filter banks: one batch-wide im2col + GEMM |
//!
//! `upsample.rs` computes `UpSampling2D` + 'same' convolution on the small image with the same
//! planner and kernels; `pooled.rs` a per-task convolution and the max pooling after it in one
//! pass; `im2col.rs` holds the unfolding both GEMM paths share. Every path is
//! tested against the batch-wide kernels in `tests.rs`.
//!
//! Layouts are row-major: images `(batch, channels, size, size)`, weights
//! `(c_out, c_in, k, k)`.

mod batched;
mod direct;
mod im2col;
mod per_task;
mod pooled;
#[cfg(test)]
mod tests;
mod upsample;

pub(crate) use pooled::{conv2d_max_pool, fuses_max_pool};
pub(crate) use upsample::{upsample_conv2d, UpConvTaps};

use super::rectify::{gate_in_place, rectify_in_place};
use super::scratch::{zeroed, Scratch};
use super::{record, Forward, GradOf};
use dfdx::prelude::*;

/// Largest filter bank (`filters * patch_len` weights) that runs per task ([`Plan::PerTask`]).
///
/// Measured on 2 cores, batch 128 (BENCHMARKS.md): the autoencoder's layers (144-1,152 weights)
/// and the discriminator's first layer (1,600) are faster per task; the discriminator's second
/// (204,800) and the generator's middle layer are faster batch-wide.
pub(crate) const PER_TASK_MAX_WEIGHTS: usize = 4096;

/// The batch-wide weight gradient uses dot products instead of a GEMM when its long side (the
/// pixels of the batch) is at least this many times the number of weights: a GEMM of that
/// shape spends its time packing.
pub(crate) const DOTS_MIN_LENGTH_RATIO: usize = 16;

/// Geometry of one square 2-D convolution (all sizes in elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConvGeometry {
    /// Number of images.
    pub(crate) batch: usize,
    /// Input channels.
    pub(crate) c_in: usize,
    /// Output channels (filters).
    pub(crate) c_out: usize,
    /// Input height and width.
    pub(crate) size: usize,
    /// Kernel height and width.
    pub(crate) kernel: usize,
    /// Stride along both axes.
    pub(crate) stride: usize,
    /// Zero rows/columns before the input (after it, whatever the output size needs).
    pub(crate) pad: usize,
    /// Output height and width.
    pub(crate) out: usize,
}

impl ConvGeometry {
    /// Rows of the column matrix: `c_in * kernel * kernel`.
    pub(crate) fn patch_len(&self) -> usize {
        self.c_in * self.kernel * self.kernel
    }
    /// Output pixels per image and channel.
    pub(crate) fn out_pixels(&self) -> usize {
        self.out * self.out
    }
    /// Columns of the column matrix: `batch * out * out`.
    pub(crate) fn columns(&self) -> usize {
        self.batch * self.out_pixels()
    }
    /// For stride 1 with input and output rows of the same width (a 'same' convolution): the
    /// flat offset from output pixel `i` to the input pixel that tap `(ky, kx)` reads.
    #[inline]
    pub(crate) fn flat_shift(&self, ky: usize, kx: usize) -> Option<isize> {
        (self.stride == 1 && self.size == self.out)
            .then(|| (ky as isize - self.pad as isize) * self.size as isize + kx as isize - self.pad as isize)
    }
    /// Output columns `[lo, hi)` whose input column `ox * stride + kx - pad` lies inside the image.
    #[inline]
    pub(crate) fn valid_range(&self, kx: usize) -> (usize, usize) {
        let (s, p, w, o) = (self.stride, self.pad, self.size, self.out);
        let lo = if p > kx { (p - kx).div_ceil(s) } else { 0 }.min(o);
        let hi = if w + p > kx { ((w - 1 + p - kx) / s + 1).min(o) } else { 0 };
        (lo, hi.max(lo))
    }
}

/// A path's weight and bias gradients, when it was asked for them.
pub(crate) type ParamGrads = Option<(Vec<f32>, Vec<f32>)>;

/// Which kernels a convolution runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Direct stride-1 kernels on the images themselves, for single-filter layers.
    Direct,
    /// im2col + GEMM on tasks of a few images, for small filter banks.
    PerTask,
    /// One batch-wide im2col + GEMM, for large filter banks.
    Batched,
}

impl Plan {
    /// The kernels for `g`, checking the special cases in order.
    pub(crate) fn choose(g: &ConvGeometry) -> Plan {
        // With one filter im2col's matrix is many times the images and every GEMM a single
        // row: direct kernels are 2-3x faster (8 + 17 ms against 16 + 55 ms for the
        // autoencoder's 16 -> 1 layer); with 8 or 16 filters they are 1.5-4x slower.
        if g.stride == 1 && g.c_out == 1 {
            return Plan::Direct;
        }
        if g.c_out * g.patch_len() <= PER_TASK_MAX_WEIGHTS {
            return Plan::PerTask;
        }
        Plan::Batched
    }

    /// Whether the path rectifies in its own passes (the others get a pass of their own).
    fn fuses_rectifier(self) -> bool {
        self == Plan::PerTask
    }
}

/// What a convolution's backward pass needs.
struct Kept {
    plan: Plan,
    g: ConvGeometry,
    /// The input (the direct and per-task paths) or the column matrix (the batch-wide path).
    x_or_cols: Scratch,
    w: Scratch,
    /// A fused rectifier's slope and, per output element, whether it was positive.
    rectifier: Option<(f32, Vec<u8>)>,
    param_grads: bool,
}

/// The convolution of `x` (`g.batch` images) with `weight` and `bias`, shaped `out_shape`, with
/// an optional fused rectifier of slope `slope`; without `param_grads` the backward pass
/// computes only the input's gradient (a frozen layer).
pub(crate) fn conv2d<S: Shape, So: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<S, f32, Cpu, T>,
    (weight, bias): (&Tensor<impl Shape, f32, Cpu>, &Tensor<impl Shape, f32, Cpu>),
    g: ConvGeometry,
    out_shape: So,
    slope: Option<f32>,
    param_grads: bool,
) -> Result<Tensor<So, f32, Cpu, T>, CpuError> {
    let plan = Plan::choose(&g);
    let params = if param_grads {
        vec![GradOf::new(weight), GradOf::new(bias)]
    } else {
        Vec::new()
    };
    record(
        x,
        params,
        |x, _| {
            let (xs, w, bias) = (Scratch::copy_of(x), Scratch::copy_of(weight), bias.as_vec());
            let mut out = zeroed(g.batch * g.c_out * g.out_pixels());
            let mut positive = (slope.is_some() && plan.fuses_rectifier()).then(|| zeroed::<u8>(out.len()));
            let x_or_cols = match plan {
                Plan::Direct => {
                    direct::forward(&xs, &w, &bias, &mut out, &g);
                    xs
                }
                Plan::PerTask => {
                    per_task::forward(&xs, &w, &bias, &mut out, slope.zip(positive.as_deref_mut()), &g);
                    xs
                }
                Plan::Batched => batched::forward(&xs, &w, &bias, &mut out, &g),
            };
            if !plan.fuses_rectifier() {
                positive = slope.map(|slope| rectify_in_place(&mut out, slope));
            }
            let rectifier = slope.zip(positive);
            let kept = Kept {
                plan,
                g,
                x_or_cols,
                w,
                rectifier,
                param_grads,
            };
            Ok(Forward {
                values: out,
                shape: out_shape,
                kept,
            })
        },
        |k, gout, gx| {
            let rectifier = k.rectifier.as_ref().map(|(slope, positive)| (*slope, positive.as_slice()));
            if let (Some((slope, positive)), false) = (rectifier, k.plan.fuses_rectifier()) {
                gate_in_place(gout, positive, slope);
            }
            let grads = match k.plan {
                Plan::Direct => direct::backward(gout, &k.x_or_cols, &k.w, gx, k.param_grads, &k.g),
                Plan::PerTask => per_task::backward(gout, rectifier, &k.x_or_cols, &k.w, gx, k.param_grads, &k.g),
                Plan::Batched => batched::backward(gout, &k.x_or_cols, &k.w, gx, k.param_grads, &k.g),
            };
            grads.map(|(gw, gb)| vec![gw, gb]).unwrap_or_default()
        },
    )
}
