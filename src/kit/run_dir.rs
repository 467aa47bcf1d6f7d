//! A run directory: one writer at a time, and no run replaced unless asked to.

use crate::error::{Error, Result};
use crate::lock::{remove_leftovers, DirLock};
use std::path::{Path, PathBuf};

/// File name of the checkpoint inside a run directory.
pub const CHECKPOINT_FILE: &str = "checkpoint.safetensors";

/// The lock file a trainer holds in its run directory while it may write there.
pub const RUN_LOCK_FILE: &str = ".genlab-run.lock";

/// How a trainer takes a run directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// A new run: the directory must not hold a checkpoint yet.
    Fresh,
    /// The run whose checkpoint is there.
    Continue,
    /// A new run in place of whatever run is there: its checkpoint is removed.
    StartOver,
}

/// A run directory a trainer holds: its path and its lock (held until the trainer is dropped).
#[derive(Debug)]
pub(crate) struct RunDir {
    /// Where the run's checkpoint goes.
    pub path: PathBuf,
    lock: DirLock,
}

impl RunDir {
    /// Takes `dir` for a run: creates it (except to continue), locks it against other
    /// processes, removes what killed checkpoint writes left, and checks (or, to start over,
    /// removes) the checkpoint there.
    pub(crate) fn claim(dir: &Path, how: Claim) -> Result<RunDir> {
        let checkpoint = dir.join(CHECKPOINT_FILE);
        if dir.exists() && !dir.is_dir() {
            return Err(Error::InvalidArgument(format!(
                "the run directory {} is a file, not a directory",
                dir.display()
            )));
        }
        if how == Claim::Continue && !checkpoint.is_file() {
            // Say what is there: nothing, or something that is not a file (a folder, a named
            // pipe, a link that leads nowhere or in a loop).
            let reason = match std::fs::symlink_metadata(&checkpoint) {
                Err(_) => "there is no checkpoint there (was the run started with that directory?)".to_string(),
                Ok(m) if m.file_type().is_symlink() => {
                    "it is a symbolic link that leads to no file (a missing target or a loop): put the checkpoint file itself there"
                        .to_string()
                }
                Ok(_) => "it is not a regular file (a folder or a named pipe?): put the checkpoint file itself there".to_string(),
            };
            return Err(Error::Checkpoint { path: checkpoint, reason });
        }
        let lock = DirLock::acquire(dir, RUN_LOCK_FILE)?;
        remove_leftovers(dir, CHECKPOINT_FILE, ".tmp");
        match how {
            Claim::Fresh if checkpoint.exists() => {
                return Err(Error::RunExists {
                    dir: dir.to_path_buf(),
                    what: format!("its checkpoint {CHECKPOINT_FILE}"),
                })
            }
            Claim::StartOver if checkpoint.exists() => {
                std::fs::remove_file(&checkpoint).map_err(|e| Error::io("removing the old checkpoint", &checkpoint, e))?
            }
            _ => {}
        }
        Ok(RunDir {
            path: dir.to_path_buf(),
            lock,
        })
    }

    /// Checks, before a write, that the directory is still this process's.
    pub(crate) fn ensure(&self) -> Result<()> {
        self.lock.ensure()
    }
}
