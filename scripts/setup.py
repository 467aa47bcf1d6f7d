#!/usr/bin/env python3
"""genlab's set-up on Linux, macOS and Windows: idempotent, quick when already done.

Usage: python3 scripts/setup.py [--check] [--no-warmup]      (Windows: py scripts\\setup.py)

  1. prerequisites: Python >= 3.9 with venv, Rust (cargo, rustup), a C linker. Anything missing is
     listed at once with what to install on this OS, and set-up stops (exit 2) before touching
     anything; `--check` stops there either way.
  2. the project's own `.venv` with JupyterLab, nbconvert and nbclient (pinned ranges), and
     JupyterLab's news and update pop-ups off (they covered figures);
  3. MNIST in `data/`, downloaded and checksummed by genlab's own `fetch-mnist`
     (`GENLAB_MNIST_MIRROR` may name a local mirror);
  4. the Rust kernel: rust-src, evcxr_jupyter (cargo install, once: it runs in the background,
     beside steps 2 and 3), and the kernel spec `genlab-rust` inside `.venv/share/jupyter/kernels`:
     the user's own kernels are left alone. It starts evcxr through `scripts/kernel_launcher.py`
     in a persistent build slot (see there);
  5. warm-up: one kernel runs the notebooks' build cells, so the compiled crates are in build slot 0
     and the first notebook start reaches its first figure in seconds, not minutes.
Only the standard library is used, so the system's Python runs it.
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
EVCXR_VERSION = "0.22.0"
PY_REQS = ["jupyterlab>=4,<5", "nbconvert>=7,<8", "nbclient>=0.10,<1", "ipykernel>=6,<8"]
KERNEL_NAME = "genlab-rust"
KERNEL_DISPLAY_NAME = "Rust (genlab)"
LAB_OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}


def step(message):
    print(f"== setup: {message}", flush=True)


class SetupError(Exception):
    """A set-up step failed; the message says what to do."""


# ---------------------------------------------------------------- 1. prerequisites

def linux_distribution(os_release="/etc/os-release"):
    """The distribution family from os-release: 'debian', 'fedora', 'arch', 'suse' or ''."""
    try:
        text = pathlib.Path(os_release).read_text()
    except OSError:
        return ""
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    ids = " ".join(fields.get(k, "").strip('"') for k in ("ID", "ID_LIKE")).split()
    for family, names in (("debian", {"debian", "ubuntu"}), ("fedora", {"fedora", "rhel", "centos"}),
                          ("arch", {"arch"}), ("suse", {"suse", "opensuse"})):
        if names & set(ids):
            return family
    return ""


def install_hint(what, platform, distro=""):
    """How to install one prerequisite on this OS, as one line."""
    rust = {"win32": "install Rust with rustup-init.exe from https://rustup.rs (it offers the Visual Studio "
                     "C++ Build Tools too), then open a new terminal",
            "darwin": "install Rust: curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh, then open a new terminal"}
    rust_default = "install Rust with rustup: curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh"
    linker = {"debian": "sudo apt install build-essential", "fedora": "sudo dnf install gcc",
              "arch": "sudo pacman -S base-devel", "suse": "sudo zypper install gcc"}
    venv = {"debian": "sudo apt install python3-venv", "fedora": "sudo dnf install python3",
            "arch": "sudo pacman -S python", "suse": "sudo zypper install python3"}
    hints = {
        "cargo": rust.get(platform, rust_default),
        "rustc": "update it first: rustup update stable",
        "rustup": "genlab's kernel needs rustup (for the rust-src component): " + rust.get(platform, rust_default),
        "python": {"win32": "install Python 3.9 or newer from https://www.python.org/downloads/windows/",
                   "darwin": "install Python 3.9 or newer from https://www.python.org/downloads/macos/ or with Homebrew"
                   }.get(platform, "install Python 3.9 or newer with your package manager"),
        "venv": {"win32": "reinstall Python from python.org (its installer includes venv and pip)",
                 "darwin": "use Python from python.org or Homebrew (both include venv and pip)"
                 }.get(platform, venv.get(distro, "install your distribution's python3-venv (or python3) package")),
        "linker": {"win32": "install the Visual Studio C++ Build Tools (https://visualstudio.microsoft.com/"
                            "visual-cpp-build-tools/, workload 'Desktop development with C++')",
                   "darwin": "install Apple's command line tools: xcode-select --install"
                   }.get(platform, linker.get(distro, "install gcc (or clang) with your package manager")),
    }
    return hints[what]


def cargo_bin_dir(environ):
    home = environ.get("CARGO_HOME") or os.path.join(environ.get("HOME") or environ.get("USERPROFILE") or str(pathlib.Path.home()), ".cargo")
    return os.path.join(home, "bin")


def search_path(environ):
    """PATH, then cargo's bin directory (rustup puts cargo there; a new shell may not have it yet)."""
    return os.pathsep.join(p for p in (environ.get("PATH", ""), cargo_bin_dir(environ)) if p)


def which(name, environ):
    return shutil.which(name, path=search_path(environ))


def run_ok(command, environ):
    try:
        return subprocess.run(command, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def has_linker(environ, platform, rust_host=""):
    """Whether rustc will find a linker: cc/gcc/clang on Linux, Apple's tools on macOS, MSVC on Windows."""
    if platform == "darwin":
        return run_ok(["xcode-select", "-p"], environ)
    if platform == "win32":
        if rust_host.endswith("-gnu"):
            return which("gcc", environ) is not None
        if which("link.exe", environ) and which("cl.exe", environ):
            return True  # a Developer Command Prompt
        vswhere = os.path.join(environ.get("ProgramFiles(x86)", r"C:\Program Files (x86)"),
                               "Microsoft Visual Studio", "Installer", "vswhere.exe")
        if not os.path.exists(vswhere):
            return False
        found = subprocess.run([vswhere, "-latest", "-products", "*", "-requires",
                                "Microsoft.VisualStudio.Component.VC.Tools.x86.x64", "-property", "installationPath"],
                               capture_output=True, text=True)
        return bool(found.stdout.strip())
    return any(which(cc, environ) for cc in ("cc", "gcc", "clang"))


def rustc_field(environ, field):
    """One field of `rustc -vV` (`host`, `release`); empty when rustc is missing or does not say."""
    rustc = which("rustc", environ)
    if not rustc:
        return ""
    try:
        out = subprocess.run([rustc, "-vV"], capture_output=True, text=True, env=environ, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith(field + ":")), "")


def rust_host(environ):
    return rustc_field(environ, "host")


# The oldest rustc that builds evcxr_jupyter EVCXR_VERSION (its dependencies' rust-version).
RUSTC_FOR_EVCXR = (1, 95)


def rustc_too_old(environ):
    """The installed rustc's release when it is older than RUSTC_FOR_EVCXR, else empty."""
    release = rustc_field(environ, "release")
    numbers = release.split("-")[0].split(".")
    try:
        version = tuple(int(n) for n in numbers[:2])
    except ValueError:
        return ""
    return release if len(version) == 2 and version < RUSTC_FOR_EVCXR else ""


def check_prerequisites(environ=None, platform=sys.platform, python_version=sys.version_info, distro=None):
    """What is missing, as (prerequisite, how to install it here) pairs; empty when all is in place."""
    environ = dict(os.environ if environ is None else environ)
    distro = linux_distribution() if distro is None and platform.startswith("linux") else (distro or "")
    missing = []
    if tuple(python_version[:2]) < (3, 9):
        missing.append(("python", "Python 3.9 or newer (this is %d.%d)" % tuple(python_version[:2])))
    else:
        import importlib.util
        if importlib.util.find_spec("venv") is None or importlib.util.find_spec("ensurepip") is None:
            missing.append(("venv", "Python's venv module with ensurepip"))
    if not which("cargo", environ) or not which("rustc", environ):
        missing.append(("cargo", "Rust's cargo and rustc"))
    elif not which("rustup", environ):
        missing.append(("rustup", "rustup"))
    elif rustc_too_old(environ):
        missing.append(("rustc", "Rust %d.%d or newer for evcxr_jupyter %s (this is %s)"
                        % (*RUSTC_FOR_EVCXR, EVCXR_VERSION, rustc_too_old(environ))))
    if not has_linker(environ, platform, rust_host(environ)):
        missing.append(("linker", "a C linker for Rust" + (" (MSVC)" if platform == "win32" else "")))
    return [(what, f"{label}: {install_hint(what, platform, distro)}") for what, label in missing]


# ---------------------------------------------------------------- 2. Python tools

def venv_bin(name):
    sub, ext = ("Scripts", ".exe") if os.name == "nt" else ("bin", "")
    return ROOT / ".venv" / sub / (name + ext)


def ensure_venv():
    python = venv_bin("python")
    if not python.exists():
        step("creating .venv")
        subprocess.run([sys.executable, "-m", "venv", str(ROOT / ".venv")], check=True)
    stamp = ROOT / ".venv" / ".genlab-reqs"
    wanted = " ".join(PY_REQS)
    if not stamp.exists() or stamp.read_text().strip() != wanted:
        step(f"installing {wanted}")
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PY_REQS], check=True)
        stamp.write_text(wanted + "\n")
    overrides = ROOT / ".venv" / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    if not overrides.exists() or json.loads(overrides.read_text() or "{}") != LAB_OVERRIDES:
        step(f"turning off JupyterLab's news and update pop-ups ({overrides.relative_to(ROOT)})")
        overrides.parent.mkdir(parents=True, exist_ok=True)
        overrides.write_text(json.dumps(LAB_OVERRIDES) + "\n")
    return python


# ---------------------------------------------------------------- 4. the Rust kernel

def evcxr_exe(environ):
    return os.path.join(cargo_bin_dir(environ), "evcxr_jupyter" + (".exe" if os.name == "nt" else ""))


def start_evcxr_install(environ):
    """Starts `cargo install evcxr_jupyter` in the background when it is missing: (process, log path,
    start time), or None when it is installed.
    It is the longest step (about 6.5 minutes on 2 cores), so the rest of the set-up runs beside it."""
    if not rust_src_installed(environ):
        step("adding the rust-src component (the kernel's completions and type inference need it)")
        subprocess.run([which("rustup", environ), "component", "add", "rust-src"], env=environ, check=True)
    cargo = which("cargo", environ)
    listed = subprocess.run([cargo, "install", "--list"], capture_output=True, text=True, env=environ).stdout
    if f"evcxr_jupyter v{EVCXR_VERSION}:" in listed and os.path.exists(evcxr_exe(environ)):
        return None
    log_path = ROOT / "target" / "evcxr-install.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    step(f"installing evcxr_jupyter {EVCXR_VERSION} in the background (once; about 7 minutes on 2 cores; "
         f"log: {log_path.relative_to(ROOT)})")
    command = [cargo, "install", "evcxr_jupyter", "--version", EVCXR_VERSION, "--locked"]
    with open(log_path, "w") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, env=environ, stdout=log, stderr=subprocess.STDOUT), log_path, time.time()


def finish_evcxr_install(install, environ):
    """Waits for the background install; its log's last lines when it failed."""
    if install is not None:
        process, log_path, started = install
        if process.poll() is None:
            step("waiting for the evcxr_jupyter install")
        if process.wait() != 0:
            tail = "".join(open(log_path, errors="replace").readlines()[-30:])
            print(tail, file=sys.stderr)
            raise subprocess.CalledProcessError(process.returncode, process.args)
        step(f"evcxr_jupyter installed in {time.time() - started:.0f} s")
    return evcxr_exe(environ)


def rust_src_installed(environ):
    out = subprocess.run([which("rustup", environ), "component", "list", "--installed"],
                         capture_output=True, text=True, env=environ).stdout
    return any(line.startswith("rust-src") for line in out.splitlines())


def kernel_dir():
    return ROOT / ".venv" / "share" / "jupyter" / "kernels" / KERNEL_NAME


def kernel_spec(python, evcxr):
    """The kernel spec: evcxr through the slot launcher, with the venv's own Python."""
    return {
        "argv": [str(python), str(ROOT / "scripts" / "kernel_launcher.py"), str(evcxr),
                 "--control_file", "{connection_file}"],
        "display_name": KERNEL_DISPLAY_NAME,
        "language": "rust",
        "interrupt_mode": "message",
        "metadata": {"genlab": "written by scripts/setup.py; build slots: scripts/kernel_launcher.py"},
    }


def register_kernel(python, evcxr, environ):
    target = kernel_dir()
    spec = kernel_spec(python, evcxr)
    spec_file = target / "kernel.json"
    if spec_file.exists() and json.loads(spec_file.read_text()) == spec and (target / "kernel.js").exists():
        return
    step(f"registering the {KERNEL_DISPLAY_NAME} kernel in {target.relative_to(ROOT)}")
    # evcxr's own installer writes the kernel's logos and editor files; JUPYTER_PATH points it at a
    # scratch directory so that it does not write the user's global `rust` kernel.
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([str(evcxr), "--install"], env={**environ, "JUPYTER_PATH": scratch}, check=True,
                       stdout=subprocess.DEVNULL)
        written = pathlib.Path(scratch) / "kernels" / "rust"
        target.mkdir(parents=True, exist_ok=True)
        for item in written.iterdir():
            if item.name != "kernel.json":
                shutil.copy2(item, target / item.name)
    spec_file.write_text(json.dumps(spec, indent=2) + "\n")


def note_old_global_kernel():
    """Earlier genlab set-ups rewrote the global `rust` kernel; say so (it is the user's: not touched)."""
    for base in (pathlib.Path.home() / ".local" / "share" / "jupyter", pathlib.Path.home() / "Library" / "Jupyter"):
        spec = base / "kernels" / "rust" / "kernel.json"
        if spec.exists() and "genlab-evcxr-slots" in spec.read_text(errors="replace"):
            print(f"note: {spec} was changed by an earlier genlab set-up (sh -c, flock). genlab no longer uses it; "
                  "`evcxr_jupyter --install` restores evcxr's own.")


# ---------------------------------------------------------------- 3. MNIST, 5. warm-up

def fetch_mnist(environ):
    cargo = which("cargo", environ)
    step("building genlab's command line for fetch-mnist (cargo build --profile setup: quick, unoptimised)")
    subprocess.run([cargo, "build", "--profile", "setup", "--locked"], cwd=ROOT, env=environ, check=True)
    exe = ROOT / "target" / "setup" / ("genlab" + (".exe" if os.name == "nt" else ""))
    subprocess.run([str(exe), "fetch-mnist"], cwd=ROOT, env=environ, check=True)


def warm_up(python, environ):
    step("warming up build slot 0: the notebooks' build cells in one kernel (about 2 minutes the first time)")
    started = time.time()
    subprocess.run([str(python), str(ROOT / "scripts" / "kernel_warmup.py")], cwd=ROOT, env=environ, check=True)
    step(f"warm-up done in {time.time() - started:.0f} s")


def main(args=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the prerequisites")
    parser.add_argument("--no-warmup", action="store_true", help="skip pre-compiling the notebooks' crates")
    opts = parser.parse_args(args)
    environ = dict(os.environ)
    environ["PATH"] = search_path(environ)
    missing = check_prerequisites(environ)
    if missing:
        print(f"genlab set-up needs {len(missing)} thing(s) first (nothing was changed):", file=sys.stderr)
        for _, message in missing:
            print(f"  - {message}", file=sys.stderr)
        return 2
    step(f"prerequisites found ({sys.platform}, Python {sys.version.split()[0]}, {rust_host(environ)})")
    if opts.check:
        return 0
    started = time.time()
    install = None
    try:
        install = start_evcxr_install(environ)
        python = ensure_venv()
        fetch_mnist(environ)
        evcxr = finish_evcxr_install(install, environ)
        register_kernel(python, evcxr, environ)
        note_old_global_kernel()
        if not opts.no_warmup:
            warm_up(python, environ)
    except subprocess.CalledProcessError as error:
        print(f"genlab set-up failed: `{' '.join(map(str, error.cmd))}` exited with {error.returncode} "
              "(its output is above). Fix that and run the set-up again: finished steps are skipped.", file=sys.stderr)
        return 1
    finally:
        if install is not None and install[0].poll() is None:
            install[0].kill()  # the set-up failed or was interrupted beside it
            install[0].wait()
    step(f"done in {time.time() - started:.0f} s ({ROOT})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
