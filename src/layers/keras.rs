//! What every genlab layer tells about itself: its Keras class and how to reseed it.

use super::{
    Activation, BatchNorm, Conv2d, ConvActivation, Dense, Dropout, Flatten, LeakyRelu, MaxPool2d, Padding, Relu, Reshape, UpSampling2D,
};
use dfdx::nn::modules::{ReLU, Sigmoid, Tanh};
use dfdx::shapes::{Const, ConstDim};

/// A single layer (not a tuple of layers) with its Keras class name.
pub trait KerasLayer {
    /// The Keras class this layer replaces, e.g. `"Conv2D"`.
    const KERAS_CLASS: &'static str;
    /// The Keras default name stem, e.g. `"conv2d"` (Keras adds `_1`, `_2`, ... to repeats).
    const KERAS_NAME: &'static str;
    /// Whether the layer has a summary row of its own: `false` for a bare activation, which is
    /// the `activation=` argument of the layer before it (Keras lists no row for it).
    const OWN_ROW: bool = true;
    /// A second summary row `(Keras class, Keras name)` for a layer that stands for two of the
    /// lecture's lines (a convolution with its fused `Activation(LeakyReLU(0.2))`).
    const EXTRA_ROW: Option<(&'static str, &'static str)> = None;
    /// Whether the layer is an activation (`Activation(..)` or a bare one): it holds no state,
    /// and does not shift the seeds of the layers after it (see [`Reseed`]).
    const ACTIVATION: bool = false;
    /// Sets the seed of the layer's randomness (dropout masks); a no-op for deterministic layers.
    fn reseed_layer(&mut self, _seed: u64) {}
    /// The momentum of a BatchNormalization layer's running statistics; `None` for others.
    fn momentum_mut(&mut self) -> Option<&mut f64> {
        None
    }
}

/// Sets the seeds of every random layer in a model, each from `seed` and its position.
///
/// Trainers call this once per step with a seed derived from the run seed and the step number,
/// which makes a step's randomness independent of what ran before it.
///
/// A layer's position counts the layers before it in its tuple, activations left out: writing
/// an activation as a layer of its own (`Conv2d<..>, Activation<LeakyRelu<20>>`) or as the
/// previous layer's argument (`Conv2d<.., Activation<LeakyRelu<20>>>`) gives the same dropout
/// masks.
pub trait Reseed {
    /// Whether this layer takes a position of its own (activations do not).
    const POSITIONED: bool = true;
    /// Reseeds this layer, or every layer of this tuple.
    fn reseed(&mut self, seed: u64);
}

impl<L: KerasLayer> Reseed for L {
    const POSITIONED: bool = !L::ACTIVATION;
    fn reseed(&mut self, seed: u64) {
        self.reseed_layer(seed)
    }
}

macro_rules! reseed_tuple {
    ($x:ident; $($idx:tt $layer:ident $input:ident $output:ident),+ => $last:ident) => {
        impl<$($layer: Reseed),+> Reseed for ($($layer,)+) {
            fn reseed(&mut self, seed: u64) {
                let mut position = 0;
                $(
                    position += u64::from($layer::POSITIONED);
                    self.$idx.reseed(crate::rng::mix(seed, position));
                )+
            }
        }
    };
}
super::for_each_tuple!(reseed_tuple);

/// Visits the momentum of every BatchNormalization layer of a model, in order: what
/// recomputing its running statistics (standing statistics) sets and restores.
pub trait BatchNormMomenta {
    /// Calls `f` with each BatchNormalization layer's momentum.
    fn each_momentum(&mut self, f: &mut dyn FnMut(&mut f64));
}

impl<L: KerasLayer> BatchNormMomenta for L {
    fn each_momentum(&mut self, f: &mut dyn FnMut(&mut f64)) {
        if let Some(m) = self.momentum_mut() {
            f(m)
        }
    }
}

macro_rules! momenta_tuple {
    ($x:ident; $($idx:tt $layer:ident $input:ident $output:ident),+ => $last:ident) => {
        impl<$($layer: BatchNormMomenta),+> BatchNormMomenta for ($($layer,)+) {
            fn each_momentum(&mut self, f: &mut dyn FnMut(&mut f64)) {
                $(self.$idx.each_momentum(f);)+
            }
        }
    };
}
super::for_each_tuple!(momenta_tuple);

/// The width of the vectors a model takes: `IN` of a first [`Dense<IN, _>`](Dense) layer (the
/// generator's noise size, `input_dim=100` in the lecture).
pub trait VectorInput {
    /// `Const<IN>`.
    type Width: ConstDim;
}

impl<const I: usize, const O: usize> VectorInput for Dense<I, O> {
    type Width = Const<I>;
}

macro_rules! vector_input_tuple {
    ($x:ident; $first_idx:tt $first:ident $first_in:ident $first_out:ident $(, $idx:tt $layer:ident $input:ident $output:ident)* => $last:ident) => {
        impl<$first: VectorInput $(, $layer)*> VectorInput for ($first, $($layer,)*) {
            type Width = $first::Width;
        }
    };
}
super::for_each_tuple!(vector_input_tuple);

macro_rules! keras_layer {
    ($class:literal, $name:literal, [$($generics:tt)*], $ty:ty) => {
        impl<$($generics)*> KerasLayer for $ty {
            const KERAS_CLASS: &'static str = $class;
            const KERAS_NAME: &'static str = $name;
        }
    };
}

impl<const I: usize, const F: usize, const K: usize, const S: usize, P: Padding, const O: usize, A: ConvActivation> KerasLayer
    for Conv2d<I, F, K, S, P, O, A>
{
    const KERAS_CLASS: &'static str = "Conv2D";
    const KERAS_NAME: &'static str = "conv2d";
    const EXTRA_ROW: Option<(&'static str, &'static str)> = A::ROW;
}
keras_layer!("Dense", "dense", [const I: usize, const O: usize], Dense<I, O>);
keras_layer!("Flatten", "flatten", [const N: usize], Flatten<N>);
keras_layer!("Reshape", "reshape", [const C: usize, const H: usize, const W: usize], Reshape<C, H, W>);
keras_layer!("UpSampling2D", "up_sampling2d", [const O: usize], UpSampling2D<O>);
keras_layer!("MaxPooling2D", "max_pooling2d", [const O: usize], MaxPool2d<O>);

impl<const C: usize> KerasLayer for BatchNorm<C> {
    const KERAS_CLASS: &'static str = "BatchNormalization";
    const KERAS_NAME: &'static str = "batch_normalization";
    fn momentum_mut(&mut self) -> Option<&mut f64> {
        Some(&mut self.momentum)
    }
}

impl<A> KerasLayer for Activation<A> {
    const KERAS_CLASS: &'static str = "Activation";
    const KERAS_NAME: &'static str = "activation";
    const ACTIVATION: bool = true;
}

/// A bare activation: the `activation=` argument of the layer before it, no row of its own.
macro_rules! activation_argument {
    ($class:literal, $name:literal, [$($generics:tt)*], $ty:ty) => {
        impl<$($generics)*> KerasLayer for $ty {
            const KERAS_CLASS: &'static str = $class;
            const KERAS_NAME: &'static str = $name;
            const OWN_ROW: bool = false;
            const ACTIVATION: bool = true;
        }
    };
}
activation_argument!("LeakyReLU", "leaky_re_lu", [const P: usize], LeakyRelu<P>);
activation_argument!("Activation", "activation", [], Tanh);
activation_argument!("Activation", "activation", [], ReLU);
activation_argument!("Activation", "activation", [], Relu);
activation_argument!("Activation", "activation", [], Sigmoid);

impl<const R: usize> KerasLayer for Dropout<R> {
    const KERAS_CLASS: &'static str = "Dropout";
    const KERAS_NAME: &'static str = "dropout";
    fn reseed_layer(&mut self, seed: u64) {
        self.reseed(seed)
    }
}
