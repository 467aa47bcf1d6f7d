#!/usr/bin/env bash
# Set everything up (idempotent, quick when done) and open the notebooks in JupyterLab with the
# Rust kernel. Usage: bash scripts/lab.sh [extra jupyter lab arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/jupyter lab --notebook-dir=notebooks "$@"
