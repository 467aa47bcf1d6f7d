//! Generated digits written out as data: an IDX file (MNIST's format) or a folder of PNGs.

use super::gan::Gan;
use super::MAX_IMAGES_PER_CALL;
use crate::data::{idx_images, PIXELS};
use crate::error::{Error, Result};
use crate::figures::{encode_png, write_file};
use crate::lock::remove_leftovers_of_dead;
use std::path::{Path, PathBuf};

/// An IDX file of samples is written as `.genlab-samples.<pid>.partial` first, then renamed.
const SAMPLES_TMP_PREFIX: &str = ".genlab-samples.";

/// Where [`Gan::save_samples`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleOutput {
    /// One IDX file of unsigned-byte 28x28 images (0-255), as MNIST's `*-images-idx3-ubyte`.
    Idx(PathBuf),
    /// A folder of `sample_00000.png`, `sample_00001.png`, ... (28x28 pixels each).
    Pngs(PathBuf),
}

impl SampleOutput {
    /// A path ending in `.idx` or `-ubyte` is an IDX file; any other is a folder of PNGs. An
    /// existing file that is not IDX-named is refused, so a mistyped path replaces nothing.
    pub fn from_path(path: impl AsRef<Path>) -> Result<SampleOutput> {
        let path = path.as_ref().to_path_buf();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".idx") || name.ends_with("-ubyte") {
            if path.is_dir() {
                return Err(Error::InvalidArgument(format!(
                    "{} is a folder; an IDX output must be a file path (e.g. samples.idx)",
                    path.display()
                )));
            }
            Ok(SampleOutput::Idx(path))
        } else if path.exists() && !path.is_dir() {
            Err(Error::InvalidArgument(format!(
                "{} is a file but not an IDX file: give a path ending in .idx for an IDX file, or a folder for PNGs",
                path.display()
            )))
        } else {
            Ok(SampleOutput::Pngs(path))
        }
    }
}

impl Gan {
    /// `n` new digits from noise drawn with `seed` as pixel bytes (0-255, 784 per image), from
    /// the sampling generator (the weight average when the run keeps one). The same noise as
    /// [`generate`](Gan::generate)`(n, seed)`, generated a few hundred at a time.
    pub fn sample_bytes(&self, n: usize, seed: u64) -> Result<Vec<u8>> {
        if !(1..=MAX_IMAGES_PER_CALL).contains(&n) {
            return Err(Error::InvalidArgument(format!(
                "a sample export makes 1 to {MAX_IMAGES_PER_CALL} images, asked for {n}"
            )));
        }
        self.generate_bytes(n, seed)
    }

    /// Writes `n` generated digits (noise seed `seed`) to `out`; returns the files written. A
    /// folder keeps no sample of an earlier, larger call (`sample_{n:05}.png` on are removed).
    /// An IDX file is written whole or not at all (through a temporary file).
    ///
    /// Keras equivalent: `generator.predict(noise)` saved with `np.save` / `PIL.Image.save`.
    pub fn save_samples(&self, out: &SampleOutput, n: usize, seed: u64) -> Result<Vec<PathBuf>> {
        let bytes = self.sample_bytes(n, seed)?;
        match out {
            SampleOutput::Idx(path) => {
                // A short name of this process' own beside the target: two writers never share
                // it, and a target name of any legal length still fits.
                let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                remove_leftovers_of_dead(dir, SAMPLES_TMP_PREFIX, ".partial");
                let tmp = dir.join(format!("{SAMPLES_TMP_PREFIX}{}.partial", std::process::id()));
                write_file(&tmp, &idx_images(&bytes, 28, 28))?;
                crate::files::replace(&tmp, path)?;
                Ok(vec![path.clone()])
            }
            SampleOutput::Pngs(dir) => {
                let written = bytes
                    .chunks(PIXELS)
                    .enumerate()
                    .map(|(k, image)| {
                        let rgb: Vec<u8> = image.iter().flat_map(|&v| [v, v, v]).collect();
                        let path = dir.join(sample_png(k));
                        write_file(&path, &encode_png(28, 28, &rgb)?)?;
                        Ok(path)
                    })
                    .collect::<Result<Vec<_>>>()?;
                remove_samples_from(dir, written.len());
                Ok(written)
            }
        }
    }
}

/// The name of the `k`-th sample in a folder of PNGs.
fn sample_png(k: usize) -> String {
    format!("sample_{k:05}.png")
}

/// Removes the samples numbered `from` on (`sample_00012.png`, ...) that an earlier call left in
/// `dir`; files of other names are not touched.
fn remove_samples_from(dir: &Path, from: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let number = name
            .to_str()
            .and_then(|n| n.strip_prefix("sample_"))
            .and_then(|n| n.strip_suffix(".png"));
        if let Some(k) = number.filter(|k| k.len() >= 5).and_then(|k| k.parse::<usize>().ok()) {
            if k >= from {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}
