//! [`Lanes`] on AVX-512F: 16 lanes, tails by mask.

use super::lanes::Lanes;
use std::arch::x86_64::*;

/// AVX-512F registers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx512;

/// The lanes `0..count` (at most 16) as a mask.
#[inline(always)]
fn mask(count: usize) -> __mmask16 {
    if count >= 16 {
        0xFFFF
    } else {
        ((1u32 << count) - 1) as __mmask16
    }
}

impl Lanes for Avx512 {
    const N: usize = 16;
    type V = __m512;

    #[inline(always)]
    unsafe fn zero() -> __m512 {
        _mm512_setzero_ps()
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m512 {
        _mm512_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32, count: usize) -> __m512 {
        // SAFETY: lanes past `count` are masked off and never read.
        unsafe { _mm512_maskz_loadu_ps(mask(count), p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m512, count: usize) {
        // SAFETY: lanes past `count` are masked off and never written.
        unsafe { _mm512_mask_storeu_ps(p, mask(count), v) }
    }
    #[inline(always)]
    unsafe fn mul_add(a: __m512, b: __m512, acc: __m512) -> __m512 {
        _mm512_fmadd_ps(a, b, acc)
    }
    #[inline(always)]
    unsafe fn sum(v: __m512) -> f32 {
        _mm512_reduce_add_ps(v)
    }
}
