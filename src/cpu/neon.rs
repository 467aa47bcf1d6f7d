//! [`Lanes`] on aarch64 NEON (every 64-bit ARM CPU, Apple Silicon included): 4 lanes, tails
//! through a small buffer.

use super::lanes::Lanes;
use std::arch::aarch64::*;

/// NEON registers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Neon;

impl Lanes for Neon {
    const N: usize = 4;
    type V = float32x4_t;

    #[inline(always)]
    unsafe fn zero() -> float32x4_t {
        unsafe { vdupq_n_f32(0.0) }
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> float32x4_t {
        unsafe { vdupq_n_f32(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32, count: usize) -> float32x4_t {
        if count >= 4 {
            // SAFETY: the caller guarantees 4 readable floats.
            unsafe { vld1q_f32(p) }
        } else {
            let mut buf = [0.0f32; 4];
            // SAFETY: the caller guarantees `count` readable floats.
            unsafe {
                std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), count);
                vld1q_f32(buf.as_ptr())
            }
        }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: float32x4_t, count: usize) {
        if count >= 4 {
            // SAFETY: the caller guarantees 4 writable floats.
            unsafe { vst1q_f32(p, v) }
        } else {
            let mut buf = [0.0f32; 4];
            // SAFETY: the caller guarantees `count` writable floats.
            unsafe {
                vst1q_f32(buf.as_mut_ptr(), v);
                std::ptr::copy_nonoverlapping(buf.as_ptr(), p, count);
            }
        }
    }
    #[inline(always)]
    unsafe fn mul_add(a: float32x4_t, b: float32x4_t, acc: float32x4_t) -> float32x4_t {
        unsafe { vfmaq_f32(acc, a, b) }
    }
    #[inline(always)]
    unsafe fn sum(v: float32x4_t) -> f32 {
        unsafe { vaddvq_f32(v) }
    }
}
