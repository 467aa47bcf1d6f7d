"""Parameters given to a headless notebook run (`run_notebooks.py -p NAME VALUE`), typed as the
notebook's parameters cell types them; the real cells of notebooks 01-04 are read."""
import importlib.util
import json
import pathlib
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("notebook_parameters", ROOT / "scripts" / "notebook_parameters.py")
parameters = importlib.util.module_from_spec(spec)
spec.loader.exec_module(parameters)


def parameters_cell(name):
    cells = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, name
    return "".join(tagged[0]["source"])


class Parameters(unittest.TestCase):
    def test_each_notebook_defines_its_parameters(self):
        self.assertEqual(parameters.defined(parameters_cell("01_gan.ipynb")),
                         {"iterations": "u64", "snapshot_every": "u64", "slide_1": "&[u64]", "slide_2": "&[u64]"})
        for name in ["02_autoencoder.ipynb", "03_beyond.ipynb", "04_better_gan.ipynb"]:
            self.assertTrue(parameters.defined(parameters_cell(name)), name)

    def test_values_are_typed_as_the_cell_types_them(self):
        lines = parameters.injected_lines(parameters_cell("01_gan.ipynb"),
                                          {"iterations": "1000", "slide_1": "0, 200,400"}, "01_gan.ipynb")
        self.assertEqual(lines, ["let iterations: u64 = 1000;", "let slide_1: &[u64] = &[0, 200, 400];"])
        self.assertEqual(parameters.rust_literal("f32", "2"), "2.0")
        self.assertEqual(parameters.rust_literal("f64", "0.0002"), "0.0002")
        self.assertEqual(parameters.rust_literal("bool", "true"), "true")
        self.assertEqual(parameters.rust_literal("&str", 'a "b"'), '"a \\"b\\""')

    def test_wrong_values_and_unknown_names_are_refused_with_the_notebook(self):
        source = parameters_cell("01_gan.ipynb")
        with self.assertRaisesRegex(SystemExit, "01_gan.ipynb: -p iterations -5: .*negative"):
            parameters.injected_lines(source, {"iterations": "-5"}, "01_gan.ipynb")
        with self.assertRaisesRegex(SystemExit, "01_gan.ipynb: -p iterations many"):
            parameters.injected_lines(source, {"iterations": "many"}, "01_gan.ipynb")
        with self.assertRaisesRegex(SystemExit, "does not define `iteration`.*iterations"):
            parameters.injected_lines(source, {"iteration": "5"}, "01_gan.ipynb")
        with self.assertRaises(ValueError):
            parameters.rust_literal("f32", "nan")


if __name__ == "__main__":
    unittest.main()
