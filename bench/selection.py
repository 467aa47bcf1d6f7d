#!/usr/bin/env python3
"""Does the GAN's own discriminator know which of its digits are good? Sampling-time selection
measured without any training: for each improved-recipe run of bench/gan_ablation.py
(target/ablation/improved-s<seed>), `genlab candidates` draws 10,000 candidates and records per
candidate the discriminator's logit (inference mode, and the mean over 8 dropout masks) and a
Jacobian-norm estimate; the digit classifier grades them (confident: probability >= 0.9).

Printed per score and seed: its AUC at telling confident from unconfident candidates, and the
confident share and the rarest digit's share when only the best-scored 100/75/50/33/25% are kept
(candidates per kept digit: 1, 1.33, 2, 3, 4). The selection itself never consults the classifier.

    python3 bench/selection.py              # candidates for the runs there (kept), then the table
    python3 bench/selection.py --n 5000     # fewer candidates

Then the option as users meet it: `genlab score RUN --samples 1000 --selection KEEP` per seed.
Writes target/ablation/selection.md and bench/results/selection.json.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "target" / "ablation"
GENLAB = Path(os.environ.get("GENLAB_BIN", ROOT / "target" / "release" / "genlab"))
RESULTS = ROOT / "bench" / "results" / "selection.json"
KEEP = [1.0, 0.75, 0.5, 1 / 3, 0.25]
# name, column, sign (+1: higher is better)
SCORES = [
    ("D logit", "d_logit", 1),
    ("D logit, mean of 8 dropout masks", "d_logit_dropout", 1),
    ("Jacobian norm (lower kept)", "jacobian", -1),
]


def auc(scores, positive):
    """Probability that a positive outranks a negative (ties count half): Mann-Whitney U."""
    order = sorted(range(len(scores)), key=lambda k: scores[k])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(positive)
    neg = len(scores) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    rank_sum = sum(r for r, p in zip(ranks, positive) if p)
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def kept_quality(rows, column, sign, keep):
    ranked = sorted(rows, key=lambda r: -sign * r[column])
    kept = ranked[: max(1, round(len(ranked) * keep))]
    confident = sum(r["judge_confidence"] >= 0.9 for r in kept) / len(kept)
    shares = [sum(r["judge_class"] == d for r in kept) / len(kept) for d in range(10)]
    return confident, min(shares)


def candidates(seed, n):
    run = RUNS / f"improved-s{seed}"
    out = RUNS / f"candidates-s{seed}-{n}.csv"
    if not out.exists():
        if not (run / "final_score.txt").exists():
            return None
        env = dict(os.environ, RAYON_NUM_THREADS=os.environ.get("RAYON_NUM_THREADS", "2"))
        subprocess.run([str(GENLAB), "candidates", str(run), "--n", str(n), "--out", str(out)], check=True, env=env)
    with open(out) as f:
        return [{k: float(v) for k, v in r.items() if v != ""} for r in csv.DictReader(f)]


def scored(seed, keep):
    """`genlab score` of the run's 1,000 judge digits, sampled with selection `keep` (cached)."""
    run = RUNS / f"improved-s{seed}"
    cache = RUNS / f"score-s{seed}-keep{keep:.2f}.txt"
    if not cache.exists():
        args = [str(GENLAB), "score", str(run), "--samples", "1000"]
        if keep < 1:
            args += ["--selection", f"{keep:.6f}"]
        cache.write_text(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    last = cache.read_text().strip().splitlines()[-1]
    return {k: float(v) for k, v in (pair.split("=") for pair in last.split())}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000, help="candidates per run (default 10000)")
    ap.add_argument("--seeds", default="0,1,2")
    a = ap.parse_args()
    if not GENLAB.exists():
        sys.exit(f"{GENLAB} is missing: run `cargo build --release` first")
    per_seed = {}
    for seed in map(int, a.seeds.split(",")):
        rows = candidates(seed, a.n)
        if rows is None:
            print(f"seed {seed}: no finished improved-recipe run in {RUNS} (python3 bench/gan_ablation.py --arms improved)")
            continue
        positive = [r["judge_confidence"] >= 0.9 for r in rows]
        per_seed[seed] = {}
        for name, column, sign in SCORES:
            if column not in rows[0]:
                continue
            per_seed[seed][name] = {
                "auc": auc([sign * r[column] for r in rows], positive),
                "keep": {f"{k:.2f}": kept_quality(rows, column, sign, k) for k in KEEP},
            }
    if not per_seed:
        sys.exit("no runs to measure")
    # The option as users meet it: `genlab score --selection KEEP`, 1,000 digits per seed.
    sampled = {seed: {f"{k:.2f}": scored(seed, k) for k in KEEP} for seed in per_seed}
    lines = [f"Selection at sampling time: {a.n} candidates per run, seeds {', '.join(map(str, per_seed))}", ""]
    header = "| score | AUC | " + " | ".join(f"keep {k * 100:.0f}% (x{1 / k:.2f})" for k in KEEP) + " |"
    lines += [header, "|" + "---|" * (2 + len(KEEP))]
    for name, _, _ in SCORES:
        seeds = [s for s in per_seed if name in per_seed[s]]
        if not seeds:
            continue
        aucs = [per_seed[s][name]["auc"] for s in seeds]
        cells = []
        for k in KEEP:
            conf = [per_seed[s][name]["keep"][f"{k:.2f}"][0] for s in seeds]
            rare = [per_seed[s][name]["keep"][f"{k:.2f}"][1] for s in seeds]
            cells.append(f"{statistics.mean(conf) * 100:.1f}% (min digit {min(rare) * 100:.1f}%)")
        auc_text = f"{statistics.mean(aucs):.3f} ({' / '.join(f'{x:.3f}' for x in aucs)})"
        lines.append(f"| {name} | {auc_text} | " + " | ".join(cells) + " |")
    lines += ["", "Cells: mean confident share over the seeds (the rarest digit's share, lowest seed)."]
    lines += ["", "`genlab score RUN --samples 1000 --selection KEEP` (discriminator rejection sampling, D logit):", "",
              "| keep (candidates per digit) | confident | rarest digit (lowest seed) | FID |", "|---|---|---|---|"]
    for k in KEEP:
        rows = [sampled[s][f"{k:.2f}"] for s in sampled]
        per = " / ".join(f"{r['confident'] * 100:.1f}" for r in rows)
        lines.append(f"| {k * 100:.0f}% (x{1 / k:.2f}) | {statistics.mean(r['confident'] for r in rows) * 100:.1f}% ({per}) "
                     f"| {min(r['min_class'] for r in rows) * 100:.1f}% | {statistics.mean(r['fid'] for r in rows):.2f} |")
    text = "\n".join(lines)
    print(text)
    (RUNS / "selection.md").write_text(text + "\n")
    RESULTS.write_text(json.dumps({"n": a.n, "seeds": per_seed, "genlab_score": sampled}, indent=1) + "\n")


if __name__ == "__main__":
    main()
