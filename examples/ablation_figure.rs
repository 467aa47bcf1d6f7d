//! Draws the README's ablation curves from `bench/gan_ablation.py`'s runs: the judge's confident
//! share by generated images seen, averaged over seeds 0-2, for the improved recipe, the same run's
//! trained (not averaged) generator, the first combination tried and the lecture's recipe.
//!
//! Run: `cargo run --release --example ablation_figure -- [ABLATION_DIR] [OUT_PNG]`
//! (defaults: `target/ablation`, `docs/images/gan_ablation.png`).
use genlab::train::CHECKPOINT_FILE;
use genlab::{Error, Figure, Gan};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every 32,000 images: where runs of batch 32 (snapshots every 500) and 64 meet.
const STEP_IMAGES: u64 = 32_000;
const SEEDS: [u32; 3] = [0, 1, 2];

/// The confident share of a run's judged snapshots by iteration, from its checkpoint: the
/// sampling generator's, or with `raw` the trained generator's beside an average.
fn confident_by_iteration(run: &Path, raw: bool) -> genlab::Result<BTreeMap<u64, f32>> {
    let gan = Gan::load_checkpoint(run.join(CHECKPOINT_FILE))?;
    let snapshots = &gan.history().snapshots;
    Ok(snapshots
        .iter()
        .filter_map(|s| Some((s.iteration, if raw { &s.raw_score } else { &s.score }.as_ref()?.confident)))
        .collect())
}

/// The mean over the seeds measured (those with a checkpoint) of an arm's confident share every
/// [`STEP_IMAGES`], up to the first point a seed lacks; and how many seeds there were.
fn mean_curve(dir: &Path, arm: &str, batch: u64, raw: bool, points: usize) -> genlab::Result<(Vec<f32>, usize)> {
    let runs: Vec<BTreeMap<u64, f32>> = SEEDS
        .iter()
        .map(|seed| dir.join(format!("{arm}-s{seed}")))
        .filter(|run| run.join(CHECKPOINT_FILE).is_file())
        .map(|run| confident_by_iteration(&run, raw))
        .collect::<genlab::Result<_>>()?;
    if runs.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "no {arm}-s<seed> run in {}: run `python3 bench/gan_ablation.py` first",
            dir.display()
        )));
    }
    let curve = (0..points as u64)
        .map(|k| k * STEP_IMAGES / batch)
        .map_while(|iteration| {
            let values: Option<Vec<f32>> = runs.iter().map(|r| r.get(&iteration).copied()).collect();
            values.map(|v| v.iter().sum::<f32>() / v.len() as f32)
        })
        .collect();
    Ok((curve, runs.len()))
}

fn main() -> genlab::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "target/ablation".into()));
    let out = PathBuf::from(args.next().unwrap_or_else(|| "docs/images/gan_ablation.png".into()));
    let points = 10; // 0 to 288,000 images
    let x: Vec<u64> = (0..points as u64).map(|k| k * STEP_IMAGES / 1000).collect();
    let arms = [
        ("improved recipe (lecture + EMA)", "improved", 32, false),
        ("the same runs' trained generator", "improved", 32, true),
        ("DCGAN Adam + smoothing + EMA, batch 64", "combo", 64, false),
        ("lecture recipe", "lecture", 32, true),
    ];
    let mut curves = Vec::new();
    for (label, arm, batch, raw) in arms {
        let (curve, seeds) = mean_curve(&dir, arm, batch, raw, points)?;
        let label = if seeds == SEEDS.len() {
            label.to_string()
        } else {
            format!("{label} ({seeds} seeds)")
        };
        curves.push((label, curve));
    }
    let series: Vec<(&str, &[f32])> = curves.iter().map(|(l, c)| (l.as_str(), c.as_slice())).collect();
    let figure = Figure::shares(&x, &series, "confident share, mean of seeds 0-2", "generated images (thousands)")?;
    figure.save_png(&out, 1.0)?;
    println!("wrote {}", out.display());
    Ok(())
}
