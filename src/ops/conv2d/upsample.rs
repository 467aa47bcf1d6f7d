//! `UpSampling2D()` followed by a stride-1 'same' convolution, computed on the small image: every
//! output pixel of phase `(row % 2, col % 2)` depends on a small neighbourhood of the small image
//! with summed filter taps (a 5x5 convolution costs 9 instead of 25 multiply-adds per input
//! channel). The four phases are one convolution with `4 * filters` outputs, run on the per-task
//! or batch-wide kernels as [`Plan::choose`](super::Plan::choose) decides.

use super::im2col::im2col;
use super::{batched, per_task, ConvGeometry, Plan};
use crate::cpu::gemm::gemm;
use crate::ops::rectify::{gate_in_place, rectify_in_place};
use crate::ops::scratch::{zeroed, Scratch};
use crate::ops::{record, Forward, GradOf};
use dfdx::prelude::*;
use rayon::prelude::*;

/// What the backward pass needs.
struct Kept {
    plan: Plan,
    /// The phase convolution's geometry (`4 * filters` outputs on the small image).
    g: ConvGeometry,
    taps: UpConvTaps,
    layout: PhaseLayout,
    /// The input (per task) or the column matrix (batch-wide).
    x_or_cols: Scratch,
    /// The folded phase kernels, `(4 * filters, c_in * taps * taps)`.
    stacked: Scratch,
    rectifier: Option<(f32, Vec<u8>)>,
}

/// Upsamples `x` (`batch` images of `c_in` channels, `h x h`) 2x and convolves it with the
/// `kernel x kernel` 'same' filters `weight` (`filters` of them) and `bias`, with an optional
/// fused rectifier; the output is `(batch, filters, 2h, 2h)`, shaped `out_shape`.
pub(crate) fn upsample_conv2d<S: Shape, So: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<S, f32, Cpu, T>,
    (weight, bias): (&Tensor<impl Shape, f32, Cpu>, &Tensor<impl Shape, f32, Cpu>),
    (batch, c_in, h, filters): (usize, usize, usize, usize),
    taps: UpConvTaps,
    out_shape: So,
    slope: Option<f32>,
) -> Result<Tensor<So, f32, Cpu, T>, CpuError> {
    let g = ConvGeometry {
        batch,
        c_in,
        c_out: 4 * filters,
        size: h,
        kernel: taps.taps,
        stride: 1,
        pad: (-taps.lo) as usize,
        out: h,
    };
    let (ckk, n) = (g.patch_len(), g.columns());
    let plan = Plan::choose(&g);
    record(
        x,
        vec![GradOf::new(weight), GradOf::new(bias)],
        |x, _| {
            let xs = Scratch::copy_of(x);
            let mut stacked = Scratch::take(4 * filters * ckk);
            taps.fold_weights(&Scratch::copy_of(weight), filters, c_in, &mut stacked);
            let mut by_phase = Scratch::take(4 * filters * n);
            // Small filter banks (the generator's last layer: 4 x 576 weights) a few images at a
            // time, in cache; large ones as one batch-wide GEMM whose column matrix the backward
            // pass reuses.
            let (layout, x_or_cols) = if plan == Plan::PerTask {
                per_task::forward(&xs, &stacked, &vec![0.0; 4 * filters], &mut by_phase, None, &g);
                (PhaseLayout::ByImage, xs)
            } else {
                let mut cols = Scratch::take(ckk * n);
                im2col(&xs, &mut cols, &g);
                gemm((4 * filters, n, ckk), &stacked, (ckk, 1), &cols, (n, 1), &mut by_phase, false);
                (PhaseLayout::ByChannel, cols)
            };
            let mut out = zeroed(batch * filters * 4 * h * h);
            interleave_phases(&by_phase, layout, &bias.as_vec(), &mut out, batch, filters, h);
            let rectifier = slope.map(|slope| (slope, rectify_in_place(&mut out, slope)));
            let kept = Kept {
                plan,
                g,
                taps,
                layout,
                x_or_cols,
                stacked,
                rectifier,
            };
            Ok(Forward {
                values: out,
                shape: out_shape,
                kept,
            })
        },
        move |k, gout, gx| {
            if let Some((slope, positive)) = &k.rectifier {
                gate_in_place(gout, positive, *slope);
            }
            let gt = split_phases(gout, k.layout, batch, filters, h);
            let (g_stack, gb_phases) = if k.plan == Plan::PerTask {
                per_task::backward(&gt, None, &k.x_or_cols, &k.stacked, gx, true, &k.g)
            } else {
                // `gt` is already grouped by (phase) channel: the plain convolution's kernels apply.
                let (mut g_stack, mut gb_phases) = (vec![0.0f32; 4 * filters * ckk], vec![0.0f32; 4 * filters]);
                batched::conv_weight_grad(&gt, &k.x_or_cols, &mut g_stack, &k.g);
                batched::conv_bias_grad(&gt, &mut gb_phases, &k.g);
                batched::conv_input_grad(&gt, &k.stacked, gx, &k.g);
                Some((g_stack, gb_phases))
            }
            .expect("the backward pass returns parameter gradients when asked");
            let mut gw = vec![0.0f32; filters * c_in * k.taps.kernel * k.taps.kernel];
            k.taps.unfold_grad(&g_stack, filters, c_in, &mut gw);
            let mut gb = vec![0.0f32; filters];
            for (pf, v) in gb_phases.iter().enumerate() {
                gb[pf % filters] += v;
            }
            vec![gw, gb]
        },
    )
}

/// How a nearest-neighbour 2x upsampling followed by a stride-1 'same' convolution with a
/// `kernel x kernel` filter maps onto the small image: output pixel `2i + r` reads small-image
/// rows `i + d` with `d = floor((r + ky - pad) / 2)`, so each of the four output phases `(r, s)`
/// is a small convolution over offsets `lo..=hi` with summed filter taps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UpConvTaps {
    /// Kernel size of the original convolution (odd).
    pub(crate) kernel: usize,
    /// Its 'same' padding before the image, `(kernel - 1) / 2`.
    pub(crate) pad: usize,
    /// Smallest small-image offset any phase reads (negative or zero).
    pub(crate) lo: isize,
    /// Number of offsets, `hi - lo + 1`: the phase kernels are `taps x taps`.
    pub(crate) taps: usize,
}

impl UpConvTaps {
    /// Taps for a `kernel x kernel` 'same' convolution after 2x upsampling.
    pub(crate) const fn new(kernel: usize) -> UpConvTaps {
        let pad = (kernel - 1) / 2;
        let lo = (-(pad as isize)).div_euclid(2);
        let hi = ((1 + kernel - 1) as isize - pad as isize).div_euclid(2);
        UpConvTaps {
            kernel,
            pad,
            lo,
            taps: (hi - lo + 1) as usize,
        }
    }

    /// The phase-kernel index that original tap `k` of phase `r` lands on.
    pub(crate) fn index(&self, r: usize, k: usize) -> usize {
        (((r + k) as isize - self.pad as isize).div_euclid(2) - self.lo) as usize
    }

    /// Folds `w` (filters, c_in, kernel, kernel) into the four phase kernels, stacked as
    /// (4 * filters, c_in * taps * taps) with phase `2r + s` major.
    pub(crate) fn fold_weights(&self, w: &[f32], filters: usize, c_in: usize, out: &mut [f32]) {
        let (k, t) = (self.kernel, self.taps);
        out.fill(0.0);
        for phase in 0..4 {
            let (r, s) = (phase / 2, phase % 2);
            for f in 0..filters {
                for c in 0..c_in {
                    let src = &w[(f * c_in + c) * k * k..][..k * k];
                    let dst = &mut out[((phase * filters + f) * c_in + c) * t * t..][..t * t];
                    for ky in 0..k {
                        let ty = self.index(r, ky);
                        for kx in 0..k {
                            dst[ty * t + self.index(s, kx)] += src[ky * k + kx];
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of [`UpConvTaps::fold_weights`]: adds the stacked phase-kernel gradient
    /// `g_stack` onto the original kernel's gradient `gw`.
    pub(crate) fn unfold_grad(&self, g_stack: &[f32], filters: usize, c_in: usize, gw: &mut [f32]) {
        let (k, t) = (self.kernel, self.taps);
        for phase in 0..4 {
            let (r, s) = (phase / 2, phase % 2);
            for f in 0..filters {
                for c in 0..c_in {
                    let src = &g_stack[((phase * filters + f) * c_in + c) * t * t..][..t * t];
                    let dst = &mut gw[(f * c_in + c) * k * k..][..k * k];
                    for ky in 0..k {
                        let ty = self.index(r, ky);
                        for kx in 0..k {
                            dst[ky * k + kx] += src[ty * t + self.index(s, kx)];
                        }
                    }
                }
            }
        }
    }
}

/// How the four phase outputs of an upsampling convolution are stored: `(4 * filters, batch *
/// h * h)` from one batch-wide GEMM, or `(batch, 4 * filters, h * h)` from per-task GEMMs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PhaseLayout {
    /// Channel-major, `(4 * filters, batch * h * h)`.
    ByChannel,
    /// Image-major, `(batch, 4 * filters, h * h)`.
    ByImage,
}

impl PhaseLayout {
    /// Offset of phase-channel `pf` of image `b`'s `h * h` block.
    fn offset(self, pf: usize, b: usize, batch: usize, filters: usize, l: usize) -> usize {
        match self {
            PhaseLayout::ByChannel => pf * batch * l + b * l,
            PhaseLayout::ByImage => (b * 4 * filters + pf) * l,
        }
    }
}

/// Interleaves the four phase outputs `by_phase` (see [`PhaseLayout`]) into
/// `out` (batch, filters, 2h, 2h), adding the bias.
pub(crate) fn interleave_phases(
    by_phase: &[f32],
    layout: PhaseLayout,
    bias: &[f32],
    out: &mut [f32],
    batch: usize,
    filters: usize,
    h: usize,
) {
    let (l, o) = (h * h, 2 * h);
    out.par_chunks_mut(o * o).enumerate().for_each(|(bf, dst)| {
        let (b, f) = (bf / filters, bf % filters);
        for phase in 0..4 {
            let (r, s) = (phase / 2, phase % 2);
            let src = &by_phase[layout.offset(phase * filters + f, b, batch, filters, l)..][..l];
            for i in 0..h {
                let row = &mut dst[(2 * i + r) * o..][..o];
                for j in 0..h {
                    row[2 * j + s] = src[i * h + j] + bias[f];
                }
            }
        }
    });
}

/// The adjoint of [`interleave_phases`] without the bias: regroups `gout` (batch, filters, 2h, 2h)
/// into the phase layout `layout` in a scratch buffer.
pub(crate) fn split_phases(gout: &[f32], layout: PhaseLayout, batch: usize, filters: usize, h: usize) -> Scratch {
    let (l, o) = (h * h, 2 * h);
    let mut gt = Scratch::take(4 * filters * batch * l);
    // Phase `pf / filters` of channel `pf % filters` of image `b`, into `d`.
    let split = |d: &mut [f32], pf: usize, b: usize| {
        let (phase, f) = (pf / filters, pf % filters);
        let (r, s) = (phase / 2, phase % 2);
        let src = &gout[(b * filters + f) * o * o..][..o * o];
        for i in 0..h {
            for j in 0..h {
                d[i * h + j] = src[(2 * i + r) * o + 2 * j + s];
            }
        }
    };
    match layout {
        PhaseLayout::ByChannel => gt.par_chunks_mut(batch * l).enumerate().for_each(|(pf, dst)| {
            for (b, d) in dst.chunks_mut(l).enumerate() {
                split(d, pf, b);
            }
        }),
        PhaseLayout::ByImage => gt.par_chunks_mut(4 * filters * l).enumerate().for_each(|(b, dst)| {
            for (pf, d) in dst.chunks_mut(l).enumerate() {
                split(d, pf, b);
            }
        }),
    }
    gt
}
