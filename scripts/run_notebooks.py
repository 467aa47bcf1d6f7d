#!/usr/bin/env python3
"""Execute every notebook in notebooks/ headless with the Rust (evcxr) kernel, and fail on any
error output, panic, returned error or missing figure. Executed copies go to target/notebooks/.

Usage: python scripts/run_notebooks.py [-p NAME VALUE ...] [NOTEBOOK ...]
  e.g. .venv/bin/python scripts/run_notebooks.py -p iterations 1000 notebooks/01_gan.ipynb
`-p` sets a variable of the notebooks' `parameters` cell, as papermill's -p does (papermill itself
has no Rust translator), typed as that cell types it; each notebook takes the names it defines.
Short runs, as papermill does them: each notebook has one code cell tagged `parameters` holding
the lecture's numbers (`let iterations: u64 = 4001;`). When the runner's environment sets the
variables below (the test command sets GENLAB_GAN_ITERATIONS, GENLAB_GAN_SNAPSHOT_EVERY,
GENLAB_GAN_SLIDE_1, GENLAB_GAN_SLIDE_2, GENLAB_AE_EPOCHS, GENLAB_AE_TOTAL_EPOCHS, GENLAB_DENOISE_EPOCHS,
GENLAB_BETTER_GAN_ITERATIONS, GENLAB_BETTER_GAN_SNAPSHOT_EVERY; a list as "0,10,20"), a cell that
sets them again is inserted right after it, in the executed copy only. The notebooks read no
environment variable themselves.

Checks that belong to the test and not to the teaching text are here too: a cell tagged
raises-exception must fail with the compiler error its metadata names (genlab.expect_error), and
each notebook must leave the files FILES_AFTER lists (checkpoints, exported figures).
"""
import argparse
import os
import pathlib
import re
import sys
import time

import nbclient
import nbformat

import kernel_client
import notebook_parameters
from kernel_client import NOTEBOOKS, ROOT

OUT = ROOT / "target" / "notebooks"
# Figures each notebook must show inline (image/png and image/gif outputs), at least.
MIN_FIGURES = {"01_gan.ipynb": 10, "02_autoencoder.ipynb": 5, "03_beyond.ipynb": 3, "04_better_gan.ipynb": 3}
# Files (under notebooks/) each notebook leaves: its runs' checkpoints and the figures it exports.
FILES_AFTER = {
    "01_gan.ipynb": ["runs/gan/checkpoint.safetensors", "figures/gan-ko/losses.png", "figures/gan_diagram.svg"],
    "02_autoencoder.ipynb": ["runs/autoencoder/checkpoint.safetensors", "figures/autoencoder-ko/losses.png"],
    "03_beyond.ipynb": ["runs/denoiser/checkpoint.safetensors", "figures/latent_walk-ko.png"],
    "04_better_gan.ipynb": ["runs/better_gan/checkpoint.safetensors", "runs/better_gan/samples.idx",
                            "runs/background_ae/checkpoint.safetensors", "figures/better_gan-ko/side_by_side.png"],
}
IMAGE_TYPES = ("image/png", "image/gif")
# Per notebook: parameter variable -> the runner's environment variable with its short value.
OVERRIDES = {
    "01_gan.ipynb": {"iterations": "GENLAB_GAN_ITERATIONS", "snapshot_every": "GENLAB_GAN_SNAPSHOT_EVERY",
                     "slide_1": "GENLAB_GAN_SLIDE_1", "slide_2": "GENLAB_GAN_SLIDE_2"},
    "02_autoencoder.ipynb": {"epochs": "GENLAB_AE_EPOCHS", "total_epochs": "GENLAB_AE_TOTAL_EPOCHS"},
    "03_beyond.ipynb": {"epochs": "GENLAB_DENOISE_EPOCHS"},
    "04_better_gan.ipynb": {
        "iterations": "GENLAB_BETTER_GAN_ITERATIONS",
        "snapshot_every": "GENLAB_BETTER_GAN_SNAPSHOT_EVERY",
    },
}
FAILURE = re.compile(r"panicked at|^Error:|^error(\[E\d+\])?:", re.MULTILINE)


# nbclient's tag for a cell that shows an error on purpose (notebook 01's compile error): it must
# fail with a compiler error, and its error is not a problem.
EXPECTED_ERROR = "raises-exception"


def output_text(out):
    if out.output_type == "error":
        return f"{out.get('ename')}: {out.get('evalue')}\n" + "\n".join(out.get("traceback", []))
    if out.output_type == "stream":
        return out.get("text", "")
    return ""


def problems_in(nb):
    found = []
    for index, cell in enumerate(nb.cells):
        outputs = cell.get("outputs", [])
        errors = [output_text(out)[:3000] for out in outputs
                  if out.output_type == "error" or (out.output_type == "stream" and FAILURE.search(out.get("text", "")))]
        if EXPECTED_ERROR in cell.get("metadata", {}).get("tags", []):
            # evcxr reports each compiler message as an error output (ename "Error").
            shown = "\n".join(output_text(out) for out in outputs if out.output_type == "error")
            expected = cell.get("metadata", {}).get("genlab", {}).get("expect_error", "")
            if not shown:
                found.append(f"cell {index} is tagged {EXPECTED_ERROR} but shows no compiler error")
            elif expected not in shown:
                found.append(f"cell {index} fails, but not with {expected!r} (its text says so): {shown[:600]}")
            continue
        found += [f"cell {index}: {e}" for e in errors]
    return found


def cell_seconds(cell):
    ex = cell.get("metadata", {}).get("execution", {})
    start, end = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
    if not (start and end):
        return None
    from datetime import datetime
    fmt = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
    return (fmt(end) - fmt(start)).total_seconds()


def inject_parameters(nb, name, given):
    """Inserts the run's values after the `parameters` cell: the short run's from the environment
    (OVERRIDES), then those given with -p; fails when a variable to set is not defined there (a
    renamed variable must not silently run the full count)."""
    values = {var: os.environ[env] for var, env in OVERRIDES.get(name, {}).items() if os.environ.get(env)}
    values.update(given)
    if not values:
        return
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise SystemExit(f"{name}: expected one cell tagged 'parameters', found {len(tagged)}")
    lines = ["// Injected by scripts/run_notebooks.py (as papermill does)."]
    lines += notebook_parameters.injected_lines(nb.cells[tagged[0]].source, values, name)
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(tagged[0] + 1, cell)


def run(path, given=None):
    nb = nbformat.read(path, as_version=4)
    inject_parameters(nb, path.name, given or {})
    client = nbclient.NotebookClient(
        nb, timeout=3600, kernel_name=kernel_client.KERNEL_NAME, allow_errors=True, record_timing=True,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    started = time.time()
    # As JupyterLab does: the kernel learns which notebook it runs (its build directory).
    client.execute(env={**os.environ, "JPY_SESSION_NAME": str(path)})
    total = time.time() - started
    OUT.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, OUT / path.name)
    figures = sum(1 for c in nb.cells for o in c.get("outputs", []) if any(t in o.get("data", {}) for t in IMAGE_TYPES))
    print(f"== {path.name}: {total:.1f} s, {figures} inline figures")
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            secs = cell_seconds(cell)
            first = cell.source.strip().splitlines()[0][:70] if cell.source.strip() else ""
            print(f"   cell {index:2d}: {secs if secs is not None else float('nan'):7.2f} s  {first}")
    problems = problems_in(nb)
    problems += [f"it left no {f} (under {NOTEBOOKS})" for f in FILES_AFTER.get(path.name, [])
                 if not (NOTEBOOKS / f).is_file()]
    need = MIN_FIGURES.get(path.name, 1)
    if figures < need:
        problems.append(f"only {figures} inline figures (image/png, image/gif), expected at least {need}")
    return problems


def main(args):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="set a variable of the notebooks' parameters cell, typed as that cell types it "
                             "(papermill's -p; a list as 0,10,20); repeat for more")
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: all in notebooks/)")
    a = parser.parse_args(args)
    paths = [pathlib.Path(n).resolve() for n in a.notebooks] or sorted(NOTEBOOKS.glob("*.ipynb"))
    given = dict(a.parameter)
    # Each notebook takes the given names its parameters cell defines; a name none defines is a typo.
    sources = {p: next((c.source for c in nbformat.read(p, as_version=4).cells
                        if "parameters" in c.get("metadata", {}).get("tags", [])), "") for p in paths}
    unknown = [n for n in given if not any(n in notebook_parameters.defined(s) for s in sources.values())]
    if unknown:
        raise SystemExit(f"-p {unknown[0]}: no parameters cell of {', '.join(p.name for p in paths)} defines it")
    failed = 0
    for path in paths:
        mine = {n: v for n, v in given.items() if n in notebook_parameters.defined(sources[path])}
        problems = run(path, mine)
        for p in problems:
            print(f"FAIL {path.name}: {p}", file=sys.stderr)
        failed += bool(problems)
    passed = len(paths) - failed
    print(f"notebooks: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
