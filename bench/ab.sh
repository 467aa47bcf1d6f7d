#!/usr/bin/env bash
# Interleaved A/B of genlab builds on this machine: runs `genlab bench` of each binary in turn,
# ROUNDS times, and prints every round's GAN-iteration and autoencoder-step medians per binary.
# Interleaving matters on a shared VM, whose speed drifts by 10-30% over minutes.
# Usage: bash bench/ab.sh ROUNDS path/to/genlab-a path/to/genlab-b [...]
#   e.g. cp target/release/genlab /tmp/before; (change, cargo build --release);
#        bash bench/ab.sh 4 /tmp/before target/release/genlab
set -euo pipefail
ROUNDS=$1
shift
for _ in $(seq "$ROUNDS"); do
  for bin in "$@"; do
    echo "$bin $("$bin" bench --gan-iters 15 --ae-steps 60 | tail -1)"
  done
done | awk '{ split($2, g, "="); split($3, a, "="); gan[$1] = gan[$1] " " g[2]; ae[$1] = ae[$1] " " a[2] }
  END { for (b in gan) printf "%s\n  GAN iteration s:%s\n  AE step s:      %s\n", b, gan[b], ae[b] }'
