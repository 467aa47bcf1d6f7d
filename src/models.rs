//! The lecture's three Keras models as dfdx types, line for line.
//!
//! Each alias is a *builder* type (what `dev.build_module::<Generator, f32>()` takes); the
//! `…Net` aliases are the built modules with their weights. The `build_*` functions apply the
//! Keras settings dfdx does not default to. Shapes are channels-first, `(batch, C, H, W)`.

pub mod exercises;

use crate::layers::{
    Activation, BatchNorm1D, BatchNorm2D, Conv2d, Dense, Dropout, Flatten, LeakyRelu, MaxPool2d, Relu, Reshape, Same, UpSampleConv2d,
    UpSampling2D, Valid,
};
use dfdx::nn::builders::Tanh;
use dfdx::nn::{BuildOnDevice, DeviceBuildExt, Module};
use dfdx::prelude::*;

/// Length of the generator's input noise vector.
pub const NOISE_DIM: usize = 100;

/// The DCGAN generator: 100-d noise to a 28x28 image in `[-1, 1]`.
///
/// Keras equivalent (the lecture):
/// ```text
/// generator.add(Dense(128*7*7, input_dim=100, activation=LeakyReLU(0.2)))  -> Dense, LeakyRelu<20>
/// generator.add(BatchNormalization())                                      -> BatchNorm1D<6272>
/// generator.add(Reshape((7, 7, 128)))                                      -> Reshape<128, 7, 7>
/// generator.add(UpSampling2D())                                            -> UpSampleConv2d<128, 64, 5, 14>
/// generator.add(Conv2D(64, kernel_size=5, padding='same'))                 ->   (the two lines as one layer)
/// generator.add(BatchNormalization())                                      -> BatchNorm2D<64>
/// generator.add(Activation(LeakyReLU(0.2)))                                -> Activation<LeakyRelu<20>>
/// generator.add(UpSampling2D())                                            -> UpSampleConv2d<64, 1, 5, 28>
/// generator.add(Conv2D(1, kernel_size=5, padding='same', activation='tanh')) ->   (the two lines as one layer), Tanh
/// ```
///
/// A bare activation after a layer (`LeakyRelu<20>` after the `Dense`, `Tanh` at the end) is
/// that layer's `activation=` argument and, as in Keras, has no summary row; the lecture's
/// `Activation(..)` layer is [`Activation`] and has one.
///
/// Each `UpSampling2D()` + `Conv2D(.., padding='same')` pair is one [`UpSampleConv2d`]: the same
/// function and the same 5x5 weights, computed on the small image with 2.8x fewer operations.
/// [`exercises::Generator`] spells the pairs out as two layers each, as a student writes them,
/// and computes the same images.
pub type Generator = (
    (Dense<NOISE_DIM, 6272>, LeakyRelu<20>, BatchNorm1D<6272>),
    Reshape<128, 7, 7>,
    (UpSampleConv2d<128, 64, 5, 14>, BatchNorm2D<64>, Activation<LeakyRelu<20>>),
    (UpSampleConv2d<64, 1, 5, 28>, Tanh),
);

/// The DCGAN discriminator: a 28x28 image to one logit ("real" when positive).
///
/// The lecture's final `sigmoid` is folded into the loss (binary cross-entropy with logits,
/// numerically safer and equal in value); [`crate::Gan`] applies it where probabilities are shown.
///
/// Keras equivalent (the lecture):
/// ```text
/// Conv2D(64, kernel_size=5, strides=2, input_shape=(28,28,1), padding="same") -> Conv2d<1, 64, 5, 2, Same, 14, Activation<LeakyRelu<20>>>
/// Activation(LeakyReLU(0.2))                                                  ->   (fused: the conv's last type parameter)
/// Dropout(0.3)                                                                -> Dropout<30>
/// Conv2D(128, kernel_size=5, strides=2, padding="same")                       -> Conv2d<64, 128, 5, 2, Same, 7, Activation<LeakyRelu<20>>>
/// Activation(LeakyReLU(0.2))                                                  ->   (fused)
/// Dropout(0.3)                                                                -> Dropout<30>
/// Flatten()                                                                   -> Flatten<6272>
/// Dense(1, activation='sigmoid')                                              -> Dense<6272, 1> (+ sigmoid in the loss)
/// ```
///
/// Each `Activation(LeakyReLU(0.2))` runs inside the convolution before it (one pass over the
/// convolution's own output instead of a layer of its own); the summary still lists it as a row.
pub type Discriminator = (
    (Conv2d<1, 64, 5, 2, Same, 14, Activation<LeakyRelu<20>>>, Dropout<30>),
    (Conv2d<64, 128, 5, 2, Same, 7, Activation<LeakyRelu<20>>>, Dropout<30>),
    Flatten<6272>,
    Dense<6272, 1>,
);

/// The encoder half of the lecture's convolutional autoencoder: 28x28x1 to a 4x4x8 code.
///
/// Keras equivalent (the lecture):
/// ```text
/// Conv2D(16, kernel_size=3, padding='same', input_shape=(28,28,1), activation='relu') -> Conv2d<1, 16, 3, 1, Same, 28, Relu>
/// MaxPooling2D(pool_size=2, padding='same')                                         -> MaxPool2d<14>
/// Conv2D(8, kernel_size=3, activation='relu', padding='same')                        -> Conv2d<16, 8, 3, 1, Same, 14, Relu>
/// MaxPooling2D(pool_size=2, padding='same')                                         -> MaxPool2d<7>
/// Conv2D(8, kernel_size=3, strides=2, padding='same', activation='relu')             -> Conv2d<8, 8, 3, 2, Same, 4, Relu>
/// ```
///
/// `activation='relu'` is part of the layer, as in Keras: the rectifier runs in the
/// convolution's own passes (see [`crate::layers::ConvActivation`]).
pub type Encoder = (
    Conv2d<1, 16, 3, 1, Same, 28, Relu>,
    MaxPool2d<14>,
    Conv2d<16, 8, 3, 1, Same, 14, Relu>,
    MaxPool2d<7>,
    Conv2d<8, 8, 3, 2, Same, 4, Relu>,
);

/// The decoder half of the lecture's convolutional autoencoder: the 4x4x8 code to 28x28 logits.
///
/// The final `sigmoid` is folded into the loss; [`crate::Autoencoder::reconstruct`] applies it.
///
/// Keras equivalent (the lecture):
/// ```text
/// Conv2D(8, kernel_size=3, padding='same', activation='relu')   -> Conv2d<8, 8, 3, 1, Same, 4, Relu>
/// UpSampling2D()                                                -> UpSampleConv2d<8, 8, 3, 8, Relu>
/// Conv2D(8, kernel_size=3, padding='same', activation='relu')   ->   (the two lines as one layer)
/// UpSampling2D()                                                -> UpSampling2D<16>
/// Conv2D(16, kernel_size=3, activation='relu')                  -> Conv2d<8, 16, 3, 1, Valid, 14, Relu>
/// UpSampling2D()                                                -> UpSampleConv2d<16, 1, 3, 28>
/// Conv2D(1, kernel_size=3, padding='same', activation='sigmoid') ->   (the two lines as one layer; sigmoid in the loss)
/// ```
///
/// As in the [`Generator`], each `UpSampling2D()` + `Conv2D(.., padding='same')` pair is one
/// [`UpSampleConv2d`] (same weights and function, no upsampled tensor in memory); the 'valid'
/// convolution after the second upsampling stays two layers.
pub type Decoder = (
    Conv2d<8, 8, 3, 1, Same, 4, Relu>,
    UpSampleConv2d<8, 8, 3, 8, Relu>,
    UpSampling2D<16>,
    Conv2d<8, 16, 3, 1, Valid, 14, Relu>,
    UpSampleConv2d<16, 1, 3, 28>,
);

/// The lecture's convolutional autoencoder: encoder then decoder.
pub type Autoencoder = (Encoder, Decoder);

/// A small digit classifier on the same layers, used only as a judge of generated digits
/// (see [`crate::judge`]); not part of the lecture. Its 128 features before the last layer are
/// what the Frechet distance compares.
pub type Classifier = (
    (Conv2d<1, 32, 3, 1, Same, 28>, Relu, MaxPool2d<14>),
    (Conv2d<32, 64, 3, 1, Same, 14>, Relu, MaxPool2d<7>),
    Flatten<3136>,
    (Dense<3136, 128>, Relu),
    Dense<128, 10>,
);

/// Built classifier.
pub type ClassifierNet = <Classifier as BuildOnDevice<Cpu, f32>>::Built;

/// Built generator (weights included).
pub type GeneratorNet = <Generator as BuildOnDevice<Cpu, f32>>::Built;
/// Built discriminator.
pub type DiscriminatorNet = <Discriminator as BuildOnDevice<Cpu, f32>>::Built;
/// Built encoder.
pub type EncoderNet = <Encoder as BuildOnDevice<Cpu, f32>>::Built;
/// Built autoencoder.
pub type AutoencoderNet = <Autoencoder as BuildOnDevice<Cpu, f32>>::Built;

/// Builds the generator with Keras' initialisation and BatchNormalization settings (both are
/// the layers' defaults); weights are drawn from `dev`'s generator (seed it with
/// `Cpu::seed_from_u64`).
pub fn build_generator(dev: &Cpu) -> GeneratorNet {
    dev.build_module::<Generator, f32>()
}

/// The classifier's 128 features (everything before its last layer) and its logits for `x`.
/// (The tuple positions of [`Classifier`] are spelled out only here.)
pub fn classifier_features_and_logits<B: Dim>(
    net: &ClassifierNet,
    x: Tensor<(B, Const<1>, Const<28>, Const<28>), f32, Cpu>,
) -> Result<(Tensor<(B, Const<128>), f32, Cpu>, Tensor<(B, Const<10>), f32, Cpu>), CpuError> {
    let (block1, block2, flatten, features, head) = net;
    let h = features.try_forward(flatten.try_forward(block2.try_forward(block1.try_forward(x)?)?)?)?;
    let logits = head.try_forward(h.clone())?;
    Ok((h, logits))
}

/// The encoder's code for `x`: the same values and gradients as `encoder.try_forward(x)`, with
/// each convolution and the pooling after it run as one op ([`Conv2d::try_forward_max_pooled`]),
/// which a training step of the autoencoder needs about 1.5 ms less for (BENCHMARKS.md). The
/// autoencoder trainer uses it whenever its encoder is this type. (The tuple positions of
/// [`Encoder`] are spelled out only here.)
///
/// Keras equivalent: the encoder half of `autoencoder(x)`.
pub fn encoder_code<B: Dim, T: Tape<f32, Cpu>>(
    encoder: &EncoderNet,
    x: Tensor<(B, Const<1>, Const<28>, Const<28>), f32, Cpu, T>,
) -> Result<Tensor<(B, Const<8>, Const<4>, Const<4>), f32, Cpu, T>, CpuError> {
    let (conv1, pool1, conv2, pool2, conv3) = encoder;
    conv3.try_forward(conv2.try_forward_max_pooled(conv1.try_forward_max_pooled(x, pool1)?, pool2)?)
}

/// Builds the discriminator with Keras' initialisation.
pub fn build_discriminator(dev: &Cpu) -> DiscriminatorNet {
    dev.build_module::<Discriminator, f32>()
}

/// Builds the digit classifier with Keras' initialisation.
pub fn build_classifier(dev: &Cpu) -> ClassifierNet {
    dev.build_module::<Classifier, f32>()
}

/// Builds the autoencoder with Keras' initialisation.
pub fn build_autoencoder(dev: &Cpu) -> AutoencoderNet {
    dev.build_module::<Autoencoder, f32>()
}
