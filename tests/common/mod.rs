//! Shared test set-up: MNIST fetched once through genlab's own fetch step.
#![allow(dead_code)]

use genlab::data::{data_dir, fetch_mnist, Mirror, Mnist};
use genlab::GanConfig;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The mirror tests fetch from: the shared canonical copy beside the checkout when present
/// (machines here have no internet), else `$GENLAB_MNIST_MIRROR` or the public mirrors.
pub fn test_mirrors() -> Vec<Mirror> {
    let shared = shared_mnist();
    if shared.is_dir() {
        vec![Mirror::Dir(shared)]
    } else {
        Mirror::defaults()
    }
}

/// `../shared/data/mnist` relative to the checkout.
pub fn shared_mnist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join("data")
        .join("mnist")
}

/// MNIST, fetched into the data directory on first use.
pub fn mnist() -> Arc<Mnist> {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    fetch_mnist(&data_dir(), &test_mirrors()).expect("fetching MNIST for the tests");
    Mnist::load().expect("loading MNIST")
}

/// A fresh temporary directory under the target dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The `genlab` binary with MNIST fetched and `GENLAB_DATA` unset (the data directory is then
/// found from the working directory, the checkout's).
pub fn genlab() -> std::process::Command {
    mnist();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_genlab"));
    cmd.env_remove("GENLAB_DATA");
    cmd
}

/// Runs `genlab args` to its end.
pub fn run(args: &[&str]) -> std::process::Output {
    genlab().args(args).output().unwrap()
}

/// Its standard output, as text.
pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Its standard error, as text.
pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A data directory of its own: links to the fetched MNIST files (copies outside Unix), so a judge
/// trained there on a small budget does not replace the real one.
pub fn private_data_dir(name: &str) -> PathBuf {
    mnist();
    let dir = temp_dir(name);
    for f in genlab::data::MNIST_FILES {
        let fetched = data_dir().join(f.name).canonicalize().unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(fetched, dir.join(f.name)).unwrap();
        #[cfg(not(unix))]
        std::fs::copy(fetched, dir.join(f.name)).unwrap();
    }
    dir
}

/// The lecture's GAN settings, quick to test: snapshots of 4 images every 2 iterations, no
/// progress lines.
pub fn gan_config(seed: u64, run_dir: Option<PathBuf>) -> GanConfig {
    GanConfig {
        seed,
        log_every: 0,
        snapshot_every: 2,
        snapshot_images: 4,
        run_dir,
        ..GanConfig::default()
    }
}
