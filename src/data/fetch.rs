//! Checksummed download of MNIST from public mirrors (or a local directory acting as one).

use super::mnist::DATA_ENV;
use crate::error::{Error, Result};
use crate::files::{hex, read_at_most};
use crate::lock::{remove_leftovers, DirLock};
use md5::{Digest, Md5};
use std::path::{Path, PathBuf};

/// One of the four canonical MNIST files with its MD5 (of the .gz file).
#[derive(Debug, Clone, Copy)]
pub struct MnistFile {
    /// File name, e.g. `train-images-idx3-ubyte.gz`.
    pub name: &'static str,
    /// Hex MD5 of the gzipped file.
    pub md5: &'static str,
    /// Hex MD5 of its contents unpacked (the raw IDX file), checked at every load.
    pub unpacked_md5: &'static str,
}

/// The canonical MNIST files (LeCun, Cortes, Burges) and their MD5 sums.
pub const MNIST_FILES: [MnistFile; 4] = [
    MnistFile {
        name: "train-images-idx3-ubyte.gz",
        md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        unpacked_md5: "6bbc9ace898e44ae57da46a324031adb",
    },
    MnistFile {
        name: "train-labels-idx1-ubyte.gz",
        md5: "d53e105ee54ea40749a09fcbcd1e9432",
        unpacked_md5: "a25bea736e30d166cdddb491f175f624",
    },
    MnistFile {
        name: "t10k-images-idx3-ubyte.gz",
        md5: "9fb629c4189551a2d022fa330f9573f3",
        unpacked_md5: "2646ac647ad5339dbf082846283269ea",
    },
    MnistFile {
        name: "t10k-labels-idx1-ubyte.gz",
        md5: "ec29112dd5afa0611ce80d1b7f02629c",
        unpacked_md5: "27ae3e4e09519cfbb04c329615203637",
    },
];

/// The lock file a fetch holds in the data directory.
pub const FETCH_LOCK_FILE: &str = ".genlab-fetch.lock";

/// Public mirrors tried in order (the same ones torchvision uses).
pub const PUBLIC_MIRRORS: [&str; 2] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
];

/// Environment variable naming a mirror (URL or directory) to use instead of the public ones.
pub const MIRROR_ENV: &str = "GENLAB_MNIST_MIRROR";

/// Where fetched files come from: a URL prefix (`http://`, `https://`) or a local directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mirror {
    /// Files are downloaded from `<prefix><file name>`.
    Url(String),
    /// Files are copied from `<dir>/<file name>`.
    Dir(PathBuf),
}

impl Mirror {
    /// Reads a mirror from text: a URL when it starts with `http://` or `https://`, else a directory.
    pub fn parse(text: &str) -> Mirror {
        if text.starts_with("http://") || text.starts_with("https://") {
            let mut url = text.to_string();
            if !url.ends_with('/') {
                url.push('/');
            }
            Mirror::Url(url)
        } else {
            Mirror::Dir(PathBuf::from(text))
        }
    }

    /// The mirrors to use by default: `GENLAB_MNIST_MIRROR` if set, else the public ones.
    pub fn defaults() -> Vec<Mirror> {
        match std::env::var_os(MIRROR_ENV).filter(|m| !m.is_empty()) {
            // A folder's path need not be text (a URL is).
            Some(m) => vec![m.to_str().map_or_else(|| Mirror::Dir(PathBuf::from(&m)), Mirror::parse)],
            None => PUBLIC_MIRRORS.iter().map(|m| Mirror::parse(m)).collect(),
        }
    }

    fn get(&self, file: &str) -> std::result::Result<Vec<u8>, String> {
        match self {
            Mirror::Dir(dir) => read_bounded(&dir.join(file)),
            Mirror::Url(prefix) => download(&format!("{prefix}{file}")),
        }
    }
}

/// The most bytes taken from a mirror for one file (the largest MNIST file is 9.9 MB).
pub const MAX_DOWNLOAD_BYTES: u64 = 64 << 20;

/// Environment variable: seconds a download may go without receiving data before it is given up
/// (default [`DEFAULT_IDLE_TIMEOUT_S`]). A slow mirror is fine as long as data keeps coming.
pub const IDLE_TIMEOUT_ENV: &str = "GENLAB_DOWNLOAD_IDLE_TIMEOUT";

/// Default idle timeout of a download, in seconds.
pub const DEFAULT_IDLE_TIMEOUT_S: u64 = 60;

/// A local mirror's file, at most [`MAX_DOWNLOAD_BYTES`] of it (a device such as `/dev/zero`
/// is refused).
fn read_bounded(path: &Path) -> std::result::Result<Vec<u8>, String> {
    read_at_most(path, MAX_DOWNLOAD_BYTES).map_err(|e| format!("{}: {e}", path.display()))
}

/// The idle timeout of downloads: [`IDLE_TIMEOUT_ENV`] seconds, else [`DEFAULT_IDLE_TIMEOUT_S`].
pub fn idle_timeout() -> std::time::Duration {
    std::env::var(IDLE_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
        .map_or(
            std::time::Duration::from_secs(DEFAULT_IDLE_TIMEOUT_S),
            std::time::Duration::from_secs_f64,
        )
}

/// The body of `url` (at most [`MAX_DOWNLOAD_BYTES`]): no deadline for the whole file, but an
/// idle timeout on every read; a progress line on standard error about once a second.
#[cfg(feature = "download")]
fn download(url: &str) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let idle = idle_timeout();
    let agent = ureq::AgentBuilder::new().timeout_connect(idle).timeout_read(idle).build();
    // ureq's message names the URL itself.
    let response = agent.get(url).call().map_err(|e| match e.to_string() {
        text if text.contains(url) => text,
        text => format!("{url}: {text}"),
    })?;
    let total: Option<u64> = response.header("Content-Length").and_then(|v| v.parse().ok());
    if total.is_some_and(|n| n > MAX_DOWNLOAD_BYTES) {
        return Err(format!("{url}: announces more than {MAX_DOWNLOAD_BYTES} bytes"));
    }
    let mut reader = response.into_reader().take(MAX_DOWNLOAD_BYTES + 1);
    let (mut body, mut chunk) = (Vec::new(), vec![0u8; 64 << 10]);
    let (started, mut shown) = (Instant::now(), Instant::now());
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) => {
                return Err(format!(
                    "{url}: no data for {:.0} s after {} bytes (set {IDLE_TIMEOUT_ENV} to wait longer)",
                    idle.as_secs_f64(),
                    body.len()
                ))
            }
            Err(e) => return Err(format!("{url}: {e} after {} bytes", body.len())),
        };
        body.extend_from_slice(&chunk[..n]);
        if shown.elapsed() >= Duration::from_secs(1) {
            shown = Instant::now();
            let of = total.map_or(String::new(), |t| format!(" of {:.1} MB", t as f64 / 1e6));
            eprintln!("  downloading {url}: {:.1} MB{of}", body.len() as f64 / 1e6);
        }
    }
    if body.len() as u64 > MAX_DOWNLOAD_BYTES {
        return Err(format!("{url}: larger than {MAX_DOWNLOAD_BYTES} bytes"));
    }
    if started.elapsed() >= Duration::from_secs(1) {
        eprintln!(
            "  downloaded {url}: {:.1} MB in {:.0} s",
            body.len() as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(body)
}

/// Without the `download` feature only local mirrors work.
#[cfg(not(feature = "download"))]
fn download(url: &str) -> std::result::Result<Vec<u8>, String> {
    Err(format!(
        "{url}: this build of genlab cannot download (built without its `download` feature); \
         run `genlab fetch-mnist`, or give a local directory holding the MNIST .gz files as the mirror"
    ))
}

/// Hex MD5 of `bytes`.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

/// Makes sure `dir` holds the four MNIST files with the right checksums, fetching what is
/// missing or damaged from the first mirror that delivers it. Each file is verified before it
/// is moved into place (written to a temporary name, then renamed), so an interrupted fetch
/// never leaves a half-written file behind. Returns the names of the files fetched.
///
/// Keras equivalent: the download inside `keras.datasets.mnist.load_data()`.
pub fn fetch_mnist(dir: &Path, mirrors: &[Mirror]) -> Result<Vec<&'static str>> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "the data directory {} is a file, not a folder: point {DATA_ENV} (or --dir) at a folder",
            dir.display()
        )));
    }
    // One fetch at a time per directory; then the leftovers of killed fetches can go.
    let _lock = DirLock::acquire(dir, FETCH_LOCK_FILE)?;
    let mut fetched = Vec::new();
    for file in MNIST_FILES {
        remove_leftovers(dir, file.name, ".part");
        let target = dir.join(file.name);
        if let Ok(existing) = read_bounded(&target) {
            if md5_hex(&existing) == file.md5 {
                continue;
            }
        }
        let mut failures = Vec::new();
        let mut done = false;
        for mirror in mirrors {
            match mirror.get(file.name) {
                Ok(bytes) if md5_hex(&bytes) == file.md5 => {
                    let tmp = dir.join(format!(".{}.{}.part", file.name, std::process::id()));
                    let placed = std::fs::write(&tmp, &bytes)
                        .map_err(|e| Error::io("writing", &tmp, e))
                        .and_then(|()| crate::files::replace(&tmp, &target));
                    if let Err(e) = placed {
                        let _ = std::fs::remove_file(&tmp);
                        return Err(e);
                    }
                    done = true;
                    break;
                }
                Ok(bytes) => failures.push(format!(
                    "{mirror:?} gave {} bytes with MD5 {}, expected {}",
                    bytes.len(),
                    md5_hex(&bytes),
                    file.md5
                )),
                Err(e) => failures.push(e),
            }
        }
        if !done {
            let reason = if mirrors.is_empty() {
                "no mirror given".to_string()
            } else {
                failures.join("; ")
            };
            return Err(Error::Fetch {
                file: file.name.to_string(),
                reason,
            });
        }
        fetched.push(file.name);
    }
    Ok(fetched)
}
