//! What the trainers need of the networks they train: three traits that any model type built
//! from genlab's layers meets, the lecture's (`crate::models`) and a student's own alike.
//!
//! Each trait is implemented for every type whose layers fit (a blanket impl), so a student
//! never implements one: a type alias written in a notebook cell, one layer per Keras line,
//! is a generator, a discriminator or an autoencoder as soon as its shapes fit. A shape that
//! does not fit is a compile error in that cell naming the layer and the sizes.

use crate::layers::{BatchNormMomenta, FrozenForward, Reseed, VectorInput};
use crate::models::{encoder_code, EncoderNet};
use crate::summary::{KerasNames, Summarize, Summary};
use dfdx::nn::{BuildModule, Module, ModuleMut, TensorCollection};
use dfdx::prelude::*;
use std::any::Any;

/// A batch of 28x28 one-channel images (`(batch, 1, 28, 28)`), untraced or traced.
pub type ImageBatch<T = NoneTape> = Tensor<(usize, Const<1>, Const<28>, Const<28>), f32, Cpu, T>;
/// One logit per image (`(batch, 1)`): "real" when positive.
pub type Logits<T = NoneTape> = Tensor<(usize, Const<1>), f32, Cpu, T>;
/// A tape that records a training step.
pub type Taped = OwnedTape<f32, Cpu>;

/// A built network the trainers can keep, build, copy, checkpoint, reseed and share with
/// worker threads.
pub trait Network: TensorCollection<f32, Cpu> + BuildModule<Cpu, f32> + Reseed + Clone + Send + Sync + 'static {}
impl<N: TensorCollection<f32, Cpu> + BuildModule<Cpu, f32> + Reseed + Clone + Send + Sync + 'static> Network for N {}

/// A generator: noise vectors (`(batch, NOISE)`) to 28x28 images in `[-1, 1]`.
///
/// Keras equivalent: a `Sequential` whose first layer is `Dense(.., input_dim=NOISE)` and whose
/// output is `(28, 28, 1)`.
pub trait GeneratorNetwork: Network + BatchNormMomenta {
    /// The length of one noise vector (the first `Dense` layer's input size).
    const NOISE: usize;
    /// Images for `noise` (whole vectors of [`NOISE`](Self::NOISE) values), in inference mode.
    ///
    /// Keras equivalent: `generator.predict(noise)`.
    fn images(&self, dev: &Cpu, noise: &[f32]) -> Result<ImageBatch, CpuError>;
    /// Images for `noise` in training mode (BatchNormalization on the batch's own statistics,
    /// updating its running ones), recorded into `grads`.
    fn images_training(&mut self, dev: &Cpu, noise: &[f32], grads: Gradients<f32, Cpu>) -> Result<ImageBatch<Taped>, CpuError>;
    /// Keras' summary rows of this network, named on from `names`.
    fn summary(&self, names: &mut KerasNames, dev: &Cpu) -> Summary;
}

impl<N, W: ConstDim> GeneratorNetwork for N
where
    N: Network + BatchNormMomenta + VectorInput<Width = W>,
    N: Module<Tensor<(usize, W), f32, Cpu>, Output = ImageBatch, Error = CpuError>,
    N: ModuleMut<Tensor<(usize, W), f32, Cpu, Taped>, Output = ImageBatch<Taped>, Error = CpuError>,
    N: Summarize<Tensor<(usize, W), f32, Cpu>>,
{
    const NOISE: usize = W::SIZE;
    fn images(&self, dev: &Cpu, noise: &[f32]) -> Result<ImageBatch, CpuError> {
        self.try_forward(noise_tensor::<W>(dev, noise))
    }
    fn images_training(&mut self, dev: &Cpu, noise: &[f32], grads: Gradients<f32, Cpu>) -> Result<ImageBatch<Taped>, CpuError> {
        self.try_forward_mut(noise_tensor::<W>(dev, noise).traced(grads))
    }
    fn summary(&self, names: &mut KerasNames, dev: &Cpu) -> Summary {
        Summary::of_sequential(names, self, dev.zeros_like(&(1usize, W::default())))
    }
}

/// `noise` (whole vectors of `W` values) as a `(batch, W)` tensor.
fn noise_tensor<W: ConstDim>(dev: &Cpu, noise: &[f32]) -> Tensor<(usize, W), f32, Cpu> {
    dev.tensor_from_vec(noise.to_vec(), (noise.len() / W::SIZE, W::default()))
}

/// A discriminator: 28x28 images to one logit each ("real" when positive; the lecture's final
/// sigmoid is part of the loss).
///
/// Keras equivalent: a `Sequential` with `input_shape=(28, 28, 1)` ending in `Dense(1)`.
pub trait DiscriminatorNetwork: Network {
    /// The logits of `images` in inference mode (dropout off).
    ///
    /// Keras equivalent: `discriminator.predict(images)` (before the sigmoid).
    fn logits(&self, images: ImageBatch) -> Result<Logits, CpuError>;
    /// The logits in training mode, the gradients reaching the weights.
    fn logits_training(&mut self, images: ImageBatch<Taped>) -> Result<Logits<Taped>, CpuError>;
    /// The logits in training mode with the weights frozen: gradients reach only the images.
    ///
    /// Keras equivalent: the discriminator inside `gan` with `discriminator.trainable = False`.
    fn logits_frozen(&mut self, images: ImageBatch<Taped>) -> Result<Logits<Taped>, CpuError>;
    /// Keras' summary rows of this network, named on from `names`.
    fn summary(&self, names: &mut KerasNames, dev: &Cpu) -> Summary;
}

impl<N> DiscriminatorNetwork for N
where
    N: Network,
    N: Module<ImageBatch, Output = Logits, Error = CpuError>,
    N: ModuleMut<ImageBatch<Taped>, Output = Logits<Taped>, Error = CpuError>,
    N: FrozenForward<ImageBatch<Taped>, Output = Logits<Taped>>,
    N: Summarize<ImageBatch>,
{
    fn logits(&self, images: ImageBatch) -> Result<Logits, CpuError> {
        self.try_forward(images)
    }
    fn logits_training(&mut self, images: ImageBatch<Taped>) -> Result<Logits<Taped>, CpuError> {
        self.try_forward_mut(images)
    }
    fn logits_frozen(&mut self, images: ImageBatch<Taped>) -> Result<Logits<Taped>, CpuError> {
        self.forward_frozen(images)
    }
    fn summary(&self, names: &mut KerasNames, dev: &Cpu) -> Summary {
        Summary::of_sequential(names, self, dev.zeros_like(&(1usize, Const, Const, Const)))
    }
}

/// An autoencoder: an encoder and a decoder, 28x28 images to 28x28 logits (the lecture's final
/// sigmoid is part of the loss).
///
/// Keras equivalent: the lecture's `Sequential` autoencoder (encoder layers, then decoder layers).
pub trait AutoencoderNetwork: Network {
    /// The reconstruction logits of `images` in inference mode.
    fn logits(&self, images: ImageBatch) -> Result<ImageBatch, CpuError>;
    /// The encoder's output for `images` in inference mode (the code h): its shape for one
    /// image and the values, image after image.
    ///
    /// Keras equivalent: `encoder.predict(images)`.
    fn code(&self, images: ImageBatch) -> Result<(Vec<usize>, Vec<f32>), CpuError>;
    /// The reconstruction logits in training mode, the gradients reaching the weights.
    fn logits_training(&mut self, images: ImageBatch<Taped>) -> Result<ImageBatch<Taped>, CpuError>;
    /// Keras' summary rows of this network (one `Sequential`: the encoder's rows, then the decoder's).
    fn summary(&self, names: &mut KerasNames, dev: &Cpu) -> Summary;
}

impl<E, D, C, CT> AutoencoderNetwork for (E, D)
where
    (E, D): Network + Summarize<ImageBatch>,
    E: Module<ImageBatch, Output = C, Error = CpuError> + ModuleMut<ImageBatch<Taped>, Output = CT, Error = CpuError> + 'static,
    D: Module<C, Output = ImageBatch, Error = CpuError> + ModuleMut<CT, Output = ImageBatch<Taped>, Error = CpuError>,
    C: CodeValues + 'static,
    CT: 'static,
{
    fn logits(&self, images: ImageBatch) -> Result<ImageBatch, CpuError> {
        self.1.try_forward(self.encode(images)?)
    }
    fn code(&self, images: ImageBatch) -> Result<(Vec<usize>, Vec<f32>), CpuError> {
        let code = self.encode(images)?;
        Ok((code.per_image(), code.values()?))
    }
    fn logits_training(&mut self, images: ImageBatch<Taped>) -> Result<ImageBatch<Taped>, CpuError> {
        let code = match (&self.0 as &dyn Any).downcast_ref::<EncoderNet>() {
            Some(lecture) => same_type(encoder_code(lecture, images)?),
            None => self.0.try_forward_mut(images)?,
        };
        self.1.try_forward_mut(code)
    }
    fn summary(&self, names: &mut KerasNames, dev: &Cpu) -> Summary {
        Summary::of_sequential(names, self, dev.zeros_like(&(1usize, Const, Const, Const)))
    }
}

impl<E, D, C> EncoderThenDecoder<C> for (E, D)
where
    E: Module<ImageBatch, Output = C, Error = CpuError> + 'static,
    C: 'static,
{
    fn encode(&self, images: ImageBatch) -> Result<C, CpuError> {
        match (&self.0 as &dyn Any).downcast_ref::<EncoderNet>() {
            Some(lecture) => Ok(same_type(encoder_code(lecture, images)?)),
            None => self.0.try_forward(images),
        }
    }
}

/// The encoder half of an `(encoder, decoder)` pair, in inference mode.
trait EncoderThenDecoder<C> {
    fn encode(&self, images: ImageBatch) -> Result<C, CpuError>;
}

/// What an encoder's output (the autoencoder's code h) gives the figures: its shape for one
/// image and its values. Every tensor, and the lazy output of `UpSampling2D`, has it.
pub trait CodeValues {
    /// The shape of one image's code (`[8, 4, 4]` for the lecture's encoder).
    fn per_image(&self) -> Vec<usize>;
    /// The values, image after image.
    fn values(self) -> Result<Vec<f32>, CpuError>;
}

impl<S: Shape> CodeValues for Tensor<S, f32, Cpu> {
    fn per_image(&self) -> Vec<usize> {
        self.shape().concrete().as_ref()[1..].to_vec()
    }
    fn values(self) -> Result<Vec<f32>, CpuError> {
        Ok(self.as_vec())
    }
}

impl<B: Dim, const C: usize, const H: usize, const O: usize> CodeValues for crate::layers::Upsampled<B, C, H, O, NoneTape> {
    fn per_image(&self) -> Vec<usize> {
        vec![C, O, O]
    }
    fn values(self) -> Result<Vec<f32>, CpuError> {
        Ok(self.into_tensor()?.as_vec())
    }
}

/// `value` as the type `T` it is: the lecture's encoder (`models::Encoder`) has a faster
/// forward pass of its own ([`encoder_code`]: each convolution and the pooling after it as one
/// op), whose output type is the encoder's output type when the encoder is that type.
fn same_type<V: 'static, T: 'static>(value: V) -> T {
    *(Box::new(value) as Box<dyn Any>)
        .downcast::<T>()
        .expect("the lecture's encoder gives its own output type")
}
