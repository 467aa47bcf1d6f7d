//! Everything that depends on the instruction set: which vector extensions this CPU has
//! (detected once), [`dispatch!`](dispatch) to compile a portable loop once per extension and
//! call the best one, and the hand-written kernels behind front ends that fall back to portable
//! code when the CPU lacks their extension.
//!
//! The crate itself is built for the baseline of its target (SSE2 on x86-64); nothing outside
//! this module names an instruction set, so a new one (NEON, AVX2 kernels) lands here without
//! touching the layers or the ops.

#[cfg(target_arch = "x86_64")]
mod avx512;
pub(crate) mod gemm;
pub(crate) mod reduce;
pub(crate) mod small_gemm;

use std::sync::OnceLock;

/// The vector extensions the kernels can use, from least to most capable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) enum Isa {
    /// No hand-written intrinsics; loops vectorised for the target's baseline.
    Portable,
    /// x86-64 AVX2 with FMA.
    Avx2,
    /// x86-64 AVX-512F (with AVX2 and FMA).
    Avx512,
}

/// The best [`Isa`] this CPU has, detected on first use.
pub(crate) fn isa() -> Isa {
    static DETECTED: OnceLock<Isa> = OnceLock::new();
    *DETECTED.get_or_init(detect)
}

fn detect() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx512f") && has!("avx2") && has!("fma") {
            return Isa::Avx512;
        }
        if has!("avx2") && has!("fma") {
            return Isa::Avx2;
        }
    }
    Isa::Portable
}

/// Defines `$name` calling the `#[inline(always)]` function `$inner`, compiled once per
/// [`Isa`] (on x86-64: AVX-512, AVX2 + FMA and the baseline), and calls the one [`isa`] picks.
macro_rules! dispatch {
    ($(#[$doc:meta])* fn $name:ident => $inner:ident ($($arg:ident: $ty:ty),* $(,)?)) => {
        $(#[$doc])*
        fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512($($arg: $ty),*) {
                    $inner($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2($($arg: $ty),*) {
                    $inner($($arg),*)
                }
                match $crate::cpu::isa() {
                    // SAFETY: `isa()` reports only extensions the CPU has.
                    $crate::cpu::Isa::Avx512 => return unsafe { avx512($($arg),*) },
                    // SAFETY: as above.
                    $crate::cpu::Isa::Avx2 => return unsafe { avx2($($arg),*) },
                    $crate::cpu::Isa::Portable => {}
                }
            }
            $inner($($arg),*)
        }
    };
}

pub(crate) use dispatch;

/// Test support shared by the kernel tests: deterministic inputs and a tolerance check.
#[cfg(test)]
pub(crate) mod testing {
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
}
