//! [`Lanes`] on AVX2 with FMA: 8 lanes, tails by masked loads and stores.

use super::lanes::Lanes;
use std::arch::x86_64::*;

/// AVX2 + FMA registers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2;

/// The lanes `0..count` (at most 8) as a mask: all bits set where `lane < count`.
#[inline(always)]
unsafe fn mask(count: usize) -> __m256i {
    _mm256_cmpgt_epi32(_mm256_set1_epi32(count as i32), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
}

impl Lanes for Avx2 {
    const N: usize = 8;
    type V = __m256;

    #[inline(always)]
    unsafe fn zero() -> __m256 {
        _mm256_setzero_ps()
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m256 {
        _mm256_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32, count: usize) -> __m256 {
        if count >= 8 {
            // SAFETY: the caller guarantees 8 readable floats.
            unsafe { _mm256_loadu_ps(p) }
        } else {
            // SAFETY: masked-off lanes are not read (and do not fault).
            unsafe { _mm256_maskload_ps(p, mask(count)) }
        }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m256, count: usize) {
        if count >= 8 {
            // SAFETY: the caller guarantees 8 writable floats.
            unsafe { _mm256_storeu_ps(p, v) }
        } else {
            // SAFETY: masked-off lanes are not written.
            unsafe { _mm256_maskstore_ps(p, mask(count), v) }
        }
    }
    #[inline(always)]
    unsafe fn mul_add(a: __m256, b: __m256, acc: __m256) -> __m256 {
        _mm256_fmadd_ps(a, b, acc)
    }
    #[inline(always)]
    unsafe fn sum(v: __m256) -> f32 {
        let quad = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
        _mm_cvtss_f32(_mm_add_ss(pair, _mm_shuffle_ps::<0b01>(pair, pair)))
    }
}
