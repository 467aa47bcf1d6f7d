//! The lecture's `summary()` calls for any generator, discriminator and autoencoder types: the
//! lecture's own (one function per model) or a student's (`gan_of::<G, D>()`), without data or
//! training.

use crate::models::{Autoencoder, Discriminator, Generator};
use crate::summary::{GanSummaries, KerasNames, Summary};
use crate::train::{AutoencoderNetwork, DiscriminatorNetwork, GeneratorNetwork};
use dfdx::nn::{BuildOnDevice, DeviceBuildExt};
use dfdx::prelude::*;

/// `generator.summary()`: 865,281 parameters, as in Keras.
pub fn generator() -> Summary {
    gan_of::<Generator, Discriminator>().generator
}

/// `discriminator.summary()`: 212,865 parameters, as in Keras.
pub fn discriminator() -> Summary {
    gan_of::<Generator, Discriminator>().discriminator
}

/// `gan.summary()`: generator then frozen discriminator, 1,078,146 parameters of which 852,609
/// are trainable, as in Keras.
pub fn gan() -> Summary {
    gan_of::<Generator, Discriminator>().gan
}

/// `autoencoder.summary()`: 4,385 parameters, as in Keras.
pub fn autoencoder() -> Summary {
    autoencoder_of::<Autoencoder>()
}

/// The three summaries of the lecture's GAN program written with the generator `G` and the
/// discriminator `D` (builder types, as a notebook cell writes them).
///
/// Keras equivalent: `generator.summary()`, `discriminator.summary()`, `gan.summary()`.
pub fn gan_of<G, D>() -> GanSummaries
where
    G: BuildOnDevice<Cpu, f32>,
    D: BuildOnDevice<Cpu, f32>,
    G::Built: GeneratorNetwork,
    D::Built: DiscriminatorNetwork,
{
    let dev = Cpu::default();
    of_gan(&dev.build_module::<G, f32>(), &dev.build_module::<D, f32>(), &dev)
}

/// `generator.summary()` for the generator `G` (a builder type, as a notebook cell writes it):
/// the first model of the lecture's GAN program, so its rows are named as there.
///
/// Keras equivalent: `generator.summary()`.
pub fn generator_of<G>() -> Summary
where
    G: BuildOnDevice<Cpu, f32>,
    G::Built: GeneratorNetwork,
{
    let dev = Cpu::default();
    dev.build_module::<G, f32>().summary(&mut KerasNames::default(), &dev)
}

/// The summary of the lecture's autoencoder program written with the autoencoder `A` (a
/// builder type such as `(Encoder, Decoder)`).
///
/// Keras equivalent: `autoencoder.summary()`.
pub fn autoencoder_of<A>() -> Summary
where
    A: BuildOnDevice<Cpu, f32>,
    A::Built: AutoencoderNetwork,
{
    let dev = Cpu::default();
    dev.build_module::<A, f32>().summary(&mut KerasNames::default(), &dev)
}

/// The three summaries of the lecture's GAN program for the given networks, named as that
/// program's Keras names them (the three models are built in one program, so the names count on).
pub(crate) fn of_gan<G: GeneratorNetwork, D: DiscriminatorNetwork>(g: &G, d: &D, dev: &Cpu) -> GanSummaries {
    let mut names = KerasNames::default();
    let generator = g.summary(&mut names, dev);
    let discriminator = d.summary(&mut names, dev);
    // Keras 3.15 counts a functional graph for every layer added to a `Sequential`, so the
    // lecture's combined `Model(..)` (after 9 + 8 layers) is `functional_17`.
    let name = format!("functional_{}", generator.rows.len() + discriminator.rows.len());
    let gan = Summary::combined(&mut names, &name, vec![G::NOISE], &[(&generator, false), (&discriminator, true)]);
    GanSummaries {
        generator,
        discriminator,
        gan,
    }
}
