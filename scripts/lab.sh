#!/usr/bin/env bash
# Set everything up (idempotent, quick when done) and open the notebooks in JupyterLab with the
# Rust kernel. Usage: bash scripts/lab.sh [extra jupyter lab arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
args=(--notebook-dir=notebooks)
[ "$(id -u)" = 0 ] && args+=(--allow-root)
exec .venv/bin/jupyter lab "${args[@]}" "$@"
