//! Nearest-neighbour 2x upsampling, upsampled where it is used: a 'same' convolution after it
//! runs on the small image.

use super::conv2d::Conv2d;
use super::padding::Padding;
use super::rectifier::ConvActivation;
use super::{BatchNorm, LeakyRelu, MaxPool2d, Relu};
use crate::ops::conv2d::{upsample_conv2d, UpConvTaps};
use crate::ops::upsampling::upsample2x;
use dfdx::nn::modules::{Module, ModuleMut, NonMutableModule, ZeroSizedModule};
use dfdx::prelude::*;

/// Repeats every pixel twice along both axes: `(batch, C, H, H)` to `(batch, C, OUT, OUT)` with
/// `OUT == 2 * H` checked at compile time.
///
/// Its output is an [`Upsampled`] image: the small image, upsampled where it is used. A
/// stride-1 'same' [`Conv2d`] after it computes `UpSampling2D()` + `Conv2D(.., padding='same')`
/// on the small image, with the convolution's own weights (every output pixel of a phase
/// `(row % 2, col % 2)` sees a 3x3 neighbourhood of summed taps: 9 instead of 25 multiply-adds
/// per input channel for a 5x5 kernel), so a model written line by line as the lecture writes
/// it runs as fast as [`UpSampleConv2d`](super::UpSampleConv2d). Any other layer after it gets
/// the upsampled tensor (one fast 2x pass; dfdx's general `Upscale2D` computes a floating-point
/// source index per output pixel).
///
/// Keras equivalent: `UpSampling2D()` (size 2, nearest). PyTorch: `nn.Upsample(scale_factor=2)`.
#[derive(Debug, Default, Clone, Copy)]
pub struct UpSampling2D<const OUT: usize>;

impl<const O: usize> ZeroSizedModule for UpSampling2D<O> {}
impl<const O: usize> NonMutableModule for UpSampling2D<O> {}

/// The output of [`UpSampling2D<OUT>`]: a `(batch, C, H, H)` image that stands for its 2x
/// upsampling `(batch, C, OUT, OUT)`, made only where a layer needs it
/// ([`into_tensor`](Upsampled::into_tensor)).
#[derive(Debug, Clone)]
pub struct Upsampled<B: Dim, const C: usize, const H: usize, const OUT: usize, T> {
    small: Tensor<(B, Const<C>, Const<H>, Const<H>), f32, Cpu, T>,
    shape: (B, Const<C>, Const<OUT>, Const<OUT>),
}

impl<B: Dim, const C: usize, const H: usize, const O: usize, T: Tape<f32, Cpu>> Upsampled<B, C, H, O, T> {
    /// The upsampled image as a tensor: every pixel repeated twice along both axes.
    pub fn into_tensor(self) -> Result<Tensor<(B, Const<C>, Const<O>, Const<O>), f32, Cpu, T>, CpuError> {
        let planes = self.shape.0.size() * C;
        upsample2x::<H, O, _, _, _>(self.small, planes, self.shape)
    }

    /// The image before upsampling.
    pub fn small(&self) -> &Tensor<(B, Const<C>, Const<H>, Const<H>), f32, Cpu, T> {
        &self.small
    }
}

/// The shape of the upsampled image (what a summary row shows).
impl<B: Dim, const C: usize, const H: usize, const O: usize, T> HasShape for Upsampled<B, C, H, O, T> {
    type WithShape<New: Shape> = New;
    type Shape = (B, Const<C>, Const<O>, Const<O>);
    fn shape(&self) -> &Self::Shape {
        &self.shape
    }
}

impl<B: Dim, const C: usize, const H: usize, const O: usize, T: Tape<f32, Cpu>>
    Module<Tensor<(B, Const<C>, Const<H>, Const<H>), f32, Cpu, T>> for UpSampling2D<O>
{
    type Output = Upsampled<B, C, H, O, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Const<C>, Const<H>, Const<H>), f32, Cpu, T>) -> Result<Self::Output, CpuError> {
        const { assert!(O == 2 * H, "UpSampling2D<OUT>: OUT must be twice the input size") };
        let shape = (x.shape().0, Const, Const, Const);
        Ok(Upsampled { small: x, shape })
    }
}

/// A convolution after `UpSampling2D()`: a stride-1 'same' convolution with an odd kernel runs
/// on the small image (the values of [`UpSampleConv2d`](super::UpSampleConv2d), bit for bit);
/// any other convolution on the upsampled tensor.
impl<
        B: Dim,
        const I: usize,
        const F: usize,
        const K: usize,
        const S: usize,
        P: Padding,
        const H: usize,
        const U: usize,
        const O: usize,
        A,
        T,
    > Module<Upsampled<B, I, H, U, T>> for Conv2d<I, F, K, S, P, O, A, f32, Cpu>
where
    A: ConvActivation,
    T: Tape<f32, Cpu>,
{
    type Output = Tensor<(B, Const<F>, Const<O>, Const<O>), f32, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Upsampled<B, I, H, U, T>) -> Result<Self::Output, CpuError> {
        let batch = x.shape.0;
        // The layer's shape check (its output size against Keras' formula), at compile time.
        let _ = Self::geometry::<U>(batch.size());
        if S == 1 && P::SAME && K % 2 == 1 {
            let out_shape = (batch, Const::<F>, Const::<O>, Const::<O>);
            upsample_conv2d(
                x.small,
                (&self.weight, &self.bias),
                (batch.size(), I, H, F),
                UpConvTaps::new(K),
                out_shape,
                A::SLOPE,
            )
        } else {
            self.try_forward(x.into_tensor()?)
        }
    }
}

/// A layer that takes an upsampled image as the upsampled tensor, in both modes.
macro_rules! takes_upsampled_tensor {
    ([$($generics:tt)*], $ty:ty) => {
        impl<B: Dim, const C: usize, const H: usize, const U: usize, T: Tape<f32, Cpu>, $($generics)*> Module<Upsampled<B, C, H, U, T>> for $ty
        where
            $ty: Module<Tensor<(B, Const<C>, Const<U>, Const<U>), f32, Cpu, T>, Error = CpuError>,
        {
            type Output = <$ty as Module<Tensor<(B, Const<C>, Const<U>, Const<U>), f32, Cpu, T>>>::Output;
            type Error = CpuError;
            fn try_forward(&self, x: Upsampled<B, C, H, U, T>) -> Result<Self::Output, CpuError> {
                self.try_forward(x.into_tensor()?)
            }
        }
    };
}
takes_upsampled_tensor!([const P: usize], LeakyRelu<P>);
takes_upsampled_tensor!([], Relu);
takes_upsampled_tensor!([const PO: usize], MaxPool2d<PO>);
takes_upsampled_tensor!([const O: usize], UpSampling2D<O>);

/// BatchNormalization after `UpSampling2D()`: inference and training mode on the upsampled tensor.
impl<B: Dim, const C: usize, const H: usize, const U: usize> Module<Upsampled<B, C, H, U, NoneTape>> for BatchNorm<C> {
    type Output = Tensor<(B, Const<C>, Const<U>, Const<U>), f32, Cpu>;
    type Error = CpuError;
    fn try_forward(&self, x: Upsampled<B, C, H, U, NoneTape>) -> Result<Self::Output, CpuError> {
        self.try_forward(x.into_tensor()?)
    }
}

impl<B: Dim, const C: usize, const H: usize, const U: usize> ModuleMut<Upsampled<B, C, H, U, OwnedTape<f32, Cpu>>> for BatchNorm<C> {
    type Output = Tensor<(B, Const<C>, Const<U>, Const<U>), f32, Cpu, OwnedTape<f32, Cpu>>;
    type Error = CpuError;
    fn try_forward_mut(&mut self, x: Upsampled<B, C, H, U, OwnedTape<f32, Cpu>>) -> Result<Self::Output, CpuError> {
        self.try_forward_mut(x.into_tensor()?)
    }
}
