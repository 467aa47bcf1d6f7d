//! Register-blocked matrix products for the per-task convolution shapes, without packing.
//!
//! A per-task GEMM of the convolutions (`ops::conv2d::per_task`) has one small side (the
//! filters, 4-32) and one long one (the pixels of a few images, 64-3,136). A general GEMM
//! (`gemm`) first copies both operands into its own panel layout; for these shapes that copy
//! reads as much memory as the product itself. Here the operands are read where they are: a
//! block of results lives in registers while the long dimension streams by.
//!
//! The kernels are written once over [`Lanes`] and compiled per instruction set with block
//! sizes that fit its registers: AVX-512 (32 registers of 16 lanes), AVX2 (16 of 8), NEON
//! (32 of 4) and [`Portable`]. Single-threaded (they run inside a task); sums are added in a
//! fixed order, so results repeat bit for bit on one path.
#![allow(clippy::needless_range_loop)] // register blocks read best as indexed loops

#[cfg(target_arch = "x86_64")]
use super::avx2::Avx2;
#[cfg(target_arch = "x86_64")]
use super::avx512::Avx512;
use super::lanes::{Lanes, Portable};
#[cfg(target_arch = "aarch64")]
use super::neon::Neon;
use super::{isa, Isa};

/// `c (m x n) = a (m x k) * b (n x k)^T`: every entry a dot product of a row of `a` and a row
/// of `b`, both contiguous along `k`. For weight gradients (`k` = pixels).
pub fn gemm_nt(a: &[f32], b: &[f32], c: &mut [f32], dims: (usize, usize, usize)) {
    let (m, n, k) = dims;
    assert!(
        a.len() >= m * k && b.len() >= n * k && c.len() >= m * n,
        "gemm_nt: buffer too small"
    );
    let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
    // SAFETY (every arm): `isa()` reports only what the CPU has; the assert above keeps every
    // access inside the slices.
    unsafe {
        match isa() {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => nt_avx512(a, b, c, dims),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => nt_avx2(a, b, c, dims),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => nt_neon(a, b, c, dims),
            _ => nt::<Portable, 2, 2>(a, b, c, dims),
        }
    }
}

/// `c (m x n) = a (m x k) * b (k x n)` with `a` read through strides `(row, column)` and `b`
/// row-major: rows of `c` built from whole rows of `b`. For forward passes (`m` = filters) and
/// input gradients (`k` = filters), `n` = pixels.
pub fn gemm_nn(a: &[f32], a_strides: (usize, usize), b: &[f32], c: &mut [f32], dims: (usize, usize, usize)) {
    let (m, n, k) = dims;
    assert!(
        m == 0 || k == 0 || a.len() > (m - 1) * a_strides.0 + (k - 1) * a_strides.1,
        "gemm_nn: lhs too small"
    );
    assert!(b.len() >= k * n && c.len() >= m * n, "gemm_nn: buffer too small");
    let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
    // SAFETY (every arm): as in `gemm_nt`.
    unsafe {
        match isa() {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => nn_avx512(a, a_strides, b, c, dims),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => nn_avx2(a, a_strides, b, c, dims),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => nn_neon(a, a_strides, b, c, dims),
            _ => nn::<Portable, 2, 2>(a, a_strides, b, c, dims),
        }
    }
}

/// Defines `$name`, the kernel `$kernel::<$lanes, R, S>` compiled for `$features`.
macro_rules! instantiate {
    ($name:ident, $features:literal, $kernel:ident::<$lanes:ty, $r:literal, $s:literal>($($arg:ident: $ty:ty),*)) => {
        /// # Safety
        /// The CPU has the features; the pointers are valid for the sizes (see the front end).
        #[target_feature(enable = $features)]
        unsafe fn $name($($arg: $ty),*) {
            // SAFETY: as this function's own contract.
            unsafe { $kernel::<$lanes, $r, $s>($($arg),*) }
        }
    };
}

type Dims = (usize, usize, usize);
type Strides = (usize, usize);

// Block sizes per instruction set: R x S accumulators plus the loads must fit the registers.
#[cfg(target_arch = "x86_64")]
instantiate!(nt_avx512, "avx512f", nt::<Avx512, 4, 4>(a: *const f32, b: *const f32, c: *mut f32, dims: Dims));
#[cfg(target_arch = "x86_64")]
instantiate!(nt_avx2, "avx2,fma", nt::<Avx2, 2, 4>(a: *const f32, b: *const f32, c: *mut f32, dims: Dims));
#[cfg(target_arch = "aarch64")]
instantiate!(nt_neon, "neon", nt::<Neon, 4, 4>(a: *const f32, b: *const f32, c: *mut f32, dims: Dims));
#[cfg(target_arch = "x86_64")]
instantiate!(nn_avx512, "avx512f", nn::<Avx512, 4, 4>(a: *const f32, s: Strides, b: *const f32, c: *mut f32, dims: Dims));
#[cfg(target_arch = "x86_64")]
instantiate!(nn_avx2, "avx2,fma", nn::<Avx2, 4, 2>(a: *const f32, s: Strides, b: *const f32, c: *mut f32, dims: Dims));
#[cfg(target_arch = "aarch64")]
instantiate!(nn_neon, "neon", nn::<Neon, 4, 4>(a: *const f32, s: Strides, b: *const f32, c: *mut f32, dims: Dims));

/// [`gemm_nt`] in blocks of `R x S` results, `R * S` registers of partial sums.
///
/// # Safety
/// `L`'s instruction set; `a`, `b`, `c` valid for `m * k`, `n * k`, `m * n` floats.
#[inline(always)]
unsafe fn nt<L: Lanes, const R: usize, const S: usize>(a: *const f32, b: *const f32, c: *mut f32, (m, n, k): Dims) {
    let mut j0 = 0;
    while j0 < n {
        let w = (n - j0).min(S);
        let mut i0 = 0;
        while i0 < m {
            let h = (m - i0).min(R);
            // SAFETY (all calls): rows i0..i0+h of `a`, j0..j0+w of `b`, inside the sizes.
            unsafe {
                match (h == R, w == S) {
                    (true, true) => nt_block::<L, R, S>(a, b, c, (i0, j0), (n, k)),
                    (true, false) => (0..w).for_each(|s| nt_block::<L, R, 1>(a, b, c, (i0, j0 + s), (n, k))),
                    (false, true) => (0..h).for_each(|r| nt_block::<L, 1, S>(a, b, c, (i0 + r, j0), (n, k))),
                    _ => (0..h).for_each(|r| (0..w).for_each(|s| nt_block::<L, 1, 1>(a, b, c, (i0 + r, j0 + s), (n, k)))),
                }
            }
            i0 += h;
        }
        j0 += w;
    }
}

#[inline(always)]
unsafe fn nt_block<L: Lanes, const R: usize, const S: usize>(
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    (i0, j0): (usize, usize),
    (n, k): (usize, usize),
) {
    // SAFETY (whole body): `L`'s instruction set (the caller's contract); loads of `count`
    // lanes stay inside their rows.
    unsafe {
        let mut acc = [[L::zero(); S]; R];
        let mut va = [L::zero(); R];
        let mut vb = [L::zero(); S];
        let mut p = 0;
        while p < k {
            let count = (k - p).min(L::N);
            for r in 0..R {
                va[r] = L::load(a.add((i0 + r) * k + p), count);
            }
            for s in 0..S {
                vb[s] = L::load(b.add((j0 + s) * k + p), count);
            }
            for r in 0..R {
                for s in 0..S {
                    acc[r][s] = L::mul_add(va[r], vb[s], acc[r][s]);
                }
            }
            p += L::N;
        }
        for r in 0..R {
            for s in 0..S {
                *c.add((i0 + r) * n + j0 + s) = L::sum(acc[r][s]);
            }
        }
    }
}

/// [`gemm_nn`] in blocks of `R` rows x `S` vectors of columns.
///
/// # Safety
/// `L`'s instruction set; `a` valid at every `i * a_rs + p * a_cs` (`i < m`, `p < k`), `b` and
/// `c` for `k * n` and `m * n` floats.
#[inline(always)]
unsafe fn nn<L: Lanes, const R: usize, const S: usize>(a: *const f32, a_strides: Strides, b: *const f32, c: *mut f32, (m, n, k): Dims) {
    let mut j0 = 0;
    while j0 < n {
        let (vectors, last) = if n - j0 >= S * L::N {
            (S, L::N)
        } else {
            ((n - j0).div_ceil(L::N), (n - j0 - 1) % L::N + 1)
        };
        let count = |s: usize| if s + 1 == vectors { last } else { L::N };
        let mut i0 = 0;
        while i0 < m {
            let h = (m - i0).min(R);
            // SAFETY (all calls): rows i0..i0+h, columns j0..j0 + vectors * N (the last vector
            // limited to the columns that exist).
            unsafe {
                match (h == R, vectors == S) {
                    (true, true) => nn_block::<L, R, S>(a, a_strides, b, c, (i0, j0), (n, k), last),
                    (true, false) => {
                        (0..vectors).for_each(|s| nn_block::<L, R, 1>(a, a_strides, b, c, (i0, j0 + s * L::N), (n, k), count(s)))
                    }
                    _ => (0..h).for_each(|r| {
                        (0..vectors).for_each(|s| nn_block::<L, 1, 1>(a, a_strides, b, c, (i0 + r, j0 + s * L::N), (n, k), count(s)))
                    }),
                }
            }
            i0 += h;
        }
        j0 += vectors * L::N;
    }
}

/// `R` rows and `S` vectors of [`nn`]; the last vector holds `last` columns.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn nn_block<L: Lanes, const R: usize, const S: usize>(
    a: *const f32,
    (a_rs, a_cs): Strides,
    b: *const f32,
    c: *mut f32,
    (i0, j0): (usize, usize),
    (n, k): (usize, usize),
    last: usize,
) {
    let counts: [usize; S] = std::array::from_fn(|s| if s + 1 == S { last } else { L::N });
    // SAFETY (whole body): `L`'s instruction set; every load and store is limited to the
    // columns that exist, rows and `p` are in range.
    unsafe {
        let mut acc = [[L::zero(); S]; R];
        let mut vb = [L::zero(); S];
        for p in 0..k {
            for s in 0..S {
                vb[s] = L::load(b.add(p * n + j0 + s * L::N), counts[s]);
            }
            for r in 0..R {
                let w = L::splat(*a.add((i0 + r) * a_rs + p * a_cs));
                for s in 0..S {
                    acc[r][s] = L::mul_add(w, vb[s], acc[r][s]);
                }
            }
        }
        for r in 0..R {
            for s in 0..S {
                L::store(c.add((i0 + r) * n + j0 + s * L::N), acc[r][s], counts[s]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::gemm::gemm;
    use crate::cpu::testing::{close, values};

    /// Both kernels agree with `gemm` on every path this CPU has, on the per-task shapes and on
    /// sizes that leave every kind of remainder (rows, column blocks, vectors, single columns).
    #[test]
    fn small_gemms_match_gemm() {
        crate::cpu::testing::on_each_path(small_gemms_match_gemm_on_one_path);
    }

    fn small_gemms_match_gemm_on_one_path() {
        for (m, n, k) in [(8, 144, 784), (16, 9, 3136), (4, 144, 196), (5, 7, 33), (1, 1, 1), (3, 6, 17)] {
            let (a, b) = (values(m * k, 1), values(n * k, 2));
            let mut want = vec![0.0; m * n];
            gemm((m, n, k), &a, (k, 1), &b, (1, k), &mut want, false);
            let mut got = vec![0.5; m * n];
            gemm_nt(&a, &b, &mut got, (m, n, k));
            close(&got, &want);
        }
        for (m, n, k) in [
            (8, 784, 144),
            (144, 784, 8),
            (16, 3136, 9),
            (9, 3136, 16),
            (5, 100, 7),
            (3, 70, 2),
            (2, 5, 3),
            (6, 64, 4),
        ] {
            let (a, b) = (values(m * k, 3), values(k * n, 4));
            let mut want = vec![0.0; m * n];
            gemm((m, n, k), &a, (k, 1), &b, (n, 1), &mut want, false);
            let mut got = vec![0.5; m * n];
            gemm_nn(&a, (k, 1), &b, &mut got, (m, n, k));
            close(&got, &want);
            // The transposed left operand, as the input gradient reads the weights.
            let at: Vec<f32> = (0..k * m).map(|i| a[(i % m) * k + i / m]).collect();
            let mut got_t = vec![0.5; m * n];
            gemm_nn(&at, (1, m), &b, &mut got_t, (m, n, k));
            close(&got_t, &want);
        }
    }
}
