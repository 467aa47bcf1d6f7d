//! What a training run leaves in its output directory: figures (PNG and SVG), the loss history
//! as CSV and `run.json` (seed, arguments, crate version), so every figure traces to its run.

use genlab::figures::{write_file, Figure, PixelRange};
use genlab::{Autoencoder, Error, Gan, Result};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// File name of the run description.
pub const RUN_FILE: &str = "run.json";

/// How a run was started: enough to reproduce it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// `gan` or `autoencoder`.
    pub command: String,
    /// The command line's arguments.
    pub args: Vec<String>,
    /// The run's seed.
    pub seed: u64,
    /// Iterations (GAN) or epochs (autoencoder) the run aims for in total.
    pub target: u64,
    /// genlab's version.
    pub version: String,
}

impl RunInfo {
    /// Writes `run.json` into `dir`.
    pub fn save(&self, dir: &Path) -> Result<PathBuf> {
        let path = dir.join(RUN_FILE);
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::InvalidArgument(e.to_string()))?;
        write_file(&path, text.as_bytes())?;
        Ok(path)
    }

    /// Reads `run.json` from `dir`.
    pub fn load(dir: &Path) -> Result<RunInfo> {
        let path = dir.join(RUN_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
        serde_json::from_str(&text).map_err(|e| Error::Checkpoint {
            path,
            reason: format!("run.json is unreadable ({e})"),
        })
    }
}

/// The figures a run writes beside `run.json` (each as `.png` and `.svg`).
const FIGURES: [&str; 4] = ["progression", "losses", "scores", "reconstructions"];
/// The other files a run writes there.
const FILES: [&str; 4] = [RUN_FILE, "history.csv", "scores.csv", "training.gif"];

/// Removes what an earlier run wrote into `dir` (`--force`): its figures, history, `run.json`
/// and snapshot grids. Other files are left alone.
pub fn remove_outputs(dir: &Path) -> Result<()> {
    let figures = FIGURES.iter().flat_map(|f| [format!("{f}.png"), format!("{f}.svg")]);
    let mut paths: Vec<PathBuf> = figures.chain(FILES.map(String::from)).map(|f| dir.join(f)).collect();
    if let Ok(entries) = std::fs::read_dir(dir.join("snapshots")) {
        let grids = entries.flatten().map(|e| e.path());
        paths.extend(grids.filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("iteration_") && n.ends_with(".png"))
        }));
    }
    for path in paths.iter().filter(|p| p.is_file()) {
        std::fs::remove_file(path).map_err(|e| Error::io("removing", path, e))?;
    }
    Ok(())
}

fn save_both(fig: &Figure, dir: &Path, name: &str, written: &mut Vec<PathBuf>) -> Result<()> {
    let (png, svg) = (dir.join(format!("{name}.png")), dir.join(format!("{name}.svg")));
    fig.save_png(&png, 2.0)?;
    fig.save_svg(&svg)?;
    written.extend([png, svg]);
    Ok(())
}

/// Writes a GAN run's figures and history into `dir`: one PNG per snapshot grid
/// (`snapshots/iteration_NNNNN.png`), the progression sheet (every second snapshot, as the
/// lecture's slides), loss curves, `training.gif`, `history.csv`, and for judged runs `scores.png`/`.svg` and
/// `scores.csv`. Returns the files written.
pub fn write_gan_outputs(gan: &Gan, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let history = gan.history();
    let cols = (gan.config().snapshot_images as f64).sqrt().ceil() as usize;
    for snap in &history.snapshots {
        let path = dir.join("snapshots").join(format!("iteration_{:05}.png", snap.iteration));
        Figure::sample_grid(&snap.images, PixelRange::Symmetric, cols, &format!("Iteration {}", snap.iteration))?.save_png(&path, 2.0)?;
        written.push(path);
    }
    if !history.snapshots.is_empty() {
        save_both(
            &gan.progression_figure(2 * gan.config().snapshot_every)?,
            dir,
            "progression",
            &mut written,
        )?;
        let gif = dir.join("training.gif");
        gan.save_gif(&gif)?;
        written.push(gif);
    }
    if !history.g_loss.is_empty() {
        save_both(&gan.loss_figure()?, dir, "losses", &mut written)?;
    }
    let mut csv = String::from("iteration,d_loss_real,d_loss_fake,d_loss,g_loss\n");
    for (i, ((r, f), g)) in history
        .d_loss_real
        .iter()
        .zip(&history.d_loss_fake)
        .zip(&history.g_loss)
        .enumerate()
    {
        let _ = writeln!(csv, "{i},{r},{f},{},{g}", 0.5 * (r + f));
    }
    let path = dir.join("history.csv");
    write_file(&path, csv.as_bytes())?;
    written.push(path);
    let scores = history.scores();
    if !scores.is_empty() {
        save_both(&gan.score_figure()?, dir, "scores", &mut written)?;
        let mut csv = String::from("iteration,confident,min_class,fid\n");
        for (i, s) in &scores {
            let _ = writeln!(csv, "{i},{},{},{}", s.confident, s.min_class, s.fid);
        }
        let path = dir.join("scores.csv");
        write_file(&path, csv.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// Writes an autoencoder run's figures and history into `dir`: 5 random test images over their
/// reconstructions (chosen by `seed`), the snapshot digits after epoch 10 (when the run is past
/// it) and after the last epoch, loss curves and `history.csv`. Returns the files written.
pub fn write_autoencoder_outputs(ae: &Autoencoder, dir: &Path, seed: u64) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    save_both(&ae.reconstruction_figure(5, seed)?, dir, "reconstructions", &mut written)?;
    let mut epochs: Vec<u64> = [10, ae.epoch()].into_iter().filter(|e| (1..=ae.epoch()).contains(e)).collect();
    epochs.dedup();
    if !epochs.is_empty() && ae.config().snapshot_images > 0 {
        save_both(&ae.progression_figure(&epochs)?, dir, "progression", &mut written)?;
    }
    let history = ae.history();
    if !history.train_loss.is_empty() {
        save_both(&ae.loss_figure()?, dir, "losses", &mut written)?;
    }
    let mut csv = String::from("epoch,train_bce,test_bce\n");
    for (e, (train, test)) in history.train_loss.iter().zip(&history.test_loss).enumerate() {
        let _ = writeln!(csv, "{},{train},{test}", e + 1);
    }
    let path = dir.join("history.csv");
    write_file(&path, csv.as_bytes())?;
    written.push(path);
    Ok(written)
}
