//! The lane abstraction the hand-written kernels are written against (as candle's `cpu` module
//! does it): one vector register of `f32` lanes and the handful of operations the kernels use.
//! Each instruction set implements it once ([`Portable`] here, `avx512.rs`, `avx2.rs`,
//! `neon.rs`); the kernels in [`small_gemm`](super::small_gemm) are generic over it.

/// A vector of `N` `f32` lanes on one instruction set.
///
/// The methods are `#[inline(always)]` and meant to be inlined into a function compiled for
/// that instruction set (`#[target_feature]`), where they become single instructions.
pub(crate) trait Lanes: Copy {
    /// Lanes per vector.
    const N: usize;
    /// The register type.
    type V: Copy;
    /// All lanes zero.
    ///
    /// # Safety
    /// The CPU has this instruction set.
    unsafe fn zero() -> Self::V;
    /// All lanes `x`.
    ///
    /// # Safety
    /// As [`Lanes::zero`].
    unsafe fn splat(x: f32) -> Self::V;
    /// The first `count` lanes (`1..=N`) from `p`, the others zero.
    ///
    /// # Safety
    /// As [`Lanes::zero`]; `p` is valid for reading `count` floats.
    unsafe fn load(p: *const f32, count: usize) -> Self::V;
    /// Writes the first `count` lanes (`1..=N`) to `p`.
    ///
    /// # Safety
    /// As [`Lanes::zero`]; `p` is valid for writing `count` floats.
    unsafe fn store(p: *mut f32, v: Self::V, count: usize);
    /// `a * b + acc`, lane by lane (fused where the instruction set has it).
    ///
    /// # Safety
    /// As [`Lanes::zero`].
    unsafe fn mul_add(a: Self::V, b: Self::V, acc: Self::V) -> Self::V;
    /// The sum of all lanes.
    ///
    /// # Safety
    /// As [`Lanes::zero`].
    unsafe fn sum(v: Self::V) -> f32;
}

/// Eight lanes as a plain array, no intrinsics: the compiler vectorises what it can for the
/// target's baseline (SSE2 on x86-64, NEON on aarch64).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Portable;

impl Lanes for Portable {
    const N: usize = 8;
    type V = [f32; 8];

    #[inline(always)]
    unsafe fn zero() -> [f32; 8] {
        [0.0; 8]
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> [f32; 8] {
        [x; 8]
    }
    #[inline(always)]
    unsafe fn load(p: *const f32, count: usize) -> [f32; 8] {
        let mut v = [0.0; 8];
        // SAFETY: the caller guarantees `count` readable floats at `p`.
        unsafe { std::ptr::copy_nonoverlapping(p, v.as_mut_ptr(), count.min(8)) };
        v
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: [f32; 8], count: usize) {
        // SAFETY: the caller guarantees `count` writable floats at `p`.
        unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), p, count.min(8)) };
    }
    #[inline(always)]
    unsafe fn mul_add(a: [f32; 8], b: [f32; 8], acc: [f32; 8]) -> [f32; 8] {
        std::array::from_fn(|l| a[l] * b[l] + acc[l])
    }
    #[inline(always)]
    unsafe fn sum(v: [f32; 8]) -> f32 {
        ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]))
    }
}
