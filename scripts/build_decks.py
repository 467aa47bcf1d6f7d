#!/usr/bin/env python3
"""The notebooks as reveal.js slide decks: `jupyter nbconvert --to slides` on every notebook,
following each cell's slideshow metadata (a slide per lecture slide, code with its figure as
sub-slides), with the stored figures embedded.

Usage: python scripts/build_decks.py [NOTEBOOK_DIR] [OUT_DIR]   (default: notebooks/, target/decks)

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
        subprocess.run([str(VENV / "jupyter"), "nbconvert", "--to", "slides", "--log-level=ERROR",
                        f"--SlidesExporter.reveal_url_prefix={prefix}", *local, "--SlidesExporter.reveal_scroll=True",
                        "--SlidesExporter.reveal_transition=none", "--output-dir", str(out),
                        str(with_gifs_as_html(path, scratch))], check=True)
    shutil.rmtree(scratch)
    print(f"== {len(notebooks)} decks in {out} (reveal.js from {prefix})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
