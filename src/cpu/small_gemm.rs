//! Register-blocked matrix products for the per-task convolution shapes, without packing.
//!
//! A per-task GEMM of the convolutions (`ops::conv2d::per_task`) has one small side (the filters,
//! 4-32) and one long one (the pixels of a few images, 64-3,136). A general GEMM (`gemm`)
//! first copies both operands into its own panel layout; for these shapes that copy reads as
//! much memory as the product itself. Here the operands are read where they are: a block of
//! results lives in AVX-512 registers while the long dimension streams by.
//!
//! The front ends here decline to the general `gemm` on CPUs without AVX-512. Single-threaded
//! (they run inside a task); sums are added in a fixed order, so results repeat bit for bit.

use super::gemm::gemm_on;
#[cfg(target_arch = "x86_64")]
use super::{avx512, isa, Isa};

/// `c (m x n) = a (m x k) * b (n x k)^T`: every entry a dot product of a row of `a` and a row
/// of `b`, both contiguous along `k`. For weight gradients (`k` = pixels).
pub fn gemm_nt(a: &[f32], b: &[f32], c: &mut [f32], (m, n, k): (usize, usize, usize)) {
    assert!(
        a.len() >= m * k && b.len() >= n * k && c.len() >= m * n,
        "gemm_nt: buffer too small"
    );
    #[cfg(target_arch = "x86_64")]
    if isa() == Isa::Avx512 {
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
    if isa() == Isa::Avx512 {
        // SAFETY: as in `gemm_nt`.
        unsafe { avx512::gemm_nn(a.as_ptr(), a_strides, b.as_ptr(), c.as_mut_ptr(), (m, n, k)) };
        return;
    }
    gemm_on(false, (m, n, k), a, a_strides, b, (n, 1), c, false);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::gemm::gemm;
    use crate::cpu::testing::{close, values};

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
