#!/usr/bin/env python3
"""Re-run latency as a user meets it: drive a real Rust (evcxr) kernel through the GAN notebook's
flow with jupyter_client, and report per-cell wall time split into compilation/overhead and
training (a new count in the parameters cell, then the training cell, as a student re-runs
them); then restart the kernel and time a second start up to the first figure.

Targets (issue 16): a kernel start, the first after set-up as any later one, to the first figure
<= 15 s; a re-run's overhead beyond the training itself <= 0.5 s. Run it right after set-up to
measure the first start (set-up's warm-up leaves build slot 0 compiled). Timings depend on the
machine's load: run it on a quiet machine. It is a benchmark, not part of the test command.
Exit code 1 when a target is missed.

Usage: python scripts/latency_check.py
"""
import re
import sys
import time

import kernel_client
from kernel_client import run


FIGURE = "genlab::Figure::activations()"
FIRST_FIGURE_TARGET_S = 15.0
RERUN_TARGET_S = 0.5


def main():
    setup, imports = kernel_client.code_cells("01_gan.ipynb")[:2]
    rows = []
    t0 = time.time()
    km, kc = kernel_client.start()
    rows.append(("kernel start", time.time() - t0, None))
    for name, code in [("set-up cell (:dep genlab)", setup), ("imports", imports), ("first figure", FIGURE),
                       ("create GAN", "let mut gan = Gan::new(GanConfig { log_every: 0, ..GanConfig::default() })?;\n"
                                      "let mut stopwatch = std::time::Instant::now();")]:
        wall, _, _ = run(kc, code)
        rows.append((name, wall, None))
        if name == "first figure":
            first_start = time.time() - t0
    overheads, parameter_cells = [], []
    for i, n in enumerate([10, 20, 5, 15]):
        # As a student does it: a new count in the parameters cell (a new top-level variable, which
        # evcxr types and stores), then the training cell, which defines none, as in notebook 01;
        # `stopwatch` (defined once above) times the training from inside the cell.
        wall, _, _ = run(kc, f"let iterations: u64 = {n};")
        rows.append((f"parameters cell, iterations={n}", wall, 0.0))
        code = ("stopwatch = std::time::Instant::now();\ngan.train(iterations)?;\n"
                "println!(\"TRAIN_SECONDS={}\", stopwatch.elapsed().as_secs_f64());")
        wall, out, _ = run(kc, code)
        train = float(re.search(r"TRAIN_SECONDS=([0-9.eE+-]+)", out).group(1))
        rows.append((f"training cell, iterations={n}" + (" (first run)" if i == 0 else " (re-run)"), wall, train))
        if i > 0:
            overheads.append(wall - train)
            parameter_cells.append(rows[-2][1])
    kernel_client.stop(km, kc)

    t0 = time.time()
    km, kc = kernel_client.start()
    run(kc, setup)
    run(kc, FIGURE)
    second_start = time.time() - t0
    kernel_client.stop(km, kc)

    print(f"{'step':<44}{'wall s':>9}{'train s':>9}{'overhead s':>12}")
    for name, wall, train in rows:
        t = f"{train:9.2f}" if train is not None else " " * 9
        o = f"{wall - train:12.2f}" if train is not None else " " * 12
        print(f"{name:<44}{wall:9.2f}{t}{o}")
    worst = max(overheads)
    print(f"first kernel start to first figure: {first_start:.2f} s (target <= {FIRST_FIGURE_TARGET_S:.0f} s)")
    print(f"re-run overhead beyond training: max {worst:.2f} s (target <= {RERUN_TARGET_S} s); "
          f"a parameters cell before it: max {max(parameter_cells):.2f} s")
    print(f"second kernel start to first figure: {second_start:.2f} s (target <= {FIRST_FIGURE_TARGET_S:.0f} s)")
    ok = worst <= RERUN_TARGET_S and max(first_start, second_start) <= FIRST_FIGURE_TARGET_S
    print(f"latency_first_start_to_figure_s={first_start:.2f} latency_rerun_overhead_s={worst:.2f} "
          f"second_start_to_figure_s={second_start:.2f} {'PASS' if ok else 'MISS'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
