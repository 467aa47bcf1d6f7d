"""The kernel launcher's build slots: where they live, who gets which, and what a killed kernel leaves.

Run: python3 -m unittest discover -s scripts/tests   (part of the test command; standard library only)
The process tests start the real launcher with a stand-in for evcxr_jupyter that reports the slot
it was given and then waits to be killed, as a kernel does.
"""
import importlib.util
import os
import pathlib
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

SCRIPTS = pathlib.Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("kernel_launcher", SCRIPTS / "kernel_launcher.py")
launcher = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launcher)

FAKE_KERNEL = textwrap.dedent("""
    import os, pathlib, sys, time
    report = pathlib.Path(sys.argv[1])
    tmp = report.with_suffix(".tmp")
    tmp.write_text(f"{os.getpid()} {os.environ.get('GENLAB_KERNEL_SLOT', '-')} {os.environ.get('EVCXR_TMPDIR', '-')}")
    os.replace(tmp, report)
    time.sleep(600)
""")


class CacheLocation(unittest.TestCase):
    def test_linux_uses_xdg_cache_home_when_absolute(self):
        root = launcher.cache_root({"XDG_CACHE_HOME": "/x/cache"}, "linux", home="/home/u")
        self.assertEqual(root, pathlib.Path("/x/cache/genlab"))

    def test_linux_ignores_a_relative_xdg_cache_home(self):
        root = launcher.cache_root({"XDG_CACHE_HOME": "cache"}, "linux", home="/home/u")
        self.assertEqual(root, pathlib.Path("/home/u/.cache/genlab"))

    def test_macos_uses_library_caches(self):
        root = launcher.cache_root({"XDG_CACHE_HOME": "/x"}, "darwin", home="/Users/u")
        self.assertEqual(root, pathlib.Path("/Users/u/Library/Caches/genlab"))

    def test_windows_uses_localappdata(self):
        root = launcher.cache_root({"LOCALAPPDATA": "C:/Users/u/AppData/Local"}, "win32", home="C:/Users/u")
        self.assertEqual(root, pathlib.Path("C:/Users/u/AppData/Local/genlab/Cache"))

    def test_override_wins_everywhere(self):
        for platform in ("linux", "darwin", "win32"):
            self.assertEqual(launcher.cache_root({"GENLAB_KERNEL_CACHE": "/t/c"}, platform, home="/h"),
                             pathlib.Path("/t/c"))

    def test_two_checkouts_get_separate_slot_directories(self):
        env = {"GENLAB_KERNEL_CACHE": "/t/c"}
        a = launcher.slots_dir("/work/a/genlab", env)
        b = launcher.slots_dir("/work/b/genlab", env)
        self.assertNotEqual(a, b)
        self.assertEqual(a.parent, pathlib.Path("/t/c/kernels"))
        self.assertTrue(a.name.startswith("genlab-"))
        self.assertEqual(a, launcher.slots_dir("/work/a/genlab", env), "the same checkout, the same slots")


class LoaderPath(unittest.TestCase):
    """Compiled cells find the toolchain's libstd through the loader path (see kernel_launcher's docs)."""

    def test_cargo_is_found_even_when_path_lacks_it(self):
        cargo_bin = pathlib.Path(shutil.which("cargo")).parent
        self.assertIsNone(shutil.which("cargo", path="/usr/bin:/bin"), "this test needs cargo outside /usr/bin")
        env = launcher.kernel_environment({"PATH": "/usr/bin:/bin", "CARGO_HOME": str(cargo_bin.parent)}, "linux")
        self.assertEqual(pathlib.Path(shutil.which("cargo", path=env["PATH"])).parent, cargo_bin)

    def test_linux_prepends_the_target_libdir(self):
        env = launcher.kernel_environment({**os.environ, "LD_LIBRARY_PATH": "/opt/lib"}, "linux")
        libdir, rest = env["LD_LIBRARY_PATH"].split(os.pathsep, 1)
        self.assertTrue(any(pathlib.Path(libdir).glob("libstd-*")), f"no libstd in {libdir}")
        self.assertEqual(rest, "/opt/lib")

    def test_macos_keeps_dyld_default_fallbacks(self):
        env = launcher.kernel_environment({k: v for k, v in os.environ.items() if not k.startswith("DYLD")}, "darwin")
        self.assertTrue(env["DYLD_FALLBACK_LIBRARY_PATH"].endswith(os.pathsep.join(["/usr/local/lib", "/usr/lib"])))

    def test_windows_needs_nothing(self):
        env = launcher.kernel_environment(dict(os.environ), "win32")
        self.assertNotIn("LD_LIBRARY_PATH", set(env) - set(os.environ))
        self.assertNotIn("DYLD_FALLBACK_LIBRARY_PATH", env)


class ClaimSlot(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.base = pathlib.Path(self.dir.name)

    def tearDown(self):
        self.dir.cleanup()

    def test_slots_are_taken_in_order_and_freed_on_release(self):
        first = launcher.claim_slot(self.base, slots=3)
        second = launcher.claim_slot(self.base, slots=3)
        self.assertEqual((first[0], second[0]), (0, 1))
        self.assertEqual(first[1], self.base / "slot0")
        self.assertTrue(first[1].is_dir())
        first[2].release()
        again = launcher.claim_slot(self.base, slots=3)
        self.assertEqual(again[0], 0, "a released slot is the first free one again")
        second[2].release()
        again[2].release()

    def test_none_when_every_slot_is_held(self):
        held = [launcher.claim_slot(self.base, slots=2) for _ in range(2)]
        self.assertIsNone(launcher.claim_slot(self.base, slots=2))
        for claim in held:
            claim[2].release()

    def test_a_slot_keeps_what_was_built_in_it(self):
        index, build_dir, lock = launcher.claim_slot(self.base)
        (build_dir / "target").mkdir()
        lock.release()
        index, build_dir, lock = launcher.claim_slot(self.base)
        self.assertTrue((build_dir / "target").is_dir())
        lock.release()


class WindowsJobObject(unittest.TestCase):
    @unittest.skipUnless(struct.calcsize("P") == 8, "the documented size is for 64-bit Windows")
    def test_limits_structure_has_the_win32_layout(self):
        # JOBOBJECT_EXTENDED_LIMIT_INFORMATION is 144 bytes on x64 and arm64 Windows; a wrong
        # layout would make SetInformationJobObject fail and leave evcxr alive after its launcher.
        import ctypes
        self.assertEqual(ctypes.sizeof(launcher.job_limits_struct()), 144)


@unittest.skipIf(os.name == "nt", "kill -9 and exec are POSIX; Windows runs the kernel in a job object")
class LauncherProcesses(unittest.TestCase):
    """Real launcher processes: two kernels at once, a killed kernel, and a kernel that cannot start."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.tmp = pathlib.Path(self.dir.name)
        (self.tmp / "fake_kernel.py").write_text(FAKE_KERNEL)
        self.env = {**os.environ, "GENLAB_KERNEL_CACHE": str(self.tmp / "cache")}
        self.procs = []

    def tearDown(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stderr.close()
        self.dir.cleanup()

    def start(self, name):
        report = self.tmp / f"{name}.txt"
        proc = subprocess.Popen([sys.executable, str(SCRIPTS / "kernel_launcher.py"), sys.executable,
                                 str(self.tmp / "fake_kernel.py"), str(report)],
                                env=self.env, stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        deadline = time.time() + 30
        while not report.exists():
            if proc.poll() is not None or time.time() > deadline:
                self.fail(f"kernel {name} did not start: {proc.stderr.read() if proc.poll() is not None else 'timeout'}")
            time.sleep(0.02)
        pid, slot, build_dir = report.read_text().split(" ", 2)
        return proc, int(pid), slot, build_dir

    def test_two_kernels_at_once_get_different_slots_and_a_killed_kernels_slot_is_reused(self):
        a, a_pid, a_slot, a_dir = self.start("a")
        b, _, b_slot, b_dir = self.start("b")
        self.assertEqual((a_slot, b_slot), ("0", "1"))
        self.assertNotEqual(a_dir, b_dir)
        self.assertEqual(a_pid, a.pid, "the launcher becomes the kernel (exec), so Jupyter's signals reach it")
        os.kill(a.pid, signal.SIGKILL)
        a.wait()
        c, _, c_slot, c_dir = self.start("c")
        self.assertEqual((c_slot, c_dir), ("0", a_dir), "a killed kernel's slot is free at once")
        self.assertIsNone(b.poll())
        self.assertIn(f"build slot 0 ({a_dir})", a.stderr.read())  # a was killed above: EOF

    def test_an_unusable_cache_folder_still_starts_the_kernel(self):
        (self.tmp / "cache").write_text("a file where the cache folder should be")
        proc, _, slot, build_dir = self.start("a")
        self.assertEqual((slot, build_dir), ("-", "-"), "no slot: evcxr's own temporary directory")
        proc.kill()
        proc.wait()
        self.assertIn("cannot use the build slots", proc.stderr.read())

    def test_a_kernel_that_cannot_start_says_what_to_do(self):
        run = subprocess.run([sys.executable, str(SCRIPTS / "kernel_launcher.py"), str(self.tmp / "no-such-evcxr")],
                             env=self.env, capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 1)
        self.assertIn("cannot start", run.stderr)
        self.assertIn("setup.py", run.stderr)


if __name__ == "__main__":
    unittest.main()
