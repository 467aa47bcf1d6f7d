//! 2-D convolution with Keras padding, typed by its output size.

use super::activation::{gate_in_place, rectify_in_place, ConvActivation, Linear};
use super::direct_conv::{direct_forward, direct_input_grad, direct_param_grads, prefers_direct};
use super::image_conv::{image_backward, image_forward, prefers_per_image};
use super::init::glorot_uniform;
use super::kernels::{
    conv_bias_grad, conv_forward, conv_input_grad, conv_weight_grad, give_back, grad_by_channel, take_scratch, zeroed, ConvGeometry,
};
use super::padding::{output_size, padding_before, Padding};
use dfdx::nn::modules::{Module, ModuleVisitor, NonMutableModule, TensorCollection};
use dfdx::nn::tensor_collection::TensorOptions;
use dfdx::nn::BuildOnDevice;
use dfdx::prelude::*;
use std::marker::PhantomData;

/// Square 2-D convolution over `(batch, IN, H, H)` images, giving `(batch, FILTERS, OUT, OUT)`.
///
/// Generics: `IN` input channels, `FILTERS` output channels, `K` kernel size, `STRIDE`,
/// `P` padding ([`Same`](super::Same) or [`Valid`](super::Valid)), `OUT` the output size and
/// `A` the activation applied to the output ([`Linear`](super::Linear), the default, or
/// [`Relu`](super::Relu), fused into the layer's own passes). `OUT` is checked against the Keras formula when the layer is used, so a wrong size (or a
/// wrong channel count from the previous layer) is a compile error, not a run-time one.
/// Weights are glorot_uniform, biases zero, as Keras initialises them.
///
/// Keras equivalent: `Conv2D(FILTERS, kernel_size=K, strides=STRIDE, padding=P, activation=A)`.
/// PyTorch equivalent: `nn.Conv2d(IN, FILTERS, K, STRIDE)` plus TF-style 'same' padding.
#[derive(Debug, Clone)]
pub struct Conv2d<
    const IN: usize,
    const FILTERS: usize,
    const K: usize,
    const STRIDE: usize,
    P: Padding,
    const OUT: usize,
    A: ConvActivation = Linear,
    E: Dtype = f32,
    D: Storage<E> = Cpu,
> {
    /// Kernel, `(FILTERS, IN, K, K)`.
    pub weight: Tensor<Rank4<FILTERS, IN, K, K>, E, D>,
    /// Bias, one per filter.
    pub bias: Tensor<Rank1<FILTERS>, E, D>,
    padding: PhantomData<(P, A)>,
}

impl<const I: usize, const F: usize, const K: usize, const S: usize, P: Padding, const O: usize, A: ConvActivation> BuildOnDevice<Cpu, f32>
    for Conv2d<I, F, K, S, P, O, A, f32, Cpu>
{
    type Built = Self;
}

impl<
        const I: usize,
        const F: usize,
        const K: usize,
        const S: usize,
        P: Padding,
        const O: usize,
        A: ConvActivation,
        E: Dtype,
        D: Storage<E>,
    > NonMutableModule for Conv2d<I, F, K, S, P, O, A, E, D>
{
}

impl<const I: usize, const F: usize, const K: usize, const S: usize, P: Padding, const O: usize, A: ConvActivation, E, D>
    TensorCollection<E, D> for Conv2d<I, F, K, S, P, O, A, E, D>
where
    E: Dtype + num_traits::Float + rand_distr::uniform::SampleUniform,
    D: Device<E>,
{
    type To<E2: Dtype, D2: Device<E2>> = Conv2d<I, F, K, S, P, O, A, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(visitor: &mut V) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::tensor(
                    "weight",
                    |s| &s.weight,
                    |s| &mut s.weight,
                    TensorOptions::reset_with(|t| glorot_uniform(t, I * K * K, F * K * K)),
                ),
                Self::tensor("bias", |s| &s.bias, |s| &mut s.bias, TensorOptions::reset_to_zeros()),
            ),
            |(weight, bias)| Conv2d {
                weight,
                bias,
                padding: PhantomData,
            },
        )
    }
}

impl<const I: usize, const F: usize, const K: usize, const S: usize, P: Padding, const O: usize, A: ConvActivation>
    Conv2d<I, F, K, S, P, O, A, f32, Cpu>
{
    /// The convolution, optionally without parameter gradients (a frozen layer still passes
    /// gradients to its input).
    pub(crate) fn apply<B: Dim, const H: usize, T: Tape<f32, Cpu>>(
        &self,
        x: Tensor<(B, Const<I>, Const<H>, Const<H>), f32, Cpu, T>,
        param_grads: bool,
    ) -> Result<Tensor<(B, Const<F>, Const<O>, Const<O>), f32, Cpu, T>, CpuError> {
        const {
            assert!(
                O == output_size(H, K, S, P::SAME),
                "Conv2d: the declared output size OUT does not match the Keras formula for this input size, kernel, stride and padding"
            )
        };
        let geometry = ConvGeometry {
            batch: x.shape().0.size(),
            c_in: I,
            c_out: F,
            size: H,
            kernel: K,
            stride: S,
            pad: const { padding_before(H, K, S, P::SAME) },
            out: O,
        };
        let (x, mut tape) = x.split_tape();
        let dev = x.device().clone();
        let batch = x.shape().0;
        let mut xs = take_scratch(batch.size() * I * H * H);
        x.copy_into(&mut xs);
        let mut ws = take_scratch(F * I * K * K);
        self.weight.copy_into(&mut ws);
        let bs = self.bias.as_vec();
        let mut out = zeroed(batch.size() * F * O * O);
        let (x_id, w_id, b_id) = (x.ghost(), self.weight.ghost(), self.bias.ghost());
        let path = if prefers_direct(&geometry) {
            Path::Direct
        } else if prefers_per_image(&geometry) {
            Path::PerImage
        } else {
            Path::Batched
        };
        // The batch-wide path keeps its column matrix for the backward pass, the others the input.
        let mut cols = Vec::new();
        let mut positive = None;
        match path {
            Path::Direct => direct_forward(&xs, &ws, &bs, &mut out, &geometry),
            Path::PerImage => {
                positive = A::SLOPE.map(|_| zeroed::<u8>(out.len()));
                image_forward(&xs, &ws, &bs, &mut out, A::SLOPE.zip(positive.as_deref_mut()), &geometry);
            }
            Path::Batched => {
                cols = take_scratch(geometry.patch_len() * geometry.columns());
                conv_forward(&xs, &ws, &bs, &mut cols, &mut out, &geometry);
            }
        }
        // The per-task kernels rectify in their own output pass; the others in a pass of its own.
        if path != Path::PerImage {
            positive = A::SLOPE.map(|slope| rectify_in_place(&mut out, slope));
        }
        let out = dev.tensor_from_vec(out, (batch, Const::<F>, Const::<O>, Const::<O>));
        let xs = if T::OWNS_TAPE && path != Path::Batched {
            xs
        } else {
            give_back(xs);
            Vec::new()
        };
        if !T::OWNS_TAPE {
            give_back(cols);
            give_back(ws);
            return Ok(out.put_tape(tape));
        }
        let out_id = out.ghost();
        tape.add_backward_op(move |grads| {
            // The output gradient, moved out of `grads` (and back below) rather than copied; with
            // a fused activation it becomes the gradient before the activation, in place (the
            // per-task kernels do that while regrouping it instead).
            let mut gout = std::mem::take(&mut **grads.get_or_alloc_mut(&out_id)?);
            if let (Some(slope), Some(positive), false) = (A::SLOPE, &positive, path == Path::PerImage) {
                gate_in_place(&mut gout, positive, slope);
            }
            let gx = grads.get_or_alloc_mut(&x_id)?;
            let params = match path {
                Path::Direct => {
                    direct_input_grad(&gout, &ws, gx, &geometry);
                    param_grads.then(|| {
                        let (mut gw, mut gb) = (vec![0.0; F * I * K * K], vec![0.0; F]);
                        direct_param_grads(&gout, &xs, &mut gw, &mut gb, &geometry);
                        (gw, gb)
                    })
                }
                Path::PerImage => image_backward(&gout, A::SLOPE.zip(positive.as_deref()), &xs, &ws, gx, param_grads, &geometry),
                Path::Batched => {
                    let gt = grad_by_channel(&gout, &geometry);
                    conv_input_grad(&gt, &ws, gx, &geometry);
                    let params = param_grads.then(|| {
                        let (mut gw, mut gb) = (vec![0.0; F * I * K * K], vec![0.0; F]);
                        conv_weight_grad(&gt, &cols, &mut gw, &geometry);
                        conv_bias_grad(&gt, &mut gb, &geometry);
                        (gw, gb)
                    });
                    give_back(gt);
                    params
                }
            };
            if let Some((gw, gb)) = params {
                add_into(grads.get_or_alloc_mut(&w_id)?, &gw);
                add_into(grads.get_or_alloc_mut(&b_id)?, &gb);
            }
            **grads.get_or_alloc_mut(&out_id)? = gout;
            give_back(xs);
            give_back(ws);
            give_back(cols);
            Ok(())
        });
        Ok(out.put_tape(tape))
    }
}

/// Which kernels a convolution runs on (chosen from its geometry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// Direct stride-1 kernels, for single-filter layers.
    Direct,
    /// im2col + GEMM on tasks of a few images, for small filter banks.
    PerImage,
    /// One batch-wide im2col + GEMM, for large filter banks.
    Batched,
}

/// `dst += src`, element by element.
fn add_into(dst: &mut [f32], src: &[f32]) {
    for (d, v) in dst.iter_mut().zip(src) {
        *d += v;
    }
}

impl<B: Dim, const I: usize, const F: usize, const K: usize, const S: usize, P: Padding, const H: usize, const O: usize, A, T>
    Module<Tensor<(B, Const<I>, Const<H>, Const<H>), f32, Cpu, T>> for Conv2d<I, F, K, S, P, O, A, f32, Cpu>
where
    A: ConvActivation,
    T: Tape<f32, Cpu>,
{
    type Output = Tensor<(B, Const<F>, Const<O>, Const<O>), f32, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Const<I>, Const<H>, Const<H>), f32, Cpu, T>) -> Result<Self::Output, CpuError> {
        self.apply(x, true)
    }
}
