//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in genlab, with a message that says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The MNIST data directory or one of its files is missing.
    #[error("MNIST file {path} is missing. Fetch MNIST first: `genlab fetch-mnist` (from a checkout: `cargo run --release -- fetch-mnist`; in Rust: `genlab::data::fetch_mnist`), or point GENLAB_DATA at a directory that holds the four IDX files")]
    MissingData {
        /// The file that was looked for.
        path: PathBuf,
    },
    /// An IDX file exists but is not a valid MNIST file.
    #[error("MNIST file {path} is corrupt: {reason}. Delete it and fetch MNIST again (`genlab fetch-mnist`, or from a checkout `cargo run --release -- fetch-mnist`)")]
    CorruptData {
        /// The offending file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// No mirror delivered a file with the right checksum.
    #[error("could not fetch {file}: {reason}. Check the network, or pass a directory that holds the MNIST .gz files as the mirror")]
    Fetch {
        /// The MNIST file name.
        file: String,
        /// What each mirror answered.
        reason: String,
    },
    /// A checkpoint could not be read or does not fit the model.
    #[error("checkpoint {path} cannot be used: {reason}. Point at the directory of a run of the same model (or start that run over)")]
    Checkpoint {
        /// The checkpoint path.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// The judge's saved classifier is damaged.
    #[error("the digit classifier {path} cannot be used: {reason}. Delete it; it is trained again (about 5 minutes) on next use, or now with `genlab classifier`")]
    Classifier {
        /// The classifier's file.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// Training produced a loss or weights that are not finite numbers.
    #[error("training diverged: {what}. {kept} Try again with another seed, a larger batch or a lower learning rate")]
    Diverged {
        /// What went non-finite, and when.
        what: String,
        /// What happened to the last good state (e.g. which checkpoint was kept).
        kept: String,
    },
    /// A new run was aimed at a directory that already holds one.
    #[error("{dir} already holds a run ({what}). Continue it with `--resume {dir}` (`resume(..)` in the crate), start it over with `--force` (`start_over(..)`), or choose another directory")]
    RunExists {
        /// The run directory.
        dir: PathBuf,
        /// What is there, e.g. "a GAN checkpoint".
        what: String,
    },
    /// Another process is writing into the directory.
    #[error("{dir} is in use by another genlab process (pid {pid}). Wait for it to finish or stop it, or choose another directory")]
    InUse {
        /// The directory.
        dir: PathBuf,
        /// The process holding it, as its lock file says.
        pid: String,
    },
    /// A run's directory was moved or deleted while the run was writing to it.
    #[error("{dir} was moved or deleted while a run was writing to it, so nothing more was written (the folder is not made again). Continue the run from where its folder is now: `--resume NEW_PATH` (`resume(..)` in the crate); it holds the last checkpoint")]
    RunDirMoved {
        /// The directory's path when the run took it.
        dir: PathBuf,
    },

    /// An argument is outside what the operation accepts.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A figure could not be drawn or encoded.
    #[error("figure error: {0}")]
    Figure(String),
    /// A file system operation failed.
    #[error("{action} {path}: {source}. {}", io_hint(action))]
    Io {
        /// What was being done ("writing", "reading", ...).
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A tensor operation failed inside dfdx.
    #[error("tensor operation failed: {0}")]
    Tensor(String),
}

/// What to check after an I/O error, by what was being done.
fn io_hint(action: &str) -> &'static str {
    if action.starts_with("reading") || action.starts_with("opening") {
        "Check that the path exists and is readable"
    } else if action == "replacing" {
        "The earlier file was kept as it was. Check that the folder is writable; on Windows, close \
         any other program that has the file open (an open file cannot be replaced there) and try again"
    } else {
        "Check that the path is writable and the disk has room"
    }
}

/// Shorthand for `std::result::Result<T, genlab::Error>`.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Wraps an I/O error with the action and path it happened on.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

impl From<dfdx::tensor::CpuError> for Error {
    fn from(e: dfdx::tensor::CpuError) -> Self {
        Error::Tensor(format!("{e:?}"))
    }
}
