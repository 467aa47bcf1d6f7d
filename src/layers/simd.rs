//! Run-time choice of SIMD width for hot loops: the crate is built for baseline x86-64 (SSE2),
//! while the machines it runs on mostly have AVX2 + FMA or AVX-512.

/// Defines `$name` calling the `#[inline(always)]` function `$inner`, compiled three times:
/// for AVX-512, for AVX2 + FMA and for the baseline, and picks the best the CPU has at run time
/// (the crate itself is built for baseline x86-64, where these loops get 4-wide SSE).
macro_rules! simd_dispatch {
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
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has the features the function was compiled for.
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                    // SAFETY: as above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $inner($($arg),*)
        }
    };
}

pub(crate) use simd_dispatch;
