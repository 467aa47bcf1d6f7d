//! The lecture's `summary()` calls: one function per model.

use crate::models::{build_autoencoder, build_discriminator, build_generator, AutoencoderNet, DiscriminatorNet, GeneratorNet, NOISE_DIM};
use crate::summary::Summary;
use dfdx::prelude::*;

fn image(dev: &Cpu) -> Tensor<(usize, Const<1>, Const<28>, Const<28>), f32, Cpu> {
    dev.zeros_like(&(1, Const, Const, Const))
}

/// `generator.summary()`: 865,281 parameters, as in Keras.
pub fn generator() -> Summary {
    let dev = Cpu::default();
    of_generator(&build_generator(&dev), &dev)
}

/// `discriminator.summary()`: 212,865 parameters, as in Keras.
pub fn discriminator() -> Summary {
    let dev = Cpu::default();
    of_discriminator(&build_discriminator(&dev), &dev)
}

/// `gan.summary()`: generator then frozen discriminator, 1,078,146 parameters of which 852,609
/// are trainable, as in Keras.
pub fn gan() -> Summary {
    of_gan(&generator(), &discriminator())
}

/// `autoencoder.summary()`: 4,385 parameters, as in Keras.
pub fn autoencoder() -> Summary {
    let dev = Cpu::default();
    of_autoencoder(&build_autoencoder(&dev), &dev)
}

/// The summary of a given generator (the one a [`Gan`](crate::Gan) holds).
pub(crate) fn of_generator(g: &GeneratorNet, dev: &Cpu) -> Summary {
    Summary::of("sequential", g, dev.zeros_like(&(1usize, Const::<NOISE_DIM>)))
}

/// The summary of a given discriminator.
pub(crate) fn of_discriminator(d: &DiscriminatorNet, dev: &Cpu) -> Summary {
    Summary::of("sequential_1", d, image(dev))
}

/// The combined model's summary from its two parts'.
pub(crate) fn of_gan(generator: &Summary, discriminator: &Summary) -> Summary {
    Summary::combined("functional", vec![NOISE_DIM], &[(generator, false), (discriminator, true)])
}

/// The summary of a given autoencoder.
pub(crate) fn of_autoencoder(net: &AutoencoderNet, dev: &Cpu) -> Summary {
    Summary::of("sequential_2", net, image(dev))
}
