#!/usr/bin/env bash
# The README's first command: set-up, then JupyterLab (scripts/lab.py; on Windows: py scripts\lab.py).
exec python3 "$(dirname "$0")/lab.py" "$@"
