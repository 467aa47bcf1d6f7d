//! The MNIST data set in memory, its two scalings and batch sampling.

use super::fetch::MNIST_FILES;
use super::idx::{read_idx, IdxArray, IMAGES_MAGIC, LABELS_MAGIC};
use crate::error::{Error, Result};
use crate::lock::remove_leftovers_of_dead;
use dfdx::prelude::*;
use md5::{Digest, Md5};
use rand::seq::SliceRandom;
use rand::Rng;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Pixels per image (28 x 28).
pub const PIXELS: usize = 28 * 28;

/// Environment variable naming the data directory.
pub const DATA_ENV: &str = "GENLAB_DATA";

/// A batch of single-channel 28x28 images, `(batch, 1, 28, 28)`.
pub type ImageBatch<T = NoneTape> = Tensor<(usize, Const<1>, Const<28>, Const<28>), f32, Cpu, T>;

/// A `(n, 1, 28, 28)` tensor of `pixels` (784 values per image), or an error naming the length
/// when the values are not whole images.
pub fn image_batch(dev: &Cpu, pixels: &[f32]) -> Result<ImageBatch> {
    if pixels.is_empty() || pixels.len() % PIXELS != 0 {
        return Err(Error::InvalidArgument(format!(
            "expected whole 28x28 images (784 values each), got {} values",
            pixels.len()
        )));
    }
    Ok(dev.tensor_from_vec(pixels.to_vec(), (pixels.len() / PIXELS, Const, Const, Const)))
}

/// Adds Gaussian noise of standard deviation `factor` to images in `[0, 1]` and clips back to
/// `[0, 1]`, as the Keras blog's denoising autoencoder does (`noise_factor = 0.5`).
pub fn add_noise(pixels: &mut [f32], factor: f32, rng: &mut impl Rng) {
    for v in pixels {
        let n: f32 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
        *v = (*v + factor * n).clamp(0.0, 1.0);
    }
}

/// The data directory, chosen when called: `$GENLAB_DATA` if set; else the nearest `data/mnist`
/// folder in the current directory or one of its parents (the checkout's, from anywhere inside
/// it: the notebooks' folder, the repository root); else `data/mnist` under the current
/// directory. Messages that involve it name the path.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DATA_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    here.ancestors()
        .map(|a| a.join("data").join("mnist"))
        .find(|d| d.is_dir())
        .unwrap_or_else(|| here.join("data").join("mnist"))
}

/// How pixel bytes become floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Scaling {
    /// `(x - 127.5) / 127.5`, in `[-1, 1]`: the GAN's scaling, matching the generator's tanh.
    Symmetric,
    /// `x / 255`, in `[0, 1]`: the autoencoder's scaling, matching its sigmoid.
    Unit,
}

impl Scaling {
    /// Scales one pixel byte.
    pub fn apply(self, byte: u8) -> f32 {
        match self {
            Scaling::Symmetric => (byte as f32 - 127.5) / 127.5,
            Scaling::Unit => byte as f32 / 255.0,
        }
    }

    /// The pixel byte of a value in this scaling's range, rounded, values outside clamped:
    /// the inverse of [`apply`](Scaling::apply) (`apply(to_byte(apply(b))) == apply(b)`).
    pub fn to_byte(self, value: f32) -> u8 {
        let unit = match self {
            Scaling::Symmetric => (value + 1.0) * 0.5,
            Scaling::Unit => value,
        };
        // NaN becomes 0 (a float-to-int cast saturates and maps NaN to 0).
        (unit.clamp(0.0, 1.0) * 255.0).round() as u8
    }
}

/// Images and labels of one MNIST split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Pixel bytes, `len() * 784` of them, row-major per image.
    pub images: Vec<u8>,
    /// Digit labels, 0 to 9.
    pub labels: Vec<u8>,
}

impl Split {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split holds no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The pixel bytes of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * PIXELS..(i + 1) * PIXELS]
    }

    /// Scaled floats of the images at `indices`, concatenated.
    pub fn pixels(&self, indices: &[usize], scaling: Scaling) -> Vec<f32> {
        let mut out = Vec::with_capacity(indices.len() * PIXELS);
        for &i in indices {
            out.extend(self.image(i).iter().map(|&b| scaling.apply(b)));
        }
        out
    }

    /// A `(n, 1, 28, 28)` tensor of the images at `indices`.
    pub fn batch(&self, dev: &Cpu, indices: &[usize], scaling: Scaling) -> ImageBatch {
        dev.tensor_from_vec(self.pixels(indices, scaling), (indices.len(), Const, Const, Const))
    }

    /// `n` indices drawn uniformly with replacement, as the lecture's `np.random.randint` does.
    pub fn random_indices(&self, n: usize, rng: &mut impl Rng) -> Vec<usize> {
        (0..n).map(|_| rng.gen_range(0..self.len())).collect()
    }

    /// All indices in a random order (one epoch, as Keras' `fit(shuffle=True)`).
    pub fn shuffled_indices(&self, rng: &mut impl Rng) -> Vec<usize> {
        self.shuffled_first(self.len(), rng)
    }

    /// The indices of the first `n` images (all, when there are fewer) in a random order.
    pub fn shuffled_first(&self, n: usize, rng: &mut impl Rng) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..n.min(self.len())).collect();
        idx.shuffle(rng);
        idx
    }
}

/// MNIST: 60,000 training and 10,000 test images of handwritten digits.
///
/// Keras equivalent: `(X_train, y_train), (X_test, y_test) = mnist.load_data()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mnist {
    /// The training split (60,000 images).
    pub train: Split,
    /// The test split (10,000 images).
    pub test: Split,
}

impl Mnist {
    /// Loads MNIST from [`data_dir`], once per process: later calls return the same data.
    pub fn load() -> Result<Arc<Mnist>> {
        Self::load_cached(&data_dir())
    }

    /// Loads MNIST from `dir`, once per directory and process.
    pub fn load_cached(dir: &Path) -> Result<Arc<Mnist>> {
        static CACHE: OnceLock<Mutex<Vec<(PathBuf, Arc<Mnist>)>>> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
        let mut cache = cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, m)) = cache.iter().find(|(d, _)| d == dir) {
            return Ok(Arc::clone(m));
        }
        let m = Arc::new(Self::load_from(dir)?);
        cache.push((dir.to_path_buf(), Arc::clone(&m)));
        Ok(m)
    }

    /// Reads the four IDX files from `dir` (gzipped `*.gz` or raw).
    ///
    /// Each file is first checked by genlab's own reader: gzip stream, magic number, header,
    /// exact payload size, image and label counts, labels 0-9, so every error names the file and
    /// what is wrong with it. The checked files are then parsed by the `mnist` crate from a
    /// staging folder that holds them decompressed, under the names it expects (it panics on a
    /// missing or malformed file, which the checks rule out; a panic left over becomes an error).
    pub fn load_from(dir: &Path) -> Result<Mnist> {
        let files = [
            checked(dir, "train-images-idx3-ubyte", IMAGES_MAGIC, &[60_000, 28, 28])?,
            checked(dir, "train-labels-idx1-ubyte", LABELS_MAGIC, &[60_000])?,
            checked(dir, "t10k-images-idx3-ubyte", IMAGES_MAGIC, &[10_000, 28, 28])?,
            checked(dir, "t10k-labels-idx1-ubyte", LABELS_MAGIC, &[10_000])?,
        ];
        let parsed = parse_with_mnist_crate(dir, &files)?;
        Ok(Mnist {
            train: Split {
                images: parsed.trn_img,
                labels: parsed.trn_lbl,
            },
            test: Split {
                images: parsed.tst_img,
                labels: parsed.tst_lbl,
            },
        })
    }
}

/// One of the four files, read and checked: its standard name, magic number and contents.
struct Checked {
    name: &'static str,
    magic: u32,
    idx: IdxArray,
}

/// Reads `dir/<name>(.gz)` and checks that it holds an array of exactly `dims` (and, for
/// labels, only digits).
fn checked(dir: &Path, name: &'static str, magic: u32, dims: &[usize]) -> Result<Checked> {
    let path = find(dir, name);
    let idx = read_idx(&path, magic)?;
    let corrupt = |reason: String| Error::CorruptData {
        path: path.clone(),
        reason,
    };
    if idx.dims != dims {
        return Err(corrupt(match dims {
            [count] => format!("holds {:?} labels, expected {count}", idx.dims),
            _ => format!("holds images of shape {:?}, expected {dims:?}", idx.dims),
        }));
    }
    if magic == LABELS_MAGIC {
        if let Some(bad) = idx.data.iter().find(|&&l| l > 9) {
            return Err(corrupt(format!("holds label {bad}, labels must be digits 0-9")));
        }
    }
    // Right sizes and labels, but are they MNIST's? (A raw file is checked as a gzipped one.)
    let canonical = MNIST_FILES
        .iter()
        .find(|f| f.name.strip_suffix(".gz") == Some(name))
        .map(|f| f.unpacked_md5);
    let mut unpacked = Md5::new();
    unpacked.update(magic.to_be_bytes());
    for &d in &idx.dims {
        unpacked.update((d as u32).to_be_bytes());
    }
    unpacked.update(&idx.data);
    let sum = crate::files::hex(&unpacked.finalize());
    if canonical.is_some_and(|c| c != sum) {
        return Err(corrupt(format!(
            "its contents are not the canonical MNIST file's (their MD5 is {sum}, MNIST's is {})",
            canonical.unwrap_or_default()
        )));
    }
    Ok(Checked { name, magic, idx })
}

/// Hands the checked files to the `mnist` crate: written decompressed into a staging folder of
/// their own (removed afterwards), parsed there, any panic turned into an error naming `dir`.
fn parse_with_mnist_crate(dir: &Path, files: &[Checked; 4]) -> Result<mnist::Mnist> {
    static STAGINGS: AtomicU64 = AtomicU64::new(0);
    let n = STAGINGS.fetch_add(1, Ordering::Relaxed);
    let temp = std::env::temp_dir();
    if !temp.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "the temporary folder {} does not exist (MNIST is unpacked there to be read): set {TEMP_VARIABLE} to a folder that does",
            temp.display()
        )));
    }
    // What loads killed before cleaning up left there (53 MB each).
    remove_leftovers_of_dead(&temp, STAGING_PREFIX, "");
    let mine = temp.join(format!("{STAGING_PREFIX}{}", std::process::id()));
    let staging = mine.join(n.to_string());
    let result = stage_and_parse(dir, &staging, files);
    let _ = std::fs::remove_dir_all(&staging);
    let _ = std::fs::remove_dir(&mine); // when no other load of this process uses it
    result
}

/// The temporary folders MNIST is unpacked into are named this, then the process id.
const STAGING_PREFIX: &str = "genlab-mnist-";

/// The environment variable that names the temporary folder ([`std::env::temp_dir`]'s first).
pub const TEMP_VARIABLE: &str = if cfg!(windows) { "TMP" } else { "TMPDIR" };

fn stage_and_parse(dir: &Path, staging: &Path, files: &[Checked; 4]) -> Result<mnist::Mnist> {
    std::fs::create_dir_all(staging).map_err(|e| Error::io("creating", staging, e))?;
    for file in files {
        let path = staging.join(file.name);
        // The header again, then the checked payload as it is (no second copy of 47 MB).
        let mut header = file.magic.to_be_bytes().to_vec();
        for &d in &file.idx.dims {
            header.extend((d as u32).to_be_bytes());
        }
        let write = || -> std::io::Result<()> {
            let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
            out.write_all(&header)?;
            out.write_all(&file.idx.data)?;
            out.flush()
        };
        write().map_err(|e| {
            Error::InvalidArgument(format!(
                "MNIST could not be unpacked into the temporary folder ({}: {e}): it needs 53 MB there; \
                 free space or set {TEMP_VARIABLE} to another folder",
                path.display()
            ))
        })?;
    }
    let base = staging.to_str().ok_or_else(|| {
        Error::InvalidArgument(format!(
            "the temporary folder {} is not valid UTF-8; set {TEMP_VARIABLE} to a plain path",
            staging.display()
        ))
    })?;
    std::panic::catch_unwind(|| {
        mnist::MnistBuilder::new()
            .base_path(base)
            .training_images_filename(files[0].name)
            .training_labels_filename(files[1].name)
            .test_images_filename(files[2].name)
            .test_labels_filename(files[3].name)
            .training_set_length(60_000)
            .test_set_length(10_000)
            .finalize()
    })
    .map_err(|panic| Error::CorruptData {
        path: dir.to_path_buf(),
        reason: format!(
            "the mnist crate could not parse it ({})",
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no message")
        ),
    })
}

fn find(dir: &Path, stem: &str) -> PathBuf {
    let gz = dir.join(format!("{stem}.gz"));
    let raw = dir.join(stem);
    if !gz.exists() && raw.exists() {
        raw
    } else {
        gz
    }
}
