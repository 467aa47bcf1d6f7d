#!/usr/bin/env python3
"""A changed model through a real Rust (evcxr) kernel, as a student changes one in notebook 01
(part of the test command, after set-up).

In one genlab-rust kernel: notebook 01's set-up and import cells, then cells a student writes:
a generator with 256 filters instead of 128 and a discriminator with a third convolution block,
their Keras summaries (the parameter counts Keras prints for the same change), the trainer built
from them with a run directory, a few iterations, the lecture's loop written out call by call,
a checkpoint. Then a fresh kernel (as after an interrupt) types the same networks again and
resumes the run where it stopped; resuming it with the lecture's networks is a clear error naming
the tensor that does not fit. Prints each cell's wall time (the cell that names the networks
compiles the trainer for them; every later cell calls through it). Exit code 1 on any failure.

Usage: .venv/bin/python scripts/check_student_model.py
"""
import json
import re
import shutil
import sys
import tempfile

import kernel_client
from kernel_client import run

MODELS = """
type Generator = (
    (Dense<100, 12544>, LeakyRelu<20>), // Dense(256*7*7, input_dim=100, activation=LeakyReLU(0.2))
    BatchNorm1D<12544>,                 // BatchNormalization()
    Reshape<256, 7, 7>,                 // Reshape((7, 7, 256))
    (UpSampling2D<14>, Conv2d<256, 64, 5, 1, Same, 14>, BatchNorm2D<64>, Activation<LeakyRelu<20>>),
    (UpSampling2D<28>, Conv2d<64, 1, 5, 1, Same, 28>, Tanh),
);
type Discriminator = (
    (Conv2d<1, 64, 5, 2, Same, 14>, Activation<LeakyRelu<20>>, Dropout<30>),
    (Conv2d<64, 128, 5, 2, Same, 7>, Activation<LeakyRelu<20>>, Dropout<30>),
    (Conv2d<128, 256, 5, 2, Same, 4>, Activation<LeakyRelu<20>>, Dropout<30>),
    Flatten<4096>,
    Dense<4096, 1>,
);
"""
# What Keras prints for the lecture's code with the same change (tests/keras/summaries.json).
KERAS_TOTALS = ["Total params: 1,728,641", "Total params: 1,030,145", "Total params: 2,758,786"]


def cells(run_dir):
    return [
        ("the networks and their summaries", MODELS + 'println!("{}", summaries::gan_of::<Generator, Discriminator>());'),
        ("the trainer built from them", "let mut gan = Gan::with_networks::<Generator, Discriminator>().start_over("
                                        f'GanConfig {{ run_dir: Some({json.dumps(run_dir)}.into()), snapshot_every: 2, log_every: 0, ..GanConfig::default() }})?;'),
        ("3 iterations", 'gan.train(3)?;\nprintln!("ITERATION={}", gan.iteration());'),
        ("the lecture's loop, call by call", """let (real, noise) = gan.batch()?;
let gen_imgs = gan.generator_predict(&noise)?;
let (d_loss_real, d_x) = gan.discriminator_train_on_batch(&real, 1.0)?;
let (d_loss_fake, _) = gan.discriminator_train_on_batch(&gen_imgs, 0.0)?;
let (g_loss, d_g_z) = gan.train_on_batch(&noise, 1.0)?;
gan.save_checkpoint()?;
println!("ITERATION={} d_loss={} g_loss={g_loss} D(x)={d_x} D(G(z))={d_g_z}", gan.iteration(), 0.5 * (d_loss_real + d_loss_fake));"""),
        ("a figure", "gan.snapshot_figure()?"),
    ]


def iteration(out):
    return int(re.search(r"ITERATION=(\d+)", out).group(1))


def main():
    problems = []
    setup, imports = kernel_client.code_cells("01_gan.ipynb")[:2]
    run_dir = tempfile.mkdtemp(prefix="genlab-student-")
    shutil.rmtree(run_dir)
    km, kc = kernel_client.start(startup_timeout=300)
    try:
        for name, code in [("set-up cell", setup), ("imports", imports)] + cells(run_dir):
            wall, out, _ = run(kc, code)
            print(f"check_student_model: {wall:6.2f} s  {name}", flush=True)
            if name == "the networks and their summaries":
                problems += [f"the summaries lack {t!r}:\n{out}" for t in KERAS_TOTALS if t not in out]
            if name == "the lecture's loop, call by call" and iteration(out) != 4:
                problems.append(f"after 3 iterations and one written out: {out}")
    finally:
        kernel_client.stop(km, kc)
    km, kc = kernel_client.start(startup_timeout=300)
    try:
        for code in (setup, imports):
            run(kc, code)
        wall, out, _ = run(kc, MODELS + f'let mut gan = Gan::with_networks::<Generator, Discriminator>().resume({json.dumps(run_dir)})?;\n'
                                        'println!("ITERATION={}", gan.iteration());')
        print(f"check_student_model: {wall:6.2f} s  a new kernel: the networks again, and resume", flush=True)
        if iteration(out) != 4:
            problems.append(f"the resumed run is not at iteration 4: {out}")
        wall, out, _ = run(kc, 'gan.train(2)?;\nprintln!("ITERATION={}", gan.iteration());')
        if iteration(out) != 6:
            problems.append(f"the resumed run did not train on: {out}")
        # A returned error is printed by the cell; the lecture's networks must refuse this run.
        _, out, _ = run(kc, f"drop(gan);\nmatch Gan::resume({json.dumps(run_dir)}) {{\n"
                            '    Ok(_) => println!("RESUMED"),\n    Err(e) => println!("REFUSED: {e}"),\n}')
        if "REFUSED" not in out or "generator.0.0.weight" not in out:
            problems.append(f"resuming with the lecture's networks was not refused naming the tensor: {out}")
    finally:
        kernel_client.stop(km, kc)
        shutil.rmtree(run_dir, ignore_errors=True)
    for p in problems:
        print(f"FAIL check_student_model: {p}", file=sys.stderr)
    print(f"check_student_model: {'failed' if problems else 'passed'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
