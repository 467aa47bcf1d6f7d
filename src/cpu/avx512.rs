//! AVX-512 kernels of the per-task matrix products ([`small_gemm`](super::small_gemm)): blocks of
//! results held in registers while the long dimension streams by, tails masked.
//!
//! Called only through the front ends in `small_gemm`, after [`isa`](super::isa) said AVX-512.
#![allow(clippy::needless_range_loop)] // register blocks read best as indexed loops

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

/// See [`gemm_nt`](super::small_gemm::gemm_nt). Blocks of 4 x 4 results, 16 registers of partial sums.
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

/// See [`gemm_nn`](super::small_gemm::gemm_nn). Blocks of 4 rows x 64 columns, 16 registers of sums.
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
