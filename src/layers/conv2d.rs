//! 2-D convolution with Keras padding, typed by its output size.

use super::init::{glorot_uniform, glorot_weight_zero_bias};
use super::padding::{output_size, padding_before, Padding};
use super::rectifier::{ConvActivation, Linear};
use super::MaxPool2d;
use crate::ops::conv2d::{conv2d, conv2d_max_pool, fuses_max_pool, ConvGeometry};
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
    /// The layer's geometry for `batch` images of `H x H`, checked against the Keras formula at
    /// compile time.
    pub(super) fn geometry<const H: usize>(batch: usize) -> ConvGeometry {
        const {
            assert!(
                O == output_size(H, K, S, P::SAME),
                "Conv2d: the declared output size OUT does not match the Keras formula for this input size, kernel, stride and padding"
            )
        };
        ConvGeometry {
            batch,
            c_in: I,
            c_out: F,
            size: H,
            kernel: K,
            stride: S,
            pad: const { padding_before(H, K, S, P::SAME) },
            out: O,
        }
    }

    /// The convolution, optionally without parameter gradients (a frozen layer still passes
    /// gradients to its input).
    pub(crate) fn apply<B: Dim, const H: usize, T: Tape<f32, Cpu>>(
        &self,
        x: Tensor<(B, Const<I>, Const<H>, Const<H>), f32, Cpu, T>,
        param_grads: bool,
    ) -> Result<Tensor<(B, Const<F>, Const<O>, Const<O>), f32, Cpu, T>, CpuError> {
        let batch = x.shape().0;
        let out_shape = (batch, Const::<F>, Const::<O>, Const::<O>);
        conv2d(
            x,
            (&self.weight, &self.bias),
            Self::geometry::<H>(batch.size()),
            out_shape,
            A::SLOPE,
            param_grads,
        )
    }

    /// This convolution followed by `pool`, as one op where the convolution runs a few images
    /// per thread task (small filter banks, such as the autoencoder's): each task pools its
    /// output while it is in cache. The values and gradients are exactly those of
    /// `pool.try_forward(self.try_forward(x)?)`, which is what runs otherwise.
    ///
    /// Keras equivalent: `Conv2D(..)` followed by `MaxPooling2D(pool_size=2, padding='same')`.
    pub fn try_forward_max_pooled<B: Dim, const H: usize, const PO: usize, T: Tape<f32, Cpu>>(
        &self,
        x: Tensor<(B, Const<I>, Const<H>, Const<H>), f32, Cpu, T>,
        pool: &MaxPool2d<PO>,
    ) -> Result<Tensor<(B, Const<F>, Const<PO>, Const<PO>), f32, Cpu, T>, CpuError> {
        const { assert!(PO == O.div_ceil(2), "MaxPool2d<OUT>: OUT must be ceil(input size / 2)") };
        let batch = x.shape().0;
        let geometry = Self::geometry::<H>(batch.size());
        if !fuses_max_pool(&geometry) {
            return pool.try_forward(self.apply(x, true)?);
        }
        let out_shape = (batch, Const::<F>, Const::<PO>, Const::<PO>);
        conv2d_max_pool::<O, PO, _, _, _>(x, (&self.weight, &self.bias), geometry, out_shape, A::SLOPE)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::testing::{on_each_path, values};
    use crate::layers::{LeakyRelu, Relu, Same, Valid};
    use dfdx::nn::DeviceBuildExt;

    /// `try_forward_max_pooled` gives exactly (bit for bit) the values and the input, weight and
    /// bias gradients of the convolution followed by the pooling layer, under a weighted-sum loss.
    fn check<const I: usize, const F: usize, P: Padding, const H: usize, const O: usize, const PO: usize, A: ConvActivation>() {
        on_each_path(|| {
            let dev = Cpu::default();
            let mut conv = dev.build_module::<Conv2d<I, F, 3, 1, P, O, A>, f32>();
            conv.bias.copy_from(&values(F, 1));
            // Batch 6: one full task of four images and a short one.
            let x = dev.tensor_from_vec(values(6 * I * H * H, 2), (6, Const::<I>, Const::<H>, Const::<H>));
            let w = dev.tensor_from_vec(values(6 * F * PO * PO, 3), (6, Const::<F>, Const::<PO>, Const::<PO>));
            let pool = MaxPool2d::<PO>;
            let fused = conv.try_forward_max_pooled(x.leaky_trace(), &pool).unwrap();
            let apart = pool.forward(conv.forward(x.leaky_trace()));
            assert_eq!(fused.as_vec(), apart.as_vec());
            let fused_grads = (fused * w.clone()).sum().backward();
            let apart_grads = (apart * w).sum().backward();
            assert_eq!(fused_grads.get(&x).as_vec(), apart_grads.get(&x).as_vec());
            assert_eq!(fused_grads.get(&conv.weight).as_vec(), apart_grads.get(&conv.weight).as_vec());
            assert_eq!(fused_grads.get(&conv.bias).as_vec(), apart_grads.get(&conv.bias).as_vec());
        });
    }

    #[test]
    fn max_pooled_is_the_two_layers_autoencoder_first() {
        check::<1, 16, Same, 28, 28, 14, Relu>();
    }

    #[test]
    fn max_pooled_is_the_two_layers_autoencoder_second() {
        check::<16, 8, Same, 14, 14, 7, Relu>();
    }

    /// An odd output (windows cut short), a leaky rectifier, and no rectifier.
    #[test]
    fn max_pooled_is_the_two_layers_odd_leaky_linear() {
        check::<3, 4, Same, 7, 7, 4, LeakyRelu<20>>();
        check::<2, 5, Valid, 9, 7, 4, Linear>();
    }
}
