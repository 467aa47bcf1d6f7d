//! The lecture's `summary()` calls: one function per model.

use crate::models::{build_autoencoder, build_discriminator, build_generator, NOISE_DIM};
use crate::summary::Summary;
use dfdx::prelude::*;

fn image(dev: &Cpu) -> Tensor<(usize, Const<1>, Const<28>, Const<28>), f32, Cpu> {
    dev.zeros_like(&(1, Const, Const, Const))
}

/// `generator.summary()`: 865,281 parameters, as in Keras.
pub fn generator() -> Summary {
    let dev = Cpu::default();
    Summary::of("sequential", &build_generator(&dev), dev.zeros_like(&(1usize, Const::<NOISE_DIM>)))
}

/// `discriminator.summary()`: 212,865 parameters, as in Keras.
pub fn discriminator() -> Summary {
    let dev = Cpu::default();
    Summary::of("sequential_1", &build_discriminator(&dev), image(&dev))
}

/// `gan.summary()`: generator then frozen discriminator, 1,078,146 parameters of which 852,609
/// are trainable, as in Keras.
pub fn gan() -> Summary {
    Summary::combined("functional", vec![NOISE_DIM], &[(&generator(), false), (&discriminator(), true)])
}

/// `autoencoder.summary()`: 4,385 parameters, as in Keras.
pub fn autoencoder() -> Summary {
    let dev = Cpu::default();
    Summary::of("sequential_2", &build_autoencoder(&dev), image(&dev))
}
