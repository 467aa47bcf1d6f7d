//! Checksummed download of MNIST from public mirrors (or a local directory acting as one).

use crate::error::{Error, Result};
use md5::{Digest, Md5};
use std::path::{Path, PathBuf};

/// One of the four canonical MNIST files with its MD5 (of the .gz file).
#[derive(Debug, Clone, Copy)]
pub struct MnistFile {
    /// File name, e.g. `train-images-idx3-ubyte.gz`.
    pub name: &'static str,
    /// Hex MD5 of the gzipped file.
    pub md5: &'static str,
}

/// The canonical MNIST files (LeCun, Cortes, Burges) and their MD5 sums.
pub const MNIST_FILES: [MnistFile; 4] = [
    MnistFile {
        name: "train-images-idx3-ubyte.gz",
        md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    },
    MnistFile {
        name: "train-labels-idx1-ubyte.gz",
        md5: "d53e105ee54ea40749a09fcbcd1e9432",
    },
    MnistFile {
        name: "t10k-images-idx3-ubyte.gz",
        md5: "9fb629c4189551a2d022fa330f9573f3",
    },
    MnistFile {
        name: "t10k-labels-idx1-ubyte.gz",
        md5: "ec29112dd5afa0611ce80d1b7f02629c",
    },
];

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
        match std::env::var(MIRROR_ENV) {
            Ok(m) if !m.is_empty() => vec![Mirror::parse(&m)],
            _ => PUBLIC_MIRRORS.iter().map(|m| Mirror::parse(m)).collect(),
        }
    }

    fn get(&self, file: &str) -> std::result::Result<Vec<u8>, String> {
        match self {
            Mirror::Dir(dir) => std::fs::read(dir.join(file)).map_err(|e| format!("{}: {e}", dir.join(file).display())),
            Mirror::Url(prefix) => download(&format!("{prefix}{file}")),
        }
    }
}

/// The body of `url` (at most 64 MiB).
#[cfg(feature = "download")]
fn download(url: &str) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read;
    let response = ureq::get(url)
        .timeout(std::time::Duration::from_secs(60))
        .call()
        .map_err(|e| format!("{url}: {e}"))?;
    let mut body = Vec::new();
    response
        .into_reader()
        .take(64 << 20)
        .read_to_end(&mut body)
        .map_err(|e| format!("{url}: {e}"))?;
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
    Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes sure `dir` holds the four MNIST files with the right checksums, fetching what is
/// missing or damaged from the first mirror that delivers it. Each file is verified before it
/// is moved into place (written to a temporary name, then renamed), so an interrupted fetch
/// never leaves a half-written file behind. Returns the names of the files fetched.
///
/// Keras equivalent: the download inside `keras.datasets.mnist.load_data()`.
pub fn fetch_mnist(dir: &Path, mirrors: &[Mirror]) -> Result<Vec<&'static str>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
    let mut fetched = Vec::new();
    for file in MNIST_FILES {
        let target = dir.join(file.name);
        if let Ok(existing) = std::fs::read(&target) {
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
                    std::fs::write(&tmp, &bytes).map_err(|e| Error::io("writing", &tmp, e))?;
                    std::fs::rename(&tmp, &target).map_err(|e| Error::io("moving into place", &target, e))?;
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
