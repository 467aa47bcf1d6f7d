//! `UpSampling2D()` followed by a 'same' convolution, computed on the small image.

use super::conv2d::Conv2d;
use super::padding::Same;
use super::rectifier::{ConvActivation, Linear};
use crate::ops::conv2d::{upsample_conv2d, UpConvTaps};
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
        let batch = x.shape().0;
        let out_shape = (batch, Const::<F>, Const::<O>, Const::<O>);
        let taps = const { UpConvTaps::new(K) };
        let conv = &self.conv;
        upsample_conv2d(x, (&conv.weight, &conv.bias), (batch.size(), I, H, F), taps, out_shape, A::SLOPE)
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
        rows.push(LayerRow::new("up_sampling2d", "UpSampling2D", vec![I, O, O], 0, 0));
        rows.push(LayerRow::new("conv2d", "Conv2D", vec![F, O, O], trainable, non_trainable));
        if let Some((class, name)) = A::ROW {
            rows.push(LayerRow::new(name, class, vec![F, O, O], 0, 0));
        }
        y
    }
}

impl<const I: usize, const F: usize, const K: usize, const O: usize, A: ConvActivation> super::Reseed for UpSampleConv2d<I, F, K, O, A> {
    fn reseed(&mut self, _seed: u64) {}
}

impl<const I: usize, const F: usize, const K: usize, const O: usize, A: ConvActivation> super::BatchNormMomenta
    for UpSampleConv2d<I, F, K, O, A>
{
    fn each_momentum(&mut self, _f: &mut dyn FnMut(&mut f64)) {}
}
