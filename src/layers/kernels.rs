//! CPU kernels behind [`Conv2d`](super::Conv2d): im2col, col2im, a GEMM wrapper and reusable
//! scratch buffers.
//!
//! Layouts are row-major. Images are `(batch, channels, size, size)`; the column matrix is
//! `(channels * k * k, batch * out * out)`, so one GEMM per layer covers the whole batch.

use super::simd::simd_dispatch;
use rayon::prelude::*;
use std::cell::RefCell;

/// Geometry of one square 2-D convolution (all sizes in elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGeometry {
    /// Number of images.
    pub batch: usize,
    /// Input channels.
    pub c_in: usize,
    /// Output channels (filters).
    pub c_out: usize,
    /// Input height and width.
    pub size: usize,
    /// Kernel height and width.
    pub kernel: usize,
    /// Stride along both axes.
    pub stride: usize,
    /// Zero rows/columns before the input (after it, whatever the output size needs).
    pub pad: usize,
    /// Output height and width.
    pub out: usize,
}

impl ConvGeometry {
    /// Rows of the column matrix: `c_in * kernel * kernel`.
    pub fn patch_len(&self) -> usize {
        self.c_in * self.kernel * self.kernel
    }
    /// Output pixels per image and channel.
    pub fn out_pixels(&self) -> usize {
        self.out * self.out
    }
    /// Columns of the column matrix: `batch * out * out`.
    pub fn columns(&self) -> usize {
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

thread_local! {
    static SCRATCH: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
}

/// Takes a buffer of exactly `len` floats from this thread's scratch list (contents unspecified).
///
/// Conv buffers are up to ~100 MB; allocating them fresh every step costs page faults, so they
/// are recycled with [`give_back`]. The list is per thread: no locks.
pub fn take_scratch(len: usize) -> Vec<f32> {
    SCRATCH.with(|pool| {
        let mut pool = pool.borrow_mut();
        let best = (0..pool.len())
            .filter(|&i| pool[i].capacity() >= len)
            .min_by_key(|&i| pool[i].capacity());
        match best {
            Some(i) => {
                let mut v = pool.swap_remove(i);
                v.resize(len, 0.0);
                v.truncate(len);
                v
            }
            None => vec![0.0; len],
        }
    })
}

/// Returns a buffer taken with [`take_scratch`] for reuse.
pub fn give_back(buf: Vec<f32>) {
    SCRATCH.with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.len() < 12 && buf.capacity() > 0 {
            pool.push(buf);
        }
    })
}

/// A vector of `len` zeros (`T::default()`), written by all threads: a layer's fresh output is
/// several MB, and `vec![0.0; len]` zeroes it with one thread's `memset`.
pub fn zeroed<T: Copy + Default + Send + Sync>(len: usize) -> Vec<T> {
    const CHUNK: usize = 1 << 16;
    if len < 2 * CHUNK {
        return vec![T::default(); len];
    }
    let mut v = Vec::with_capacity(len);
    v.spare_capacity_mut()[..len].par_chunks_mut(CHUNK).for_each(|chunk| {
        for x in chunk {
            x.write(T::default());
        }
    });
    // SAFETY: the capacity is at least `len` and every one of the first `len` elements was
    // initialised above.
    unsafe { v.set_len(len) };
    v
}

/// `c (m x n) = [c +] a (m x k) * b (k x n)`, with explicit row/column strides for `a` and `b`
/// (so transposes cost nothing). `c` is dense row-major. Split across threads when large.
pub fn gemm(
    dims: (usize, usize, usize),
    a: &[f32],
    a_strides: (usize, usize),
    b: &[f32],
    b_strides: (usize, usize),
    c: &mut [f32],
    accumulate: bool,
) {
    gemm_on(true, dims, a, a_strides, b, b_strides, c, accumulate)
}

/// [`gemm`], split across threads only when `split` (`false` inside a parallel task).
#[allow(clippy::too_many_arguments)]
pub fn gemm_on(
    split: bool,
    (m, n, k): (usize, usize, usize),
    a: &[f32],
    (a_rs, a_cs): (usize, usize),
    b: &[f32],
    (b_rs, b_cs): (usize, usize),
    c: &mut [f32],
    accumulate: bool,
) {
    assert!(c.len() >= m * n, "gemm: output buffer too small");
    assert!(m == 0 || k == 0 || a.len() > (m - 1) * a_rs + (k - 1) * a_cs, "gemm: lhs too small");
    assert!(n == 0 || k == 0 || b.len() > (k - 1) * b_rs + (n - 1) * b_cs, "gemm: rhs too small");
    let threads = rayon::current_num_threads();
    let parallelism = if split && threads > 1 && m * n * k > 1 << 15 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the asserts above keep every index the strides can form inside the slices.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.as_ptr(),
            a_cs as isize,
            a_rs as isize,
            b.as_ptr(),
            b_cs as isize,
            b_rs as isize,
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            parallelism,
        )
    }
}

/// Unfolds `x` (batch, c_in, size, size) into `cols` (patch_len, columns), zero where padded.
pub fn im2col(x: &[f32], cols: &mut [f32], g: &ConvGeometry) {
    cols.par_chunks_mut(g.columns())
        .enumerate()
        .for_each(|(row, dst)| im2col_row(x, dst, row, g));
}

/// [`im2col`] on the calling thread (for a few images inside a parallel task).
pub fn im2col_serial(x: &[f32], cols: &mut [f32], g: &ConvGeometry) {
    for (row, dst) in cols.chunks_mut(g.columns()).enumerate() {
        im2col_row(x, dst, row, g);
    }
}

/// Row `row` (one input channel and kernel tap) of the column matrix.
fn im2col_row(x: &[f32], dst: &mut [f32], row: usize, g: &ConvGeometry) {
    let (k, s, p, h, o) = (g.kernel, g.stride, g.pad, g.size, g.out);
    let l = g.out_pixels();
    let c = row / (k * k);
    let ky = (row / k) % k;
    let kx = row % k;
    let (lo, hi) = g.valid_range(kx);
    for b in 0..g.batch {
        let img = &x[(b * g.c_in + c) * h * h..][..h * h];
        let dst = &mut dst[b * l..][..l];
        if let Some(shift) = g.flat_shift(ky, kx) {
            // Input and output rows have the same width: one shifted copy of the whole image,
            // then zero the columns that read across a row end.
            let (d_lo, d_hi) = flat_span(shift, l);
            dst[..d_lo].fill(0.0);
            dst[d_hi..].fill(0.0);
            dst[d_lo..d_hi].copy_from_slice(&img[(d_lo as isize + shift) as usize..][..d_hi - d_lo]);
            zero_outside_columns(dst, o, lo, hi);
            continue;
        }
        for oy in 0..o {
            let d = &mut dst[oy * o..][..o];
            let iy = (oy * s + ky).wrapping_sub(p);
            if iy >= h || lo >= hi {
                d.fill(0.0);
                continue;
            }
            let src = &img[iy * h..][..h];
            d[..lo].fill(0.0);
            d[hi..].fill(0.0);
            if s == 1 {
                d[lo..hi].copy_from_slice(&src[lo + kx - p..hi + kx - p]);
            } else {
                for (ox, v) in d[lo..hi].iter_mut().enumerate() {
                    *v = src[(ox + lo) * s + kx - p];
                }
            }
        }
    }
}

/// The output indices `[lo, hi)` of an `l`-pixel image whose flat input index `i + shift` lies
/// inside the image.
fn flat_span(shift: isize, l: usize) -> (usize, usize) {
    let lo = (-shift).clamp(0, l as isize) as usize;
    let hi = (l as isize - shift).clamp(lo as isize, l as isize) as usize;
    (lo, hi)
}

/// Zeroes columns `[0, lo)` and `[hi, width)` of every row of `img`.
///
/// Column by column: these are one or two entries per row, and a `fill` per row would be a
/// `memset` call each (13% of an autoencoder step when it was).
fn zero_outside_columns(img: &mut [f32], width: usize, lo: usize, hi: usize) {
    for col in (0..lo).chain(hi..width) {
        for v in img[col..].iter_mut().step_by(width) {
            *v = 0.0;
        }
    }
}

/// Folds `dcols` (patch_len, columns) back onto `gx` (batch, c_in, size, size), adding.
pub fn col2im(dcols: &[f32], gx: &mut [f32], g: &ConvGeometry) {
    let h = g.size;
    gx.par_chunks_mut(h * h)
        .enumerate()
        .for_each(|(bc, img)| col2im_channel(dcols, img, bc, g));
}

/// [`col2im`] on the calling thread (for a few images inside a parallel task). Zeroes the entries
/// of `dcols` that belong to padding (they are not part of the gradient) on the way.
pub fn col2im_serial(dcols: &mut [f32], gx: &mut [f32], g: &ConvGeometry) {
    let (k, h, o, l) = (g.kernel, g.size, g.out, g.out_pixels());
    let n = g.columns();
    for (bc, img) in gx.chunks_mut(h * h).enumerate() {
        let (b, c) = (bc / g.c_in, bc % g.c_in);
        if g.flat_shift(0, 0).is_none() {
            col2im_channel(dcols, img, bc, g);
            continue;
        }
        for ky in 0..k {
            for kx in 0..k {
                let shift = g.flat_shift(ky, kx).expect("stride 1, equal widths");
                let (lo, hi) = g.valid_range(kx);
                let src = &mut dcols[((c * k + ky) * k + kx) * n + b * l..][..l];
                zero_outside_columns(src, o, lo, hi);
                let (d_lo, d_hi) = flat_span(shift, l);
                let dst = &mut img[(d_lo as isize + shift) as usize..][..d_hi - d_lo];
                for (a, v) in dst.iter_mut().zip(&src[d_lo..d_hi]) {
                    *a += *v;
                }
            }
        }
    }
}

/// Channel `bc` (image `bc / c_in`, channel `bc % c_in`) of [`col2im`].
fn col2im_channel(dcols: &[f32], img: &mut [f32], bc: usize, g: &ConvGeometry) {
    let (k, s, p, h, o) = (g.kernel, g.stride, g.pad, g.size, g.out);
    let l = g.out_pixels();
    let n = g.columns();
    let (b, c) = (bc / g.c_in, bc % g.c_in);
    for ky in 0..k {
        for kx in 0..k {
            let (lo, hi) = g.valid_range(kx);
            if lo >= hi {
                continue;
            }
            let row = (c * k + ky) * k + kx;
            let src = &dcols[row * n + b * l..][..l];
            for oy in 0..o {
                let iy = (oy * s + ky).wrapping_sub(p);
                if iy >= h {
                    continue;
                }
                let srow = &src[oy * o..][..o];
                let irow = &mut img[iy * h..][..h];
                if s == 1 {
                    let dst = &mut irow[lo + kx - p..hi + kx - p];
                    for (a, v) in dst.iter_mut().zip(&srow[lo..hi]) {
                        *a += *v;
                    }
                } else {
                    for ox in lo..hi {
                        irow[ox * s + kx - p] += srow[ox];
                    }
                }
            }
        }
    }
}

/// Forward convolution: `out` (batch, c_out, out, out) from `x`, `w` (c_out, patch_len) and
/// `bias`. Leaves the column matrix in `cols` for the backward pass.
pub fn conv_forward(x: &[f32], w: &[f32], bias: &[f32], cols: &mut [f32], out: &mut [f32], g: &ConvGeometry) {
    let (ckk, n, l) = (g.patch_len(), g.columns(), g.out_pixels());
    im2col(x, cols, g);
    let mut by_channel = take_scratch(g.c_out * n);
    gemm((g.c_out, n, ckk), w, (ckk, 1), cols, (n, 1), &mut by_channel, false);
    // (c_out, batch * l) -> (batch, c_out, l), adding the bias on the way.
    out.par_chunks_mut(l).enumerate().for_each(|(bo, dst)| {
        let (b, o) = (bo / g.c_out, bo % g.c_out);
        let src = &by_channel[o * n + b * l..][..l];
        for (d, s) in dst.iter_mut().zip(src) {
            *d = s + bias[o];
        }
    });
    give_back(by_channel);
}

/// First step of the backward pass: the output gradient `gout` (batch, c_out, out, out)
/// regrouped by channel, `(c_out, columns)`, in a scratch buffer (return it with [`give_back`]).
pub fn grad_by_channel(gout: &[f32], g: &ConvGeometry) -> Vec<f32> {
    let (n, l) = (g.columns(), g.out_pixels());
    let mut gt = take_scratch(g.c_out * n);
    gt.par_chunks_mut(n).enumerate().for_each(|(o, dst)| {
        for b in 0..g.batch {
            dst[b * l..][..l].copy_from_slice(&gout[(b * g.c_out + o) * l..][..l]);
        }
    });
    gt
}

/// Accumulates the bias gradient `(c_out)` from the channel-grouped output gradient `gt`.
pub fn conv_bias_grad(gt: &[f32], gb: &mut [f32], g: &ConvGeometry) {
    let n = g.columns();
    for (o, v) in gb.iter_mut().enumerate() {
        *v += sum(&gt[o * n..(o + 1) * n]);
    }
}

/// Accumulates the weight gradient `(c_out, patch_len)` from the channel-grouped output
/// gradient `gt` and the forward pass's column matrix: `dW += gt * cols^T`.
pub fn conv_weight_grad(gt: &[f32], cols: &[f32], gw: &mut [f32], g: &ConvGeometry) {
    let (ckk, n) = (g.patch_len(), g.columns());
    if g.c_out * ckk * 16 <= n {
        // Long and thin (the autoencoder's layers, the discriminator's first): dot products.
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
pub fn add_row_dots(a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, k: usize) {
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

simd_dispatch! {
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

/// A dot product with 16 independent partial sums, so the loop vectorises.
#[inline(always)]
fn dot(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let (xc, xr) = x.as_chunks::<16>();
    let (yc, yr) = y.as_chunks::<16>();
    for (u, v) in xc.iter().zip(yc) {
        for l in 0..16 {
            acc[l] += u[l] * v[l];
        }
    }
    let tail: f32 = xr.iter().zip(yr).map(|(u, v)| u * v).sum();
    acc.iter().sum::<f32>() + tail
}

/// The sum of `x` with 16 independent partial sums, so the loop vectorises (`iter().sum()`
/// adds one element after another: a chain of dependent additions, 4 cycles each).
#[inline]
pub fn sum(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let (chunks, tail) = x.as_chunks::<16>();
    for c in chunks {
        for l in 0..16 {
            acc[l] += c[l];
        }
    }
    acc.iter().sum::<f32>() + tail.iter().sum::<f32>()
}

/// Adds the input gradient to `gx` (batch, c_in, size, size): `W^T * gt`, folded by [`col2im`].
pub fn conv_input_grad(gt: &[f32], w: &[f32], gx: &mut [f32], g: &ConvGeometry) {
    let (ckk, n) = (g.patch_len(), g.columns());
    // dcols (ckk, n) = W^T (ckk, c_out) * gt (c_out, n)
    let mut dcols = take_scratch(ckk * n);
    gemm((ckk, n, g.c_out), w, (1, ckk), gt, (n, 1), &mut dcols, false);
    col2im(&dcols, gx, g);
    give_back(dcols);
}

/// How a nearest-neighbour 2x upsampling followed by a stride-1 'same' convolution with a
/// `kernel x kernel` filter maps onto the small image: output pixel `2i + r` reads small-image
/// rows `i + d` with `d = floor((r + ky - pad) / 2)`, so each of the four output phases `(r, s)`
/// is a small convolution over offsets `lo..=hi` with summed filter taps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpConvTaps {
    /// Kernel size of the original convolution (odd).
    pub kernel: usize,
    /// Its 'same' padding before the image, `(kernel - 1) / 2`.
    pub pad: usize,
    /// Smallest small-image offset any phase reads (negative or zero).
    pub lo: isize,
    /// Number of offsets, `hi - lo + 1`: the phase kernels are `taps x taps`.
    pub taps: usize,
}

impl UpConvTaps {
    /// Taps for a `kernel x kernel` 'same' convolution after 2x upsampling.
    pub const fn new(kernel: usize) -> UpConvTaps {
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
    pub fn index(&self, r: usize, k: usize) -> usize {
        (((r + k) as isize - self.pad as isize).div_euclid(2) - self.lo) as usize
    }

    /// Folds `w` (filters, c_in, kernel, kernel) into the four phase kernels, stacked as
    /// (4 * filters, c_in * taps * taps) with phase `2r + s` major.
    pub fn fold_weights(&self, w: &[f32], filters: usize, c_in: usize, out: &mut [f32]) {
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
    pub fn unfold_grad(&self, g_stack: &[f32], filters: usize, c_in: usize, gw: &mut [f32]) {
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
pub enum PhaseLayout {
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
pub fn interleave_phases(by_phase: &[f32], layout: PhaseLayout, bias: &[f32], out: &mut [f32], batch: usize, filters: usize, h: usize) {
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
pub fn split_phases(gout: &[f32], layout: PhaseLayout, batch: usize, filters: usize, h: usize) -> Vec<f32> {
    let (l, o) = (h * h, 2 * h);
    let mut gt = take_scratch(4 * filters * batch * l);
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

/// Test support shared by the kernels' tests: deterministic inputs, a tolerance check, and the
/// batch-wide im2col + GEMM results that the direct and per-task kernels must match.
#[cfg(test)]
pub(crate) mod reference {
    use super::*;

    /// `n` deterministic values in `[-1, 1]`.
    pub fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as u32).wrapping_mul(2654435761) ^ seed).wrapping_mul(40503) % 2001)
            .map(|v| v as f32 / 1000.0 - 1.0)
            .collect()
    }

    /// Asserts `a` and `b` agree to 1e-4 relative.
    pub fn close(a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= 1e-4 * (1.0 + x.abs().max(y.abs())), "at {i}: {x} vs {y}");
        }
    }

    /// The batch-wide kernels' output, weight gradient, bias gradient and input gradient; the
    /// gradients are added to buffers that start at `params_start` and `input_start`.
    pub fn batch_kernels(
        x: &[f32],
        w: &[f32],
        bias: &[f32],
        gout: &[f32],
        g: &ConvGeometry,
        (params_start, input_start): (f32, f32),
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
        let mut cols = vec![0.0; g.patch_len() * g.columns()];
        let mut out = vec![0.0; gout.len()];
        conv_forward(x, w, bias, &mut cols, &mut out, g);
        let gt = grad_by_channel(gout, g);
        let (mut gw, mut gb, mut gx) = (vec![params_start; w.len()], vec![params_start; g.c_out], vec![input_start; x.len()]);
        conv_weight_grad(&gt, &cols, &mut gw, g);
        conv_bias_grad(&gt, &mut gb, g);
        conv_input_grad(&gt, w, &mut gx, g);
        (out, gw, gb, gx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dot-product path agrees with the GEMM, also with tails of the 16-wide and 2048-long chunks.
    #[test]
    fn row_dots_match_gemm() {
        for (m, n, k) in [(16, 9, 100_352), (3, 5, 4_100), (1, 1, 17), (2, 3, 2_047)] {
            let a: Vec<f32> = (0..m * k).map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0).collect();
            let b: Vec<f32> = (0..n * k).map(|i| ((i * 53 % 97) as f32 - 48.0) / 48.0).collect();
            let mut want = vec![0.25; m * n];
            gemm((m, n, k), &a, (k, 1), &b, (1, k), &mut want, true);
            let mut got = vec![0.25; m * n];
            add_row_dots(&a, &b, &mut got, m, n, k);
            for (x, y) in got.iter().zip(&want) {
                assert!((x - y).abs() <= 1e-3 * (1.0 + y.abs()), "{m}x{n}x{k}: {x} vs {y}");
            }
        }
    }
}
