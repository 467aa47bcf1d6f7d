//! Does the GAN learn? A digit classifier as a judge of generated samples: the share it labels
//! with confidence, the spread over the ten digits (mode collapse shows as missing classes) and a
//! Frechet distance between its features of real test images and of samples.

use crate::data::{image_batch, Mnist, Scaling, Split, PIXELS};
use crate::error::{Error, Result};
use crate::kit::checkpoint::TensorStore;
use crate::kit::progress::Progress;
use crate::kit::step::Trained;
use crate::lock::remove_leftovers_of_dead;
use crate::models::{build_classifier, classifier_features_and_logits, ClassifierNet};
use crate::optim::{Adam, AdamConfig};
use crate::rng::{mix, step_rng, Stream};
use dfdx::nn::ModuleMut;
use dfdx::prelude::*;
use std::path::{Path, PathBuf};

/// File name of the trained judge in the data directory.
pub const CLASSIFIER_FILE: &str = "classifier.safetensors";

/// The environment variable naming genlab's cache folder, where the judge goes when the data
/// directory is read-only.
pub const CACHE_ENV: &str = "GENLAB_CACHE";

/// genlab's cache folder: `$GENLAB_CACHE`, else the platform's (`$XDG_CACHE_HOME/genlab` or
/// `~/.cache/genlab` on Linux, `~/Library/Caches/genlab` on macOS, `%LOCALAPPDATA%\genlab` on
/// Windows); `None` where none is known.
pub fn classifier_cache_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = var(CACHE_ENV) {
        return Some(dir);
    }
    let base = if cfg!(windows) {
        var("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        var("HOME").map(|h| h.join("Library").join("Caches"))
    } else {
        var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|h| h.join(".cache")))
    };
    base.map(|b| b.join("genlab"))
}

/// Where a newly trained judge is saved: the data directory `dir` when it can be written, else
/// the cache folder when that can; `None` when neither can.
pub fn classifier_home(dir: &Path) -> Option<PathBuf> {
    let writable = |d: &Path| {
        let probe = d.join(format!(".genlab-write-check.{}.tmp", std::process::id()));
        let ok = std::fs::create_dir_all(d).is_ok() && std::fs::write(&probe, b"").is_ok();
        let _ = std::fs::remove_file(&probe);
        ok
    };
    std::iter::once(dir.to_path_buf())
        .chain(classifier_cache_dir())
        .find(|d| writable(d))
        .map(|d| d.join(CLASSIFIER_FILE))
}

/// The noise seed of judged generator samples (`genlab score`, judged snapshots), so scores of
/// the same generator agree wherever they are computed.
pub const JUDGE_NOISE_SEED: u64 = 12345;

/// The most samples one score judges: the size of the test set its real reference digits come
/// from.
pub const MAX_SAMPLES: usize = 10_000;

/// The real digits samples are compared with: the first `n` test images, in `[0, 1]`.
pub fn reference_digits(mnist: &Mnist, n: usize) -> Vec<f32> {
    let indices: Vec<usize> = (0..n.min(mnist.test.len())).collect();
    mnist.test.pixels(&indices, Scaling::Unit)
}

/// A CNN digit classifier ([`crate::models::Classifier`]) trained on MNIST.
pub struct DigitClassifier {
    dev: Cpu,
    net: ClassifierNet,
}

impl DigitClassifier {
    /// Trains a fresh classifier on the first `train_images` training images for `epochs`
    /// epochs (batch 128, Adam), printing progress every `log_every` steps (0: silent).
    pub fn train(mnist: &Mnist, epochs: u64, train_images: usize, seed: u64, log_every: u64) -> Result<DigitClassifier> {
        crate::cpu::cpu_path().map_err(Error::InvalidArgument)?;
        crate::memory::keep_freed_memory();
        let dev = Cpu::seed_from_u64(mix(seed, Stream::Init as u64));
        let mut net = Trained::new(build_classifier(&dev), Adam::new(AdamConfig::default()));
        let n = train_images.min(mnist.train.len());
        let steps = n.div_ceil(128) as u64;
        let mut progress = Progress::new(log_every, epochs * steps, false);
        for epoch in 0..epochs {
            let mut order = mnist.train.shuffled_indices(&mut step_rng(seed, epoch, Stream::Batch));
            order.retain(|&i| i < n);
            for batch in order.chunks(128) {
                let x = mnist.train.batch(&dev, batch, Scaling::Unit);
                let targets = one_hot(&dev, batch.iter().map(|&i| mnist.train.labels[i]));
                let value = net.step(|net, grads| Ok(cross_entropy_with_logits_loss(net.try_forward_mut(x.traced(grads))?, targets)))?;
                progress.step(|| format!("classifier epoch {}  loss {value:.4}", epoch + 1));
            }
        }
        Ok(DigitClassifier { dev, net: net.net })
    }

    /// Loads the judge from `dir` (the data directory) or, where that folder is read-only (a
    /// class server's shared MNIST), from genlab's cache folder ([`classifier_cache_dir`]); or
    /// trains it (3 epochs on all training images) and saves it where it can, on first use. A
    /// judge that cannot be saved anywhere is still used, with a warning.
    pub fn load_or_train(dir: &Path, mnist: &Mnist) -> Result<DigitClassifier> {
        let path = dir.join(CLASSIFIER_FILE);
        let cached = classifier_cache_dir().map(|d| d.join(CLASSIFIER_FILE));
        if let Some(found) = std::iter::once(&path).chain(&cached).find(|p| p.is_file()) {
            return Self::load(found);
        }
        let home = classifier_home(dir);
        match &home {
            Some(to) => println!(
                "training the digit classifier that judges samples (once; saved to {})",
                to.display()
            ),
            None => println!(
                "training the digit classifier that judges samples ({} is read-only and no cache folder is \
                 writable, so it will not be saved: set GENLAB_CACHE to a writable folder)",
                dir.display()
            ),
        }
        let judge = Self::train(mnist, 3, mnist.train.len(), 0, 100)?;
        if let Some(to) = home {
            if let Err(e) = judge.save(&to) {
                eprintln!("warning: the digit classifier was trained but not saved ({e}); it judges this run only");
            }
        }
        Ok(judge)
    }

    /// Saves the weights (removing what saves killed before their rename left beside `path`).
    pub fn save(&self, path: &Path) -> Result<()> {
        if let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) {
            remove_leftovers_of_dead(dir, &format!(".{name}."), ".tmp");
        }
        let mut store = TensorStore::default();
        store.put_module("classifier", &self.net);
        store.state = r#"{"kind":"genlab-classifier"}"#.into();
        store.save(path)
    }

    /// Loads weights saved by [`DigitClassifier::save`].
    pub fn load(path: &Path) -> Result<DigitClassifier> {
        let damaged = |reason: String| Error::Classifier {
            path: path.to_path_buf(),
            reason,
        };
        let store = TensorStore::load(path).map_err(|e| match e {
            Error::Checkpoint { reason, .. } => damaged(reason),
            other => other,
        })?;
        let dev = Cpu::default();
        let mut net = build_classifier(&dev);
        store.take_module("classifier", &mut net).map_err(damaged)?;
        Ok(DigitClassifier { dev, net })
    }

    /// Class probabilities (10 per image) and the 128 features before the last layer, for
    /// images in `[0, 1]`.
    pub fn probabilities_and_features(&self, pixels: &[f32]) -> Result<(Vec<f32>, Vec<f32>)> {
        let (mut probs, mut feats) = (Vec::new(), Vec::new());
        for chunk in pixels.chunks(500 * PIXELS) {
            let x = image_batch(&self.dev, chunk)?;
            let (h, logits) = classifier_features_and_logits(&self.net, x)?;
            probs.extend(logits.softmax::<Axis<1>>().as_vec());
            feats.extend(h.as_vec());
        }
        Ok((probs, feats))
    }

    /// Share of `split`'s images labelled correctly.
    pub fn accuracy(&self, split: &Split) -> Result<f32> {
        let idx: Vec<usize> = (0..split.len()).collect();
        let (probs, _) = self.probabilities_and_features(&split.pixels(&idx, Scaling::Unit))?;
        let correct = probs
            .chunks(10)
            .zip(&split.labels)
            .filter(|(p, &l)| argmax(p) == l as usize)
            .count();
        Ok(correct as f32 / split.len().max(1) as f32)
    }

    /// Scores `samples` (images in `[-1, 1]`, as the generator makes them) against `reference`
    /// real images (in `[0, 1]`).
    ///
    /// Needs 2 to [`MAX_SAMPLES`] samples (the Frechet distance compares spreads).
    pub fn score(&self, samples: &[f32], reference: &[f32]) -> Result<SampleScore> {
        let count = samples.len() / PIXELS;
        if !(2..=MAX_SAMPLES).contains(&count) || reference.len() < 2 * PIXELS {
            return Err(Error::InvalidArgument(format!(
                "scoring needs 2 to {MAX_SAMPLES} samples (and at least 2 reference digits), got {count}"
            )));
        }
        let unit: Vec<f32> = samples.iter().map(|v| 0.5 * v + 0.5).collect();
        let (probs, feats) = self.probabilities_and_features(&unit)?;
        let (_, real_feats) = self.probabilities_and_features(reference)?;
        let n = probs.len() / 10;
        let mut counts = [0usize; 10];
        let mut confident = 0;
        for p in probs.chunks(10) {
            let k = argmax(p);
            counts[k] += 1;
            confident += (p[k] >= 0.9) as usize;
        }
        let class_shares = counts.map(|c| c as f32 / n.max(1) as f32);
        Ok(SampleScore {
            samples: n,
            confident: confident as f32 / n.max(1) as f32,
            min_class: class_shares.iter().copied().fold(f32::INFINITY, f32::min),
            class_shares,
            // Rounding can take the distance of identical sets a hair below zero.
            fid: frechet_distance(&real_feats, &feats, 128).max(0.0),
        })
    }
}

/// How generated digits look to the judge.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SampleScore {
    /// Images scored.
    pub samples: usize,
    /// Share labelled with probability >= 0.9.
    pub confident: f32,
    /// Share of images per predicted digit.
    pub class_shares: [f32; 10],
    /// The smallest of `class_shares`.
    pub min_class: f32,
    /// Frechet distance between the judge's features of real images and of the samples.
    pub fid: f64,
}

impl std::fmt::Display for SampleScore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shares: Vec<String> = self
            .class_shares
            .iter()
            .enumerate()
            .map(|(d, s)| format!("{d}:{:.1}%", 100.0 * s))
            .collect();
        writeln!(f, "digits: {}", shares.join(" "))?;
        write!(f, "{}", self.summary_line())
    }
}

impl SampleScore {
    /// `confident=<share> min_class=<share> fid=<value>`, the last line of `genlab score`.
    pub fn summary_line(&self) -> String {
        format!(
            "confident={:.3} min_class={:.3} fid={:.2}",
            self.confident, self.min_class, self.fid
        )
    }
}

fn argmax(p: &[f32]) -> usize {
    p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i)
}

fn one_hot(dev: &Cpu, labels: impl Iterator<Item = u8>) -> Tensor<(usize, Const<10>), f32, Cpu> {
    let mut v = Vec::new();
    for l in labels {
        let mut row = [0.0f32; 10];
        row[l as usize] = 1.0;
        v.extend(row);
    }
    let n = v.len() / 10;
    dev.tensor_from_vec(v, (n, Const))
}

/// Mean and covariance of `rows` of `dim` features.
fn mean_cov(rows: &[f32], dim: usize) -> (Vec<f64>, Vec<f64>) {
    let n = (rows.len() / dim).max(2);
    let mut mean = vec![0.0; dim];
    for r in rows.chunks(dim) {
        for (m, v) in mean.iter_mut().zip(r) {
            *m += *v as f64 / n as f64;
        }
    }
    let mut cov = vec![0.0; dim * dim];
    for r in rows.chunks(dim) {
        for i in 0..dim {
            let di = r[i] as f64 - mean[i];
            for j in i..dim {
                cov[i * dim + j] += di * (r[j] as f64 - mean[j]);
            }
        }
    }
    for i in 0..dim {
        for j in i..dim {
            cov[i * dim + j] /= (n - 1) as f64;
            cov[j * dim + i] = cov[i * dim + j];
        }
    }
    (mean, cov)
}

/// Eigenvalues and eigenvectors (columns of `v`) of a symmetric matrix, by cyclic Jacobi rotations.
fn symmetric_eigen(mut a: Vec<f64>, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..60 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j].powi(2))
            .sum();
        if off < 1e-18 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

/// `f(M)` for a symmetric matrix `M = V diag(w) V^T`: `V diag(f(w)) V^T`.
fn sym_apply(m: &[f64], n: usize, f: impl Fn(f64) -> f64) -> Vec<f64> {
    let (w, v) = symmetric_eigen(m.to_vec(), n);
    let mut out = vec![0.0; n * n];
    for k in 0..n {
        let fk = f(w[k]);
        for i in 0..n {
            let vik = v[i * n + k] * fk;
            for j in 0..n {
                out[i * n + j] += vik * v[j * n + k];
            }
        }
    }
    out
}

fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let aik = a[i * n + k];
            for j in 0..n {
                c[i * n + j] += aik * b[k * n + j];
            }
        }
    }
    c
}

/// Frechet distance between Gaussians fitted to two sets of `dim`-feature rows:
/// `|m1 - m2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)`.
pub fn frechet_distance(a: &[f32], b: &[f32], dim: usize) -> f64 {
    let (m1, s1) = mean_cov(a, dim);
    let (m2, s2) = mean_cov(b, dim);
    let mean_term: f64 = m1.iter().zip(&m2).map(|(x, y)| (x - y).powi(2)).sum();
    let r1 = sym_apply(&s1, dim, |w| w.max(0.0).sqrt());
    let inner = matmul(&matmul(&r1, &s2, dim), &r1, dim);
    let sqrt_inner = sym_apply(&inner, dim, |w| w.max(0.0).sqrt());
    let trace = |m: &[f64]| (0..dim).map(|i| m[i * dim + i]).sum::<f64>();
    mean_term + trace(&s1) + trace(&s2) - 2.0 * trace(&sqrt_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frechet_distance_of_known_gaussians() {
        // Same points: distance 0. Shifted by 2 in one of 3 dims: |shift|^2 = 4.
        let a: Vec<f32> = (0..300).map(|i| ((i * 7919) % 101) as f32 / 50.0).collect();
        assert!(frechet_distance(&a, &a, 3).abs() < 1e-6);
        let b: Vec<f32> = a.chunks(3).flat_map(|r| [r[0] + 2.0, r[1], r[2]]).collect();
        assert!((frechet_distance(&a, &b, 3) - 4.0).abs() < 1e-6);
        // Scaled by 2 in 1-D: (m1 - m2)^2 + (sigma1 - sigma2)^2 = m^2 + sigma^2.
        let c: Vec<f32> = (0..200).map(|i| (i as f32 * 0.37).sin()).collect();
        let d: Vec<f32> = c.iter().map(|v| 2.0 * v).collect();
        let (m, s) = mean_cov(&c, 1);
        assert!((frechet_distance(&c, &d, 1) - (m[0] * m[0] + s[0])).abs() < 1e-6);
    }
}
