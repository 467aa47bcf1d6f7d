#!/usr/bin/env bash
# genlab vs the lecture's Keras code on the same machine, in one run: installs TensorFlow (CPU)
# into bench/.venv once, then runs `genlab bench` and bench/keras_bench.py alternately, pinned to
# the same cores, and prints the medians of each and the ratios genlab / Keras.
# Usage: bash bench/compare.sh [ROUNDS]   (not part of the test command; run on a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
CORES=$(nproc)
if [ ! -x bench/.venv/bin/python ] || ! bench/.venv/bin/python -c "import tensorflow" 2>/dev/null; then
  echo "== installing TensorFlow (CPU) into bench/.venv"
  python3 -m venv bench/.venv
  bench/.venv/bin/python -m pip install -q --upgrade pip
  bench/.venv/bin/python -m pip install -q "tensorflow-cpu>=2.16,<3" numpy
fi
cargo build --release --locked --quiet
./target/release/genlab fetch-mnist > /dev/null
pin="taskset -c 0-$((CORES - 1))"
echo "== $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), ${ROUNDS} rounds"
g_gan=(); g_ae=(); g_ep=(); k_gan=(); k_ae=(); k_ep=()
field() { sed -E "s/.*(^| )$1=([0-9.]+).*/\2/" <<<"$2"; }
for r in $(seq "$ROUNDS"); do
  line=$(RAYON_NUM_THREADS=$CORES $pin ./target/release/genlab bench --gan-iters 20 --ae-steps 40 --ae-epoch | tail -1)
  echo "round $r genlab: $line"
  g_gan+=("$(field gan_iter_s "$line")"); g_ae+=("$(field ae_step_s "$line")"); g_ep+=("$(field ae_epoch_s "$line")")
  line=$(BENCH_THREADS=$CORES $pin bench/.venv/bin/python bench/keras_bench.py 20 40 epoch 2>/dev/null | tail -1)
  echo "round $r keras:  $line"
  k_gan+=("$(field keras_gan_iter_s "$line")"); k_ae+=("$(field keras_ae_step_s "$line")"); k_ep+=("$(field keras_ae_epoch_s "$line")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
gg=$(median "${g_gan[@]}"); ga=$(median "${g_ae[@]}"); ge=$(median "${g_ep[@]}")
kg=$(median "${k_gan[@]}"); ka=$(median "${k_ae[@]}"); ke=$(median "${k_ep[@]}")
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "GAN iteration: genlab ${gg} s, Keras ${kg} s"
echo "AE step:       genlab ${ga} s, Keras ${ka} s"
echo "AE epoch:      genlab ${ge} s, Keras ${ke} s (fit: 469 steps + test/validation loss)"
awk -v gg="$gg" -v kg="$kg" -v ga="$ga" -v ka="$ka" -v ge="$ge" -v ke="$ke" \
  'BEGIN { printf "ratio_gan=%.2f ratio_ae=%.2f ratio_ae_epoch=%.2f (target <= 0.70)\n", gg/kg, ga/ka, ge/ke }'
