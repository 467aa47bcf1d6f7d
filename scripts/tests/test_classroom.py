"""The class install's parts that run without a hub: a new build slot made from the template, the
students' notebooks pointed at the installed crate, the kernel spec, copying notebooks.

Run: python3 -m unittest discover -s scripts/tests   (part of the test command; standard library only)
The hub itself, with real users and kernels, is measured by bench/classroom.py.
"""
import importlib.util
import json
import os
import pathlib
import sys
import tempfile
import unittest

SCRIPTS = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SCRIPTS))


def load(name):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


launcher = load("kernel_launcher")
classroom = load("classroom")


class SlotFromTemplate(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = pathlib.Path(self.tmp.name)
        self.template = self.root / "template"
        deps = self.template / "target" / "x86_64-unknown-linux-gnu" / "debug" / "deps"
        deps.mkdir(parents=True)
        (deps / "libdfdx-1234.rlib").write_bytes(b"r" * (launcher.LINK_ABOVE + 1))
        (deps / "genlab-5678.d").write_text("deps")
        (deps.parent / ".cargo-lock").write_text("")
        (deps.parent / "incremental" / "ctx-1").mkdir(parents=True)
        (deps.parent / "incremental" / "ctx-1" / "query-cache.bin").write_bytes(b"q" * 10)
        (self.template / "Cargo.toml").write_text("[package]")
        (self.template / "Cargo.lock").write_text("# lock")

    def tearDown(self):
        self.tmp.cleanup()

    def test_large_files_are_links_small_ones_copies_and_caches_and_locks_stay_out(self):
        slot = self.root / "slot0"
        slot.mkdir()
        copied = launcher.seed_slot(self.template, slot)
        self.assertEqual(sorted(p.name for p in self.root.iterdir()), ["slot0", "template"], "nothing left beside")
        deps = slot / "target" / "x86_64-unknown-linux-gnu" / "debug" / "deps"
        rlib = deps / "libdfdx-1234.rlib"
        self.assertTrue(rlib.is_symlink())
        self.assertEqual(os.readlink(rlib), str(self.template / rlib.relative_to(slot)))
        for small in [deps / "genlab-5678.d", slot / "Cargo.toml", slot / "Cargo.lock"]:
            self.assertFalse(small.is_symlink(), small)
            self.assertTrue(small.is_file(), small)
        self.assertFalse((deps.parent / ".cargo-lock").exists())
        self.assertFalse((deps.parent / "incremental").exists())
        self.assertEqual(copied, len("deps") + len("[package]") + len("# lock"))
        # The copies are the student's to rewrite; the template is not touched through them.
        (slot / "Cargo.toml").write_text("[package] changed")
        self.assertEqual((self.template / "Cargo.toml").read_text(), "[package]")

    def test_only_a_new_slot_is_seeded(self):
        env = {"GENLAB_SLOT_TEMPLATE": str(self.template)}
        fresh, used = self.root / "fresh", self.root / "used"
        fresh.mkdir()
        (used / "target").mkdir(parents=True)
        self.assertTrue(launcher.seed_if_new(fresh, env) > 0)
        self.assertTrue((fresh / "Cargo.lock").is_file())
        self.assertIsNone(launcher.seed_if_new(used, env))
        self.assertFalse((used / "Cargo.lock").exists())
        self.assertIsNone(launcher.seed_if_new(self.root / "other", {}))
        self.assertIsNone(launcher.seed_if_new(self.root / "other", {"GENLAB_SLOT_TEMPLATE": str(self.root / "none")}))


class StudentNotebooks(unittest.TestCase):
    def test_the_build_cell_names_the_installed_crate(self):
        nb = json.loads((SCRIPTS.parent / "notebooks" / "01_gan.ipynb").read_text(encoding="utf-8"))
        out = classroom.student_notebook(nb, pathlib.Path("/opt/genlab/genlab"))
        build = "".join(next(c for c in out["cells"] if c["cell_type"] == "code")["source"])
        self.assertIn(':dep genlab = { path = "/opt/genlab/genlab", default-features = false }', build)
        self.assertNotIn('path = ".."', build)

    def test_every_notebook_has_the_line_to_rewrite(self):
        for path in sorted((SCRIPTS.parent / "notebooks").glob("*.ipynb")):
            with self.subTest(path.name):
                classroom.student_notebook(json.loads(path.read_text(encoding="utf-8")), pathlib.Path("/p"))

    def test_a_notebook_without_it_is_refused(self):
        nb = {"cells": [{"cell_type": "code", "source": ["use genlab::prelude::*;"]}]}
        with self.assertRaises(ValueError):
            classroom.student_notebook(nb, pathlib.Path("/p"))

    def test_copying_keeps_what_the_student_has(self):
        with tempfile.TemporaryDirectory() as tmp:
            dest = pathlib.Path(tmp) / "genlab"
            dest.mkdir()
            (dest / "01_gan.ipynb").write_text("the student's own")
            made = classroom.copy_notebooks(dest)
            self.assertEqual((dest / "01_gan.ipynb").read_text(), "the student's own")
            self.assertNotIn(dest / "01_gan.ipynb", made)
            self.assertIn(dest / "02_autoencoder.ipynb", made)
            self.assertEqual(classroom.copy_notebooks(dest), [])


class KernelSpec(unittest.TestCase):
    def test_the_spec_runs_on_the_install(self):
        prefix = pathlib.Path("/opt/genlab")
        spec = classroom.kernel_spec(prefix, pathlib.Path("/env/bin/python3"), prefix / "rust")
        self.assertEqual(spec["argv"][:3], ["/env/bin/python3", "/opt/genlab/scripts/kernel_launcher.py",
                                            "/opt/genlab/bin/evcxr_jupyter"])
        env = spec["env"]
        self.assertEqual(env["CARGO_HOME"], "/opt/genlab/cargo")
        self.assertEqual(env["CARGO_NET_OFFLINE"], "true")
        self.assertEqual(env["GENLAB_DATA"], "/opt/genlab/data")
        self.assertEqual(env["GENLAB_SLOT_TEMPLATE"], "/opt/genlab/slot-template")
        self.assertTrue(env["PATH"].startswith("/opt/genlab/rust/bin" + os.pathsep))

    def test_readable_by_all_needs_every_folder_searchable(self):
        with tempfile.TemporaryDirectory() as tmp:
            inner = pathlib.Path(tmp) / "a" / "b"
            inner.mkdir(parents=True)
            (inner / "f").write_text("x")
            os.chmod(pathlib.Path(tmp), 0o755)
            os.chmod(inner / "f", 0o644)
            self.assertTrue(classroom.readable_by_all(inner / "f"))
            os.chmod(inner.parent, 0o700)
            self.assertFalse(classroom.readable_by_all(inner / "f"))


if __name__ == "__main__":
    unittest.main()
