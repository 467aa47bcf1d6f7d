#!/usr/bin/env python3
"""Does each notebook fit a Binder-sized box? Every notebook run headless inside a 2 GiB memory limit.

Usage (Linux, as root, cgroup v1 memory controller, after `python3 scripts/setup.py`):
    python3 bench/binder_memory.py [--limit-mib 2048] [--full] [NOTEBOOK ...]

Each notebook runs through scripts/run_notebooks.py (a real kernel, every cell) in a memory
control group of its own whose limit is the box's (mybinder.org gives 1-2 GiB); the kernel, cargo
and rustc compiling the cells, and the runner itself all count. It prints, per notebook, the
peak (memory.max_usage_in_bytes: resident memory and the page cache the run touched, which the
limit also counts, and which the kernel reclaims at the limit), the peak of resident memory alone
(memory.stat's rss and mapped files, sampled four times a second: what must fit), how often the
limit was reached (memory.failcnt) and whether anything was killed for memory. By default the notebooks run with the test
command's short counts (training memory does not grow with iterations: the networks and the
batch are the same at every step); --full runs the lecture's counts (an hour on 2 cores).
Results: bench/results/binder_memory.json.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHORT_COUNTS = {"GENLAB_GAN_ITERATIONS": "41", "GENLAB_GAN_SNAPSHOT_EVERY": "10", "GENLAB_GAN_SLIDE_1": "0,10,20",
                "GENLAB_GAN_SLIDE_2": "30,40", "GENLAB_AE_EPOCHS": "1", "GENLAB_AE_TOTAL_EPOCHS": "2",
                "GENLAB_DENOISE_EPOCHS": "1", "GENLAB_BETTER_GAN_ITERATIONS": "400",
                "GENLAB_BETTER_GAN_SNAPSHOT_EVERY": "100"}


def run_in_box(notebook, limit, env):
    group = pathlib.Path("/sys/fs/cgroup/memory") / f"genlab-binder-{os.getpid()}"
    group.mkdir()
    try:
        (group / "memory.limit_in_bytes").write_text(str(limit))
        peak_rss = [0]
        done = threading.Event()

        def sample():  # v1 keeps no peak of resident memory alone: read it four times a second
            while not done.wait(0.25):
                stat = dict(line.split() for line in (group / "memory.stat").read_text().splitlines())
                peak_rss[0] = max(peak_rss[0], int(stat["total_rss"]) + int(stat["total_mapped_file"]))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.time()
        command = [str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "scripts" / "run_notebooks.py"), str(ROOT / "notebooks" / notebook)]
        # The child joins the group before it becomes the runner: everything it starts is in it.
        process = subprocess.run(["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$@"', "sh", *command],
                                 cwd=ROOT, env=env, capture_output=True, text=True)
        done.set()
        sampler.join()
        oom = dict(line.split() for line in (group / "memory.oom_control").read_text().splitlines())
        return {
            "notebook": notebook,
            "ok": process.returncode == 0,
            "seconds": round(time.time() - started, 1),
            "peak_mib": round(int((group / "memory.max_usage_in_bytes").read_text()) / 2**20),
            "peak_resident_mib": round(peak_rss[0] / 2**20),
            "limit_hits": int((group / "memory.failcnt").read_text()),
            "killed_for_memory": int(oom.get("oom_kill", 0)),
            "output_tail": "" if process.returncode == 0 else (process.stdout + process.stderr)[-2000:],
        }
    finally:
        group.rmdir()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--limit-mib", type=int, default=2048)
    parser.add_argument("--full", action="store_true", help="the lecture's counts, not the test command's short ones")
    opts = parser.parse_args(argv)
    if os.geteuid() != 0 or not pathlib.Path("/sys/fs/cgroup/memory").is_dir():
        print("error: needs root and cgroup v1's memory controller at /sys/fs/cgroup/memory", file=sys.stderr)
        return 2
    notebooks = opts.notebooks or sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    env = {**os.environ, **({} if opts.full else SHORT_COUNTS)}
    results = []
    for notebook in notebooks:
        r = run_in_box(notebook, opts.limit_mib * 2**20, env)
        results.append(r)
        print(f"{notebook}: {'ran' if r['ok'] else 'FAILED'} in {r['seconds']:.0f} s under {opts.limit_mib} MiB; "
              f"peak {r['peak_mib']} MiB with page cache, {r['peak_resident_mib']} MiB resident; limit reached {r['limit_hits']} times; "
              f"killed for memory {r['killed_for_memory']}{chr(10) + r['output_tail'] if not r['ok'] else ''}",
              flush=True)
    out = ROOT / "bench" / "results" / "binder_memory.json"
    out.write_text(json.dumps({"limit_mib": opts.limit_mib, "counts": "full" if opts.full else "short",
                               "results": results}, indent=1) + "\n")
    print(f"results in {out.relative_to(ROOT)}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
