//! Draws the README's ablation curves from `bench/gan_ablation.py`'s runs: the judge's confident
//! share by generated images seen, averaged over seeds 0-2, for the improved recipe, the same run's
//! trained (not averaged) generator, the first combination tried and the lecture's recipe.
//!
//! Run: `cargo run --release --example ablation_figure -- [ABLATION_DIR] [OUT_PNG]`
//! (defaults: `target/ablation`, `docs/images/gan_ablation.png`; an SVG is written beside it).
use genlab::{Error, Figure};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every 32,000 images: where runs of batch 32 (snapshots every 500) and 64 meet.
const STEP_IMAGES: u64 = 32_000;
const SEEDS: [u32; 3] = [0, 1, 2];

/// `column` of a run's scores.csv by iteration.
fn column(path: &Path, column: &str) -> genlab::Result<BTreeMap<u64, f32>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let k = header
        .iter()
        .position(|h| *h == column)
        .ok_or_else(|| Error::InvalidArgument(format!("{}: no column `{column}` (header {header:?})", path.display())))?;
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let bad = || Error::InvalidArgument(format!("{}: bad row `{line}`", path.display()));
            let iteration = fields[0].parse().map_err(|_| bad())?;
            let value = fields.get(k).and_then(|v| v.parse().ok()).ok_or_else(bad)?;
            Ok((iteration, value))
        })
        .collect()
}

/// The mean over the seeds of an arm's `column` every [`STEP_IMAGES`], up to the first point a
/// seed lacks.
fn mean_curve(dir: &Path, arm: &str, batch: u64, name: &str, points: usize) -> genlab::Result<Vec<f32>> {
    let runs: Vec<BTreeMap<u64, f32>> = SEEDS
        .iter()
        .map(|seed| column(&dir.join(format!("{arm}-s{seed}")).join("scores.csv"), name))
        .collect::<genlab::Result<_>>()?;
    Ok((0..points as u64)
        .map(|k| k * STEP_IMAGES / batch)
        .map_while(|iteration| {
            let values: Option<Vec<f32>> = runs.iter().map(|r| r.get(&iteration).copied()).collect();
            values.map(|v| v.iter().sum::<f32>() / v.len() as f32)
        })
        .collect())
}

fn main() -> genlab::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "target/ablation".into()));
    let out = PathBuf::from(args.next().unwrap_or_else(|| "docs/images/gan_ablation.png".into()));
    let points = 10; // 0 to 288,000 images
    let x: Vec<u64> = (0..points as u64).map(|k| k * STEP_IMAGES / 1000).collect();
    let improved = mean_curve(&dir, "improved", 32, "confident", points)?;
    let longer = mean_curve(&dir, "improved", 32, "raw_confident", points)?;
    let combo = mean_curve(&dir, "combo", 64, "confident", points)?;
    let lecture = mean_curve(&dir, "lecture", 32, "raw_confident", points)?;
    let figure = Figure::shares(
        &x,
        &[
            ("improved recipe (lecture + EMA)", &improved),
            ("the same runs' trained generator", &longer),
            ("DCGAN Adam + smoothing + EMA, batch 64", &combo),
            ("lecture recipe", &lecture),
        ],
        "confident share, mean of seeds 0-2",
        "generated images (thousands)",
    )?;
    figure.save_png(&out, 1.0)?;
    figure.save_svg(out.with_extension("svg"))?;
    println!("wrote {} and its SVG", out.display());
    Ok(())
}
