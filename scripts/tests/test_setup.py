"""The set-up's prerequisite checks and kernel registration, without installing anything.

Run: python3 -m unittest discover -s scripts/tests   (part of the test command; standard library only)
Tools are stood in for by tiny scripts on a PATH of the test's own, with HOME and CARGO_HOME in a
scratch directory, so "no cargo" really means no cargo anywhere the set-up looks.
"""
import contextlib
import importlib.util
import io
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

SCRIPTS = pathlib.Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("genlab_setup", SCRIPTS / "setup.py")
setup = importlib.util.module_from_spec(spec)
spec.loader.exec_module(setup)

PY39 = (3, 11, 0)


@unittest.skipIf(os.name == "nt", "the stand-in tools are POSIX shell scripts")
class Prerequisites(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.tmp = pathlib.Path(self.dir.name)
        self.bin = self.tmp / "bin"
        self.bin.mkdir()
        self.env = {"PATH": str(self.bin), "HOME": str(self.tmp / "home"), "CARGO_HOME": str(self.tmp / "cargo")}

    def tearDown(self):
        self.dir.cleanup()

    def tool(self, name, output=""):
        path = self.bin / name
        path.write_text(f"#!/bin/sh\nprintf '%s\\n' '{output}'\n")
        path.chmod(0o755)

    def rust(self):
        self.tool("cargo")
        self.tool("rustup")
        self.tool("rustc", "release: 1.95.0\nhost: x86_64-unknown-linux-gnu")

    def missing(self, platform="linux", distro="debian", version=PY39):
        return dict(setup.check_prerequisites(self.env, platform, version, distro))

    def test_everything_in_place(self):
        self.rust()
        self.tool("cc")
        self.assertEqual(self.missing(), {})

    def test_path_without_cargo_names_rustup(self):
        self.tool("cc")
        missing = self.missing()
        self.assertEqual(list(missing), ["cargo"])
        self.assertIn("https://sh.rustup.rs", missing["cargo"])

    def test_cargo_in_cargo_home_counts_even_off_path(self):
        # rustup's installer puts cargo in ~/.cargo/bin; a shell opened before it has no PATH entry.
        self.bin = pathlib.Path(self.env["CARGO_HOME"]) / "bin"
        self.bin.mkdir(parents=True)
        self.rust()
        self.bin = self.tmp / "bin"
        self.tool("cc")
        self.assertEqual(self.missing(), {})

    def test_cargo_without_rustup(self):
        self.tool("cargo")
        self.tool("rustc", "host: x86_64-unknown-linux-gnu")
        self.tool("cc")
        self.assertEqual(list(self.missing()), ["rustup"])

    def test_old_rustc_is_refused_before_the_evcxr_build(self):
        self.rust()
        self.tool("cc")
        self.tool("rustc", "rustc 1.94.1 (e408947bf 2026-03-25)\nrelease: 1.94.1\nhost: x86_64-unknown-linux-gnu")
        missing = self.missing()
        self.assertEqual(list(missing), ["rustc"])
        self.assertIn("rustup update stable", missing["rustc"])
        self.assertIn("(this is 1.94.1)", missing["rustc"])
        self.tool("rustc", "release: 1.96.0-nightly\nhost: x86_64-unknown-linux-gnu")
        self.assertEqual(self.missing(), {})

    def test_no_c_linker_on_debian_and_fedora(self):
        self.rust()
        self.assertIn("apt install build-essential", self.missing(distro="debian")["linker"])
        self.assertIn("dnf install gcc", self.missing(distro="fedora")["linker"])

    def test_old_python(self):
        self.rust()
        self.tool("cc")
        self.assertIn("3.9 or newer (this is 3.8)", self.missing(version=(3, 8, 10))["python"])

    def test_hints_per_os(self):
        self.assertIn("xcode-select --install", setup.install_hint("linker", "darwin"))
        self.assertIn("Visual Studio C++ Build Tools", setup.install_hint("linker", "win32"))
        self.assertIn("rustup-init.exe", setup.install_hint("cargo", "win32"))
        self.assertIn("apt install python3-venv", setup.install_hint("venv", "linux", "debian"))
        self.assertIn("python.org", setup.install_hint("venv", "win32"))

    def test_windows_gnu_toolchain_needs_gcc_not_msvc(self):
        self.assertFalse(setup.has_linker(self.env, "win32", "x86_64-pc-windows-gnu"))
        self.tool("gcc")
        self.assertTrue(setup.has_linker(self.env, "win32", "x86_64-pc-windows-gnu"))

    def test_distribution_from_os_release(self):
        release = self.tmp / "os-release"
        release.write_text('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n')
        self.assertEqual(setup.linux_distribution(release), "debian")
        release.write_text('ID="fedora"\n')
        self.assertEqual(setup.linux_distribution(release), "fedora")
        self.assertEqual(setup.linux_distribution(self.tmp / "none"), "")

    def test_setup_stops_before_changing_anything(self):
        self.tool("cc")
        run = subprocess.run([sys.executable, str(SCRIPTS / "setup.py")], env={**self.env, "PATH": str(self.bin)},
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertIn("nothing was changed", run.stderr)
        self.assertIn("cargo", run.stderr)
        self.assertFalse((self.tmp / "home").exists())


@unittest.skipIf(os.name == "nt", "the stand-in evcxr is a POSIX shell script")
class KernelRegistration(unittest.TestCase):
    """The kernel spec goes into the project's .venv, and evcxr's installer writes nowhere else."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.tmp = pathlib.Path(self.dir.name)
        self.root = self.tmp / "project"
        self.home = self.tmp / "home"
        self.old_root, setup.ROOT = setup.ROOT, self.root
        self.evcxr = self.tmp / "evcxr_jupyter"
        # As evcxr_jupyter --install does: $JUPYTER_PATH/kernels/rust, else the user's data directory.
        self.evcxr.write_text('#!/bin/sh\nd="${JUPYTER_PATH:-$HOME/.local/share/jupyter}/kernels/rust"\n'
                              'mkdir -p "$d" && echo "{}" > "$d/kernel.json" && echo js > "$d/kernel.js" '
                              '&& echo png > "$d/logo-64x64.png"\n')
        self.evcxr.chmod(0o755)

    def tearDown(self):
        setup.ROOT = self.old_root
        self.dir.cleanup()

    def test_spec_in_the_venv_runs_the_launcher_and_the_user_kernels_are_untouched(self):
        python = self.root / ".venv" / "bin" / "python"
        with contextlib.redirect_stdout(io.StringIO()):
            setup.register_kernel(python, self.evcxr, {"PATH": os.environ["PATH"], "HOME": str(self.home)})
        kernel = self.root / ".venv" / "share" / "jupyter" / "kernels" / "genlab-rust"
        spec = json.loads((kernel / "kernel.json").read_text())
        self.assertEqual(spec["argv"][:3], [str(python), str(self.root / "scripts" / "kernel_launcher.py"),
                                            str(self.evcxr)])
        self.assertEqual(spec["argv"][3:], ["--control_file", "{connection_file}"])
        self.assertEqual(spec["interrupt_mode"], "message")
        self.assertTrue((kernel / "logo-64x64.png").exists())
        self.assertFalse(self.home.exists(), "nothing written in the user's home")

    def test_notebooks_name_that_kernel(self):
        for path in sorted((self.old_root / "notebooks").glob("*.ipynb")):
            meta = json.loads(path.read_text(encoding="utf-8"))["metadata"]["kernelspec"]
            self.assertEqual(meta["name"], setup.KERNEL_NAME, path.name)


if __name__ == "__main__":
    unittest.main()
