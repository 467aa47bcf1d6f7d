#!/usr/bin/env python3
"""The notebooks as reveal.js slide decks: `jupyter nbconvert --to slides` on every notebook,
following each cell's slideshow metadata (a slide per lecture slide, code with its figure as
sub-slides), with the stored figures embedded.

Usage: python scripts/build_decks.py [NOTEBOOK_DIR] [OUT_DIR]   (default: notebooks/, target/decks)

Every slide is meant to fit reveal.js' 960x700 canvas, which reveal.js scales to the screen (a
projector's 1280x720 or 1920x1080): no prompts, and a style sheet (DECK_CSS) with projector-sized
text and code and figures no taller than the space a slide leaves them. browser_check.py measures
every slide of every deck in Chromium at both sizes and fails on one that does not fit.

The decks load reveal.js 4.0.2 (the version nbconvert's template is written for), require.js and
jQuery. By default from local copies that this script installs with npm into target/reveal (so the
decks work offline and in the browser check); with --cdn from the CDNs, as `jupyter nbconvert --to
slides` does, for decks to share.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
REVEAL_VERSION = "4.0.2"
REVEAL_DIR = ROOT / "target" / "reveal"


# npm packages and the file of each that a deck loads.
PACKAGES = {f"reveal.js@{REVEAL_VERSION}": "reveal.js/dist/reveal.js", "requirejs@2.3.6": "requirejs/require.js",
            "jquery@2.2.4": "jquery/dist/jquery.min.js"}


def local_reveal():
    """The local node_modules folder with reveal.js, require.js and jQuery, installed with npm
    when missing; None without npm."""
    modules = REVEAL_DIR / "node_modules"
    if all((modules / f).is_file() for f in PACKAGES.values()):
        return modules
    npm = shutil.which("npm")
    if npm is None:
        return None
    print(f"== installing {', '.join(PACKAGES)} with npm into {REVEAL_DIR}", flush=True)
    REVEAL_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(REVEAL_DIR), *PACKAGES],
                   check=True)
    return modules


# In slide coordinates (reveal.js scales the 960x700 canvas as a whole). Markdown text and code at
# sizes a projector shows from the back of a room; a figure at most as tall as a slide with a few
# lines of code above it; tables and code in the cell's width.
DECK_CSS = """
.reveal .slides section { padding: 0 !important; }
.reveal .jp-RenderedMarkdown, .reveal .jp-RenderedHTMLCommon { font-size: 21px !important; line-height: 1.35 !important; }
.reveal .jp-RenderedMarkdown h1 { font-size: 36px !important; margin: 0 0 12px !important; }
.reveal .jp-RenderedMarkdown h2 { font-size: 30px !important; margin: 0 0 10px !important; }
.reveal .jp-RenderedMarkdown h3 { font-size: 25px !important; margin: 0 0 8px !important; }
.reveal .jp-RenderedMarkdown p, .reveal .jp-RenderedMarkdown ul, .reveal .jp-RenderedMarkdown ol { margin: 0 0 8px !important; }
.reveal .jp-RenderedMarkdown table { font-size: 16px !important; }
.reveal .jp-RenderedMarkdown pre, .reveal .jp-RenderedMarkdown code { font-size: 16px !important; }
.reveal .jp-InputArea pre, .reveal .jp-OutputArea pre { font-size: 15px !important; line-height: 1.3 !important; }
.reveal .jp-OutputArea-output img { max-height: 430px !important; max-width: 100% !important; width: auto !important; height: auto !important; }
.reveal .jp-Cell { padding: 2px 0 !important; }
.reveal .jp-OutputArea-child, .reveal .jp-OutputArea-output { margin: 0 !important; padding-top: 0 !important; padding-bottom: 0 !important; }
.reveal .jp-OutputArea-output pre { margin: 0 !important; padding: 0 !important; }
"""


def with_deck_style(html_path):
    """The deck with DECK_CSS after nbconvert's own styles."""
    html = html_path.read_text()
    if "genlab decks" not in html:
        html = html.replace("</head>", f"<style>/* genlab decks */{DECK_CSS}</style>\n</head>", 1)
        html_path.write_text(html)


def with_gifs_as_html(path, scratch):
    """A copy of the notebook whose GIF outputs also carry an HTML <img> (nbconvert's templates
    drop image/gif), so the decks show the training and latent-walk animations."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/gif" in data and "text/html" not in data:
                gif = "".join(data["image/gif"]).replace("\n", "")
                data["text/html"] = f'<img alt="animation" src="data:image/gif;base64,{gif}"/>'
    copy = scratch / path.name
    copy.write_text(json.dumps(nb, ensure_ascii=False))
    return copy


def main(args):
    cdn = "--cdn" in args
    args = [a for a in args if a != "--cdn"]
    nb_dir = pathlib.Path(args[0]).resolve() if args else ROOT / "notebooks"
    out = pathlib.Path(args[1]).resolve() if len(args) > 1 else ROOT / "target" / "decks"
    out.mkdir(parents=True, exist_ok=True)
    prefix = f"https://unpkg.com/reveal.js@{REVEAL_VERSION}"
    local = []
    if not cdn:
        modules = local_reveal()
        if modules is None:
            print("error: npm is needed for the local copy of reveal.js (or pass --cdn)", file=sys.stderr)
            return 2
        prefix = os.path.relpath(modules / "reveal.js", out)
        local = [f"--HTMLExporter.require_js_url={os.path.relpath(modules / PACKAGES['requirejs@2.3.6'], out)}",
                 f"--HTMLExporter.jquery_url={os.path.relpath(modules / PACKAGES['jquery@2.2.4'], out)}"]
    notebooks = sorted(nb_dir.glob("*.ipynb"))
    scratch = out / ".notebooks"
    scratch.mkdir(exist_ok=True)
    for path in notebooks:
        subprocess.run([str(VENV / "jupyter"), "nbconvert", "--to", "slides", "--log-level=ERROR", "--no-prompt",
                        f"--SlidesExporter.reveal_url_prefix={prefix}", *local,
                        "--SlidesExporter.reveal_transition=none", "--output-dir", str(out),
                        str(with_gifs_as_html(path, scratch))], check=True)
        with_deck_style(out / f"{path.stem}.slides.html")
    shutil.rmtree(scratch)
    print(f"== {len(notebooks)} decks in {out} (reveal.js from {prefix})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
