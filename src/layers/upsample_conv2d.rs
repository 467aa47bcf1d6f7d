//! `UpSampling2D()` followed by a 'same' convolution, computed on the small image.

use super::activation::{gate_in_place, rectify_in_place, ConvActivation, Linear};
use super::conv2d::Conv2d;
use super::image_conv::{image_backward, image_forward, prefers_per_image};
use super::kernels::{
    conv_bias_grad, conv_input_grad, conv_weight_grad, gemm, give_back, im2col, interleave_phases, split_phases, take_scratch, zeroed,
    ConvGeometry, PhaseLayout, UpConvTaps,
};
use super::padding::Same;
use crate::summary::{param_counts, LayerRow, Summarize};
use dfdx::nn::modules::{Module, ModuleVisitor, NonMutableModule, TensorCollection};
use dfdx::nn::BuildOnDevice;
use dfdx::prelude::*;

/// Nearest-neighbour 2x upsampling followed by a stride-1 'same' convolution, as one layer:
/// `(batch, IN, H, H)` to `(batch, FILTERS, OUT, OUT)` with `OUT == 2 * H`.
///
/// It computes exactly what the two layers compute, but on the small image: every output pixel
/// of phase `(row % 2, col % 2)` depends on a 3x3 neighbourhood of the small image with summed
/// filter taps, so a 5x5 convolution costs 9 instead of 25 multiply-adds per input channel
/// (2.8x fewer). The weights are the 5x5 convolution's, `conv.weight`, so a summary, a
/// checkpoint or a figure sees the lecture's layer.
///
/// `A` is the convolution's activation ([`Linear`] by default), as in [`Conv2d`].
///
/// Keras equivalent: `UpSampling2D()` then `Conv2D(FILTERS, kernel_size=K, padding='same', activation=A)`.
#[derive(Debug, Clone)]
pub struct UpSampleConv2d<
    const IN: usize,
    const FILTERS: usize,
    const K: usize,
    const OUT: usize,
    A: ConvActivation = Linear,
    E: Dtype = f32,
    D: Storage<E> = Cpu,
> {
    /// The convolution applied to the upsampled image.
    pub conv: Conv2d<IN, FILTERS, K, 1, Same, OUT, A, E, D>,
}

impl<const I: usize, const F: usize, const K: usize, const O: usize, A: ConvActivation> BuildOnDevice<Cpu, f32>
    for UpSampleConv2d<I, F, K, O, A, f32, Cpu>
{
    type Built = Self;
}

impl<const I: usize, const F: usize, const K: usize, const O: usize, A: ConvActivation, E: Dtype, D: Storage<E>> NonMutableModule
    for UpSampleConv2d<I, F, K, O, A, E, D>
{
}

impl<const I: usize, const F: usize, const K: usize, const O: usize, A: ConvActivation, E, D> TensorCollection<E, D>
    for UpSampleConv2d<I, F, K, O, A, E, D>
where
    E: Dtype + num_traits::Float + rand_distr::uniform::SampleUniform,
    D: Device<E>,
{
    type To<E2: Dtype, D2: Device<E2>> = UpSampleConv2d<I, F, K, O, A, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(visitor: &mut V) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(Self::module("conv", |s| &s.conv, |s| &mut s.conv), |conv| UpSampleConv2d { conv })
    }
}

impl<B: Dim, const I: usize, const F: usize, const K: usize, const H: usize, const O: usize, A: ConvActivation, T: Tape<f32, Cpu>>
    Module<Tensor<(B, Const<I>, Const<H>, Const<H>), f32, Cpu, T>> for UpSampleConv2d<I, F, K, O, A, f32, Cpu>
{
    type Output = Tensor<(B, Const<F>, Const<O>, Const<O>), f32, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Const<I>, Const<H>, Const<H>), f32, Cpu, T>) -> Result<Self::Output, CpuError> {
        const {
            assert!(
                O == 2 * H && K % 2 == 1,
                "UpSampleConv2d: OUT must be twice the input size and K odd"
            )
        };
        let taps = const { UpConvTaps::new(K) };
        let batch = x.shape().0;
        let g = ConvGeometry {
            batch: batch.size(),
            c_in: I,
            c_out: 4 * F,
            size: H,
            kernel: taps.taps,
            stride: 1,
            pad: (-taps.lo) as usize,
            out: H,
        };
        let (ckk, n) = (g.patch_len(), g.columns());
        let (x, mut tape) = x.split_tape();
        let mut xs = take_scratch(batch.size() * I * H * H);
        x.copy_into(&mut xs);
        let mut w = take_scratch(F * I * K * K);
        self.conv.weight.copy_into(&mut w);
        let mut stacked = take_scratch(4 * F * ckk);
        taps.fold_weights(&w, F, I, &mut stacked);
        give_back(w);
        let mut by_phase = take_scratch(4 * F * n);
        // Small filter banks (the last layer's 4 x 576 weights) a few images at a time, in cache;
        // large ones as one batch-wide GEMM whose column matrix the backward pass reuses.
        let per_image = prefers_per_image(&g);
        let (layout, cols) = if per_image {
            image_forward(&xs, &stacked, &vec![0.0; 4 * F], &mut by_phase, None, &g);
            (PhaseLayout::ByImage, Vec::new())
        } else {
            let mut cols = take_scratch(ckk * n);
            im2col(&xs, &mut cols, &g);
            gemm((4 * F, n, ckk), &stacked, (ckk, 1), &cols, (n, 1), &mut by_phase, false);
            (PhaseLayout::ByChannel, cols)
        };
        let mut out = zeroed(batch.size() * F * O * O);
        interleave_phases(&by_phase, layout, &self.conv.bias.as_vec(), &mut out, batch.size(), F, H);
        give_back(by_phase);
        let positive = A::SLOPE.map(|slope| rectify_in_place(&mut out, slope));
        let out = x.device().tensor_from_vec(out, (batch, Const::<F>, Const::<O>, Const::<O>));
        // The per-task backward pass unfolds the input again; the batch-wide one keeps `cols`.
        let xs = if T::OWNS_TAPE && per_image {
            xs
        } else {
            give_back(xs);
            Vec::new()
        };
        if !T::OWNS_TAPE {
            give_back(cols);
            give_back(stacked);
            return Ok(out.put_tape(tape));
        }
        let (x_id, w_id, b_id, out_id) = (x.ghost(), self.conv.weight.ghost(), self.conv.bias.ghost(), out.ghost());
        tape.add_backward_op(move |grads| {
            let gt = {
                let gout = grads.get_or_alloc_mut(&out_id)?;
                // With a fused activation: the gradient before it, in place.
                if let (Some(slope), Some(positive)) = (A::SLOPE, &positive) {
                    gate_in_place(gout, positive, slope);
                }
                split_phases(gout, layout, g.batch, F, H)
            };
            let (g_stack, gb_phases) = if per_image {
                let grad = image_backward(&gt, None, &xs, &stacked, grads.get_or_alloc_mut(&x_id)?, true, &g);
                give_back(xs);
                grad.expect("image_backward returns parameter gradients when asked")
            } else {
                // `gt` is already grouped by (phase) channel: the plain convolution's kernels apply.
                let (mut g_stack, mut gb_phases) = (vec![0.0f32; 4 * F * ckk], vec![0.0f32; 4 * F]);
                conv_weight_grad(&gt, &cols, &mut g_stack, &g);
                conv_bias_grad(&gt, &mut gb_phases, &g);
                give_back(cols);
                conv_input_grad(&gt, &stacked, grads.get_or_alloc_mut(&x_id)?, &g);
                (g_stack, gb_phases)
            };
            let gb = grads.get_or_alloc_mut(&b_id)?;
            for (pf, v) in gb_phases.iter().enumerate() {
                gb[pf % F] += v;
            }
            taps.unfold_grad(&g_stack, F, I, grads.get_or_alloc_mut(&w_id)?);
            give_back(gt);
            give_back(stacked);
            Ok(())
        });
        Ok(out.put_tape(tape))
    }
}

/// Two summary rows, as Keras lists the two layers this one stands for.
impl<X, const I: usize, const F: usize, const K: usize, const O: usize, A: ConvActivation> Summarize<X> for UpSampleConv2d<I, F, K, O, A>
where
    Self: Module<X>,
    <Self as Module<X>>::Output: HasShape,
{
    type Output = <Self as Module<X>>::Output;
    fn summarize(&self, x: X, rows: &mut Vec<LayerRow>) -> Self::Output {
        let y = self.forward(x);
        let (trainable, non_trainable) = param_counts(self);
        let row = |name: &str, class: &str, shape: Vec<usize>, trainable, non_trainable| LayerRow {
            name: name.into(),
            class: class.into(),
            output_shape: shape,
            trainable,
            non_trainable,
        };
        rows.push(row("up_sampling2d", "UpSampling2D", vec![I, O, O], 0, 0));
        rows.push(row("conv2d", "Conv2D", vec![F, O, O], trainable, non_trainable));
        y
    }
}

impl<const I: usize, const F: usize, const K: usize, const O: usize, A: ConvActivation> super::Reseed for UpSampleConv2d<I, F, K, O, A> {
    fn reseed(&mut self, _seed: u64) {}
}
