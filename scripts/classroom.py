#!/usr/bin/env python3
"""genlab for a class on one server: one system install that every student's Jupyter server shares.

Usage (on the server, after `python3 scripts/setup.py` in this checkout):
  sudo .venv/bin/python scripts/classroom.py install PREFIX --jupyter-prefix ENV
  python3 PREFIX/scripts/classroom.py notebooks [DEST]     (each student, or the hub's pre-spawn hook)

`install` puts into PREFIX, readable by all and written by no student:
  genlab/         the crate (its source, fonts, Cargo.lock): the path the students' notebooks build
  rust/           the Rust toolchain (the installer's, linked when it is not readable by others)
  cargo/          a cargo home holding exactly the crates of genlab's Cargo.lock (`cargo fetch`),
                  shared by every kernel, which runs cargo offline against it: nothing to download,
                  nothing a student writes, and always the versions the template compiled
  bin/            evcxr_jupyter, from this checkout's set-up
  data/           MNIST, fetched and checksummed by genlab's own `fetch-mnist`, and the digit judge
  slot-template/  a build slot with genlab, dfdx and plotters compiled by the notebooks' build cell
  notebooks/      the notebooks, their `:dep genlab` pointing at PREFIX/genlab
  scripts/        the kernel launcher (and this script, for `notebooks`)
and registers the kernel `genlab-rust` in ENV/share/jupyter/kernels (ENV: the Python environment
the hub starts `jupyterhub-singleuser` from; nothing is written elsewhere). Each kernel claims a
build slot in its student's own cache (scripts/kernel_launcher.py); a new slot starts as links to
the template's compiled crates (a few MB of the student's own), so a student's first kernel
compiles only its cells. Run it again after updating the checkout: finished parts are redone
only where they changed: the cargo home and the template record the crate they were made from
(`.genlab-crate`) and are made again when it differs, also after an install that stopped halfway.

`notebooks` copies the notebooks into DEST (default ~/genlab), keeping any the student already has.
"""
import argparse
import hashlib
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import setup  # noqa: E402

# What the install copies of the crate, and of the scripts (the kernel launcher imports setup).
CRATE_PARTS = ["src", "assets", "Cargo.toml", "Cargo.lock", "LICENSE-MIT", "LICENSE-APACHE"]
SCRIPT_PARTS = ["kernel_launcher.py", "setup.py", "classroom.py"]
# The notebooks' build cell names the crate by its place in the checkout; the installed copies
# name the installed crate.
DEP_IN_CHECKOUT = ':dep genlab = { path = ".."'

def step(message):
    print(f"== classroom: {message}", flush=True)


def readable_by_all(path):
    """Whether every user can read `path` (each folder above it searchable, it readable)."""
    path = pathlib.Path(path).resolve()
    folders_searchable = all(part.stat().st_mode & stat.S_IXOTH for part in path.parents)
    return folders_searchable and bool(path.stat().st_mode & stat.S_IROTH)


def link_tree(source, target):
    """`target` as a copy of `source` made of hard links (a plain copy across file systems)."""
    def link_or_copy(src, dst):
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
    shutil.copytree(source, target, symlinks=True, copy_function=link_or_copy)


def student_notebook(notebook, crate):
    """A notebook (parsed JSON) with its `:dep genlab` on the installed crate instead of `..`."""
    found = False
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], list) else [cell["source"]]
        for i, line in enumerate(source):
            if line.startswith(DEP_IN_CHECKOUT):
                source[i] = line.replace('path = ".."', f"path = {json.dumps(str(crate))}", 1)
                found = True
        cell["source"] = source
    if not found:
        raise ValueError(f"no `{DEP_IN_CHECKOUT} ...` line to point at the install")
    return notebook


def kernel_environment(prefix, toolchain):
    """What the installed kernel spec sets: the toolchain, the shared cargo home, MNIST and the
    template slot."""
    return {
        "PATH": os.pathsep.join([str(toolchain / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
        "CARGO_HOME": str(prefix / "cargo"),
        # Each new kernel resolves its dependencies again (evcxr starts with none): offline, cargo
        # can only pick the versions in the install's cargo home, which are genlab's Cargo.lock's,
        # the ones the template compiled. Online, a newer release would be compiled by everyone.
        "CARGO_NET_OFFLINE": "true",
        "GENLAB_DATA": str(prefix / "data"),
        "GENLAB_SLOT_TEMPLATE": str(prefix / "slot-template"),
    }


def kernel_spec(prefix, python, toolchain):
    return {
        "argv": [str(python), str(prefix / "scripts" / "kernel_launcher.py"), str(prefix / "bin" / "evcxr_jupyter"),
                 "--control_file", "{connection_file}"],
        "display_name": setup.KERNEL_DISPLAY_NAME,
        "language": "rust",
        "interrupt_mode": "message",
        "env": kernel_environment(prefix, toolchain),
        "metadata": {"genlab": f"written by scripts/classroom.py install {prefix}"},
    }


def install_toolchain(prefix, environ):
    sysroot = pathlib.Path(subprocess.run(["rustc", "--print", "sysroot"], env=environ, capture_output=True,
                                          text=True, check=True).stdout.strip())
    if readable_by_all(sysroot / "bin" / "rustc"):
        step(f"Rust toolchain: {sysroot} (readable by every user)")
        return sysroot
    target = prefix / "rust"
    if not (target / "bin" / "rustc").exists():
        step(f"Rust toolchain: {sysroot} is not readable by other users; linking it into {target}")
        link_tree(sysroot, target)
    return target


def install_crate(prefix):
    crate = prefix / "genlab"
    fresh = crate.with_name("genlab.new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    for part in CRATE_PARTS:
        source = setup.ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, fresh / part)
    changed = not crate.exists() or subprocess.run(["diff", "-rq", str(crate), str(fresh)],
                                                   capture_output=True).returncode != 0
    if changed:
        step(f"genlab's crate into {crate}")
        shutil.rmtree(crate, ignore_errors=True)
        fresh.rename(crate)
    else:
        shutil.rmtree(fresh)
    return crate


# Beside what was made from the crate (the cargo home, the template slot): the crate's digest.
MADE_FROM = ".genlab-crate"


def crate_digest(crate):
    """A digest of every file of the installed crate, names and contents."""
    digest = hashlib.sha256()
    for path in sorted(p for p in pathlib.Path(crate).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(crate)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def made_from(folder, digest):
    """Whether `folder` was made, to the end, from the crate of `digest`."""
    stamp = pathlib.Path(folder) / MADE_FROM
    return stamp.is_file() and stamp.read_text().strip() == digest


def install_cargo_home(prefix, crate, toolchain, environ, digest):
    """The kernels' cargo home: made again with the crate, so that it holds the versions of its
    Cargo.lock and no other (a kernel resolves offline to the newest version it finds there), and
    the crates of the kernels' `toolchain`'s rust-src."""
    home = prefix / "cargo"
    if not made_from(home, digest):
        shutil.rmtree(home, ignore_errors=True)
        step(f"the crates of genlab's Cargo.lock into {home} (cargo fetch)")
        subprocess.run(["cargo", "fetch", "--locked", "--manifest-path", str(crate / "Cargo.toml")],
                       env={**environ, "CARGO_HOME": str(home)}, check=True)
        # evcxr infers a cell's types with rust-analyzer, which reads the standard library's own
        # workspace (rust-src): offline, its crates must be here too, or a cell ending in `?`
        # fails to compile ("the `!` type is experimental"). Its manifest uses nightly cargo
        # features; RUSTC_BOOTSTRAP lets this stable cargo read it to fetch, nothing is built.
        library = toolchain / "lib" / "rustlib" / "src" / "rust" / "library" / "Cargo.toml"
        subprocess.run(["cargo", "fetch", "--manifest-path", str(library)],
                       env={**environ, "CARGO_HOME": str(home), "RUSTC_BOOTSTRAP": "1"}, check=True)
        (home / MADE_FROM).write_text(digest + "\n")


def install_data(prefix, environ):
    data = prefix / "data"
    exe = setup.ROOT / "target" / "setup" / "genlab"
    step(f"MNIST and the digit judge into {data}")
    subprocess.run(["cargo", "build", "--profile", "setup", "--locked"], cwd=setup.ROOT, env=environ, check=True)
    fetched = setup.ROOT / "data" / "mnist"  # the checkout's set-up fetched and checked it: the nearest mirror
    mirror = ["--mirror", str(fetched)] if len(list(fetched.glob("*-ubyte.gz"))) == 4 else []
    subprocess.run([str(exe), "fetch-mnist", "--dir", str(data), *mirror], env=environ, check=True)
    judge = data / "classifier.safetensors"
    trained = setup.ROOT / "data" / "mnist" / judge.name  # the checkout's, when it trained one
    if trained.exists():
        shutil.copy2(trained, judge)
    elif not judge.exists():
        subprocess.run(["cargo", "run", "--release", "--locked", "--", "classifier"], cwd=setup.ROOT,
                       env={**environ, "GENLAB_DATA": str(data)}, check=True)


def install_notebooks(prefix, crate):
    target = prefix / "notebooks"
    target.mkdir(exist_ok=True)
    for notebook in sorted((setup.ROOT / "notebooks").glob("*.ipynb")):
        parsed = student_notebook(json.loads(notebook.read_text(encoding="utf-8")), crate)
        (target / notebook.name).write_text(json.dumps(parsed, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def warm_template(prefix, spec, environ, digest):
    """Runs the notebooks' build cell, the first `use` cell and a figure in a kernel of the
    installed spec, in a build slot of its own, and makes that slot the template."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    template = prefix / "slot-template"
    step(f"compiling genlab, dfdx and plotters into {template} (about 2 minutes the first time)")
    started = time.time()
    with tempfile.TemporaryDirectory() as scratch:
        # The installed spec without the template: this kernel builds the next template.
        own = {**spec, "env": {k: v for k, v in spec["env"].items() if k != "GENLAB_SLOT_TEMPLATE"}}
        kernels = pathlib.Path(scratch) / "kernels"
        (kernels / setup.KERNEL_NAME).mkdir(parents=True)
        (kernels / setup.KERNEL_NAME / "kernel.json").write_text(json.dumps(own))
        cache = pathlib.Path(scratch) / "cache"
        notebook = prefix / "notebooks" / "01_gan.ipynb"
        cells = [c for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
        km = KernelManager(kernel_name=setup.KERNEL_NAME,
                           kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
        env = {k: v for k, v in environ.items() if k != "GENLAB_SLOT_TEMPLATE"}
        km.start_kernel(cwd=str(prefix / "notebooks"), env={**env, "GENLAB_KERNEL_CACHE": str(cache)})
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=300)
            for code in ["".join(cells[0]["source"]), "".join(cells[1]["source"]), "genlab::Figure::activations()"]:
                reply = kc.execute_interactive(code, timeout=1800, output_hook=lambda msg: None)
                if reply["content"]["status"] != "ok":
                    raise RuntimeError(f"the warm-up cell failed: {reply['content']}")
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        slots = list(cache.glob("kernels/*/slot0"))
        if len(slots) != 1:
            raise RuntimeError(f"the warm-up kernel left no build slot in {cache}")
        shutil.rmtree(template, ignore_errors=True)
        shutil.move(str(slots[0]), template)
    for cache in template.glob("target/**/incremental"):  # the warm-up's own: new slots leave them out
        shutil.rmtree(cache, ignore_errors=True)
    (template / MADE_FROM).write_text(digest + "\n")
    step(f"template slot ready in {time.time() - started:.0f} s")


def make_readable(prefix):
    """Everything in PREFIX readable by all, writable by its owner only."""
    for root, dirs, files in os.walk(prefix):
        for name in dirs + files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                continue
            mode = os.stat(path).st_mode
            os.chmod(path, (mode | stat.S_IROTH | stat.S_IRGRP | (0o055 if stat.S_ISDIR(mode) or mode & 0o100 else 0))
                     & ~0o022)


def install(prefix, jupyter_prefix):
    prefix = pathlib.Path(prefix).resolve()
    environ = dict(os.environ)
    environ["PATH"] = setup.search_path(environ)
    evcxr = pathlib.Path(setup.evcxr_exe(environ))
    if not evcxr.exists():
        print(f"error: {evcxr} is missing: run `python3 scripts/setup.py` in this checkout first", file=sys.stderr)
        return 2
    jupyter_prefix = pathlib.Path(jupyter_prefix).resolve()  # the kernel spec and warm-up run elsewhere
    python = jupyter_prefix / "bin" / "python3"
    if not python.exists():
        print(f"error: {python} is missing: --jupyter-prefix names the Python environment that runs "
              "jupyterhub-singleuser", file=sys.stderr)
        return 2
    started = time.time()
    prefix.mkdir(parents=True, exist_ok=True)
    toolchain = install_toolchain(prefix, environ)
    crate = install_crate(prefix)
    digest = crate_digest(crate)
    install_cargo_home(prefix, crate, toolchain, environ, digest)
    install_data(prefix, environ)
    (prefix / "bin").mkdir(exist_ok=True)
    shutil.copy2(evcxr, prefix / "bin" / "evcxr_jupyter")
    (prefix / "scripts").mkdir(exist_ok=True)
    for name in SCRIPT_PARTS:
        shutil.copy2(setup.ROOT / "scripts" / name, prefix / "scripts" / name)
    install_notebooks(prefix, crate)
    spec = kernel_spec(prefix, python, toolchain)
    if not made_from(prefix / "slot-template", digest):
        warm_template(prefix, spec, environ, digest)
    kernels = jupyter_prefix / "share" / "jupyter" / "kernels" / setup.KERNEL_NAME
    kernels.mkdir(parents=True, exist_ok=True)
    for item in (setup.ROOT / ".venv" / "share" / "jupyter" / "kernels" / setup.KERNEL_NAME).iterdir():
        if item.name != "kernel.json":
            shutil.copy2(item, kernels / item.name)
    (kernels / "kernel.json").write_text(json.dumps(spec, indent=2) + "\n")
    make_readable(prefix)
    make_readable(kernels)
    step(f"kernel {setup.KERNEL_NAME} registered in {kernels}")
    step(f"done in {time.time() - started:.0f} s: {prefix}")
    return 0


def copy_notebooks(dest):
    """The installed notebooks into `dest`; a notebook already there is the student's and stays.
    Returns what was made (`dest` too when it was)."""
    source = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
    dest = pathlib.Path(dest).expanduser()
    made = [] if dest.exists() else [dest]
    dest.mkdir(parents=True, exist_ok=True)
    for notebook in sorted(source.glob("*.ipynb")):
        if not (dest / notebook.name).exists():
            shutil.copy2(notebook, dest / notebook.name)
            made.append(dest / notebook.name)
    return made


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_install = sub.add_parser("install", help="the system install (run by the server's admin)")
    p_install.add_argument("prefix", help="where to install, e.g. /opt/genlab")
    p_install.add_argument("--jupyter-prefix", default=sys.prefix,
                           help="the Python environment of jupyterhub-singleuser (default: this Python's)")
    p_notebooks = sub.add_parser("notebooks", help="copy the notebooks into a student's folder")
    p_notebooks.add_argument("dest", nargs="?", default="~/genlab")
    opts = parser.parse_args(argv)
    if opts.command == "install":
        return install(opts.prefix, opts.jupyter_prefix)
    copy_notebooks(opts.dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
