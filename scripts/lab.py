#!/usr/bin/env python3
"""Sets everything up (scripts/setup.py: idempotent, quick when done) and opens the notebooks in
JupyterLab with the project's Rust kernel. Linux, macOS and Windows.

Usage: python3 scripts/lab.py [extra jupyter lab arguments]      (Windows: py scripts\\lab.py)
"""
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import setup  # noqa: E402  (scripts/setup.py)


def main(args):
    status = setup.main([])
    if status != 0:
        return status
    command = [str(setup.venv_bin("jupyter")), "lab", f"--notebook-dir={ROOT / 'notebooks'}", *args]
    if os.name == "posix" and os.geteuid() == 0:
        command.append("--allow-root")
    if os.name == "nt":
        return subprocess.call(command)
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
