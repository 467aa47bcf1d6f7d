#!/usr/bin/env bash
# The crate off this machine's ISA and OS, from here (part of the test command):
#   - aarch64 Linux: the library cross-compiled (std built from rust-src, no target download) and
#     its unit tests (every kernel path, NEON included) run under qemu-user;
#   - aarch64-apple-darwin and x86_64-pc-windows-msvc: the library type-checked (no linker here).
# Needs Debian's cross linker and qemu-user (installed with apt when missing and possible).
# Without them, and outside CI, it says so and skips; with CI=true it is mandatory.
# Speed on real ARM hardware cannot be measured here: this checks correctness only.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { echo "== cross: $*"; }

. scripts/debian_packages.sh
if ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
  need_packages cross "the aarch64 cross linker and qemu-user" gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
fi
export PATH="$HOME/.cargo/bin:$PATH"
rustup component list --installed 2>/dev/null | grep -q '^rust-src' || rustup component add rust-src

# build-std is a nightly feature of cargo; RUSTC_BOOTSTRAP lets the stable toolchain use it for
# these builds only (their own target directory, so the host build is untouched).
export RUSTC_BOOTSTRAP=1
cross=(-Zbuild-std --release --locked --lib --no-default-features --target-dir target/cross)

step "aarch64-unknown-linux-gnu: unit tests (kernels on every path the emulated CPU has) under qemu"
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu" \
  cargo test --target aarch64-unknown-linux-gnu "${cross[@]}"

for target in aarch64-apple-darwin x86_64-pc-windows-msvc; do
  step "$target: type-check"
  cargo check --target "$target" "${cross[@]}"
done
step "done"
