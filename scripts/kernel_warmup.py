#!/usr/bin/env python3
"""Pre-compiles the notebooks' crates into a build slot (part of `scripts/setup.py`).

Starts one Rust kernel through the project's kernel spec (so it claims the first free build slot,
slot 0 when no kernel runs), runs each distinct build cell of the notebooks (`:build_env`,
`:dep genlab ...`), then the first notebook's `use` cell and one figure, so that genlab, dfdx,
plotters and a cell that links them are compiled and cached. The next kernel start in that slot,
of any notebook, compiles only its own cells. Seconds when the slot is already warm.

Usage: .venv/bin/python scripts/kernel_warmup.py
"""
import sys
import time

import kernel_client


def main():
    notebooks = sorted(p.name for p in kernel_client.NOTEBOOKS.glob("*.ipynb"))
    build_cells = list(dict.fromkeys(kernel_client.code_cells(nb)[0] for nb in notebooks))
    started = time.time()
    km, kc = kernel_client.start(notebooks[0], startup_timeout=300)
    try:
        for cell in build_cells:
            wall, _, _ = kernel_client.run(kc, cell)
            print(f"   build cell: {wall:.1f} s", flush=True)
        wall, _, _ = kernel_client.run(kc, kernel_client.code_cells(notebooks[0])[1])
        wall, _, figure = kernel_client.run(kc, "genlab::Figure::activations()")
        if figure is None:
            raise RuntimeError("the warm-up figure showed no PNG")
    finally:
        kernel_client.stop(km, kc)
    print(f"   kernel warm after {time.time() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
