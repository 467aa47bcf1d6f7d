//! One run for `genlab gan` and `genlab autoencoder`: start fresh into `--out` or resume a run
//! directory, train to the target total with Ctrl-C handling, write the figures and history,
//! and print the last line scripts read.

use crate::report::{refuse_foreign_files, remove_outputs, write_autoencoder_outputs, write_gan_outputs, RunInfo, RUN_FILE};
use genlab::train::Trainer;
use genlab::train::CHECKPOINT_FILE;
use genlab::{Autoencoder, AutoencoderConfig, Error, Gan, GanConfig, Outcome, Result, StopFlag};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// A new run: its settings, its directory and its seed.
pub struct Fresh<C> {
    /// The trainer's settings (their defaults are the lecture's).
    pub config: C,
    /// The output directory.
    pub dir: PathBuf,
    /// The run's seed, recorded in `run.json`.
    pub seed: u64,
    /// Replace a run already in `dir` (`--force`).
    pub force: bool,
}

/// What a run needs of a trainer beyond [`Trainer`].
pub trait CliRun: Trainer {
    /// The command's name, recorded in `run.json`.
    const COMMAND: &'static str;
    /// The total trained when no count is given (the lecture's).
    const LECTURE_TOTAL: u64;
    /// Iterations or epochs done.
    fn done(&self) -> u64;
    /// The run's seed.
    fn seed(&self) -> u64;
    /// Where it stands against `target`, e.g. "at iteration 5 of 41".
    fn position(&self, target: u64) -> String;
    /// Trains until `target` iterations or epochs are done.
    fn train_to(&mut self, target: u64) -> Result<Outcome>;
    /// Writes figures and history into `dir`; returns the files written.
    fn write_outputs(&self, dir: &Path, info: &RunInfo) -> Result<Vec<PathBuf>>;
    /// The last line, `key=value` pairs.
    fn last_line(&self) -> String;
}

/// Starts (`fresh`) or resumes (`resume`) a run and trains it to `total` (default: the
/// lecture's, or the total recorded in the run).
///
/// Nothing in the directory is touched before the trainer is built: settings checked, MNIST
/// loaded, the directory locked against other processes and found free of another run (or,
/// with `--force`, cleared of it). A run that diverges keeps its last good checkpoint and gets
/// the figures and history of that checkpoint.
pub fn run<R: CliRun>(fresh: Option<Fresh<R::Config>>, resume: Option<PathBuf>, total: Option<u64>) -> Result<Outcome> {
    let (mut trainer, dir, info) = match (resume, fresh) {
        (Some(dir), _) => {
            let trainer = R::resume(&dir)?;
            let info = match RunInfo::load(&dir) {
                Ok(info) => RunInfo {
                    target: total.unwrap_or(info.target),
                    ..info
                },
                // The checkpoint holds the whole run; run.json only says how it was started.
                Err(e) => {
                    let info = RunInfo {
                        target: total.unwrap_or(R::LECTURE_TOTAL.max(trainer.done())),
                        ..RunInfo::of::<R>(trainer.seed())
                    };
                    eprintln!(
                        "warning: {e}\n  continuing from the checkpoint, to {} in all (give the total to train \
                         to if that is not it); a new {RUN_FILE} records this command",
                        info.target
                    );
                    info.save(&dir)?;
                    info
                }
            };
            println!("resuming {} {}", dir.display(), trainer.position(info.target));
            (trainer, dir, info)
        }
        (None, Some(fresh)) => {
            refuse_foreign_files(&fresh.dir)?;
            if !fresh.force && fresh.dir.join(RUN_FILE).exists() {
                return Err(Error::RunExists {
                    dir: fresh.dir,
                    what: format!("its {RUN_FILE}"),
                });
            }
            let trainer = if fresh.force {
                let trainer = R::start_over(fresh.config)?;
                remove_outputs(&fresh.dir)?;
                trainer
            } else {
                R::start(fresh.config)?
            };
            let info = RunInfo {
                target: total.unwrap_or(R::LECTURE_TOTAL),
                ..RunInfo::of::<R>(fresh.seed)
            };
            info.save(&fresh.dir)?;
            (trainer, fresh.dir, info)
        }
        (None, None) => return Err(Error::InvalidArgument("give --out DIR for a new run or --resume DIR".into())),
    };
    trainer.set_progress_bar(std::io::stdout().is_terminal());
    stop_on_signals(trainer.stop_flag());
    let outcome = match trainer.train_to(info.target) {
        Err(diverged @ Error::Diverged { .. }) => {
            drop(trainer);
            write_last_good::<R>(&dir, &info);
            return Err(diverged);
        }
        other => other?,
    };
    let written = trainer.write_outputs(&dir, &info)?;
    println!("wrote {} files into {}", written.len() + 2, dir.display());
    if outcome == Outcome::Stopped {
        println!(
            "stopped {}; continue with: genlab {} --resume {}",
            trainer.position(info.target),
            R::COMMAND,
            dir.display()
        );
    }
    println!("{}", trainer.last_line());
    Ok(outcome)
}

/// After a divergence: the figures and history of the last good checkpoint, if there is one.
fn write_last_good<R: CliRun>(dir: &Path, info: &RunInfo) {
    let Ok(last) = R::load_checkpoint(&dir.join(CHECKPOINT_FILE)) else {
        return;
    };
    match last.write_outputs(dir, info) {
        Ok(written) => eprintln!(
            "wrote the figures and history of the last good checkpoint ({}; {} files) into {}",
            last.position(info.target),
            written.len(),
            dir.display()
        ),
        Err(e) => eprintln!("warning: the last good checkpoint's figures could not be written: {e}"),
    }
}

impl RunInfo {
    /// This command's record of a run of `R` with `seed` (its target set by the caller).
    fn of<R: CliRun>(seed: u64) -> RunInfo {
        RunInfo {
            command: R::COMMAND.into(),
            args: std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect(),
            seed,
            target: R::LECTURE_TOTAL,
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

impl CliRun for Gan {
    const COMMAND: &'static str = "gan";
    const LECTURE_TOTAL: u64 = GanConfig::LECTURE_ITERATIONS;
    fn done(&self) -> u64 {
        self.iteration()
    }
    fn seed(&self) -> u64 {
        self.config().seed
    }
    fn position(&self, target: u64) -> String {
        format!("at iteration {} of {target}", self.iteration())
    }
    fn train_to(&mut self, target: u64) -> Result<Outcome> {
        self.train(target.saturating_sub(self.iteration()))
    }
    fn write_outputs(&self, dir: &Path, _: &RunInfo) -> Result<Vec<PathBuf>> {
        write_gan_outputs(self, dir)
    }
    fn last_line(&self) -> String {
        let h = self.history();
        format!(
            "iterations={} batch={} d_loss={:.4} g_loss={:.4}",
            self.iteration(),
            self.config().batch_size,
            mean_of_last(&h.d_loss(), 50),
            mean_of_last(&h.g_loss, 50)
        )
    }
}

impl CliRun for Autoencoder {
    const COMMAND: &'static str = "autoencoder";
    const LECTURE_TOTAL: u64 = AutoencoderConfig::LECTURE_EPOCHS;
    fn done(&self) -> u64 {
        self.epoch()
    }
    fn seed(&self) -> u64 {
        self.config().seed
    }
    fn position(&self, target: u64) -> String {
        format!("after {} of {target} epochs", self.epoch())
    }
    fn train_to(&mut self, target: u64) -> Result<Outcome> {
        self.fit_steps(self.steps_for_epochs(target)?.saturating_sub(self.steps_done()))
    }
    fn write_outputs(&self, dir: &Path, _: &RunInfo) -> Result<Vec<PathBuf>> {
        write_autoencoder_outputs(self, dir)
    }
    fn last_line(&self) -> String {
        let h = self.history();
        let last = |v: &[f32]| v.last().copied().unwrap_or(f32::NAN);
        format!(
            "epochs={} train_bce={:.4} test_bce={:.4}",
            self.epoch(),
            last(&h.train_loss),
            last(&h.test_loss)
        )
    }
}

/// An output directory must be a directory (or not exist yet).
pub fn usable_out_dir(out: &Path) -> Result<()> {
    if out.exists() && !out.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "--out {} is a file, not a directory",
            out.display()
        )));
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io("creating", out, e))
}

/// Raises `flag` on Ctrl-C or SIGTERM.
fn stop_on_signals(flag: StopFlag) {
    let result = ctrlc::set_handler(move || {
        eprintln!("\nstopping after the current step; a checkpoint will be written");
        flag.raise();
    });
    if let Err(e) = result {
        eprintln!("warning: cannot catch Ctrl-C ({e}); an interrupt will not write a checkpoint");
    }
}

fn mean_of_last(values: &[f32], n: usize) -> f32 {
    let tail = &values[values.len().saturating_sub(n)..];
    tail.iter().sum::<f32>() / tail.len().max(1) as f32
}
