//! The lecture's `summary()` calls: one function per model.

use crate::models::{build_autoencoder, build_discriminator, build_generator, AutoencoderNet, DiscriminatorNet, GeneratorNet, NOISE_DIM};
use crate::summary::{GanSummaries, KerasNames, Summary};
use dfdx::prelude::*;

fn image(dev: &Cpu) -> Tensor<(usize, Const<1>, Const<28>, Const<28>), f32, Cpu> {
    dev.zeros_like(&(1, Const, Const, Const))
}

/// `generator.summary()`: 865,281 parameters, as in Keras.
pub fn generator() -> Summary {
    gan_program().generator
}

/// `discriminator.summary()`: 212,865 parameters, as in Keras.
pub fn discriminator() -> Summary {
    gan_program().discriminator
}

/// `gan.summary()`: generator then frozen discriminator, 1,078,146 parameters of which 852,609
/// are trainable, as in Keras.
pub fn gan() -> Summary {
    gan_program().gan
}

/// `autoencoder.summary()`: 4,385 parameters, as in Keras.
pub fn autoencoder() -> Summary {
    let dev = Cpu::default();
    of_autoencoder(&build_autoencoder(&dev), &dev)
}

fn gan_program() -> GanSummaries {
    let dev = Cpu::default();
    of_gan(&build_generator(&dev), &build_discriminator(&dev), &dev)
}

/// What Keras 3.15 names the lecture's combined model: it counts the functional graphs each
/// `Sequential` builds inside too, so the first `Model(..)` of the program is the 18th.
const GAN_MODEL_NAME: &str = "functional_17";

/// The three summaries of the lecture's GAN program for the given models, named as that program's
/// Keras names them (the three models are built in one program, so the names count on).
pub(crate) fn of_gan(g: &GeneratorNet, d: &DiscriminatorNet, dev: &Cpu) -> GanSummaries {
    let mut names = KerasNames::default();
    let generator = Summary::of_sequential(&mut names, g, dev.zeros_like(&(1usize, Const::<NOISE_DIM>)));
    let discriminator = Summary::of_sequential(&mut names, d, image(dev));
    let gan = Summary::combined(
        &mut names,
        GAN_MODEL_NAME,
        vec![NOISE_DIM],
        &[(&generator, false), (&discriminator, true)],
    );
    GanSummaries {
        generator,
        discriminator,
        gan,
    }
}

/// The summary of a given autoencoder: the first model of the lecture's autoencoder program.
pub(crate) fn of_autoencoder(net: &AutoencoderNet, dev: &Cpu) -> Summary {
    Summary::of_sequential(&mut KerasNames::default(), net, image(dev))
}
