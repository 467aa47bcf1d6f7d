#!/usr/bin/env python3
"""The lecture's exact Keras models, timed the way `genlab bench` times genlab: warm-up, then
medians of one GAN iteration (batch 32) and one autoencoder training step (batch 128) on real
MNIST. Last line: `keras_gan_iter_s=<median> keras_ae_step_s=<median>`.

Run through bench/compare.sh (which installs TensorFlow into bench/.venv); threads are set to
the machine's cores, as genlab uses them. With BENCH_NETWORKS=variants, the exercises' changed
models instead (as `genlab bench --networks variants`: 256 filters after the generator's dense
layer, a third convolution block in the discriminator, 32 filters in the encoder's first
convolution).
"""
import gzip
import os
import pathlib
import statistics
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402
from tensorflow.keras.layers import (Activation, BatchNormalization, Conv2D, Dense, Dropout, Flatten, Input,  # noqa: E402
                                     LeakyReLU, MaxPooling2D, Reshape, UpSampling2D)
from tensorflow.keras.models import Model, Sequential  # noqa: E402

THREADS = int(os.environ.get("BENCH_THREADS", os.cpu_count()))
VARIANTS = os.environ.get("BENCH_NETWORKS", "lecture") == "variants"
FILTERS = 256 if VARIANTS else 128  # after the generator's dense layer
ENCODER_FILTERS = 32 if VARIANTS else 16  # the encoder's first convolution
tf.config.threading.set_intra_op_parallelism_threads(THREADS)
tf.config.threading.set_inter_op_parallelism_threads(1)


def load_images(data_dir, split="train"):
    with gzip.open(data_dir / f"{split}-images-idx3-ubyte.gz") as f:
        return np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28, 1)


def gan_models():
    generator = Sequential()
    generator.add(Input(shape=(100,)))
    generator.add(Dense(FILTERS * 7 * 7, activation=LeakyReLU(0.2)))
    generator.add(BatchNormalization())
    generator.add(Reshape((7, 7, FILTERS)))
    generator.add(UpSampling2D())
    generator.add(Conv2D(64, kernel_size=5, padding="same"))
    generator.add(BatchNormalization())
    generator.add(Activation(LeakyReLU(0.2)))
    generator.add(UpSampling2D())
    generator.add(Conv2D(1, kernel_size=5, padding="same", activation="tanh"))

    discriminator = Sequential()
    discriminator.add(Input(shape=(28, 28, 1)))
    discriminator.add(Conv2D(64, kernel_size=5, strides=2, padding="same"))
    discriminator.add(Activation(LeakyReLU(0.2)))
    discriminator.add(Dropout(0.3))
    discriminator.add(Conv2D(128, kernel_size=5, strides=2, padding="same"))
    discriminator.add(Activation(LeakyReLU(0.2)))
    discriminator.add(Dropout(0.3))
    if VARIANTS:
        discriminator.add(Conv2D(256, kernel_size=5, strides=2, padding="same"))
        discriminator.add(Activation(LeakyReLU(0.2)))
        discriminator.add(Dropout(0.3))
    discriminator.add(Flatten())
    discriminator.add(Dense(1, activation="sigmoid"))
    discriminator.compile(loss="binary_crossentropy", optimizer="adam")
    # One step before freezing: Keras 3 fixes the trainable weights at the first trace, and the
    # lecture means the discriminator to train (see DESIGN.md). The work timed is the lecture's.
    discriminator.train_on_batch(np.zeros((32, 28, 28, 1), np.float32), np.ones((32, 1)))
    discriminator.trainable = False
    ginput = Input(shape=(100,))
    gan = Model(ginput, discriminator(generator(ginput)))
    gan.compile(loss="binary_crossentropy", optimizer="adam")
    return generator, discriminator, gan


def autoencoder_model():
    ae = Sequential()
    ae.add(Input(shape=(28, 28, 1)))
    ae.add(Conv2D(ENCODER_FILTERS, kernel_size=3, padding="same", activation="relu"))
    ae.add(MaxPooling2D(pool_size=2, padding="same"))
    ae.add(Conv2D(8, kernel_size=3, activation="relu", padding="same"))
    ae.add(MaxPooling2D(pool_size=2, padding="same"))
    ae.add(Conv2D(8, kernel_size=3, strides=2, padding="same", activation="relu"))
    ae.add(Conv2D(8, kernel_size=3, padding="same", activation="relu"))
    ae.add(UpSampling2D())
    ae.add(Conv2D(8, kernel_size=3, padding="same", activation="relu"))
    ae.add(UpSampling2D())
    ae.add(Conv2D(16, kernel_size=3, activation="relu"))
    ae.add(UpSampling2D())
    ae.add(Conv2D(1, kernel_size=3, padding="same", activation="sigmoid"))
    ae.compile(optimizer="adam", loss="binary_crossentropy")
    return ae


def main():
    gan_iters = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    ae_steps = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    ae_epoch = len(sys.argv) > 3 and sys.argv[3] == "epoch"
    data_dir = pathlib.Path(os.environ.get("GENLAB_DATA", pathlib.Path(__file__).resolve().parent.parent / "data" / "mnist"))
    images = load_images(data_dir)
    x_gan = (images.astype("float32") - 127.5) / 127.5
    x_ae = images.astype("float32") / 255
    rng = np.random.default_rng(0)
    generator, discriminator, gan = gan_models()
    true, fake = np.ones((32, 1)), np.zeros((32, 1))

    def gan_iteration():
        imgs = x_gan[rng.integers(0, x_gan.shape[0], 32)]
        discriminator.train_on_batch(imgs, true)
        noise = rng.normal(0, 1, (32, 100))
        gen_imgs = generator.predict(noise, verbose=0)
        discriminator.train_on_batch(gen_imgs, fake)
        gan.train_on_batch(noise, true)

    for _ in range(3):
        gan_iteration()
    gan_times = []
    for _ in range(gan_iters):
        t = time.perf_counter()
        gan_iteration()
        gan_times.append(time.perf_counter() - t)

    ae = autoencoder_model()
    batch = x_ae[:128]
    for _ in range(5):
        ae.train_on_batch(batch, batch)
    ae_times = []
    for _ in range(ae_steps):
        t = time.perf_counter()
        ae.train_on_batch(batch, batch)
        ae_times.append(time.perf_counter() - t)
    g, a = statistics.median(gan_times), statistics.median(ae_times)
    print(f"TensorFlow {tf.__version__} ({THREADS} threads): GAN iteration median {g:.4f} s, AE step median {a:.4f} s")
    epoch = ""
    if ae_epoch:
        # The lecture's fit, one epoch: 469 shuffled batches, then the validation loss. A short
        # fit first, so that tracing the fit and evaluation functions is not timed.
        x_test = load_images(data_dir, "t10k").astype("float32") / 255
        ae.fit(x_ae[:256], x_ae[:256], epochs=1, batch_size=128, validation_data=(x_test[:256], x_test[:256]), verbose=0)
        t = time.perf_counter()
        ae.fit(x_ae, x_ae, epochs=1, batch_size=128, validation_data=(x_test, x_test), verbose=0)
        seconds = time.perf_counter() - t
        print(f"AE epoch (469 steps + validation loss): {seconds:.2f} s")
        epoch = f" keras_ae_epoch_s={seconds:.3f}"
    print(f"keras_gan_iter_s={g:.4f} keras_ae_step_s={a:.4f}{epoch}")


if __name__ == "__main__":
    main()
