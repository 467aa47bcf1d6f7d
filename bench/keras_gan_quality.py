#!/usr/bin/env python3
"""Train the lecture's exact Keras GAN (the training loop of the book the lecture follows:
batch 32, D on real, G predict, D on fake, G through the frozen D) and write what genlab needs to
judge it beside its own runs: the losses of every iteration (`history.csv`) and, at every
snapshot, 1,000 generated digits as an IDX image file (`samples-<iteration>.idx`), which
`genlab score` reads.

Usage: bench/.venv/bin/python bench/keras_gan_quality.py OUT_DIR [ITERATIONS=4001] [SEED=0] [SNAPSHOT_EVERY=400]
then:  genlab score OUT_DIR/samples-4000.idx
(bench/compare.sh installs bench/.venv.) Not part of the test command: about 12 min on 2 cores.
"""
import os
import pathlib
import struct
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from keras_bench import gan_models, load_images  # noqa: E402
import tensorflow as tf  # noqa: E402


def write_idx(path, images):
    """Images in [-1, 1] (tanh) -> unsigned bytes, IDX magic 0x803."""
    pixels = np.clip(np.rint(images.reshape(-1, 28, 28) * 127.5 + 127.5), 0, 255).astype(np.uint8)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack(">IIII", 0x803, pixels.shape[0], 28, 28))
        f.write(pixels.tobytes())
    tmp.replace(path)


def main():
    out = pathlib.Path(sys.argv[1])
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 4001
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    every = int(sys.argv[4]) if len(sys.argv) > 4 else 400
    out.mkdir(parents=True, exist_ok=True)
    tf.keras.utils.set_random_seed(seed)
    data_dir = pathlib.Path(os.environ.get("GENLAB_DATA", pathlib.Path(__file__).resolve().parent.parent / "data" / "mnist"))
    x = (load_images(data_dir).astype("float32") - 127.5) / 127.5
    rng = np.random.default_rng(seed)
    generator, discriminator, gan = gan_models()
    true, fake = np.ones((32, 1)), np.zeros((32, 1))
    fixed_noise = np.random.default_rng(12345).normal(0, 1, (1000, 100))
    started = time.time()
    with open(out / "history.csv", "w") as log:
        log.write("iteration,d_loss,g_loss\n")
        for i in range(iterations):
            imgs = x[rng.integers(0, x.shape[0], 32)]
            d_real = discriminator.train_on_batch(imgs, true)
            noise = rng.normal(0, 1, (32, 100))
            gen_imgs = generator.predict(noise, verbose=0)
            d_fake = discriminator.train_on_batch(gen_imgs, fake)
            g_loss = gan.train_on_batch(noise, true)
            d_loss = 0.5 * (float(d_real) + float(d_fake))
            log.write(f"{i},{d_loss:.6f},{float(g_loss):.6f}\n")
            if i % every == 0 or i == iterations - 1:
                write_idx(out / f"samples-{i}.idx", generator.predict(fixed_noise, verbose=0))
                print(f"iteration {i} d_loss={d_loss:.4f} g_loss={float(g_loss):.4f} ({time.time() - started:.0f} s)", flush=True)
    print(f"keras_gan_seconds={time.time() - started:.1f}")


if __name__ == "__main__":
    main()
