#!/usr/bin/env bash
# genlab vs the lecture's Keras code on the same machine, in one run: installs TensorFlow (CPU)
# into bench/.venv once, then runs `genlab bench` and bench/keras_bench.py alternately, pinned to
# the same cores, and prints the medians of each and the ratios genlab / Keras.
#
# Side by side at the same instruction set: the best path of this CPU (genlab's detected path
# against Keras/oneDNN unrestricted) and, where the CPU has AVX-512, AVX2 as most laptops have it
# (genlab with GENLAB_CPU=avx2 against Keras with oneDNN capped by ONEDNN_MAX_CPU_ISA=AVX2).
# Usage: bash bench/compare.sh [ROUNDS]   (not part of the test command; run on a quiet machine)
#   NETWORKS=variants bash bench/compare.sh [ROUNDS]: the exercises' changed models on both sides
#   (genlab bench --networks variants, keras_bench.py with BENCH_NETWORKS=variants); NETWORKS=typed
#   times genlab's lecture models written line by line against the lecture's Keras code.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
NETWORKS=${NETWORKS:-lecture}
keras_networks=$([ "$NETWORKS" = variants ] && echo variants || echo lecture)
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
best=$(./target/release/genlab cpu | sed -E 's/.*cpu=([a-z0-9]+) .*/\1/')
paths=("$best")
if [ "$best" = avx512 ]; then paths+=(avx2); fi
# oneDNN's cap for each genlab path (empty: unrestricted).
onednn_isa() { case $1 in avx2) echo AVX2 ;; *) echo "" ;; esac; }
echo "== $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), ${ROUNDS} rounds, paths: ${paths[*]}, networks: $NETWORKS"
field() { sed -E "s/.*(^| )$1=([0-9.]+).*/\2/" <<<"$2"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A g_gan g_ae g_ep k_gan k_ae k_ep
for r in $(seq "$ROUNDS"); do
  for path in "${paths[@]}"; do
    line=$(GENLAB_CPU=$path RAYON_NUM_THREADS=$CORES $pin ./target/release/genlab bench --gan-iters 20 --ae-steps 40 --ae-epoch --networks "$NETWORKS" | tail -1)
    echo "round $r $path genlab: $line"
    g_gan[$path]+=" $(field gan_iter_s "$line")"; g_ae[$path]+=" $(field ae_step_s "$line")"; g_ep[$path]+=" $(field ae_epoch_s "$line")"
    isa=$(onednn_isa "$path")
    line=$(env ${isa:+ONEDNN_MAX_CPU_ISA=$isa} BENCH_THREADS=$CORES BENCH_NETWORKS=$keras_networks $pin bench/.venv/bin/python bench/keras_bench.py 20 40 epoch 2>/dev/null | tail -1)
    echo "round $r $path keras${isa:+ (ONEDNN_MAX_CPU_ISA=$isa)}:  $line"
    k_gan[$path]+=" $(field keras_gan_iter_s "$line")"; k_ae[$path]+=" $(field keras_ae_step_s "$line")"; k_ep[$path]+=" $(field keras_ae_epoch_s "$line")"
  done
done
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for path in "${paths[@]}"; do
  # shellcheck disable=SC2086
  gg=$(median ${g_gan[$path]}); ga=$(median ${g_ae[$path]}); ge=$(median ${g_ep[$path]})
  # shellcheck disable=SC2086
  kg=$(median ${k_gan[$path]}); ka=$(median ${k_ae[$path]}); ke=$(median ${k_ep[$path]})
  echo "[$path] GAN iteration: genlab ${gg} s, Keras ${kg} s"
  echo "[$path] AE step:       genlab ${ga} s, Keras ${ka} s"
  echo "[$path] AE epoch:      genlab ${ge} s, Keras ${ke} s (fit: 469 steps + test/validation loss)"
  awk -v p="$path" -v gg="$gg" -v kg="$kg" -v ga="$ga" -v ka="$ka" -v ge="$ge" -v ke="$ke" \
    'BEGIN { printf "[%s] ratio_gan=%.2f ratio_ae=%.2f ratio_ae_epoch=%.2f (target <= 0.70)\n", p, gg/kg, ga/ka, ge/ke }'
done
