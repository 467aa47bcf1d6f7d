//! The general matrix product behind one signature with explicit strides, so transposes cost
//! nothing: the `gemm` crate, which has its own run-time dispatch. On the AVX-512 path its 0.19
//! release (AVX-512 kernels); on the others its 0.15 release (the one dfdx already links),
//! whose kernels stop at AVX2/FMA on x86-64 and use NEON on aarch64, so `GENLAB_CPU=avx2` on
//! an AVX-512 machine runs what an AVX2 laptop runs.

/// `c (m x n) = [c +] a (m x k) * b (k x n)`, with explicit row/column strides for `a` and `b`
/// (so transposes cost nothing). `c` is dense row-major. Split across threads when large.
pub fn gemm(
    dims: (usize, usize, usize),
    a: &[f32],
    a_strides: (usize, usize),
    b: &[f32],
    b_strides: (usize, usize),
    c: &mut [f32],
    accumulate: bool,
) {
    gemm_on(true, dims, a, a_strides, b, b_strides, c, accumulate)
}

/// [`gemm`], split across threads only when `split` (`false` inside a parallel task).
#[allow(clippy::too_many_arguments)]
pub fn gemm_on(
    split: bool,
    (m, n, k): (usize, usize, usize),
    a: &[f32],
    (a_rs, a_cs): (usize, usize),
    b: &[f32],
    (b_rs, b_cs): (usize, usize),
    c: &mut [f32],
    accumulate: bool,
) {
    assert!(c.len() >= m * n, "gemm: output buffer too small");
    assert!(m == 0 || k == 0 || a.len() > (m - 1) * a_rs + (k - 1) * a_cs, "gemm: lhs too small");
    assert!(n == 0 || k == 0 || b.len() > (k - 1) * b_rs + (n - 1) * b_cs, "gemm: rhs too small");
    let threads = rayon::current_num_threads();
    let parallel = split && threads > 1 && m * n * k > 1 << 15;
    // The same call into either release of the crate.
    macro_rules! call {
        ($gemm:ident) => {
            // SAFETY: the asserts above keep every index the strides can form inside the slices.
            unsafe {
                $gemm::gemm(
                    m,
                    n,
                    k,
                    c.as_mut_ptr(),
                    1,
                    n as isize,
                    accumulate,
                    a.as_ptr(),
                    a_cs as isize,
                    a_rs as isize,
                    b.as_ptr(),
                    b_cs as isize,
                    b_rs as isize,
                    if accumulate { 1.0 } else { 0.0 },
                    1.0,
                    false,
                    false,
                    false,
                    if parallel {
                        $gemm::Parallelism::Rayon(threads)
                    } else {
                        $gemm::Parallelism::None
                    },
                )
            }
        };
    }
    if super::isa() == super::Isa::Avx512 {
        call!(gemm)
    } else {
        call!(gemm_avx2)
    }
}
