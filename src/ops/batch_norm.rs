//! BatchNormalization's passes: per-channel statistics and the normalisation, each one parallel
//! pass (dfdx builds them from a dozen single-threaded broadcast ops, each with a tensor of its
//! own: 4 to 7 ms of a GAN iteration on two cores).
//!
//! The input is seen as `rows` rows of `channels` runs of `plane` values each: `(batch, C)` has
//! runs of one value, `(batch, C, H, W)` runs of `H * W`. A channel's statistics are over its
//! `rows * plane` values. Reductions are split into tasks of whole channels, fixed by the shape
//! alone, so their results do not depend on how many threads run.

use super::scratch::zeroed;
use super::{record, Forward, GradOf, ELEMENTS_PER_TASK};
use crate::cpu::reduce::{dot, sum};
use dfdx::prelude::*;
use rayon::prelude::*;

/// An input of BatchNormalization as `rows` of `channels` runs of `plane` values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    rows: usize,
    channels: usize,
    plane: usize,
}

impl Layout {
    /// The layout of a `(batch, channels, ..)` tensor of `len` values.
    pub(crate) fn new(len: usize, batch: usize, channels: usize) -> Layout {
        Layout {
            rows: batch,
            channels,
            plane: len.checked_div(batch * channels).unwrap_or(0),
        }
    }

    /// Whether there are no values (an empty batch): every pass is then a no-op.
    fn is_empty(&self) -> bool {
        self.rows * self.channels * self.plane == 0
    }

    /// Values per channel, `n` in the statistics.
    fn count(&self) -> usize {
        self.rows * self.plane
    }

    /// Channels per reduction task: about [`ELEMENTS_PER_TASK`] values.
    fn channels_per_task(&self) -> usize {
        (ELEMENTS_PER_TASK / self.count().max(1)).clamp(1, self.channels.max(1))
    }

    /// Values per row.
    fn row(&self) -> usize {
        self.channels * self.plane
    }

    /// Per channel, the two sums `terms` gives over each run of that channel in `a` and `b`
    /// (equal-sized tensors of this layout), one task per block of channels.
    ///
    /// `terms(c, run_a, run_b)` returns the sums over one run of channel `c` (for runs of one
    /// value, `blocked` does the same for a block of channels of one row at once, so that the
    /// loop vectorises).
    fn channel_sums(
        &self,
        a: &[f32],
        b: &[f32],
        terms: impl Fn(usize, &[f32], &[f32]) -> (f32, f32) + Sync,
        blocked: impl Fn(usize, &[f32], &[f32], &mut [f32], &mut [f32]) + Sync,
    ) -> (Vec<f32>, Vec<f32>) {
        let (mut first, mut second) = (vec![0.0; self.channels], vec![0.0; self.channels]);
        if self.is_empty() {
            return (first, second);
        }
        let block = self.channels_per_task();
        first
            .par_chunks_mut(block)
            .zip(second.par_chunks_mut(block))
            .enumerate()
            .for_each(|(task, (s1, s2))| {
                let c0 = task * block;
                for r in 0..self.rows {
                    let start = r * self.row() + c0 * self.plane;
                    let (ra, rb) = (&a[start..][..s1.len() * self.plane], &b[start..][..s1.len() * self.plane]);
                    if self.plane == 1 {
                        blocked(c0, ra, rb, s1, s2);
                    } else {
                        for (i, (ua, ub)) in ra.chunks_exact(self.plane).zip(rb.chunks_exact(self.plane)).enumerate() {
                            let (t1, t2) = terms(c0 + i, ua, ub);
                            s1[i] += t1;
                            s2[i] += t2;
                        }
                    }
                }
            });
        (first, second)
    }

    /// Applies `f(c, run_out, run_in)` to every run of `out` and `input`, one task per row
    /// (for runs of one value, `f` gets a whole row with `c` 0: its channels in order).
    fn each_run(&self, out: &mut [f32], input: &[f32], f: impl Fn(usize, &mut [f32], &[f32]) + Sync) {
        let (row, plane) = (self.row(), self.plane);
        if self.is_empty() {
            return;
        }
        out.par_chunks_mut(row).zip(input.par_chunks(row)).for_each(|(o, x)| {
            if plane == 1 {
                f(0, o, x);
            } else {
                for (c, (o, x)) in o.chunks_exact_mut(plane).zip(x.chunks_exact(plane)).enumerate() {
                    f(c, o, x);
                }
            }
        });
    }
}

/// The sum of `(v - mean)^2` over `x`, with 16 independent partial sums (see [`sum`]).
fn squared_deviations(x: &[f32], mean: f32) -> f32 {
    let mut acc = [0.0f32; 16];
    let (chunks, tail) = x.as_chunks::<16>();
    for c in chunks {
        for l in 0..16 {
            let d = c[l] - mean;
            acc[l] += d * d;
        }
    }
    acc.iter().sum::<f32>() + tail.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>()
}

/// `out = (x - shift[c]) * factor[c] + offset[c]` for every value of channel `c`.
fn affine(layout: Layout, out: &mut [f32], x: &[f32], shift: &[f32], factor: &[f32], offset: &[f32]) {
    layout.each_run(out, x, |c, o, x| {
        if layout.plane == 1 {
            for ((((o, x), s), k), b) in o.iter_mut().zip(x).zip(shift).zip(factor).zip(offset) {
                *o = (x - s) * k + b;
            }
        } else {
            let (s, k, b) = (shift[c], factor[c], offset[c]);
            for (o, x) in o.iter_mut().zip(x) {
                *o = (x - s) * k + b;
            }
        }
    });
}

/// A BatchNormalization layer's tensors and settings, as its passes use them.
pub(crate) struct BatchNormState<'a, const C: usize> {
    /// The learned per-channel factor (`gamma`).
    pub scale: &'a Tensor<Rank1<C>, f32, Cpu>,
    /// The learned per-channel offset (`beta`).
    pub bias: &'a Tensor<Rank1<C>, f32, Cpu>,
    /// The running mean, updated in training.
    pub running_mean: &'a mut Tensor<Rank1<C>, f32, Cpu>,
    /// The running (unbiased) variance, updated in training.
    pub running_var: &'a mut Tensor<Rank1<C>, f32, Cpu>,
    /// Added to the variance before its square root.
    pub epsilon: f64,
    /// The weight of a batch's statistics in the running ones.
    pub momentum: f64,
}

/// What the training pass keeps for its backward pass.
struct Kept {
    /// `(x - mean) / std`, the normalised input.
    normalised: Vec<f32>,
    /// `scale / std` per channel.
    factor: Vec<f32>,
}

/// Training: normalises `x` (`batch` rows) with its own per-channel statistics, updates the
/// running statistics (the variance unbiased, `n / (n - 1)`, as dfdx and Keras do), and records
/// the backward pass, which adds the gradients of `x`, the scale and the bias.
pub(crate) fn batch_norm_train<S: Shape, T: Tape<f32, Cpu>, const C: usize>(
    x: Tensor<S, f32, Cpu, T>,
    state: BatchNormState<'_, C>,
) -> Result<Tensor<S, f32, Cpu, T>, CpuError> {
    let shape = *x.shape();
    let layout = Layout::new(shape.num_elements(), shape.concrete().into_iter().next().unwrap_or(1), C);
    let n = layout.count() as f32;
    let params = vec![GradOf::new(state.scale), GradOf::new(state.bias)];
    let BatchNormState {
        scale,
        bias,
        running_mean,
        running_var,
        epsilon,
        momentum,
    } = state;
    record(
        x,
        params,
        |x, traced| {
            let xs = super::scratch::Scratch::copy_of(x);
            let (sums, _) = layout.channel_sums(&xs, &xs, |_, run, _| (sum(run), 0.0), |_, row, _, s, _| add_into(s, row));
            let mean: Vec<f32> = sums.iter().map(|s| s / n).collect();
            let (squares, _) = layout.channel_sums(
                &xs,
                &xs,
                |c, run, _| (squared_deviations(run, mean[c]), 0.0),
                |c0, row, _, s, _| {
                    for ((s, v), m) in s.iter_mut().zip(row).zip(&mean[c0..]) {
                        *s += (v - m) * (v - m);
                    }
                },
            );
            let var: Vec<f32> = squares.iter().map(|s| s / n).collect();
            if !layout.is_empty() {
                update_running(running_mean, &mean, 1.0 - momentum, momentum);
                let unbiased = momentum * f64::from(n) / (f64::from(n) - 1.0);
                update_running(running_var, &var, 1.0 - momentum, unbiased);
            }
            let std: Vec<f32> = var.iter().map(|v| (v + epsilon as f32).sqrt()).collect();
            let factor: Vec<f32> = scale.as_vec().iter().zip(&std).map(|(s, d)| s / d).collect();
            let mut values = zeroed::<f32>(xs.len());
            affine(layout, &mut values, &xs, &mean, &factor, &bias.as_vec());
            let mut normalised = Vec::new();
            if traced {
                let inverse: Vec<f32> = std.iter().map(|d| 1.0 / d).collect();
                normalised = zeroed::<f32>(xs.len());
                affine(layout, &mut normalised, &xs, &mean, &inverse, &vec![0.0; C]);
            }
            Ok(Forward {
                values,
                shape,
                kept: Kept { normalised, factor },
            })
        },
        move |kept, gout, gx| {
            let Kept { normalised, factor } = kept;
            let (g_sum, g_dot) = layout.channel_sums(
                gout,
                &normalised,
                |_, g, h| (sum(g), dot(g, h)),
                |_, g, h, s1, s2| {
                    add_into(s1, g);
                    for ((s, g), h) in s2.iter_mut().zip(g).zip(h) {
                        *s += g * h;
                    }
                },
            );
            let g_mean: Vec<f32> = g_sum.iter().map(|s| s / n).collect();
            let gh_mean: Vec<f32> = g_dot.iter().map(|s| s / n).collect();
            // dx = scale / std * (g - mean(g) - x̂ * mean(g x̂)), added to `gx`; `gout` becomes
            // `g - x̂ * mean(g x̂)` first so that one pass reads two tensors and writes one.
            layout.each_run(gout, &normalised, |c, g, h| {
                if layout.plane == 1 {
                    for ((g, h), m) in g.iter_mut().zip(h).zip(&gh_mean) {
                        *g -= h * m;
                    }
                } else {
                    let m = gh_mean[c];
                    for (g, h) in g.iter_mut().zip(h) {
                        *g -= h * m;
                    }
                }
            });
            add_affine(layout, gx, gout, &g_mean, &factor);
            vec![g_dot, g_sum]
        },
    )
}

/// `gx += (g - shift[c]) * factor[c]` for every value of channel `c`.
fn add_affine(layout: Layout, gx: &mut [f32], g: &[f32], shift: &[f32], factor: &[f32]) {
    layout.each_run(gx, g, |c, gx, g| {
        if layout.plane == 1 {
            for (((d, g), s), k) in gx.iter_mut().zip(g).zip(shift).zip(factor) {
                *d += (g - s) * k;
            }
        } else {
            let (s, k) = (shift[c], factor[c]);
            for (d, g) in gx.iter_mut().zip(g) {
                *d += (g - s) * k;
            }
        }
    });
}

/// `acc += v`, element by element.
fn add_into(acc: &mut [f32], v: &[f32]) {
    for (a, v) in acc.iter_mut().zip(v) {
        *a += v;
    }
}

/// `running = running * keep + batch * take`, as dfdx's `axpy` computes it (in `f32`).
fn update_running<const C: usize>(running: &mut Tensor<Rank1<C>, f32, Cpu>, batch: &[f32], keep: f64, take: f64) {
    let (keep, take) = (keep as f32, take as f32);
    let updated: Vec<f32> = running.as_vec().iter().zip(batch).map(|(r, b)| r * keep + b * take).collect();
    running.copy_from(&updated);
}

/// Inference: normalises `x` with the running statistics; nothing is updated or recorded.
pub(crate) fn batch_norm_infer<S: Shape, const C: usize>(
    x: Tensor<S, f32, Cpu>,
    scale: &Tensor<Rank1<C>, f32, Cpu>,
    bias: &Tensor<Rank1<C>, f32, Cpu>,
    running_mean: &Tensor<Rank1<C>, f32, Cpu>,
    running_var: &Tensor<Rank1<C>, f32, Cpu>,
    epsilon: f64,
) -> Result<Tensor<S, f32, Cpu>, CpuError> {
    let shape = *x.shape();
    let layout = Layout::new(shape.num_elements(), shape.concrete().into_iter().next().unwrap_or(1), C);
    let factor: Vec<f32> = scale
        .as_vec()
        .iter()
        .zip(running_var.as_vec())
        .map(|(s, v)| s / (v + epsilon as f32).sqrt())
        .collect();
    record(
        x,
        Vec::new(),
        |x, _| {
            let xs = super::scratch::Scratch::copy_of(x);
            let mut values = zeroed::<f32>(xs.len());
            affine(layout, &mut values, &xs, &running_mean.as_vec(), &factor, &bias.as_vec());
            Ok(Forward { values, shape, kept: () })
        },
        |(), _, _| Vec::new(),
    )
}
