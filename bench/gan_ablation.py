#!/usr/bin/env python3
"""The GAN training techniques, one at a time and combined, on 3 seeds: trains with
`genlab gan`, judges every 500 iterations and prints the ablation table (README, notebook 04).

    python3 bench/gan_ablation.py            # train what is missing, then print the table
    python3 bench/gan_ablation.py --table    # only print the table of the runs there

Runs go to target/ablation/<arm>-s<seed> (a finished run is kept; an interrupted one resumes),
two at a time with one thread each (on 2 cores that trains ~25% more per second than one run
on both). The single techniques train a fixed budget of 64,032 images (2001 iterations of 32:
the lecture's scores barely move after iteration 2000); the combinations train the full budget of
320,000 (`--recipe improved`: 10000 iterations of 32). The table is written to
target/ablation/ablation.md and ablation.json.
"""
import argparse
import concurrent.futures as cf
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "ablation"
# A copy of the binary can be named (GENLAB_BIN), so rebuilding during a long ablation
# changes nothing under it.
GENLAB = Path(os.environ.get("GENLAB_BIN", ROOT / "target" / "release" / "genlab"))
BUDGET = 2001 * 32  # the fixed budget of the single techniques: 64,032 generated images

# name, label, extra arguments, iterations, batch. Every arm but `improved` trains BUDGET
# images; `lecture` also keeps an average of its generator, so its raw scores are the
# lecture's and its averaged ones the average's, from the same run.
ARMS = [
    ("lecture", "lecture recipe", ["--ema-decay", "0.999"], 2001, 32),
    ("fakes", "fakes in training mode", ["--fakes-in-training-mode"], 2001, 32),
    ("dcgan_adam", "DCGAN Adam (lr 2e-4, beta_1 0.5)", ["--lr", "0.0002", "--beta1", "0.5"], 2001, 32),
    ("smoothing", "label smoothing 0.1", ["--label-smoothing", "0.1"], 2001, 32),
    ("ttur", "TTUR (G lr 1e-4, D lr 4e-4)", ["--lr", "0.0001", "--d-lr", "0.0004"], 2001, 32),
    ("batch64", "batch 64 (1000 iterations)", ["--batch", "64"], 1001, 64),
    # The first combination tried (the DCGAN paper's Adam, smoothing, the average, batch 64).
    ("combo", "DCGAN Adam + smoothing 0.1 + EMA, batch 64", ["--batch", "64", "--lr", "0.0002", "--beta1", "0.5",
                                                          "--label-smoothing", "0.1", "--ema-decay", "0.999"], 5000, 64),
    # `--recipe improved`: the lecture's recipe with the weight average, trained 2.5x as long. Its
    # raw scores are longer training alone.
    ("improved", "improved recipe", ["--recipe", "improved"], 10000, 32),
]
# Sampling-only techniques, scored on the `lecture` arm's final (averaged) generator.
SAMPLING = [
    ("EMA + standing statistics", ["--standing-statistics"]),
    ("EMA + standing statistics + truncation 1.0", ["--standing-statistics", "--truncation", "1.0"]),
]
SEEDS = [0, 1, 2]
# Runs measured in an earlier session whose run directories were not kept (a fresh checkout):
# (arm, seed, iteration or None for the final generator) -> (confident, min_class, fid; None:
# not recorded). Shown with a dagger in the table.
RECORDED = {
    ("fakes", 0, 2000): (0.514, 0.030, 34.2),
    ("dcgan_adam", 0, 2000): (0.468, 0.034, 24.9),
    ("smoothing", 0, 2000): (0.500, 0.057, 24.4),
    ("ttur", 0, 2000): (0.462, 0.055, 32.8),
    ("batch64", 0, 1000): (0.443, 0.016, 45.4),
    ("combo", 0, None): (0.569, 0.063, 15.2),
    ("combo", 0, 2000): (0.514, None, None),
}


def run_dir(arm, seed):
    return OUT / f"{arm}-s{seed}"


def train(arm, args, iterations, seed):
    d = run_dir(arm, seed)
    log = OUT / f"{arm}-s{seed}.log"
    if (d / "final_score.txt").exists():
        return arm, seed, 0.0, "kept"
    if (d / "checkpoint.safetensors").exists():
        cmd = [str(GENLAB), "gan", "--resume", str(d), "--iterations", str(iterations)]
    else:
        cmd = [str(GENLAB), "gan", *args, "--iterations", str(iterations), "--seed", str(seed),
               "--judge", "1000", "--snapshot-every", "500", "--out", str(d), "--force"]
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    start = time.time()
    with open(log, "w") as f:
        rc = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
    took = time.time() - start
    seconds = OUT / f"{arm}-s{seed}.seconds"
    if seconds.exists():  # an interrupted run's earlier part
        took += float(seconds.read_text())
    if rc == 0:
        # The last snapshot is at a multiple of 500; the run's final generator is scored too.
        score = subprocess.run([str(GENLAB), "score", str(d), "--samples", "1000"], capture_output=True, text=True, env=env)
        (d / "final_score.txt").write_text(score.stdout)
        if arm == "lecture":
            for k, (_, extra) in enumerate(SAMPLING):
                out = subprocess.run([str(GENLAB), "score", str(d), "--samples", "1000", *extra],
                                     capture_output=True, text=True, env=env)
                (d / f"sampling_{k}.txt").write_text(out.stdout)
    seconds.write_text(f"{took:.1f}\n")
    return arm, seed, took, f"rc={rc}"


def read_scores(arm, seed):
    path = run_dir(arm, seed) / "scores.csv"
    if not path.exists():
        return None
    with open(path) as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def final(arm, seed, name="final_score.txt"):
    """(confident, min_class, fid) of the run's final generator, from `genlab score`."""
    path = run_dir(arm, seed) / name
    if not path.exists():
        return None
    fields = dict(kv.split("=") for kv in path.read_text().strip().splitlines()[-1].split())
    return float(fields["confident"]), float(fields["min_class"]), float(fields["fid"])


def at(rows, iteration, raw=False):
    p = "raw_" if raw else ""
    row = next((r for r in rows if int(r["iteration"]) == iteration), None)
    return None if row is None else (row[p + "confident"], row[p + "min_class"], row[p + "fid"])


def table():
    """(rows for the markdown table, all numbers for JSON)."""
    lines, data = [], {}
    # (label, arm, iteration (None: the final generator), raw, images, score file)
    entries = [("lecture recipe", "lecture", 2000, True, BUDGET, None),
               ("EMA of G (0.999)", "lecture", 2000, False, BUDGET, None)]
    entries += [(label, "lecture", None, False, BUDGET, f"sampling_{k}.txt") for k, (label, _) in enumerate(SAMPLING)]
    for arm, label, _, its, batch in ARMS[1:-2]:
        entries.append((label, arm, its - 1, False, its * batch, None))
    # The last snapshot of a 10000-iteration run is at 9500 (304,000 images): the raw generator's
    # score there is longer training alone; the final (averaged) generator is scored at 320,000.
    entries += [("longer training alone (lecture recipe)", "improved", 9500, True, 9500 * 32, None),
                ("DCGAN Adam + smoothing 0.1 + EMA, batch 64, 128,064 images", "combo", 2000, False, 2001 * 64, None),
                ("DCGAN Adam + smoothing 0.1 + EMA, batch 64", "combo", None, False, 5000 * 64, None),
                ("**improved recipe** (EMA, 10000 iterations), 128,000 images", "improved", 4000, False, 4000 * 32, None),
                ("**improved recipe** (EMA, 10000 iterations)", "improved", None, False, 10000 * 32, None)]
    header = "| setting | images | confident (s0 / s1 / s2) | mean ± sd | min_class (s0 / s1 / s2) | FID mean | wall s (s0 / s1 / s2) |"
    lines += [header, "|---|---|---|---|---|---|---|"]
    for label, arm, it, raw, images, name in entries:
        per_seed, dagger = [], []
        for seed in SEEDS:
            rows = read_scores(arm, seed)
            if it is None:
                got = final(arm, seed, name or "final_score.txt")
            else:
                got = None if rows is None else at(rows, it, raw)
            if got is None and (arm, seed, it) in RECORDED and name is None:
                got = RECORDED[(arm, seed, it)]
                dagger.append(seed)
            per_seed.append(got)
        done = [s for s in per_seed if s is not None]
        mark = lambda k: "†" if SEEDS[k] in dagger else ""
        fmt = lambda i: " / ".join("–" if s is None or s[i] is None else f"{100 * s[i]:.1f}{mark(k)}"
                                   for k, s in enumerate(per_seed))
        secs = []
        for seed in SEEDS:
            p = OUT / f"{arm}-s{seed}.seconds"
            secs.append(p.read_text().strip().split(".")[0] if p.exists() and seed not in dagger else "–")
        conf = [s[0] for s in done]
        mean_sd = (f"{100 * statistics.mean(conf):.1f} ± {100 * statistics.stdev(conf):.1f}" if len(conf) > 1
                   else (f"{100 * conf[0]:.1f}" if conf else "–"))
        fids = [s[2] for s in done if s[2] is not None]
        fid = f"{statistics.mean(fids):.1f}" if fids else "–"
        lines.append(f"| {label} | {images:,} | {fmt(0)} | {mean_sd} | {fmt(1)} | {fid} | {' / '.join(secs)} |")
        data[label] = {"arm": arm, "iteration": it, "raw": raw, "images": images,
                       "seeds": {str(s): (None if v is None else {"confident": v[0], "min_class": v[1], "fid": v[2]})
                                 for s, v in zip(SEEDS, per_seed)}}
    return lines, data


RESULTS = ROOT / "bench" / "results" / "gan_ablation.json"


def notebook_table(path=RESULTS):
    """The Korean table of notebook 04, rendered from the committed results (the one source of
    its numbers; scripts/tests/test_notebook_numbers.py checks that the notebook holds it)."""
    data = json.loads(Path(path).read_text())
    seeds = " / ".join(str(s) for s in data["seeds"])
    pct = lambda v: "–" if v is None else f"{100 * v:.1f}"
    lines = [f"| 설정 / setting | 이미지 / images | 확신 비율 % (시드 {seeds}) | 평균 ± 표준편차 | min_class % (시드 {seeds}) | FID 평균 |",
             "|---|---|---|---|---|---|"]
    for row in data["rows"]:
        conf = [c for c in row["confident"] if c is not None]
        mean_sd = f"{100 * statistics.mean(conf):.1f} ± {100 * statistics.stdev(conf):.1f}"
        lines.append(f"| {row['label_ko']} | {row['images']:,} | {' / '.join(map(pct, row['confident']))} | {mean_sd} | "
                     f"{' / '.join(map(pct, row['min_class']))} | {row['fid_mean']:.1f} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--table", action="store_true", help="only print the table of the runs there")
    ap.add_argument("--notebook-table", action="store_true",
                    help=f"print notebook 04's table from {RESULTS.relative_to(ROOT)} (update that file from ablation.json)")
    ap.add_argument("--jobs", type=int, default=2, help="runs at a time (default 2)")
    ap.add_argument("--seeds", default="0,1,2", help="seeds to train (default 0,1,2)")
    ap.add_argument("--arms", default=",".join(a[0] for a in ARMS), help="arms to train, in order")
    ap.add_argument("--runs", help="runs to train, in this order, as ARM-sSEED (e.g. improved-s1,lecture-s0); "
                    "overrides --arms and --seeds")
    a = ap.parse_args()
    if a.notebook_table:
        print(notebook_table())
        return
    OUT.mkdir(parents=True, exist_ok=True)
    if not a.table:
        if not GENLAB.exists():
            sys.exit(f"{GENLAB} is missing: run `cargo build --release` first")
        arms = {x[0]: x for x in ARMS}
        wanted = [arms[n] for n in a.arms.split(",")]
        jobs = [(arm, args, its, int(seed)) for seed in a.seeds.split(",") for arm, _, args, its, _ in wanted]
        if a.runs:
            runs = [r.rsplit("-s", 1) for r in a.runs.split(",")]
            jobs = [(arm, arms[arm][2], arms[arm][3], int(seed)) for arm, seed in runs]
        with cf.ThreadPoolExecutor(a.jobs) as pool:
            for arm, seed, took, how in pool.map(lambda j: train(*j), jobs):
                print(f"{arm} seed {seed}: {how} {took:.0f} s", flush=True)
    lines, data = table()
    text = "\n".join(lines)
    print(text)
    (OUT / "ablation.md").write_text(text + "\n")
    (OUT / "ablation.json").write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
