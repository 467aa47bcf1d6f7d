//! Every genlab layer against a naive reference and finite-difference gradients.

use dfdx::nn::modules::{Module, ModuleMut};
use dfdx::prelude::*;
use genlab::layers::{padding_before, Conv2d, Dense, Dropout, Flatten, LeakyRelu, MaxPool2d, Relu, Reshape, Same, UpSampling2D, Valid};
use rand::{Rng, SeedableRng};

type Img<const C: usize, const H: usize, T = NoneTape> = Tensor<(usize, Const<C>, Const<H>, Const<H>), f32, Cpu, T>;

fn dev() -> Cpu {
    Cpu::seed_from_u64(42)
}

fn random_image<const C: usize, const H: usize>(dev: &Cpu, batch: usize, seed: u64) -> Img<C, H> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let v: Vec<f32> = (0..batch * C * H * H).map(|_| rng.gen_range(-1.0..1.0)).collect();
    dev.tensor_from_vec(v, (batch, Const, Const, Const))
}

/// Max relative error, with the scale taken from the reference's largest magnitude.
fn rel_err(got: &[f32], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(1e-12f64, |m, v| m.max(v.abs()));
    got.iter().zip(want).map(|(g, w)| (*g as f64 - w).abs() / scale).fold(0.0, f64::max)
}

/// Direct convolution in f64 with TensorFlow's padding.
#[allow(clippy::too_many_arguments)]
fn naive_conv(
    x: &[f32],
    w: &[f32],
    b: &[f32],
    batch: usize,
    c: usize,
    f: usize,
    h: usize,
    k: usize,
    s: usize,
    pad: usize,
    o: usize,
) -> Vec<f64> {
    let mut out = vec![0.0; batch * f * o * o];
    for n in 0..batch {
        for fo in 0..f {
            for oy in 0..o {
                for ox in 0..o {
                    let mut acc = b[fo] as f64;
                    for ci in 0..c {
                        for ky in 0..k {
                            for kx in 0..k {
                                let iy = (oy * s + ky) as i64 - pad as i64;
                                let ix = (ox * s + kx) as i64 - pad as i64;
                                if (0..h as i64).contains(&iy) && (0..h as i64).contains(&ix) {
                                    acc += x[((n * c + ci) * h + iy as usize) * h + ix as usize] as f64
                                        * w[((fo * c + ci) * k + ky) * k + kx] as f64;
                                }
                            }
                        }
                    }
                    out[((n * f + fo) * o + oy) * o + ox] = acc;
                }
            }
        }
    }
    out
}

/// f(params) = sum(forward(x)^2 * weights) in f64, for finite differences.
fn weighted_sum(y: &[f32], weights: &[f64]) -> f64 {
    y.iter().zip(weights).map(|(v, w)| (*v as f64).powi(2) * w).sum()
}

macro_rules! conv_case {
    ($name:ident, $c:literal, $f:literal, $k:literal, $s:literal, $pad:ty, $same:literal, $h:literal, $o:literal) => {
        #[test]
        fn $name() {
            let dev = dev();
            let mut conv = dev.build_module::<Conv2d<$c, $f, $k, $s, $pad, $o>, f32>();
            conv.bias = dev.sample_normal();
            let batch = 3;
            let x = random_image::<$c, $h>(&dev, batch, 7);
            let pad = padding_before($h, $k, $s, $same);
            // forward against the naive reference
            let y = conv.forward(x.clone());
            let want = naive_conv(
                &x.as_vec(),
                &conv.weight.as_vec(),
                &conv.bias.as_vec(),
                batch,
                $c,
                $f,
                $h,
                $k,
                $s,
                pad,
                $o,
            );
            let err = rel_err(&y.as_vec(), &want);
            assert!(err <= 1e-5, "forward rel err {err}");

            // gradients of L = sum(y^2 * r) against finite differences
            let mut rng = rand::rngs::StdRng::seed_from_u64(3);
            let r: Vec<f64> = (0..want.len()).map(|_| rng.gen_range(0.5..1.5)).collect();
            let rt = dev.tensor_from_vec(r.iter().map(|v| *v as f32).collect::<Vec<_>>(), *y.shape());
            let grads = (conv.forward(x.leaky_trace()).square() * rt).sum().backward();
            let loss = |xv: &[f32], wv: &[f32], bv: &[f32]| {
                let y = naive_conv(xv, wv, bv, batch, $c, $f, $h, $k, $s, pad, $o);
                y.iter().zip(&r).map(|(v, w)| v * v * w).sum::<f64>()
            };
            let (xv, wv, bv) = (x.as_vec(), conv.weight.as_vec(), conv.bias.as_vec());
            let eps = 1e-3;
            let check = |analytic: Vec<f32>, values: &[f32], which: usize| {
                let step = (values.len() / 40).max(1);
                for i in (0..values.len()).step_by(step) {
                    let mut plus = values.to_vec();
                    plus[i] += eps;
                    let mut minus = values.to_vec();
                    minus[i] -= eps;
                    let f = |v: &[f32]| match which {
                        0 => loss(v, &wv, &bv),
                        1 => loss(&xv, v, &bv),
                        _ => loss(&xv, &wv, v),
                    };
                    let numeric = (f(&plus) - f(&minus)) / (2.0 * eps as f64);
                    let diff = (numeric - analytic[i] as f64).abs() / (1.0 + numeric.abs());
                    assert!(
                        diff < 2e-2,
                        "gradient {which}[{i}]: numeric {numeric} analytic {}",
                        analytic[i]
                    );
                }
            };
            check(grads.get(&x).as_vec(), &xv, 0);
            check(grads.get(&conv.weight).as_vec(), &wv, 1);
            check(grads.get(&conv.bias).as_vec(), &bv, 2);
            let _ = weighted_sum;
        }
    };
}

conv_case!(conv_k5_s2_same_even, 2, 3, 5, 2, Same, true, 8, 4);
conv_case!(conv_k5_s2_same_lecture_28, 1, 2, 5, 2, Same, true, 28, 14);
conv_case!(conv_k3_s2_same_odd, 3, 2, 3, 2, Same, true, 7, 4);
conv_case!(conv_k5_s1_same, 2, 3, 5, 1, Same, true, 7, 7);
conv_case!(conv_k3_s1_valid, 2, 4, 3, 1, Valid, false, 6, 4);
conv_case!(conv_k3_s2_valid, 2, 2, 3, 2, Valid, false, 9, 4);
// Large filter banks (more than 4,096 weights): one batch-wide im2col + GEMM instead of per image.
conv_case!(conv_large_bank_batch_gemm_same, 16, 32, 5, 1, Same, true, 6, 6);
conv_case!(conv_large_bank_batch_gemm_strided, 16, 32, 5, 2, Same, true, 7, 4);
// One filter, stride 1: the direct kernels (the autoencoder's output layer is 16 -> 1 at 28x28).
conv_case!(conv_one_filter_direct_same, 4, 1, 3, 1, Same, true, 9, 9);
conv_case!(conv_one_filter_direct_valid, 3, 1, 3, 1, Valid, false, 8, 6);

#[test]
fn frozen_conv_passes_input_gradients_but_not_weight_gradients() {
    use genlab::layers::FrozenForward;
    let dev = dev();
    let mut conv = dev.build_module::<Conv2d<2, 3, 3, 1, Same, 6>, f32>();
    let x = random_image::<2, 6>(&dev, 2, 1);
    let normal = conv.forward(x.leaky_trace()).square().sum().backward();
    let mut with_weight_slot = Gradients::leaky();
    with_weight_slot.try_alloc_for(&conv.weight).unwrap();
    let frozen = conv.forward_frozen(x.trace(with_weight_slot)).unwrap().square().sum().backward();
    assert_eq!(normal.get(&x).as_vec(), frozen.get(&x).as_vec());
    assert!(
        frozen.get(&conv.weight).as_vec().iter().all(|g| *g == 0.0),
        "frozen weights got gradients"
    );
    assert!(normal.get(&conv.weight).as_vec().iter().any(|g| *g != 0.0));
}

#[test]
fn max_pool_matches_reference_and_routes_gradients_to_the_max() {
    let dev = dev();
    // odd size: Keras 'same' pooling keeps the cut-short last window
    let x = random_image::<2, 7>(&dev, 2, 5);
    let y = MaxPool2d::<4>.forward(x.clone()).as_vec();
    let xv = x.as_vec();
    let mut want = Vec::new();
    for plane in 0..4 {
        for oy in 0..4 {
            for ox in 0..4 {
                let mut m = f64::NEG_INFINITY;
                for iy in 2 * oy..(2 * oy + 2).min(7) {
                    for ix in 2 * ox..(2 * ox + 2).min(7) {
                        m = m.max(xv[plane * 49 + iy * 7 + ix] as f64);
                    }
                }
                want.push(m);
            }
        }
    }
    assert!(rel_err(&y, &want) <= 1e-7);
    let g = MaxPool2d::<4>.forward(x.leaky_trace()).sum().backward().get(&x).as_vec();
    assert_eq!(g.iter().filter(|v| **v == 1.0).count(), 4 * 16);
    assert_eq!(g.iter().filter(|v| **v != 0.0).count(), 4 * 16);
}

#[test]
fn dense_matches_reference_and_is_glorot_initialised() {
    let dev = dev();
    let mut dense = dev.build_module::<Dense<50, 30>, f32>();
    assert!(dense.bias.as_vec().iter().all(|b| *b == 0.0));
    let limit = (6.0f32 / 80.0).sqrt();
    let w = dense.weight.as_vec();
    assert!(w.iter().all(|v| v.abs() <= limit) && w.iter().any(|v| v.abs() > 0.8 * limit));
    dense.bias = dev.sample_normal();
    let x: Tensor<(usize, Const<50>), f32, Cpu> = dev.sample_normal_like(&(4, Const));
    let y = dense.forward(x.clone()).as_vec();
    let (xv, bv) = (x.as_vec(), dense.bias.as_vec());
    let want: Vec<f64> = (0..4)
        .flat_map(|n| {
            let (xv, w, bv) = (&xv, &w, &bv);
            (0..30).map(move |o| bv[o] as f64 + (0..50).map(|i| xv[n * 50 + i] as f64 * w[i * 30 + o] as f64).sum::<f64>())
        })
        .collect();
    assert!(rel_err(&y, &want) <= 1e-5);
}

#[test]
fn upsampling_repeats_pixels() {
    let dev = dev();
    let x: Img<1, 2> = dev.tensor_from_vec(vec![1.0, 2.0, 3.0, 4.0], (1, Const, Const, Const));
    let y = UpSampling2D::<4>.forward(x).into_tensor().unwrap().as_vec();
    assert_eq!(y, vec![1., 1., 2., 2., 1., 1., 2., 2., 3., 3., 4., 4., 3., 3., 4., 4.]);
}

#[test]
fn flatten_and_reshape_are_inverse() {
    let dev = dev();
    let x = random_image::<3, 4>(&dev, 2, 9);
    let flat: Tensor<(usize, Const<48>), f32, Cpu> = Flatten::<48>.forward(x.clone());
    let back: Img<3, 4> = Reshape::<3, 4, 4>.forward(flat);
    assert_eq!(back.as_vec(), x.as_vec());
}

#[test]
fn leaky_relu_uses_the_lectures_slope() {
    let dev = dev();
    let x: Tensor<(usize, Const<4>), f32, Cpu> = dev.tensor_from_vec(vec![-2.0, -0.5, 0.0, 3.0], (1, Const));
    let y = LeakyRelu::<20>.forward(x.clone()).as_vec();
    assert_eq!(y, vec![-0.4, -0.1, 0.0, 3.0]);
    // d/dx sum(y * w): the slope on the negative side (and at 0, as TensorFlow), 1 on the positive.
    let w = dev.tensor_from_vec(vec![1.0, 2.0, 3.0, 4.0], (1, Const::<4>));
    let grads = (LeakyRelu::<20>.forward(x.leaky_trace()) * w).sum().backward();
    let g = grads.get(&x).as_vec();
    let want = [0.2, 0.4, 0.6, 4.0];
    assert!(g.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6), "{g:?}");
    // A tensor larger than one thread task, through a model-shaped input.
    let big: Tensor<(usize, Const<64>, Const<14>, Const<14>), f32, Cpu> = dev.sample_normal_like(&(9, Const, Const, Const));
    let got = LeakyRelu::<20>.forward(big.clone()).as_vec();
    let want: Vec<f32> = big.as_vec().iter().map(|&v| if v > 0.0 { v } else { 0.2 * v }).collect();
    assert_eq!(got, want);
}

#[test]
fn relu_is_max_x_0_with_a_zero_gradient_at_and_below_0() {
    let dev = dev();
    let x: Tensor<(usize, Const<4>), f32, Cpu> = dev.tensor_from_vec(vec![-2.0, -0.0, 0.0, 3.0], (1, Const));
    let y = Relu.forward(x.clone()).as_vec();
    assert_eq!(
        y.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        [0.0f32, 0.0, 0.0, 3.0].map(f32::to_bits)
    );
    let w = dev.tensor_from_vec(vec![1.0, 2.0, 3.0, 4.0], (1, Const::<4>));
    let grads = (Relu.forward(x.leaky_trace()) * w).sum().backward();
    assert_eq!(grads.get(&x).as_vec(), vec![0.0, 0.0, 0.0, 4.0]);
}

#[test]
fn dropout_drops_at_its_rate_only_in_training_and_repeats_under_a_seed() {
    let dev = dev();
    // 40,000 inputs: several chunks of the mask, each with its own generator.
    let x: Tensor<(usize, Const<1000>), f32, Cpu> = dev.ones_like(&(40, Const));
    let mut d = Dropout::<30>::default();
    assert_eq!(d.forward(x.clone()).as_vec(), x.as_vec(), "inference must be the identity");
    d.reseed(5);
    let a = d.forward_mut(x.clone().traced(Gradients::leaky())).as_vec();
    let zeros = a.iter().filter(|v| **v == 0.0).count() as f64 / a.len() as f64;
    assert!((zeros - 0.3).abs() < 0.03, "dropped share {zeros}");
    assert!(a.iter().all(|v| *v == 0.0 || (*v - 1.0 / 0.7).abs() < 1e-6));
    d.reseed(5);
    let b = d.forward_mut(x.clone().traced(Gradients::leaky())).as_vec();
    assert_eq!(a, b, "same seed, same mask");
    let c = d.forward_mut(x.clone().traced(Gradients::leaky())).as_vec();
    assert_ne!(a, c, "a second call draws a new mask");
    d.reseed(5);
    let grads = d.forward_mut(x.leaky_trace()).sum().backward();
    assert_eq!(
        grads.get(&x).as_vec(),
        a,
        "the gradient of a kept input is the keep scale, of a dropped one 0"
    );
}

#[test]
fn upsampling_gradient_sums_the_four_copies() {
    let dev = dev();
    let x = random_image::<2, 3>(&dev, 2, 4);
    let w = random_image::<2, 6>(&dev, 2, 8);
    let grads = (UpSampling2D::<6>.forward(x.leaky_trace()).into_tensor().unwrap() * w.clone())
        .sum()
        .backward();
    let (g, wv) = (grads.get(&x).as_vec(), w.as_vec());
    for plane in 0..4 {
        for y in 0..3 {
            for x in 0..3 {
                let at = |dy: usize, dx: usize| wv[plane * 36 + (2 * y + dy) * 6 + 2 * x + dx] as f64;
                let want = at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1);
                assert!((g[plane * 9 + y * 3 + x] as f64 - want).abs() < 1e-5);
            }
        }
    }
}

macro_rules! upconv_case {
    ($name:ident, $c:literal, $f:literal, $k:literal, $h:literal, $o:literal) => {
        #[test]
        fn $name() {
            use genlab::layers::UpSampleConv2d;
            let dev = dev();
            let mut fused = dev.build_module::<UpSampleConv2d<$c, $f, $k, $o>, f32>();
            fused.conv.bias = dev.sample_normal();
            let plain = fused.conv.clone();
            let x = random_image::<$c, $h>(&dev, 3, 11);
            let r = random_image::<$f, $o>(&dev, 3, 12);
            // The reference upsamples first (a tensor 4x the size), then convolves.
            let reference = plain.forward(UpSampling2D::<$o>.forward(x.clone()).into_tensor().unwrap());
            let got = fused.forward(x.clone());
            let want: Vec<f64> = reference.as_vec().iter().map(|v| *v as f64).collect();
            assert!(rel_err(&got.as_vec(), &want) <= 1e-5, "forward");
            let g_ref = (plain.forward(UpSampling2D::<$o>.forward(x.leaky_trace()).into_tensor().unwrap()) * r.clone())
                .sum()
                .backward();
            let g_got = (fused.forward(x.leaky_trace()) * r.clone()).sum().backward();
            // Written as the lecture writes it, `UpSampling2D` then the 'same' convolution, it
            // is the fused layer, bit for bit.
            let lectures = plain.forward(UpSampling2D::<$o>.forward(x.clone()));
            assert_eq!(lectures.as_vec(), got.as_vec(), "two lines, forward");
            let g_lectures = (plain.forward(UpSampling2D::<$o>.forward(x.leaky_trace())) * r.clone())
                .sum()
                .backward();
            assert_eq!(
                g_lectures.get(&x).as_vec(),
                g_got.get(&x).as_vec(),
                "two lines, input gradient"
            );
            assert_eq!(
                g_lectures.get(&plain.weight).as_vec(),
                g_got.get(&fused.conv.weight).as_vec(),
                "two lines, weight gradient"
            );
            assert_eq!(
                g_lectures.get(&plain.bias).as_vec(),
                g_got.get(&fused.conv.bias).as_vec(),
                "two lines, bias gradient"
            );
            let as64 = |v: Vec<f32>| v.into_iter().map(|v| v as f64).collect::<Vec<_>>();
            assert!(
                rel_err(&g_got.get(&x).as_vec(), &as64(g_ref.get(&x).as_vec())) <= 1e-5,
                "input gradient"
            );
            assert!(
                rel_err(
                    &g_got.get(&fused.conv.weight).as_vec(),
                    &as64(g_ref.get(&plain.weight).as_vec())
                ) <= 1e-5,
                "weight gradient"
            );
            assert!(
                rel_err(&g_got.get(&fused.conv.bias).as_vec(), &as64(g_ref.get(&plain.bias).as_vec())) <= 1e-5,
                "bias gradient"
            );
        }
    };
}

upconv_case!(upsample_conv_k5_equals_upsampling_then_conv, 3, 4, 5, 7, 14);
upconv_case!(upsample_conv_k3_equals_upsampling_then_conv, 2, 3, 3, 5, 10);
upconv_case!(upsample_conv_lecture_last_layer, 4, 1, 5, 14, 28);
// More than 4,096 phase weights: the batch-wide GEMM path (the generator's first such layer).
upconv_case!(upsample_conv_large_bank_batch_gemm, 32, 16, 5, 4, 8);

/// A layer with a fused rectifier (`Relu`, `LeakyRelu<20>`) computes what the same layer followed
/// by that rectifier as a layer computes, forward and backward (the gradient behind the rectifier
/// is gated where the output was cut).
macro_rules! fused_relu_case {
    ($name:ident, $act:expr, $fused:ty, $plain:ty, $c:literal, $h:literal $(; $inner:ident)?) => {
        #[test]
        fn $name() {
            let dev = dev();
            let mut fused = dev.build_module::<$fused, f32>();
            fused$(.$inner)?.bias = dev.sample_normal();
            let mut plain = dev.build_module::<$plain, f32>();
            plain$(.$inner)?.weight = fused$(.$inner)?.weight.clone();
            plain$(.$inner)?.bias = fused$(.$inner)?.bias.clone();
            let x = random_image::<$c, $h>(&dev, 5, 21);
            let reference = $act.forward(plain.forward(x.clone()));
            let got = fused.forward(x.clone());
            assert_eq!(got.as_vec(), reference.as_vec(), "forward");
            let cut = reference.as_vec().iter().filter(|v| **v <= 0.0).count();
            assert!(cut > 0 && cut < reference.as_vec().len(), "the test must cut some outputs and keep others");
            let r = dev.sample_normal_like(reference.shape());
            let g_ref = ($act.forward(plain.forward(x.leaky_trace())) * r.clone()).sum().backward();
            let g_got = (fused.forward(x.leaky_trace()) * r).sum().backward();
            let as64 = |v: Vec<f32>| v.into_iter().map(|v| v as f64).collect::<Vec<_>>();
            for (what, got, want) in [
                ("input", g_got.get(&x).as_vec(), g_ref.get(&x).as_vec()),
                ("weight", g_got.get(&fused$(.$inner)?.weight).as_vec(), g_ref.get(&plain$(.$inner)?.weight).as_vec()),
                ("bias", g_got.get(&fused$(.$inner)?.bias).as_vec(), g_ref.get(&plain$(.$inner)?.bias).as_vec()),
            ] {
                assert!(rel_err(&got, &as64(want)) <= 1e-6, "{what} gradient");
            }
        }
    };
}
// Per-task kernels (the autoencoder's layers), the batch-wide GEMM, the direct single-filter
// kernels, and the fused upsampling convolution.
fused_relu_case!(fused_relu_per_image_conv, Relu, Conv2d<3, 4, 3, 1, Same, 9, Relu>, Conv2d<3, 4, 3, 1, Same, 9>, 3, 9);
fused_relu_case!(fused_relu_strided_valid_conv, Relu, Conv2d<3, 4, 3, 2, Valid, 4, Relu>, Conv2d<3, 4, 3, 2, Valid, 4>, 3, 9);
fused_relu_case!(fused_relu_batch_gemm_conv, Relu, Conv2d<16, 32, 5, 1, Same, 6, Relu>, Conv2d<16, 32, 5, 1, Same, 6>, 16, 6);
fused_relu_case!(fused_relu_direct_conv, Relu, Conv2d<4, 1, 3, 1, Same, 9, Relu>, Conv2d<4, 1, 3, 1, Same, 9>, 4, 9);
fused_relu_case!(
    fused_relu_upsample_conv,
    Relu,
    genlab::layers::UpSampleConv2d<3, 4, 3, 10, Relu>,
    genlab::layers::UpSampleConv2d<3, 4, 3, 10>,
    3,
    5;
    conv
);
// The discriminator's strided convolutions with their fused LeakyReLU(0.2), per task and batch-wide.
fused_relu_case!(fused_leaky_relu_strided_conv, LeakyRelu::<20>, Conv2d<2, 4, 5, 2, Same, 4, LeakyRelu<20>>, Conv2d<2, 4, 5, 2, Same, 4>, 2, 8);
fused_relu_case!(
    fused_leaky_relu_batch_gemm_conv,
    LeakyRelu::<20>,
    Conv2d<16, 32, 5, 2, Same, 4, LeakyRelu<20>>,
    Conv2d<16, 32, 5, 2, Same, 4>,
    16,
    7
);
