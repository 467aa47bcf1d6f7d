//! Every convolution path against the same reference: the batch-wide im2col + GEMM kernels.
//! (The layer tests in `tests/layers.rs` check the layers against a naive convolution and
//! finite differences.)

use super::{batched, direct, per_task, ConvGeometry};
use crate::cpu::gemm::gemm;
use crate::cpu::testing::{close, on_each_path, values};

/// A batch of 11 images (not a multiple of the per-task size) of the given layer shape.
fn geometry((c_in, c_out, size, kernel, stride, pad, out): LayerShape) -> ConvGeometry {
    ConvGeometry {
        batch: 11,
        c_in,
        c_out,
        size,
        kernel,
        stride,
        pad,
        out,
    }
}

/// Deterministic input, weights, bias and output gradient for `g`.
fn inputs(g: &ConvGeometry) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
    (
        values(g.batch * g.c_in * g.size * g.size, 1),
        values(g.c_out * g.patch_len(), 2),
        values(g.c_out, 3),
        values(g.batch * g.c_out * g.out_pixels(), 4),
    )
}

/// The batch-wide kernels' output, weight gradient, bias gradient and input gradient; the
/// gradients are added to buffers that start at `params_start` and `input_start`.
fn batch_kernels(
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    gout: &[f32],
    g: &ConvGeometry,
    (params_start, input_start): (f32, f32),
) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
    let mut cols = vec![0.0; g.patch_len() * g.columns()];
    let mut out = vec![0.0; gout.len()];
    batched::conv_forward(x, w, bias, &mut cols, &mut out, g);
    let gt = batched::grad_by_channel(gout, g);
    let (mut gw, mut gb, mut gx) = (vec![params_start; w.len()], vec![params_start; g.c_out], vec![input_start; x.len()]);
    batched::conv_weight_grad(&gt, &cols, &mut gw, g);
    batched::conv_bias_grad(&gt, &mut gb, g);
    batched::conv_input_grad(&gt, w, &mut gx, g);
    (out, gw, gb, gx)
}

/// The dot-product path agrees with the GEMM, also with tails of the 16-wide and 2048-long chunks.
#[test]
fn row_dots_match_gemm() {
    on_each_path(|| {
        for (m, n, k) in [(16, 9, 100_352), (3, 5, 4_100), (1, 1, 17), (2, 3, 2_047)] {
            let a: Vec<f32> = (0..m * k).map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0).collect();
            let b: Vec<f32> = (0..n * k).map(|i| ((i * 53 % 97) as f32 - 48.0) / 48.0).collect();
            let mut want = vec![0.25; m * n];
            gemm((m, n, k), &a, (k, 1), &b, (1, k), &mut want, true);
            let mut got = vec![0.25; m * n];
            batched::add_row_dots(&a, &b, &mut got, m, n, k);
            for (x, y) in got.iter().zip(&want) {
                assert!((x - y).abs() <= 1e-3 * (1.0 + y.abs()), "{m}x{n}x{k}: {x} vs {y}");
            }
        }
    });
}

/// A layer shape: (c_in, c_out, size, kernel, stride, pad, out).
type LayerShape = (usize, usize, usize, usize, usize, usize, usize);

/// Checks one path's forward pass and backward pass (with and without parameter gradients)
/// against the batch-wide kernels on each of `shapes`.
fn check_path(
    shapes: &[LayerShape],
    forward: impl Fn(&[f32], &[f32], &[f32], &mut [f32], &ConvGeometry),
    backward: impl Fn(&[f32], &[f32], &[f32], &mut [f32], bool, &ConvGeometry) -> Option<(Vec<f32>, Vec<f32>)>,
) {
    for &shape in shapes {
        let g = geometry(shape);
        let (x, w, bias, gout) = inputs(&g);
        let (want, want_w, want_b, want_x) = batch_kernels(&x, &w, &bias, &gout, &g, (0.0, 0.5));
        let mut got = vec![0.0; gout.len()];
        forward(&x, &w, &bias, &mut got, &g);
        close(&got, &want);
        let mut got_x = vec![0.5; x.len()];
        let (got_w, got_b) = backward(&gout, &x, &w, &mut got_x, true, &g).expect("parameter gradients");
        close(&got_w, &want_w);
        close(&got_b, &want_b);
        close(&got_x, &want_x);
        let mut frozen_x = vec![0.5; x.len()];
        assert!(backward(&gout, &x, &w, &mut frozen_x, false, &g).is_none());
        close(&frozen_x, &want_x);
    }
}

/// Layer shapes of the lecture's models and odd ones: 'same' and 'valid', strided and padded,
/// single filters and many.
const SHAPES: [LayerShape; 8] = [
    (16, 1, 28, 3, 1, 1, 28),
    (8, 16, 16, 3, 1, 0, 14),
    (1, 16, 9, 3, 1, 1, 9),
    (3, 2, 7, 5, 1, 2, 7),
    (16, 8, 14, 3, 1, 1, 14),
    (8, 8, 7, 3, 2, 1, 4),
    (1, 64, 28, 5, 2, 1, 14),
    (64, 8, 14, 5, 2, 1, 7),
];

/// The direct kernels (stride 1) agree with im2col + GEMM.
#[test]
fn direct_kernels_match_im2col_and_gemm() {
    let stride_one: Vec<LayerShape> = SHAPES.into_iter().filter(|s| s.4 == 1).collect();
    on_each_path(|| check_path(&stride_one, direct::forward, direct::backward));
}

/// The per-task kernels agree with the batch-wide im2col + GEMM, on a batch that is not a
/// multiple of the task size.
#[test]
fn per_image_kernels_match_batch_kernels() {
    on_each_path(|| {
        check_path(
            &SHAPES,
            |x, w, bias, out, g| per_task::forward(x, w, bias, out, None, g),
            |gout, x, w, gx, params, g| per_task::backward(gout, None, x, w, gx, params, g),
        )
    });
}
