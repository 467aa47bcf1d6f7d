//! Keras' `Activation(..)` layer: an activation written as a layer of its own, with its own
//! summary row, as opposed to the `activation=` argument of the layer before it.

use super::ConvActivation;
use dfdx::nn::modules::{Module, NonMutableModule, ZeroSizedModule};

/// The activation `A` as a layer of its own, listed in the summary as Keras lists
/// `Activation(LeakyReLU(0.2))`: a row `activation (Activation)`.
///
/// A bare activation type after a layer (`Dense<100, 6272>, LeakyRelu<20>`, or a convolution's
/// `Relu` type parameter) is that layer's `activation=` argument and has no row, as in Keras.
/// `Activation<A>` computes exactly what `A` computes; as a convolution's activation type
/// parameter (`Conv2d<.., Activation<LeakyRelu<20>>>`) it is the `Activation(..)` layer that
/// follows the convolution, computed inside the convolution's own passes, and keeps its row.
///
/// Keras equivalent: `Activation(LeakyReLU(0.2))`, `Activation('tanh')`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Activation<A>(pub A);

impl<A: Default> ZeroSizedModule for Activation<A> {}
impl<A> NonMutableModule for Activation<A> {}

impl<X, A: Module<X>> Module<X> for Activation<A> {
    type Output = A::Output;
    type Error = A::Error;

    fn try_forward(&self, x: X) -> Result<Self::Output, Self::Error> {
        self.0.try_forward(x)
    }
}

/// The `Activation(..)` layer after a convolution, fused into it: the same slope, and a row.
impl<A: ConvActivation> ConvActivation for Activation<A> {
    const SLOPE: Option<f32> = A::SLOPE;
    const ROW: Option<(&'static str, &'static str)> = Some(("Activation", "activation"));
}
