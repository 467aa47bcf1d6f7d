//! Register-blocked matrix products for the per-task convolution shapes, without packing.
//!
//! A per-task GEMM of [`image_conv`](super::image_conv) has one small side (the filters,
//! 4-32) and one long one (the pixels of a few images, 64-3,136). A general GEMM (`gemm`)
//! first copies both operands into its own panel layout; for these shapes that copy reads as
//! much memory as the product itself. Here the operands are read where they are: a block of
//! results lives in AVX-512 registers while the long dimension streams by.
//!
//! On CPUs without AVX-512 both functions fall back to `gemm`. Single-threaded (they run inside
//! a task); sums are added in a fixed order, so results repeat bit for bit.

use super::kernels::gemm_on;

/// `c (m x n) = a (m x k) * b (n x k)^T`: every entry a dot product of a row of `a` and a row
/// of `b`, both contiguous along `k`. For weight gradients (`k` = pixels).
pub fn gemm_nt(a: &[f32], b: &[f32], c: &mut [f32], (m, n, k): (usize, usize, usize)) {
    assert!(
        a.len() >= m * k && b.len() >= n * k && c.len() >= m * n,
        "gemm_nt: buffer too small"
    );
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F; the assert above keeps every access inside the slices.
        unsafe { avx512::gemm_nt(a.as_ptr(), b.as_ptr(), c.as_mut_ptr(), (m, n, k)) };
        return;
    }
    gemm_on(false, (m, n, k), a, (k, 1), b, (1, k), c, false);
}

/// `c (m x n) = a (m x k) * b (k x n)` with `a` read through strides `(row, column)` and `b`
/// row-major: rows of `c` built from whole rows of `b`. For forward passes (`m` = filters) and
/// input gradients (`k` = filters), `n` = pixels.
pub fn gemm_nn(a: &[f32], a_strides: (usize, usize), b: &[f32], c: &mut [f32], (m, n, k): (usize, usize, usize)) {
    assert!(
        m == 0 || k == 0 || a.len() > (m - 1) * a_strides.0 + (k - 1) * a_strides.1,
        "gemm_nn: lhs too small"
    );
    assert!(b.len() >= k * n && c.len() >= m * n, "gemm_nn: buffer too small");
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: as in `gemm_nt`.
        unsafe { avx512::gemm_nn(a.as_ptr(), a_strides, b.as_ptr(), c.as_mut_ptr(), (m, n, k)) };
        return;
    }
    gemm_on(false, (m, n, k), a, a_strides, b, (n, 1), c, false);
}

#[cfg(target_arch = "x86_64")]
#[allow(clippy::needless_range_loop)] // register blocks read best as indexed loops
mod avx512 {
    use std::arch::x86_64::*;

    /// f32 lanes per register.
    const LANES: usize = 16;

    /// The lanes `0..count` (at most 16) as a mask.
    #[inline(always)]
    fn mask(count: usize) -> __mmask16 {
        if count >= LANES {
            0xFFFF
        } else {
            ((1u32 << count) - 1) as __mmask16
        }
    }

    /// See [`super::gemm_nt`]. Blocks of 4 x 4 results, 16 registers of partial sums.
    ///
    /// # Safety
    /// AVX-512F; `a`, `b`, `c` valid for `m * k`, `n * k`, `m * n` floats.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn gemm_nt(a: *const f32, b: *const f32, c: *mut f32, (m, n, k): (usize, usize, usize)) {
        let mut j0 = 0;
        while j0 < n {
            let w = (n - j0).min(4);
            let mut i0 = 0;
            while i0 < m {
                let h = (m - i0).min(4);
                // SAFETY (all calls): rows i0..i0+h of `a`, j0..j0+w of `b`, inside the sizes.
                unsafe {
                    match (h, w) {
                        (4, 4) => nt_block::<4, 4>(a, b, c, (i0, j0), (n, k)),
                        (4, _) => (0..w).for_each(|s| nt_block::<4, 1>(a, b, c, (i0, j0 + s), (n, k))),
                        (_, 4) => (0..h).for_each(|r| nt_block::<1, 4>(a, b, c, (i0 + r, j0), (n, k))),
                        _ => (0..h).for_each(|r| (0..w).for_each(|s| nt_block::<1, 1>(a, b, c, (i0 + r, j0 + s), (n, k)))),
                    }
                }
                i0 += h;
            }
            j0 += w;
        }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn nt_block<const R: usize, const S: usize>(
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        (i0, j0): (usize, usize),
        (n, k): (usize, usize),
    ) {
        let mut acc = [[_mm512_setzero_ps(); S]; R];
        let mut va = [_mm512_setzero_ps(); R];
        let mut vb = [_mm512_setzero_ps(); S];
        let mut p = 0;
        while p < k {
            let m = mask(k - p);
            // SAFETY: lanes past `k` are masked off, so every load stays in its row.
            unsafe {
                for r in 0..R {
                    va[r] = _mm512_maskz_loadu_ps(m, a.add((i0 + r) * k + p));
                }
                for s in 0..S {
                    vb[s] = _mm512_maskz_loadu_ps(m, b.add((j0 + s) * k + p));
                }
            }
            for r in 0..R {
                for s in 0..S {
                    acc[r][s] = _mm512_fmadd_ps(va[r], vb[s], acc[r][s]);
                }
            }
            p += LANES;
        }
        for r in 0..R {
            for s in 0..S {
                // SAFETY: (i0 + r, j0 + s) is inside `c`.
                unsafe { *c.add((i0 + r) * n + j0 + s) = _mm512_reduce_add_ps(acc[r][s]) };
            }
        }
    }

    /// See [`super::gemm_nn`]. Blocks of 4 rows x 64 columns, 16 registers of sums.
    ///
    /// # Safety
    /// AVX-512F; `a` valid at every `i * a_rs + p * a_cs` (`i < m`, `p < k`), `b` and `c` for
    /// `k * n` and `m * n` floats.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn gemm_nn(a: *const f32, a_strides: (usize, usize), b: *const f32, c: *mut f32, (m, n, k): (usize, usize, usize)) {
        let mut j0 = 0;
        while j0 < n {
            let (vectors, last) = if n - j0 >= 4 * LANES {
                (4, LANES)
            } else {
                ((n - j0).div_ceil(LANES), (n - j0 - 1) % LANES + 1)
            };
            let last = mask(last);
            let mut i0 = 0;
            while i0 < m {
                let h = (m - i0).min(4);
                // SAFETY (all calls): rows i0..i0+h, columns j0..j0+vectors*16 (the last vector
                // masked to the columns that exist).
                unsafe {
                    match (h, vectors) {
                        (4, 4) => nn_block::<4, 4>(a, a_strides, b, c, (i0, j0), (n, k), last),
                        (4, _) => (0..vectors).for_each(|s| {
                            let m = if s + 1 == vectors { last } else { 0xFFFF };
                            nn_block::<4, 1>(a, a_strides, b, c, (i0, j0 + s * LANES), (n, k), m)
                        }),
                        _ => (0..h).for_each(|r| {
                            (0..vectors).for_each(|s| {
                                let m = if s + 1 == vectors { last } else { 0xFFFF };
                                nn_block::<1, 1>(a, a_strides, b, c, (i0 + r, j0 + s * LANES), (n, k), m)
                            })
                        }),
                    }
                }
                i0 += h;
            }
            j0 += vectors * LANES;
        }
    }

    /// `R` rows and `S` vectors of [`gemm_nn`]; the last vector's lanes limited by `last`.
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn nn_block<const R: usize, const S: usize>(
        a: *const f32,
        (a_rs, a_cs): (usize, usize),
        b: *const f32,
        c: *mut f32,
        (i0, j0): (usize, usize),
        (n, k): (usize, usize),
        last: __mmask16,
    ) {
        let masks: [__mmask16; S] = std::array::from_fn(|s| if s + 1 == S { last } else { 0xFFFF });
        let mut acc = [[_mm512_setzero_ps(); S]; R];
        let mut vb = [_mm512_setzero_ps(); S];
        for p in 0..k {
            // SAFETY: masked lanes past `n` are never read; the rows and `p` are in range.
            unsafe {
                for s in 0..S {
                    vb[s] = _mm512_maskz_loadu_ps(masks[s], b.add(p * n + j0 + s * LANES));
                }
                for r in 0..R {
                    let w = _mm512_set1_ps(*a.add((i0 + r) * a_rs + p * a_cs));
                    for s in 0..S {
                        acc[r][s] = _mm512_fmadd_ps(w, vb[s], acc[r][s]);
                    }
                }
            }
        }
        for r in 0..R {
            for s in 0..S {
                // SAFETY: as for the loads.
                unsafe { _mm512_mask_storeu_ps(c.add((i0 + r) * n + j0 + s * LANES), masks[s], acc[r][s]) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::kernels::gemm;
    use crate::layers::kernels::reference::{close, values};

    /// Both kernels agree with `gemm` on the per-task shapes and on sizes that leave every
    /// kind of remainder (rows, column blocks, vectors, single columns).
    #[test]
    fn small_gemms_match_gemm() {
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
