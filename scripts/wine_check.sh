#!/usr/bin/env bash
# genlab on Windows, run from here (part of the test command): the crate built for
# x86_64-pc-windows-gnu (std built from rust-src with mingw-w64, no target download) and its
# library, data, layers, command-line, fault and training tests run under Wine.
#   - Needs Debian's wine64 and mingw-w64 (installed with apt when missing and possible). Without
#     them, and outside CI, it says so and skips; with CI=true it is mandatory.
#   - Its own Wine prefix (target/wine), made on first use; the Wine server it starts is stopped
#     on exit.
#   - Wine before 8.13 (Debian 12 has 8.0) lacks bcryptprimitives.dll, where every Rust program
#     since 1.78 gets its random seeds: the prefix gets a small one built from
#     scripts/wine/bcryptprimitives.c. Windows 10 and 11 have their own.
# What Wine cannot show: MSVC builds (scripts/cross_check.sh type-checks that target), console
# Ctrl-C (Wine delivers no console event to a process without a real console), and Windows'
# mandatory file locks as Windows enforces them (Wine lets a second handle read a locked file).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { echo "== wine: $*"; }

. scripts/debian_packages.sh
find_wine() { command -v wine64 || { [ -x /usr/lib/wine/wine64 ] && echo /usr/lib/wine/wine64; } || true; }
wine=$(find_wine)
if [ -z "$wine" ] || ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
  need_packages wine "Wine and the mingw-w64 cross compiler" wine64 mingw-w64
  wine=$(find_wine)
fi
export PATH="$HOME/.cargo/bin:$PATH"
rustup component list --installed 2>/dev/null | grep -q '^rust-src' || rustup component add rust-src

export WINEPREFIX="$PWD/target/wine" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY
wineserver="$(dirname "$wine")/wineserver"
command -v wineserver >/dev/null && wineserver=$(command -v wineserver)
trap '"$wineserver" -k 2>/dev/null || true' EXIT
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  step "making the Wine prefix $WINEPREFIX"
  "$wine" cmd /c exit >/dev/null 2>&1
fi
system32="$WINEPREFIX/drive_c/windows/system32"
if [ ! -e "$system32/bcryptprimitives.dll" ] && ! ls /usr/lib/x86_64-linux-gnu/wine/*/bcryptprimitives.dll >/dev/null 2>&1; then
  step "this Wine ($("$wine" --version)) lacks bcryptprimitives.dll: building ProcessPrng into the prefix"
  x86_64-w64-mingw32-gcc -O2 -shared -o "$system32/bcryptprimitives.dll" scripts/wine/bcryptprimitives.c -ladvapi32
fi

step "x86_64-pc-windows-gnu under $("$wine" --version): unit, data, layers, cli, faults and training tests"
# build-std is a nightly feature of cargo; RUSTC_BOOTSTRAP lets the stable toolchain use it for
# these builds only (their own target directory, so the host build is untouched).
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$wine"
cargo test -Zbuild-std --target x86_64-pc-windows-gnu --release --locked --target-dir target/cross \
  --config 'profile.release.package.genlab.overflow-checks=true' \
  --lib --test data --test layers --test cli --test faults --test training
step "done"
