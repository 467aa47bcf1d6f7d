#!/usr/bin/env bash
# Idempotent set-up shared by scripts/lab.sh and scripts/test.sh; quick when already done.
#   - a Python venv (.venv) with JupyterLab, nbconvert and nbclient
#   - the Rust kernel: evcxr_jupyter (cargo install --locked, only when missing), rust-src, kernel spec
#   - MNIST in the data directory, fetched and checksummed by genlab itself
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
EVCXR_VERSION=0.22.0
PY_REQS="jupyterlab>=4,<5 nbconvert>=7,<8 nbclient>=0.10,<1 ipykernel>=6,<8"

step() { echo "== setup: $*"; }

# 1. Python tools in a venv of our own.
if [ ! -x .venv/bin/python ]; then
  step "creating .venv"
  python3 -m venv .venv
fi
stamp=".venv/.genlab-reqs"
if [ "$(cat "$stamp" 2>/dev/null)" != "$PY_REQS" ]; then
  step "installing $PY_REQS"
  .venv/bin/python -m pip install -q --upgrade pip
  # shellcheck disable=SC2086
  .venv/bin/python -m pip install -q $PY_REQS
  echo "$PY_REQS" > "$stamp"
fi

# JupyterLab in the venv asks no one about news or updates (its pop-up covered figures).
overrides=.venv/share/jupyter/lab/settings/overrides.json
want='{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}'
if [ "$(cat "$overrides" 2>/dev/null)" != "$want" ]; then
  step "turning off JupyterLab's news and update pop-ups ($overrides)"
  mkdir -p "$(dirname "$overrides")"
  echo "$want" > "$overrides"
fi

# 2. The Rust kernel.
export PATH="$HOME/.cargo/bin:$PATH"
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
  step "adding the rust-src component"
  rustup component add rust-src
fi
if ! cargo install --list 2>/dev/null | grep -q "^evcxr_jupyter v$EVCXR_VERSION:"; then
  step "installing evcxr_jupyter $EVCXR_VERSION (one-time, about 13 min on 2 cores)"
  cargo install evcxr_jupyter --version "$EVCXR_VERSION" --locked
fi
if ! .venv/bin/jupyter kernelspec list 2>/dev/null | grep -q '^ *rust '; then
  step "registering the Rust kernel"
  evcxr_jupyter --install
fi
# A persistent build directory for the kernel: the first free slot of /tmp/genlab-evcxr-<uid>/slot<N>
# (flock keeps two running kernels apart), so a second kernel start, of any notebook, reuses the
# compiled crates. evcxr's own `:cache` is not used: its cached dependency files name the build
# directory that first compiled them, and once that is gone cargo re-links six crates per cell.
spec="$(.venv/bin/jupyter kernelspec list --json | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["kernelspecs"]["rust"]["resource_dir"])')/kernel.json"
if ! grep -q genlab-evcxr-slots "$spec"; then
  step "giving the Rust kernel persistent build directories"
  .venv/bin/python - "$spec" "$(command -v evcxr_jupyter)" <<'PY'
import json, sys
spec, evcxr = sys.argv[1], sys.argv[2]
k = json.load(open(spec))
script = (': genlab-evcxr-slots; b="${TMPDIR:-/tmp}/genlab-evcxr-$(id -u)"; mkdir -p "$b"; '
          'for i in 0 1 2 3 4 5 6 7; do exec 9>"$b/slot$i.lock"; '
          'if flock -n 9; then export EVCXR_TMPDIR="$b/slot$i"; mkdir -p "$EVCXR_TMPDIR"; break; fi; done; '
          'exec "$0" --control_file "$1"')
k["argv"] = ["sh", "-c", script, evcxr, "{connection_file}"]
json.dump(k, open(spec, "w"), indent=2)
PY
fi

# 3. MNIST, through genlab's own checksummed fetch ($GENLAB_MNIST_MIRROR may name a local mirror).
cargo build --release --locked --quiet
./target/release/genlab fetch-mnist
step "done ($ROOT)"
