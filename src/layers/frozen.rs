//! Forward passes through a frozen model: gradients reach the input, not the weights.

use super::{Activation, Conv2d, ConvActivation, Dense, Dropout, Flatten, LeakyRelu, MaxPool2d, Padding, Relu};
use dfdx::nn::modules::{Module, ModuleMut};
use dfdx::prelude::*;

/// A training-mode forward pass that leaves the layer's own parameters out of the backward pass.
///
/// This is what `discriminator.trainable = False` means in the lecture's combined `gan` model:
/// the generator's loss flows back through the discriminator to the generator, and the
/// discriminator's weights are neither updated nor (for its convolutions, nearly all of its
/// cost) even differentiated. Dropout stays active, as in Keras' `gan.train_on_batch`.
/// (The final `Dense` still records its small weight gradient, 6,273 numbers, which the
/// generator's optimiser never reads.)
///
/// Keras equivalent: calling a model with `trainable = False` inside a model being trained.
pub trait FrozenForward<X> {
    /// The output tensor type.
    type Output;
    /// Runs the layer (or every layer of a tuple) in training mode without parameter gradients.
    fn forward_frozen(&mut self, x: X) -> Result<Self::Output, CpuError>;
}

impl<
        B: Dim,
        const I: usize,
        const F: usize,
        const K: usize,
        const S: usize,
        P: Padding,
        const H: usize,
        const O: usize,
        A: ConvActivation,
    > FrozenForward<Tensor<(B, Const<I>, Const<H>, Const<H>), f32, Cpu, OwnedTape<f32, Cpu>>> for Conv2d<I, F, K, S, P, O, A>
{
    type Output = Tensor<(B, Const<F>, Const<O>, Const<O>), f32, Cpu, OwnedTape<f32, Cpu>>;
    fn forward_frozen(
        &mut self,
        x: Tensor<(B, Const<I>, Const<H>, Const<H>), f32, Cpu, OwnedTape<f32, Cpu>>,
    ) -> Result<Self::Output, CpuError> {
        self.apply(x, false)
    }
}

macro_rules! frozen_is_forward_mut {
    ([$($generics:tt)*], $ty:ty) => {
        impl<X, $($generics)*> FrozenForward<X> for $ty
        where
            $ty: ModuleMut<X, Error = CpuError>,
        {
            type Output = <$ty as ModuleMut<X>>::Output;
            fn forward_frozen(&mut self, x: X) -> Result<Self::Output, CpuError> {
                self.try_forward_mut(x)
            }
        }
    };
}
frozen_is_forward_mut!([const P: usize], LeakyRelu<P>);
frozen_is_forward_mut!([A], Activation<A>);
frozen_is_forward_mut!([const R: usize], Dropout<R>);
frozen_is_forward_mut!([const N: usize], Flatten<N>);
frozen_is_forward_mut!([const O: usize], MaxPool2d<O>);
frozen_is_forward_mut!([], Relu);

impl<X, const I: usize, const O: usize> FrozenForward<X> for Dense<I, O>
where
    Dense<I, O>: Module<X, Error = CpuError>,
{
    type Output = <Dense<I, O> as Module<X>>::Output;
    fn forward_frozen(&mut self, x: X) -> Result<Self::Output, CpuError> {
        self.try_forward(x)
    }
}

macro_rules! frozen_tuple {
    ($x:ident; $($idx:tt $layer:ident $input:ident $output:ident),+ => $last:ident) => {
        impl<$x, $($layer, $output),+> FrozenForward<$x> for ($($layer,)+)
        where
            $($layer: FrozenForward<$input, Output = $output>),+
        {
            type Output = $last;
            fn forward_frozen(&mut self, x: $x) -> Result<Self::Output, CpuError> {
                $(let x = self.$idx.forward_frozen(x)?;)+
                Ok(x)
            }
        }
    };
}
super::for_each_tuple!(frozen_tuple);
