//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in genlab, with a message that says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The MNIST data directory or one of its files is missing.
    #[error("MNIST file {path} is missing. Fetch MNIST first: `cargo run --release -- fetch-mnist` (or call `genlab::data::fetch_mnist`), or point GENLAB_DATA at a directory that holds the four IDX files")]
    MissingData {
        /// The file that was looked for.
        path: PathBuf,
    },
    /// An IDX file exists but is not a valid MNIST file.
    #[error("MNIST file {path} is corrupt: {reason}. Delete it and fetch MNIST again (`cargo run --release -- fetch-mnist`)")]
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
    #[error("checkpoint {path} cannot be used: {reason}. Start a fresh run, or point at the directory of a run of the same model")]
    Checkpoint {
        /// The checkpoint path.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// An argument is outside what the operation accepts.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A figure could not be drawn or encoded.
    #[error("figure error: {0}")]
    Figure(String),
    /// A file system operation failed.
    #[error("{action} {path}: {source}. Check that the path exists and is writable")]
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
