//! What a training run leaves in its output directory: figures (PNG and SVG), the loss history
//! as CSV and `run.json` (seed, arguments, crate version), so every figure traces to its run.

use genlab::figures::{write_file, Figure, PixelRange};
use genlab::train::{AUTOENCODER_FIGURES, CHECKPOINT_FILE, GAN_FIGURES};
use genlab::{Autoencoder, Error, ExportOptions, Gan, Result};
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
        serde_json::from_str(&text).map_err(|e| Error::InvalidArgument(format!("{} is unreadable ({e})", path.display())))
    }
}

/// The other files a run writes there.
const FILES: [&str; 4] = [RUN_FILE, "history.csv", "scores.csv", "training.gif"];

/// The files in `dir` named as a run's outputs: its figures, history, `run.json` and snapshot
/// grids (what `--force` removes and a new run writes).
fn output_files(dir: &Path) -> Vec<PathBuf> {
    let figures = GAN_FIGURES
        .iter()
        .chain(&AUTOENCODER_FIGURES)
        .flat_map(|f| [format!("{f}.png"), format!("{f}.svg")]);
    let mut paths: Vec<PathBuf> = figures.chain(FILES.map(String::from)).map(|f| dir.join(f)).collect();
    if let Ok(entries) = std::fs::read_dir(dir.join("snapshots")) {
        let grids = entries.flatten().map(|e| e.path());
        paths.extend(grids.filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("iteration_") && n.ends_with(".png"))
        }));
    }
    // A GAN's and an autoencoder's figures share names (`losses`, `progression`).
    paths.sort();
    paths.dedup();
    paths.retain(|p| p.is_file());
    paths
}

/// Refuses an output folder that holds files a run would overwrite (`history.csv`,
/// `losses.png`, ...) but no run of genlab's (no `run.json`, no checkpoint): they are the
/// user's own, and neither a new run nor `--force` may replace them.
pub fn refuse_foreign_files(dir: &Path) -> Result<()> {
    if dir.join(RUN_FILE).exists() || dir.join(CHECKPOINT_FILE).exists() {
        return Ok(());
    }
    let found = output_files(dir);
    let Some(first) = found.first() else { return Ok(()) };
    let more = match found.len() {
        1 => String::new(),
        n => format!(" and {} more", n - 1),
    };
    Err(Error::InvalidArgument(format!(
        "--out {} holds no genlab run, but {}{more} there would be overwritten: give a new or empty folder",
        dir.display(),
        first.file_name().unwrap_or_default().to_string_lossy(),
    )))
}

/// Removes what an earlier run wrote into `dir` (`--force`): its figures, history, `run.json`
/// and snapshot grids. Other files are left alone.
pub fn remove_outputs(dir: &Path) -> Result<()> {
    for path in output_files(dir) {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io("removing", &path, e)),
            _ => {}
        }
    }
    Ok(())
}

/// PNG at 2x and SVG of every figure: what a training run leaves beside its checkpoint.
fn run_figures() -> ExportOptions {
    ExportOptions {
        svg: true,
        ..ExportOptions::default()
    }
}

/// Writes a GAN run's figures and history into `dir`: one PNG per snapshot grid
/// (`snapshots/iteration_NNNNN.png`), the figures of [`Gan::export_figures`] (progression sheets,
/// losses, scores of judged runs, `training.gif` ...), `history.csv`, and for judged runs
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
    written.extend(gan.export_figures(dir, &run_figures())?);
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
        // With an averaged generator, the trained generator's scores follow as raw_* columns.
        let averaged = gan.config().ema_decay.is_some();
        let mut csv = String::from("iteration,confident,min_class,fid");
        csv.push_str(if averaged { ",raw_confident,raw_min_class,raw_fid\n" } else { "\n" });
        for snap in history.snapshots.iter() {
            let Some(s) = &snap.score else { continue };
            let _ = write!(csv, "{},{},{},{}", snap.iteration, s.confident, s.min_class, s.fid);
            if let (true, Some(r)) = (averaged, &snap.raw_score) {
                let _ = write!(csv, ",{},{},{}", r.confident, r.min_class, r.fid);
            }
            csv.push('\n');
        }
        let path = dir.join("scores.csv");
        write_file(&path, csv.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// Writes an autoencoder run's figures and history into `dir`: the figures of
/// [`Autoencoder::export_figures`] (random test images chosen by the run's seed) and
/// `history.csv`. Returns the files written.
pub fn write_autoencoder_outputs(ae: &Autoencoder, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    written.extend(ae.export_figures(dir, &run_figures())?);
    let history = ae.history();
    let mut csv = String::from("epoch,train_bce,test_bce\n");
    for (e, (train, test)) in history.train_loss.iter().zip(&history.test_loss).enumerate() {
        let _ = writeln!(csv, "{},{train},{test}", e + 1);
    }
    let path = dir.join("history.csv");
    write_file(&path, csv.as_bytes())?;
    written.push(path);
    Ok(written)
}

/// Writes every figure of the run in `run` (a `genlab gan` / `genlab autoencoder` output
/// directory or a notebook's `runs/gan`) into `out`, as `options` says.
pub fn export(run: &Path, out: &Path, options: &ExportOptions) -> Result<Vec<PathBuf>> {
    options.check()?;
    let checkpoint = run.join(CHECKPOINT_FILE);
    if !checkpoint.is_file() {
        return Err(Error::InvalidArgument(format!(
            "{} holds no {CHECKPOINT_FILE}: give the --out directory of a `genlab gan` or `genlab autoencoder` run, or a notebook's runs/gan",
            run.display()
        )));
    }
    match Gan::load_checkpoint(&checkpoint) {
        Ok(gan) => crate::run::usable_out_dir(out).and_then(|()| gan.export_figures(out, options)),
        Err(gan_error) => match Autoencoder::load_checkpoint(&checkpoint) {
            Ok(ae) => crate::run::usable_out_dir(out).and_then(|()| ae.export_figures(out, options)),
            Err(ae_error) => Err(Error::InvalidArgument(format!(
                "{} is neither a GAN checkpoint ({gan_error}) nor an autoencoder checkpoint ({ae_error})",
                checkpoint.display()
            ))),
        },
    }
}
