//! Unfolding images into a column matrix (im2col) and folding its gradient back (col2im).
//!
//! Layouts are row-major. Images are `(batch, channels, size, size)`; the column matrix is
//! `(channels * k * k, batch * out * out)`: one row per input channel and kernel tap.

use super::ConvGeometry;
use rayon::prelude::*;

/// Unfolds `x` (batch, c_in, size, size) into `cols` (patch_len, columns), zero where padded.
pub(crate) fn im2col(x: &[f32], cols: &mut [f32], g: &ConvGeometry) {
    cols.par_chunks_mut(g.columns())
        .enumerate()
        .for_each(|(row, dst)| im2col_row(x, dst, row, g));
}

/// [`im2col`] on the calling thread (for a few images inside a parallel task).
pub(crate) fn im2col_serial(x: &[f32], cols: &mut [f32], g: &ConvGeometry) {
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
pub(crate) fn col2im(dcols: &[f32], gx: &mut [f32], g: &ConvGeometry) {
    let h = g.size;
    gx.par_chunks_mut(h * h)
        .enumerate()
        .for_each(|(bc, img)| col2im_channel(dcols, img, bc, g));
}

/// [`col2im`] on the calling thread (for a few images inside a parallel task). Zeroes the entries
/// of `dcols` that belong to padding (they are not part of the gradient) on the way.
pub(crate) fn col2im_serial(dcols: &mut [f32], gx: &mut [f32], g: &ConvGeometry) {
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
