//! Reductions written so that they vectorise: 16 independent partial sums instead of one chain
//! of dependent additions (4 cycles each). Portable code, compiled per ISA where it runs inside
//! a [`dispatch!`](super::dispatch) kernel.

/// A dot product with 16 independent partial sums, so the loop vectorises.
#[inline(always)]
pub(crate) fn dot(x: &[f32], y: &[f32]) -> f32 {
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
pub(crate) fn sum(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let (chunks, tail) = x.as_chunks::<16>();
    for c in chunks {
        for l in 0..16 {
            acc[l] += c[l];
        }
    }
    acc.iter().sum::<f32>() + tail.iter().sum::<f32>()
}
