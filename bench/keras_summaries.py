#!/usr/bin/env python3
"""Run the lecture's Keras model code verbatim and record what `model.summary()` prints for each
of its four models (and for two changes a student makes to the GAN's), as the rows genlab's summaries must equal (tests/summary.rs reads them).

The GAN part (generator, discriminator, gan) runs in one Python process and the autoencoder in a
second one, as the lecture's two programs do, so Keras numbers the layers as it does there
(`conv2d_2` is the discriminator's first convolution). `discriminator.summary()` is taken after
its `compile` and before `trainable = False`, where a student would call it.

Usage: bench/.venv/bin/python bench/keras_summaries.py [OUT=tests/keras/summaries.json]
(bench/compare.sh installs bench/.venv with TensorFlow.) Not part of the test command: the JSON it
writes is committed, with the Keras version that printed it.
"""
import json
import os
import pathlib
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# The lecture's code, line for line (gan-autoencoder-lecture.md), with `summary()` calls.
GAN = """
from tensorflow.keras.models import Sequential, Model
from tensorflow.keras.layers import Dense, LeakyReLU, BatchNormalization, Reshape, UpSampling2D, Conv2D, Activation, Dropout, Flatten, Input
generator = Sequential()
generator.add(Dense(128*7*7, input_dim=100, activation=LeakyReLU(0.2)))
generator.add(BatchNormalization())
generator.add(Reshape((7, 7, 128)))
generator.add(UpSampling2D())
generator.add(Conv2D(64, kernel_size=5, padding='same'))
generator.add(BatchNormalization())
generator.add(Activation(LeakyReLU(0.2)))
generator.add(UpSampling2D())
generator.add(Conv2D(1, kernel_size=5, padding='same', activation='tanh'))
record("generator", generator)
discriminator = Sequential()
discriminator.add(Conv2D(64, kernel_size=5, strides=2, input_shape=(28,28,1), padding="same"))
discriminator.add(Activation(LeakyReLU(0.2)))
discriminator.add(Dropout(0.3))
discriminator.add(Conv2D(128, kernel_size=5, strides=2, padding="same"))
discriminator.add(Activation(LeakyReLU(0.2)))
discriminator.add(Dropout(0.3))
discriminator.add(Flatten())
discriminator.add(Dense(1, activation='sigmoid'))
discriminator.compile(loss='binary_crossentropy', optimizer='adam')
record("discriminator", discriminator)
discriminator.trainable = False
ginput = Input(shape=(100,))
dis_output = discriminator(generator(ginput))
gan = Model(ginput, dis_output)
gan.compile(loss='binary_crossentropy', optimizer='adam')
record("gan", gan)
"""

AUTOENCODER = """
from tensorflow.keras.models import Sequential, Model
from tensorflow.keras.layers import Input, Dense, Conv2D, MaxPooling2D, UpSampling2D, Flatten, Reshape
autoencoder = Sequential()
autoencoder.add(Conv2D(16, kernel_size=3, padding='same', input_shape=(28,28,1), activation='relu'))
autoencoder.add(MaxPooling2D(pool_size=2, padding='same'))
autoencoder.add(Conv2D(8, kernel_size=3, activation='relu', padding='same'))
autoencoder.add(MaxPooling2D(pool_size=2, padding='same'))
autoencoder.add(Conv2D(8, kernel_size=3, strides=2, padding='same', activation='relu'))
autoencoder.add(Conv2D(8, kernel_size=3, padding='same', activation='relu'))
autoencoder.add(UpSampling2D())
autoencoder.add(Conv2D(8, kernel_size=3, padding='same', activation='relu'))
autoencoder.add(UpSampling2D())
autoencoder.add(Conv2D(16, kernel_size=3, activation='relu'))
autoencoder.add(UpSampling2D())
autoencoder.add(Conv2D(1, kernel_size=3, padding='same', activation='sigmoid'))
record("autoencoder", autoencoder)
"""

# Two changes a student makes to the lecture's GAN code (tests/common/student.rs types them):
# 256 filters after the generator's dense layer instead of 128, and a third convolution block in
# the discriminator. Run as their own program, so Keras numbers their layers as it numbers the
# lecture's.
GAN_VARIANTS = GAN.replace("Dense(128*7*7,", "Dense(256*7*7,").replace("Reshape((7, 7, 128))", "Reshape((7, 7, 256))").replace(
    """discriminator.add(Flatten())""",
    """discriminator.add(Conv2D(256, kernel_size=5, strides=2, padding="same"))
discriminator.add(Activation(LeakyReLU(0.2)))
discriminator.add(Dropout(0.3))
discriminator.add(Flatten())""").replace('record("', 'record("variant_')
assert GAN_VARIANTS.count("256") == 3, "the variants' edits must all apply"

# Runs in the child process: `record` turns a model into rows (and its printed table).
RECORD = """
import io, json, sys
import numpy as np
import tensorflow as tf
def record(key, model):
    text = io.StringIO()
    model.summary(print_fn=lambda line, *a, **k: text.write(line + "\\n"), line_length=100)
    layers = list(model.layers)
    # A functional model's summary starts with its InputLayer, which `layers` may leave out.
    inputs = [l for l in getattr(model, "_input_layers", []) if l not in layers]
    layers = inputs + layers
    rows = []
    for layer in layers:
        shape = layer.output.shape
        trainable = int(sum(np.prod(w.shape) for w in layer.trainable_weights))
        total = int(sum(np.prod(w.shape) for w in layer.weights))
        rows.append({"name": layer.name, "class": type(layer).__name__,
                     "output_shape": [d for d in list(shape)[1:]], "params": total,
                     "trainable": trainable})
    print(json.dumps({key: {"name": model.name, "rows": rows, "printed": text.getvalue()}}))
"""


def run(program):
    out = subprocess.run([sys.executable, "-c", RECORD + program], check=True, capture_output=True, text=True).stdout
    models = {}
    for line in out.splitlines():
        if line.startswith("{"):
            models.update(json.loads(line))
    return models


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "tests/keras/summaries.json")
    version = subprocess.run([sys.executable, "-c", "import tensorflow as tf, keras; print(tf.__version__, keras.__version__)"],
                             check=True, capture_output=True, text=True).stdout.split()
    models = {"tensorflow": version[0], "keras": version[1], **run(GAN), **run(AUTOENCODER), **run(GAN_VARIANTS)}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(models, indent=1, ensure_ascii=False) + "\n")
    for key in ("generator", "discriminator", "gan", "autoencoder", "variant_generator", "variant_discriminator", "variant_gan"):
        print(models[key]["printed"])
    print(f"wrote {out} (TensorFlow {version[0]}, Keras {version[1]})")


if __name__ == "__main__":
    main()
