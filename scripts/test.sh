#!/usr/bin/env bash
# The whole test suite, from a fresh machine with Rust, Python 3 and pip (Linux; macOS too, where the
# cross and browser steps skip, saying why, when their tools cannot be installed):
#   0. the set-up's and the kernel launcher's own tests (scripts/tests: prerequisites, build slots)
#   1. set-up (scripts/setup.py: venv with JupyterLab/nbclient, evcxr_jupyter, the genlab-rust kernel
#      in .venv, MNIST, build slot 0 pre-compiled); the user's own Jupyter kernels must be untouched;
#      then real kernels in their build slots (scripts/check_kernel_slots.py), and a changed model
#      written in cells, trained, checkpointed and resumed in a new kernel (scripts/check_student_model.py)
#   2. cargo test --release, overflow-checked (library, layers, training on real MNIST, figures, compile-fail shapes,
#      every hostile-input fault as a process, the IDX and checkpoint readers fuzzed for GENLAB_FUZZ_SECONDS=20),
#      the layer tests on every other kernel path of this CPU, scripts/cross_check.sh (aarch64 under qemu,
#      macOS and Windows MSVC type-checks) and scripts/wine_check.sh (the Windows build's tests under Wine)
#   3. every notebook executed headless with small counts; fails on any error, panic or missing figure
#   4. the executed notebooks opened in JupyterLab in headless Chromium (installed with apt when missing),
#      then built into reveal.js slide decks (scripts/build_decks.py; reveal.js from npm) and every slide shown
# Idempotent and quick when already set up. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cores=$(nproc 2>/dev/null || sysctl -n hw.ncpu)
echo "== $(date -u +%FT%TZ) genlab test: $(rustc --version), $cores cores, $(uptime | sed 's/.*load/load/')"
SECONDS=0
python3 -m unittest discover -s scripts/tests
# The user's own kernels (Linux and macOS locations): set-up, the notebook runs and JupyterLab in the
# browser check must leave them as they are.
user_kernels() { for d in "$HOME/.local/share/jupyter/kernels" "$HOME/Library/Jupyter/kernels"; do
  [ -d "$d" ] && find "$d" -type f -exec cksum {} + | sort; done; true; }
kernels_before=$(user_kernels)
python3 scripts/setup.py
echo "== set-up done after ${SECONDS} s"
# Real kernels: two at once get different build slots, a kill -9'd kernel's slot is reused.
.venv/bin/python scripts/check_kernel_slots.py
# A changed model typed in cells (256 filters, a third convolution block) through a real kernel:
# its Keras summaries, training, the lecture's loop call by call, checkpoint, resume in a new kernel.
.venv/bin/python scripts/check_student_model.py

# Integer overflow checked in genlab's own code (release builds leave it unchecked, for speed).
cargo test --release --locked --config 'profile.release.package.genlab.overflow-checks=true'
echo "== cargo tests done after ${SECONDS} s"

# The layer tests again on every other kernel path this CPU has (the unit tests already loop over
# them), forced with GENLAB_CPU; then the crate on aarch64 (qemu), macOS and Windows targets.
best=$(./target/release/genlab cpu | sed -E 's/.*cpu=([a-z0-9]+) .*/\1/')
for path in $(./target/release/genlab cpu | sed -E 's/.*supported=//; s/,/ /g'); do
  [ "$path" = "$best" ] && continue
  echo "== layer tests on the $path kernel path"
  GENLAB_CPU=$path cargo test --release --locked --config 'profile.release.package.genlab.overflow-checks=true' --test layers
done
bash scripts/cross_check.sh
bash scripts/wine_check.sh
echo "== kernel paths and cross checks done after ${SECONDS} s"

# Short runs: the notebook runner inserts these after each notebook's `parameters` cell.
export GENLAB_GAN_ITERATIONS="${GENLAB_GAN_ITERATIONS:-41}"
export GENLAB_GAN_SNAPSHOT_EVERY="${GENLAB_GAN_SNAPSHOT_EVERY:-10}"
# The iterations of the lecture's two results slides, at this run's snapshots.
export GENLAB_GAN_SLIDE_1="${GENLAB_GAN_SLIDE_1:-0,10,20}"
export GENLAB_GAN_SLIDE_2="${GENLAB_GAN_SLIDE_2:-30,40}"
export GENLAB_AE_EPOCHS="${GENLAB_AE_EPOCHS:-1}"
export GENLAB_AE_TOTAL_EPOCHS="${GENLAB_AE_TOTAL_EPOCHS:-2}"
export GENLAB_DENOISE_EPOCHS="${GENLAB_DENOISE_EPOCHS:-1}"
# 04 trains long enough (~40 s) that its next cells run and return while it trains.
export GENLAB_BETTER_GAN_ITERATIONS="${GENLAB_BETTER_GAN_ITERATIONS:-400}"
export GENLAB_BETTER_GAN_SNAPSHOT_EVERY="${GENLAB_BETTER_GAN_SNAPSHOT_EVERY:-100}"
.venv/bin/python scripts/run_notebooks.py
echo "== notebooks done after ${SECONDS} s"

# 4. the executed notebooks in JupyterLab in headless Chromium: every figure rendered, no error shown;
#    then as slide decks (target/decks): at least 8 slides each, every slide's images rendered
.venv/bin/python scripts/browser_check.py target/notebooks
if [ "$(user_kernels)" != "$kernels_before" ]; then
  echo "error: the user's own Jupyter kernels changed during the tests:" >&2
  diff <(echo "$kernels_before") <(user_kernels) >&2 || true
  exit 1
fi
echo "== all tests done after ${SECONDS} s; the user's own Jupyter kernels untouched"
