"""Driving the project's Rust kernel from Python (jupyter_client), as JupyterLab does: shared by the
set-up's warm-up (`kernel_warmup.py`), the notebook runner, the slot check and the latency benchmark."""
import json
import os
import time

from setup import KERNEL_NAME, ROOT  # noqa: F401  (the kernel the set-up registers)

NOTEBOOKS = ROOT / "notebooks"


def code_cells(notebook):
    """The sources of a notebook's code cells, in order."""
    nb = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def start(notebook="01_gan.ipynb", startup_timeout=120):
    """A running kernel (manager, client) that, as under JupyterLab, knows which notebook it runs."""
    from jupyter_client.manager import start_new_kernel

    env = {**os.environ, "JPY_SESSION_NAME": str(NOTEBOOKS / notebook)}
    return start_new_kernel(kernel_name=KERNEL_NAME, cwd=str(NOTEBOOKS), startup_timeout=startup_timeout, env=env)


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def run(kc, code, timeout=3600):
    """Executes one cell: (wall seconds, its text output, seconds to its first PNG or None).
    Raises RuntimeError when the cell fails or panics."""
    started = time.time()
    msg_id = kc.execute(code)
    text, first_figure, errors = [], None, []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind in ("display_data", "execute_result") and "image/png" in content.get("data", {}) and first_figure is None:
            first_figure = time.time() - started
        elif kind == "stream":
            text.append(content["text"])
        elif kind == "error":
            errors.append(content.get("evalue", ""))
        elif kind == "status" and content["execution_state"] == "idle":
            break
    out = "".join(text)
    if errors or "panicked" in out:
        raise RuntimeError(f"cell failed: {errors} {out[-2000:]}")
    return time.time() - started, out, first_figure
