//! 2-D convolution with Keras padding, typed by its output size.

use super::init::{glorot_uniform, glorot_weight_zero_bias};
use super::padding::{output_size, padding_before, Padding};
use super::rectifier::{ConvActivation, Linear};
use crate::ops::conv2d::{conv2d, ConvGeometry};
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
/// [`Relu`](super::Relu), fused into the layer's own passes). `OUT` is checked against the Keras
/// formula when the layer is used, so a wrong size (or a wrong channel count from the previous
/// layer) is a compile error, not a run-time one. The kernels are chosen by the convolution
/// planner (`ops::conv2d`) from the layer's geometry.
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
        glorot_weight_zero_bias!(visitor, (I * K * K, F * K * K), |weight, bias| Conv2d {
            weight,
            bias,
            padding: PhantomData,
        })
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
        let batch = x.shape().0;
        let geometry = ConvGeometry {
            batch: batch.size(),
            c_in: I,
            c_out: F,
            size: H,
            kernel: K,
            stride: S,
            pad: const { padding_before(H, K, S, P::SAME) },
            out: O,
        };
        let out_shape = (batch, Const::<F>, Const::<O>, Const::<O>);
        conv2d(x, (&self.weight, &self.bias), geometry, out_shape, A::SLOPE, param_grads)
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
