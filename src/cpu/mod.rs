//! Everything that depends on the instruction set: which kernel path runs ([`CpuPath`]:
//! detected once, or forced with `GENLAB_CPU=avx512|avx2|neon|portable`), [`dispatch!`](dispatch)
//! to compile a portable loop once per instruction set and call the chosen one, the lane
//! abstraction ([`lanes`]: one trait, implemented in `avx512.rs`, `avx2.rs`, `neon.rs` and
//! portably) and the kernels written once against it ([`small_gemm`]).
//!
//! The crate itself is built for the baseline of its target (SSE2 on x86-64, NEON on aarch64);
//! nothing outside this module names an instruction set, so a new one lands here without
//! touching the layers or the ops.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
pub(crate) mod gemm;
mod lanes;
#[cfg(target_arch = "aarch64")]
mod neon;
pub(crate) mod reduce;
pub(crate) mod small_gemm;

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

/// The environment variable that forces a kernel path: `avx512`, `avx2`, `neon` or `portable`.
pub const CPU_ENV: &str = "GENLAB_CPU";

/// The instruction sets genlab's kernels have paths for, from least to most capable.
///
/// `Portable` uses no hand-written intrinsics (its loops are vectorised by the compiler for the
/// target's baseline); the general matrix products of the batch-wide convolutions come from the
/// `gemm` crate, which picks its own kernels up to the chosen path (on `portable` its AVX2/FMA
/// or NEON ones where the CPU has them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub enum CpuPath {
    /// No hand-written intrinsics.
    Portable,
    /// aarch64 NEON (every 64-bit ARM CPU, Apple Silicon included).
    Neon,
    /// x86-64 AVX2 with FMA (most Intel and AMD laptops).
    Avx2,
    /// x86-64 AVX-512F (with AVX2 and FMA).
    Avx512,
}

pub(crate) use CpuPath as Isa;

impl CpuPath {
    const ALL: [CpuPath; 4] = [CpuPath::Portable, CpuPath::Neon, CpuPath::Avx2, CpuPath::Avx512];

    /// The name `GENLAB_CPU` takes.
    pub fn name(self) -> &'static str {
        match self {
            CpuPath::Portable => "portable",
            CpuPath::Neon => "neon",
            CpuPath::Avx2 => "avx2",
            CpuPath::Avx512 => "avx512",
        }
    }

    #[cfg(test)]
    fn code(self) -> u8 {
        self as u8 + 1
    }
}

impl fmt::Display for CpuPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every path this CPU can run, best last.
pub fn supported_paths() -> Vec<CpuPath> {
    let best = detect();
    CpuPath::ALL
        .into_iter()
        .filter(|p| *p <= best && (*p != CpuPath::Neon || best == CpuPath::Neon))
        .collect()
}

/// The kernel path in use: the one `GENLAB_CPU` names (checked against this CPU), else the best
/// this CPU has. Read once; the error says what to set instead.
pub fn cpu_path() -> Result<CpuPath, String> {
    static SELECTED: OnceLock<Result<CpuPath, String>> = OnceLock::new();
    SELECTED
        .get_or_init(|| match std::env::var(CPU_ENV) {
            Ok(requested) => select(Some(&requested)),
            Err(std::env::VarError::NotPresent) => select(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!(
                "{CPU_ENV} is not valid text: set it to a kernel path's name (`genlab cpu` lists them) or unset it"
            )),
        })
        .clone()
}

/// The path `requested` names (`None` or empty: the best detected).
fn select(requested: Option<&str>) -> Result<CpuPath, String> {
    let supported = supported_paths();
    let names = || supported.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ");
    match requested.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(detect()),
        Some(name) => match CpuPath::ALL.into_iter().find(|p| p.name().eq_ignore_ascii_case(name)) {
            None => Err(format!(
                "{CPU_ENV}={name} is not a kernel path; use one of: {} (this CPU: {})",
                CpuPath::ALL.map(CpuPath::name).join(", "),
                names()
            )),
            Some(path) if !supported.contains(&path) => Err(format!(
                "{CPU_ENV}={name}: this CPU cannot run the {path} path; it can run {}. Unset {CPU_ENV} to use the best one",
                names()
            )),
            Some(path) => Ok(path),
        },
    }
}

/// A path forced by the kernel tests (0: none), taking precedence over [`cpu_path`].
static FORCED: AtomicU8 = AtomicU8::new(0);

/// The path the kernels run on now.
///
/// # Panics
/// When `GENLAB_CPU` is invalid. The trainers and the command line check [`cpu_path`] first and
/// report it as an error, so only direct use of a layer can get here.
#[inline]
pub(crate) fn isa() -> Isa {
    match FORCED.load(Ordering::Relaxed) {
        0 => cpu_path().unwrap_or_else(|e| panic!("{e}")),
        code => CpuPath::ALL[code as usize - 1],
    }
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
    #[cfg(target_arch = "aarch64")]
    if std::arch::is_aarch64_feature_detected!("neon") {
        return Isa::Neon;
    }
    Isa::Portable
}

/// Defines `$name` calling the `#[inline(always)]` function `$inner`, compiled once per
/// [`Isa`] (on x86-64: AVX-512, AVX2 + FMA and the baseline; on aarch64 the baseline is NEON),
/// and calls the one [`isa`] picks.
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
                    _ => {}
                }
            }
            $inner($($arg),*)
        }
    };
}

pub(crate) use dispatch;

/// Test support shared by the kernel tests: every path, deterministic inputs and a tolerance
/// check.
#[cfg(test)]
pub(crate) mod testing {
    use super::{supported_paths, FORCED};
    use std::sync::atomic::Ordering;
    use std::sync::Mutex;

    /// Runs `test` once on every kernel path this CPU has (one test at a time forces a path).
    pub fn on_each_path(test: impl Fn()) {
        static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
        let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        for path in supported_paths() {
            FORCED.store(path.code(), Ordering::Relaxed);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(&test));
            FORCED.store(0, Ordering::Relaxed);
            if let Err(panic) = result {
                eprintln!("failed on the {path} kernel path");
                std::panic::resume_unwind(panic);
            }
        }
    }

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
