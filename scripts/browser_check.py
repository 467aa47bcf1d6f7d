#!/usr/bin/env python3
"""The notebooks as a user sees them: start JupyterLab on 127.0.0.1, open every notebook in
headless Chromium (Debian's /usr/bin/chromium, driven by Playwright), check that every figure
output rendered as an image of non-zero size and that no error shows, save screenshots to
target/browser/, and stop the server it started (by process group). Then the notebooks as slide
decks (scripts/build_decks.py, into target/decks): each has at least 8 slides, every slide's
images render, and every figure of the notebook is on a slide; screenshots of the slides with
images (and the first) go to target/browser/ too.

Usage: python scripts/browser_check.py [--decks] [NOTEBOOK_DIR]   (default: notebooks/, which carries outputs)
--decks checks the slide decks only (each slide must fit 1280x720 and 1920x1080: nothing beyond the
screen, nothing cut off at the right, no prompts).
Installs what it needs: `apt-get install chromium` (as root, where apt-get exists) and the playwright
package. Where no Chromium or Chrome is found and none can be installed, it says so and skips
(exit 0), except with CI=true, where the check is mandatory (exit 1).
"""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import setup  # scripts/setup.py: the project's venv
from setup import ROOT

OUT = ROOT / "target" / "browser"
CHROMIUM = "/usr/bin/chromium"
# The notebook on show (earlier ones stay open in hidden tabs).
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def find_chromium():
    """A Chromium or Chrome to drive: Debian's, one on PATH, or Chrome on macOS; None when there is none."""
    candidates = [CHROMIUM, *(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "chrome")),
                  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
                  "/Applications/Chromium.app/Contents/MacOS/Chromium"]
    return next((c for c in candidates if c and os.path.exists(c)), None)


def can_apt_install():
    return os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get") is not None


def ensure_tools():
    """The browser and the driver; None (with the reason printed) when no browser can be had here."""
    # fonts-nanum: the notebooks' Korean text (the lecture's own words) renders as boxes without a CJK font.
    if can_apt_install() and (not os.path.exists(CHROMIUM) or not os.path.isdir("/usr/share/fonts/truetype/nanum")):
        print("== installing Debian's chromium and a Korean font", flush=True)
        install = ["apt-get", "install", "-y", "-q", "chromium", "fonts-nanum"]
        if subprocess.run(install, stdout=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], check=True, stdout=subprocess.DEVNULL)
            subprocess.run(install, check=True, stdout=subprocess.DEVNULL)
    chromium = find_chromium()
    if chromium is None:
        return None
    try:
        import playwright  # noqa: F401
    except ImportError:
        print("== installing playwright (the driver only; the browser is the system's)", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "playwright>=1.40,<2"], check=True)
    return chromium


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(root_dir, port, scratch):
    settings = scratch / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Render every cell (no virtual scrolling), so every output is in the page.
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    log = open(OUT / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        [str(setup.venv_bin("jupyter")), "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
         "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root_dir}",
         f"--LabApp.user_settings_dir={scratch / 'settings'}", f"--LabApp.workspaces_dir={scratch / 'workspaces'}"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2)
            return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early; see {OUT / 'jupyterlab.log'}")
            time.sleep(0.5)
    raise RuntimeError("JupyterLab did not start within 90 s")


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def expected_figures(path):
    nb = json.loads(path.read_text())
    return sum(1 for c in nb["cells"] for o in c.get("outputs", [])
               if "image/png" in o.get("data", {}) or "image/gif" in o.get("data", {}))


def expected_errors(path):
    """Outputs of the cells that show an error on purpose (tagged raises-exception, as
    run_notebooks.py requires of them)."""
    nb = json.loads(path.read_text())
    return sum(len(c.get("outputs", [])) for c in nb["cells"] if "raises-exception" in c.get("metadata", {}).get("tags", []))


def check(page, port, path):
    problems = []
    want = expected_figures(path)
    # ?reset: the workspace restores no earlier notebook, whose panel (and images) could be the
    # visible one for a moment; then wait until this notebook's tab is the current one.
    page.goto(f"http://127.0.0.1:{port}/lab/tree/{path.name}?reset")
    page.wait_for_function(
        "name => [...document.querySelectorAll('.jp-mod-current .lm-TabBar-tabLabel, .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel')]"
        ".some(e => e.innerText.trim() === name)", arg=path.name, timeout=120_000)
    page.wait_for_selector(f"{PANEL} .jp-Cell", timeout=120_000)
    page.wait_for_function(f"document.querySelectorAll('{PANEL} .jp-OutputArea-output img').length >= {want}",
                           timeout=120_000)
    page.wait_for_timeout(1500)
    images = page.eval_on_selector_all(
        f"{PANEL} .jp-OutputArea-output img",
        "els => els.map(e => ({w: e.naturalWidth, h: e.naturalHeight, shown: e.getBoundingClientRect().width}))")
    if len(images) != want:
        problems.append(f"{len(images)} images shown, the notebook has {want} image/png and image/gif outputs")
    for i, img in enumerate(images):
        if not (img["w"] > 0 and img["h"] > 0 and img["shown"] > 0):
            problems.append(f"image {i} did not render: {img}")
    texts = page.eval_on_selector_all(f"{PANEL} .jp-OutputArea-output", "els => els.map(e => e.innerText)")
    shown = [t for t in texts if "panicked at" in t or t.lstrip().startswith("Error") or "[E0" in t]
    if len(shown) > expected_errors(path):
        problems += [f"an error output is shown: {t[:300]!r}" for t in shown]
    stem = path.stem
    page.screenshot(path=str(OUT / f"{stem}-top.png"))
    handles = page.query_selector_all(f"{PANEL} .jp-OutputArea-output img")
    for i, handle in enumerate(handles):
        # Scrolled by the page itself: Playwright's own scrolling waits for the element to count
        # as visible first, which a figure far down the notebook sometimes never did in time.
        # The screenshots are for people to look at; whether each figure rendered is checked above.
        try:
            handle.evaluate("e => e.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(300)
            handle.screenshot(path=str(OUT / f"{stem}-figure-{i}.png"), timeout=20_000)
        except Exception as e:
            print(f"   warning: no screenshot of figure {i} of {path.name} ({type(e).__name__})", flush=True)
    print(f"== {path.name}: {len(images)} figures rendered (expected {want}), {len(problems)} problems", flush=True)
    return problems


MIN_SLIDES = 8
# Screens a deck is shown on: a projector's 720p and full HD.
DECK_VIEWPORTS = [(1280, 720), (1920, 1080)]

# What does not fit on the slide on show: content beyond the screen's edges, code or output
# cut off at the right (a box narrower than what it holds), and input or output prompts.
SLIDE_FIT = r"""() => {
    const slide = document.querySelector('.reveal .slides section.present:not(:has(section))');
    if (!slide) return ['no slide is shown'];
    const problems = [];
    let bottom = 0, right = 0, left = Infinity, top = Infinity;
    for (const el of slide.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        bottom = Math.max(bottom, r.bottom); right = Math.max(right, r.right);
        left = Math.min(left, r.left); top = Math.min(top, r.top);
    }
    if (bottom > innerHeight + 1 || top < -1) problems.push(`content from y=${Math.round(top)} to ${Math.round(bottom)}, the screen is ${innerHeight} high`);
    if (right > innerWidth + 1 || left < -1) problems.push(`content from x=${Math.round(left)} to ${Math.round(right)}, the screen is ${innerWidth} wide`);
    for (const el of slide.querySelectorAll('pre, table')) {
        if (el.scrollWidth > el.clientWidth + 2 && el.clientWidth > 0)
            problems.push(`cut off at the right (${el.scrollWidth} px in ${el.clientWidth}): ${JSON.stringify(el.innerText.split('\n').find(l => l.length > 0)?.slice(0, 60))}`);
    }
    for (const el of slide.querySelectorAll('.jp-InputPrompt, .jp-OutputPrompt')) {
        if (el.getBoundingClientRect().width > 0 && el.innerText.trim()) problems.push(`a prompt shows: ${el.innerText.trim()}`);
    }
    return problems;
}"""


def check_deck(page, deck, notebook, screenshots=True):
    problems = []
    size = page.viewport_size
    screen = f"{size['width']}x{size['height']}"
    page.goto(deck.as_uri())
    # reveal.js marks itself ready; it runs as a require.js module (no window.Reveal), so the
    # slides are walked by their addresses (#/h/v, the deck's history).
    page.wait_for_selector(".reveal.ready", timeout=60_000)
    slides = page.evaluate("""Array.from(document.querySelectorAll('.reveal .slides > section')).flatMap((s, h) => {
        const inner = s.querySelectorAll(':scope > section');
        return inner.length ? Array.from(inner, (_, v) => [h, v]) : [[h, 0]];
    })""")
    total = len(slides)
    if total < MIN_SLIDES:
        problems.append(f"{total} slides, fewer than {MIN_SLIDES}")
    shown = 0
    for k, (h, v) in enumerate(slides):
        page.evaluate(f"location.hash = '#/{h}/{v}'")
        page.wait_for_timeout(400)
        images = page.evaluate("Array.from(document.querySelectorAll('.reveal .slides section.present:not(:has(section)) img'))"
                               ".map(e => ({w: e.naturalWidth, h: e.naturalHeight, done: e.complete}))")
        for i, img in enumerate(images):
            if not (img["done"] and img["w"] > 0 and img["h"] > 0):
                problems.append(f"slide {k} (#/{h}/{v}): image {i} did not render: {img}")
        problems += [f"slide {k} (#/{h}/{v}) at {screen} does not fit: {p}" for p in page.evaluate(SLIDE_FIT)]
        shown += len(images)
        if screenshots:
            page.screenshot(path=str(OUT / f"{notebook.stem}-slide-{k:02d}.png"))
    want = expected_figures(notebook)
    if shown < want:
        problems.append(f"{shown} images on the slides, the notebook has {want} figures")
    print(f"== {deck.name} at {screen}: {total} slides, {shown} images rendered (notebook figures: {want}), "
          f"{len(problems)} problems", flush=True)
    return problems


def check_decks(browser, nb_dir):
    import build_decks
    decks = ROOT / "target" / "decks"
    if build_decks.main([str(nb_dir), str(decks)]) != 0:
        return 1
    failures = 0
    for width, height in DECK_VIEWPORTS:
        page = browser.new_page(viewport={"width": width, "height": height})
        for notebook in sorted(nb_dir.glob("*.ipynb")):
            deck = decks / f"{notebook.stem}.slides.html"
            try:
                # Screenshots of every slide at the projector's size.
                problems = check_deck(page, deck, notebook, screenshots=(width, height) == DECK_VIEWPORTS[0])
            except Exception as e:
                problems = [f"{type(e).__name__}: {e}"]
            for problem in problems:
                print(f"FAIL {deck.name}: {problem}", file=sys.stderr)
            failures += bool(problems)
        page.close()
    return failures


def main(args):
    chromium = ensure_tools()
    if chromium is None:
        how = ("install Chromium or Google Chrome (Debian/Ubuntu: sudo apt install chromium fonts-nanum; "
               "macOS: Google Chrome from google.com/chrome)")
        if os.environ.get("CI") == "true":
            print(f"error: the browser check is mandatory in CI and found no Chromium; {how}", file=sys.stderr)
            return 1
        print(f"== browser check: SKIPPED: no Chromium here and it cannot be installed without root and apt-get; "
              f"{how}, then run the test command again", flush=True)
        return 0
    from playwright.sync_api import sync_playwright
    decks_only = "--decks" in args
    args = [a for a in args if a != "--decks"]
    nb_dir = pathlib.Path(args[0]).resolve() if args else ROOT / "notebooks"
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    if decks_only:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            deck_failures = check_decks(browser, nb_dir)
            browser.close()
        print(f"browser check (decks only): {deck_failures} failed (screenshots in {OUT})")
        return 1 if deck_failures else 0
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="genlab-browser-"))
    port = free_port()
    lab = start_lab(nb_dir, port, scratch)
    failures = 0
    notebooks = sorted(nb_dir.glob("*.ipynb"))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for path in notebooks:
                try:
                    problems = check(page, port, path)
                except Exception as e:  # a timeout is a failure of this notebook, not of the script
                    problems = [f"{type(e).__name__}: {e}"]
                for problem in problems:
                    print(f"FAIL {path.name}: {problem}", file=sys.stderr)
                failures += bool(problems)
            deck_failures = check_decks(browser, nb_dir)
            browser.close()
    finally:
        stop(lab)
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"browser check: {len(notebooks) - failures} passed, {failures} failed; decks: {deck_failures} failed "
          f"(screenshots in {OUT})")
    return 1 if failures or deck_failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
