"""The notebooks as teaching text: the numbers they quote come from the one file that holds them,
no project matter (sessions, build slots, goals of the project) reaches a student, and code lines
fit a projector."""
import importlib.util
import json
import pathlib
import re
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Words of the project's own history or machinery, not of the lecture.
PROJECT_MATTER = ["세션", "빌드 슬롯", "build slot", "cargo run", "wall s", "목표 80%", "80% target", "session"]
# Columns of a code line on a slide at the decks' code size (a Hangul syllable is two).
MAX_COLUMNS = 84


def cells(path):
    return json.loads(path.read_text())["cells"]


def columns(line):
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in line)


class NotebookText(unittest.TestCase):
    def test_the_ablation_table_is_the_committed_results(self):
        spec = importlib.util.spec_from_file_location("gan_ablation", ROOT / "bench" / "gan_ablation.py")
        ablation = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(ablation)
        table = ablation.notebook_table()
        text = "\n".join("".join(c["source"]) for c in cells(ROOT / "notebooks" / "04_better_gan.ipynb")
                         if c["cell_type"] == "markdown")
        self.assertIn(table, text, "notebook 04's table differs from bench/results/gan_ablation.json: "
                                   "render it with `python3 bench/gan_ablation.py --notebook-table`")
        # No other table of measured percentages in the notebook.
        self.assertEqual(text.count("| 확신 비율 %"), 1)

    def test_no_project_matter_in_what_students_read(self):
        for path in NOTEBOOKS:
            for i, cell in enumerate(cells(path)):
                source = "".join(cell["source"])
                for word in PROJECT_MATTER:
                    self.assertNotIn(word, source, f"{path.name} cell {i}")

    def test_code_lines_fit_a_slide(self):
        for path in NOTEBOOKS:
            for i, cell in enumerate(cells(path)):
                if cell["cell_type"] != "code":
                    continue
                for line in "".join(cell["source"]).splitlines():
                    self.assertLessEqual(columns(line), MAX_COLUMNS, f"{path.name} cell {i}: {line}")

    def test_every_notebook_draws_its_figures_in_korean(self):
        for path in NOTEBOOKS:
            code = "\n".join("".join(c["source"]) for c in cells(path) if c["cell_type"] == "code")
            self.assertRegex(code, re.escape("set_language(Language::Korean)"), path.name)


if __name__ == "__main__":
    unittest.main()
