"""The browser step where no Chromium can be had: skipped with a reason, except in CI.

Run: python3 -m unittest discover -s scripts/tests   (part of the test command; standard library only)
"""
import contextlib
import importlib.util
import io
import os
import pathlib
import sys
import unittest
from unittest import mock

SCRIPTS = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SCRIPTS))  # browser_check imports its sibling setup.py, as when run as a script
spec = importlib.util.spec_from_file_location("browser_check", SCRIPTS / "browser_check.py")
browser_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(browser_check)


class NoBrowser(unittest.TestCase):
    def run_main(self, ci):
        env = {k: v for k, v in os.environ.items() if k != "CI"}
        if ci:
            env["CI"] = "true"
        out, err = io.StringIO(), io.StringIO()
        with mock.patch.dict(os.environ, env, clear=True), mock.patch.object(browser_check, "ensure_tools", return_value=None), \
                contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = browser_check.main([])
        return status, out.getvalue(), err.getvalue()

    def test_skipped_with_the_reason_and_how_to_install(self):
        status, out, _ = self.run_main(ci=False)
        self.assertEqual(status, 0)
        self.assertIn("SKIPPED", out)
        self.assertIn("apt install chromium", out)

    def test_mandatory_in_ci(self):
        status, _, err = self.run_main(ci=True)
        self.assertEqual(status, 1)
        self.assertIn("mandatory in CI", err)

    def test_no_apt_install_without_root_or_apt(self):
        with mock.patch.object(browser_check.shutil, "which", return_value=None):
            self.assertFalse(browser_check.can_apt_install())


if __name__ == "__main__":
    unittest.main()
