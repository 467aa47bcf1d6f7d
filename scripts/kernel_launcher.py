#!/usr/bin/env python3
"""Starts the Rust kernel (evcxr_jupyter) in a persistent build slot of its own.

The kernel spec that `scripts/setup.py` writes into the project's `.venv` runs
    python kernel_launcher.py EVCXR_JUPYTER --control_file {connection_file}
This script claims the first free build slot, `slot0` .. `slot7` under the user's cache directory
(see `cache_root`), points evcxr at it (`EVCXR_TMPDIR`) and then becomes the kernel. A slot is
claimed by holding an OS file lock on `slotN.lock` for the kernel's whole life, so:
  - two kernels running at once never share a build directory (cargo would block or clobber);
  - a slot whose kernel ended, or was killed, is free again at once: the OS drops the lock with the
    process, there is no stale lock file to clean up;
  - the compiled crates (genlab, dfdx, plotters: ~100 s on 2 cores) stay in the slot, so the next
    kernel start, of any notebook, compiles only its cells. `setup.py` fills slot 0 ahead.
No POSIX shell, `flock` binary or third-party module: `fcntl.flock` on Linux and macOS,
`msvcrt.locking` on Windows. On POSIX the launcher `exec`s evcxr (the lock's descriptor is
inherited), so Jupyter's signals reach the kernel itself. Windows has no `exec`: the launcher
waits on evcxr inside a job object that kills evcxr when the launcher is killed.
When every slot is busy, the kernel starts in a fresh temporary directory (evcxr's default) and
says so: it works, but compiles everything again.

Why the launcher also puts the toolchain's library directory on the loader's path
(LD_LIBRARY_PATH on Linux, DYLD_FALLBACK_LIBRARY_PATH on macOS): every compiled cell is a shared
library that needs Rust's `libstd-<hash>` (evcxr links cells with -C prefer-dynamic) and finds it
through a *relative* rpath, `$ORIGIN/../..../.rustup/toolchains/.../lib`, that rustc computes from
`target/<host>/debug/deps/`. evcxr loads the copy cargo places one directory up, in
`target/<host>/debug/`, so that relative path climbs one level too high. Under /tmp the extra
`..` is swallowed at `/` and it works by luck; under the home directory (~/.cache,
~/Library/Caches), which shares its first components with ~/.rustup, it points beside the
toolchain and `dlopen` fails ("dlopen failed" on the first cell). Windows is not affected: evcxr
puts the toolchain's bin directory on PATH itself.

On a class server (scripts/classroom.py install) the kernel spec sets GENLAB_SLOT_TEMPLATE: a new,
empty slot then starts as a copy of that pre-compiled slot, its compiled crates linked, not copied
(`seed_slot`), so a student's first kernel compiles only its cells.

Environment: GENLAB_KERNEL_CACHE overrides the cache directory (tests use it); GENLAB_SLOT_TEMPLATE
(above).
"""
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import setup  # noqa: E402  (scripts/setup.py: where rustup puts cargo)

SLOTS = 8
ROOT = pathlib.Path(__file__).resolve().parent.parent


def cache_root(environ=os.environ, platform=sys.platform, home=None):
    """The user's cache directory: XDG on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows."""
    if environ.get("GENLAB_KERNEL_CACHE"):
        return pathlib.Path(environ["GENLAB_KERNEL_CACHE"])
    home = pathlib.Path(home) if home is not None else pathlib.Path.home()
    if platform == "win32":
        local = environ.get("LOCALAPPDATA")
        base = pathlib.Path(local) if local else home / "AppData" / "Local"
        return base / "genlab" / "Cache"
    if platform == "darwin":
        return home / "Library" / "Caches" / "genlab"
    xdg = environ.get("XDG_CACHE_HOME")
    # XDG: a relative XDG_CACHE_HOME is invalid and must be ignored.
    base = pathlib.Path(xdg) if xdg and os.path.isabs(xdg) else home / ".cache"
    return base / "genlab"


def slots_dir(project=ROOT, environ=os.environ, platform=sys.platform):
    """Build slots of one project checkout: `<cache>/kernels/<dir name>-<hash of its path>`."""
    project = pathlib.Path(project).resolve()
    digest = hashlib.sha256(str(project).encode()).hexdigest()[:10]
    return cache_root(environ, platform) / "kernels" / f"{project.name}-{digest}"


class SlotLock:
    """An exclusive, non-blocking OS lock on one file, held until `release` or process exit."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.fd = None

    def try_acquire(self):
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.name == "nt":
                import msvcrt
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def release(self):
        if self.fd is not None:
            os.close(self.fd)  # closing drops the lock on both POSIX and Windows
            self.fd = None


def claim_slot(base, slots=SLOTS):
    """The first free slot under `base`: (index, build directory, held lock), or None when all are busy."""
    base = pathlib.Path(base)
    base.mkdir(parents=True, exist_ok=True)
    for index in range(slots):
        lock = SlotLock(base / f"slot{index}.lock")
        if lock.try_acquire():
            build_dir = base / f"slot{index}"
            build_dir.mkdir(exist_ok=True)
            return index, build_dir, lock
    return None


# A template slot's files above this size (compiled crates) are linked into a new slot; smaller ones
# (cargo's fingerprints, evcxr's sources, which a kernel rewrites) are copied.
LINK_ABOVE = 64 * 1024


def seed_slot(template, build_dir):
    """Fills the empty build slot `build_dir` from a class install's template (scripts/classroom.py):
    compiled crates as symbolic links into the template (shared by every student, read-only to
    them), the rest copied; the template's incremental caches and cargo's lock are left out.
    Built beside the slot and moved into place whole, so a kernel killed meanwhile leaves no half
    slot. Returns the bytes copied."""
    template, build_dir = pathlib.Path(template), pathlib.Path(build_dir)
    staging = build_dir.with_name(build_dir.name + ".seeding")
    shutil.rmtree(staging, ignore_errors=True)
    copied = 0
    for root, dirs, files in os.walk(template):
        dirs[:] = [d for d in dirs if d != "incremental"]
        here = staging / pathlib.Path(root).relative_to(template)
        here.mkdir(parents=True, exist_ok=True)
        for name in files:
            if name == ".cargo-lock":
                continue
            source = pathlib.Path(root) / name
            size = source.stat().st_size
            if size > LINK_ABOVE:
                os.symlink(source, here / name)
            else:
                shutil.copy2(source, here / name)
                copied += size
    build_dir.rmdir()  # empty: nothing was built in it
    staging.rename(build_dir)
    return copied


def seed_if_new(build_dir, environ):
    """Seeds `build_dir` from GENLAB_SLOT_TEMPLATE when that names a built template and the slot is
    still empty: the bytes copied, or None when nothing was done."""
    template = environ.get("GENLAB_SLOT_TEMPLATE")
    build_dir = pathlib.Path(build_dir)
    if not template or not (pathlib.Path(template) / "target").is_dir():
        return None
    if not build_dir.is_dir() or any(build_dir.iterdir()):
        return None
    return seed_slot(template, build_dir)


def kernel_environment(environ, platform=sys.platform):
    """The kernel's environment: cargo on PATH, and the toolchain's libraries on the loader path."""
    env = dict(environ)
    if shutil.which("cargo", path=env.get("PATH")) is None:
        # Started from a desktop launcher, PATH may lack ~/.cargo/bin, where rustup puts cargo.
        env["PATH"] = setup.search_path(env)
    env.update(toolchain_library_env(env, platform))
    return env


def toolchain_library_env(environ, platform=sys.platform):
    """The loader-path variable that lets compiled cells find the toolchain's libstd (see above)."""
    variable = {"linux": "LD_LIBRARY_PATH", "darwin": "DYLD_FALLBACK_LIBRARY_PATH"}.get(
        "linux" if platform.startswith("linux") else platform)
    if variable is None:
        return {}
    try:
        libdir = subprocess.run(["rustc", "--print", "target-libdir"], capture_output=True, text=True,
                                env=environ, timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        libdir = ""
    if not libdir:
        print("genlab kernel: warning: `rustc --print target-libdir` failed; cells built outside /tmp may not load",
              file=sys.stderr)
        return {}
    current = environ.get(variable)
    if not current and variable == "DYLD_FALLBACK_LIBRARY_PATH":
        # Setting it replaces dyld's default fallback list: keep that list after ours.
        current = os.pathsep.join([str(pathlib.Path.home() / "lib"), "/usr/local/lib", "/usr/lib"])
    return {variable: libdir + (os.pathsep + current if current else "")}


def job_limits_struct():
    """ctypes' JOBOBJECT_EXTENDED_LIMIT_INFORMATION (144 bytes on 64-bit Windows; checked by the tests)."""
    import ctypes  # DWORD is 32 bits on Windows: c_uint32, not wintypes.DWORD, which is a C long elsewhere

    class BasicLimits(ctypes.Structure):
        _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                    ("LimitFlags", ctypes.c_uint32), ("MinimumWorkingSetSize", ctypes.c_size_t),
                    ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", ctypes.c_uint32),
                    ("Affinity", ctypes.c_size_t), ("PriorityClass", ctypes.c_uint32),
                    ("SchedulingClass", ctypes.c_uint32)]

    class IoCounters(ctypes.Structure):
        _fields_ = [(name, ctypes.c_uint64) for name in
                    ("Reads", "Writes", "Others", "ReadBytes", "WriteBytes", "OtherBytes")]

    class ExtendedLimits(ctypes.Structure):
        _fields_ = [("BasicLimitInformation", BasicLimits), ("IoInfo", IoCounters),
                    ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                    ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]
    return ExtendedLimits


def _run_in_job(command, env):
    """Windows: runs `command` in a job object that dies with this process; returns its exit code."""
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    # Handles are pointer-sized: without these, ctypes would pass them as 32-bit ints.
    kernel32.CreateJobObjectW.argtypes = [wintypes.LPVOID, wintypes.LPCWSTR]
    kernel32.CreateJobObjectW.restype = wintypes.HANDLE
    kernel32.SetInformationJobObject.argtypes = [wintypes.HANDLE, ctypes.c_int, wintypes.LPVOID, wintypes.DWORD]
    kernel32.SetInformationJobObject.restype = wintypes.BOOL
    kernel32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.AssignProcessToJobObject.argtypes = [wintypes.HANDLE, wintypes.HANDLE]
    kernel32.AssignProcessToJobObject.restype = wintypes.BOOL

    ExtendedLimits = job_limits_struct()

    job_object_extended_limit_information = 9
    kill_on_job_close = 0x2000
    job = kernel32.CreateJobObjectW(None, None)
    limits = ExtendedLimits()
    limits.BasicLimitInformation.LimitFlags = kill_on_job_close
    kernel32.SetInformationJobObject(job, job_object_extended_limit_information,
                                     ctypes.byref(limits), ctypes.sizeof(limits))
    child = subprocess.Popen(command, env=env)
    process_all_access = 0x1F0FFF
    handle = kernel32.OpenProcess(process_all_access, False, child.pid)
    if job and handle:
        kernel32.AssignProcessToJobObject(job, handle)
    try:
        return child.wait()
    except KeyboardInterrupt:
        # Jupyter interrupts this kernel by message (interrupt_mode "message"), not by signal.
        return child.wait()


def main(argv=None, environ=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print("usage: kernel_launcher.py EVCXR_JUPYTER [ARGS...]", file=sys.stderr)
        return 2
    env = dict(os.environ if environ is None else environ)
    base = slots_dir(environ=env)
    try:
        claimed = claim_slot(base)
    except OSError as error:  # e.g. a read-only or full cache folder: the kernel still starts
        print(f"genlab kernel: cannot use the build slots in {base} ({error})", file=sys.stderr)
        claimed = None
    if claimed is None:
        print(f"genlab kernel: no free build slot (of {SLOTS}) in {base}; this kernel builds in a fresh "
              "temporary directory and compiles genlab again (about 2 minutes). Close a running kernel to avoid it.",
              file=sys.stderr)
    else:
        index, build_dir, lock = claimed
        try:
            seeded = seed_if_new(build_dir, env)
        except OSError as error:  # the kernel still starts, and compiles what it needs
            print(f"genlab kernel: could not use the class install's compiled crates ({error})", file=sys.stderr)
            seeded = None
        if seeded is not None:
            print(f"genlab kernel: build slot {index} made from the class install's compiled crates "
                  f"({seeded / 1e6:.1f} MB copied, the rest linked)", file=sys.stderr)
        env["EVCXR_TMPDIR"] = str(build_dir)
        env["GENLAB_KERNEL_SLOT"] = str(index)
        print(f"genlab kernel: build slot {index} ({build_dir})", file=sys.stderr)
    env = kernel_environment(env)
    sys.stderr.flush()
    if os.name == "nt":
        return _run_in_job(argv, env)
    if claimed is not None:
        os.set_inheritable(lock.fd, True)  # the lock lives as long as the kernel, across exec
    try:
        os.execvpe(argv[0], argv, env)
    except OSError as error:
        print(f"genlab kernel: cannot start {argv[0]}: {error}. Run the set-up again: python3 scripts/setup.py",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
