#!/usr/bin/env bash
# The lecture's networks written line by line, as a notebook cell writes them
# (`genlab::models::exercises`: UpSampling2D and Conv2d apart, activations as layers of their
# own), against genlab's built-in models, in one run: `genlab bench --networks typed` and
# `--networks lecture` alternately, ROUNDS times, on each kernel path of the CPU that a user's
# laptop may take (the best one, and AVX2 where the CPU has AVX-512). Prints every round and the
# medians of the rounds' medians. Interleaving matters on a shared VM, whose speed drifts.
# Usage: bash bench/networks.sh [ROUNDS]   (not part of the test command; run on a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
cargo build --release --locked --quiet
./target/release/genlab fetch-mnist > /dev/null
best=$(./target/release/genlab cpu | sed -E 's/.*cpu=([a-z0-9]+) .*/\1/')
paths=("$best")
if [ "$best" = avx512 ]; then paths+=(avx2); fi
echo "== $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), ${ROUNDS} rounds, paths: ${paths[*]}"
field() { sed -E "s/.*(^| )$1=([0-9.]+).*/\2/" <<<"$2"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A gan ae
for r in $(seq "$ROUNDS"); do
  for path in "${paths[@]}"; do
    for networks in lecture typed; do
      line=$(GENLAB_CPU=$path ./target/release/genlab bench --gan-iters 15 --ae-steps 60 --networks "$networks" | tail -1)
      echo "round $r $path $networks: $line"
      gan[$path-$networks]+=" $(field gan_iter_s "$line")"
      ae[$path-$networks]+=" $(field ae_step_s "$line")"
    done
  done
done
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for path in "${paths[@]}"; do
  for networks in lecture typed; do
    # shellcheck disable=SC2086
    echo "[$path] $networks: GAN iteration $(median ${gan[$path-$networks]}) s, AE step $(median ${ae[$path-$networks]}) s"
  done
done
