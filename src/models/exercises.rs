//! The lecture's models as a student writes them in notebook cells (`notebooks/01_gan.ipynb`,
//! `02_autoencoder.ipynb`): one layer per Keras line, upsampling and convolution apart,
//! activations as layers of their own; and the changes the exercises make. The tests train them
//! beside the built-in models ([`crate::models`]), which stay the reference, and
//! `genlab bench --networks typed|variants` times them.

use crate::prelude::*;

/// The lecture's generator, line by line.
pub type Generator = (
    (Dense<100, 6272>, LeakyRelu<20>), // Dense(128*7*7, input_dim=100, activation=LeakyReLU(0.2))
    BatchNorm1D<6272>,                 // BatchNormalization()
    Reshape<128, 7, 7>,                // Reshape((7, 7, 128))
    (
        UpSampling2D<14>,                // UpSampling2D()
        Conv2d<128, 64, 5, 1, Same, 14>, // Conv2D(64, kernel_size=5, padding='same')
        BatchNorm2D<64>,                 // BatchNormalization()
        Activation<LeakyRelu<20>>,       // Activation(LeakyReLU(0.2))
    ),
    (
        UpSampling2D<28>,              // UpSampling2D()
        Conv2d<64, 1, 5, 1, Same, 28>, // Conv2D(1, kernel_size=5, padding='same',
        Tanh,                          //        activation='tanh')
    ),
);

/// The lecture's discriminator, line by line.
pub type Discriminator = (
    (
        Conv2d<1, 64, 5, 2, Same, 14>, // Conv2D(64, kernel_size=5, strides=2, input_shape=(28,28,1), padding="same")
        Activation<LeakyRelu<20>>,     // Activation(LeakyReLU(0.2))
        Dropout<30>,                   // Dropout(0.3)
    ),
    (
        Conv2d<64, 128, 5, 2, Same, 7>, // Conv2D(128, kernel_size=5, strides=2, padding="same")
        Activation<LeakyRelu<20>>,      // Activation(LeakyReLU(0.2))
        Dropout<30>,                    // Dropout(0.3)
    ),
    Flatten<6272>,  // Flatten()
    Dense<6272, 1>, // Dense(1, activation='sigmoid'): the sigmoid is in the loss
);

/// The lecture's generator with 256 filters after the dense layer instead of 128
/// (`bench/keras_summaries.py`: `variant_generator`).
pub type Generator256 = (
    (Dense<100, 12544>, LeakyRelu<20>), // Dense(256*7*7, input_dim=100, activation=LeakyReLU(0.2))
    BatchNorm1D<12544>,
    Reshape<256, 7, 7>, // Reshape((7, 7, 256))
    (
        UpSampling2D<14>,
        Conv2d<256, 64, 5, 1, Same, 14>,
        BatchNorm2D<64>,
        Activation<LeakyRelu<20>>,
    ),
    (UpSampling2D<28>, Conv2d<64, 1, 5, 1, Same, 28>, Tanh),
);

/// The lecture's discriminator with a third convolution block, Conv2D(256, 5, strides=2)
/// (`bench/keras_summaries.py`: `variant_discriminator`).
pub type Discriminator3 = (
    (Conv2d<1, 64, 5, 2, Same, 14>, Activation<LeakyRelu<20>>, Dropout<30>),
    (Conv2d<64, 128, 5, 2, Same, 7>, Activation<LeakyRelu<20>>, Dropout<30>),
    (Conv2d<128, 256, 5, 2, Same, 4>, Activation<LeakyRelu<20>>, Dropout<30>), // one more block
    Flatten<4096>,
    Dense<4096, 1>,
);

/// The lecture's encoder (each of its lines is one layer already).
pub type Encoder = (
    Conv2d<1, 16, 3, 1, Same, 28, Relu>, // Conv2D(16, kernel_size=3, padding='same', input_shape=(28,28,1), activation='relu')
    MaxPool2d<14>,                       // MaxPooling2D(pool_size=2, padding='same')
    Conv2d<16, 8, 3, 1, Same, 14, Relu>, // Conv2D(8, kernel_size=3, activation='relu', padding='same')
    MaxPool2d<7>,                        // MaxPooling2D(pool_size=2, padding='same')
    Conv2d<8, 8, 3, 2, Same, 4, Relu>,   // Conv2D(8, kernel_size=3, strides=2, padding='same', activation='relu')
);

/// The lecture's decoder, line by line.
pub type Decoder = (
    Conv2d<8, 8, 3, 1, Same, 4, Relu>, // Conv2D(8, kernel_size=3, padding='same', activation='relu')
    (
        UpSampling2D<8>,                   // UpSampling2D()
        Conv2d<8, 8, 3, 1, Same, 8, Relu>, // Conv2D(8, kernel_size=3, padding='same', activation='relu')
    ),
    (
        UpSampling2D<16>,                     // UpSampling2D()
        Conv2d<8, 16, 3, 1, Valid, 14, Relu>, // Conv2D(16, kernel_size=3, activation='relu')
    ),
    (
        UpSampling2D<28>,              // UpSampling2D()
        Conv2d<16, 1, 3, 1, Same, 28>, // Conv2D(1, kernel_size=3, padding='same', activation='sigmoid'): the sigmoid is in the loss
    ),
);

/// The lecture's encoder with 32 filters in its first convolution instead of 16.
pub type Encoder32 = (
    Conv2d<1, 32, 3, 1, Same, 28, Relu>,
    MaxPool2d<14>,
    Conv2d<32, 8, 3, 1, Same, 14, Relu>,
    MaxPool2d<7>,
    Conv2d<8, 8, 3, 2, Same, 4, Relu>,
);
