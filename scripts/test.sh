#!/usr/bin/env bash
# The whole test suite: fetch MNIST through genlab's own fetch step, run `cargo test --release`,
# then execute every notebook headless (see scripts/notebooks.sh).
# Idempotent; installs what it needs. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== $(date -u +%FT%TZ) genlab test: rustc $(rustc --version | cut -d' ' -f2), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release --locked
./target/release/genlab fetch-mnist
cargo test --release --locked
