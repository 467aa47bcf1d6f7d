//! The judge's commands and a run's digits: `genlab classifier` trains the judge, `genlab score`
//! scores a run or an IDX file, `genlab sample` writes a run's digits as IDX or PNGs.

use genlab::data::{data_dir, read_idx, Mnist, Scaling, IMAGES_MAGIC, PIXELS};
use genlab::figures::write_file;
use genlab::judge::{classifier_home, reference_digits, DigitClassifier, CACHE_ENV};
use genlab::train::{SampleOutput, CHECKPOINT_FILE};
use genlab::{Error, Gan, Outcome};
use std::path::{Path, PathBuf};

pub fn train_classifier(epochs: u64, train_images: Option<usize>) -> genlab::Result<Outcome> {
    let mnist = Mnist::load()?;
    let dir = data_dir();
    let path = classifier_home(&dir).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "neither the data folder {} nor a cache folder can be written: set {CACHE_ENV} to a writable folder",
            dir.display()
        ))
    })?;
    let judge = DigitClassifier::train(&mnist, epochs, train_images.unwrap_or(mnist.train.len()), 0, 100)?;
    judge.save(&path)?;
    println!("saved {}", path.display());
    println!("test_accuracy={:.4}", judge.accuracy(&mnist.test)?);
    Ok(Outcome::Finished)
}

/// Scores a run: `run` is its directory (its checkpoint is read) or a checkpoint file, or an
/// IDX file of images. The run is only read, so a run still training there is not disturbed.
/// `standing`, `truncation` and `selection` add those ways of sampling to the run's own.
pub fn score(run: &Path, samples: usize, standing: bool, truncation: Option<f32>, selection: Option<f32>) -> genlab::Result<Outcome> {
    if run.is_file() && run.extension().is_none_or(|e| e != "safetensors") {
        return score_idx_images(run, samples);
    }
    let (mut gan, checkpoint) = load_gan(run, "give a GAN run's directory, its checkpoint, or an IDX image file")?;
    let (own_standing, own_truncation) = (gan.config().standing_statistics, gan.config().truncation);
    gan.set_sampling(standing || own_standing, truncation.or(own_truncation))?;
    gan.set_selection(selection.or(gan.config().selection))?;
    let result = gan.score(samples)?;
    println!(
        "{} samples from iteration {} of {}",
        result.samples,
        gan.iteration(),
        checkpoint.display()
    );
    println!("{result}");
    Ok(Outcome::Finished)
}

/// The GAN in a run directory or checkpoint file; `hint` says what to give instead.
fn load_gan(run: &Path, hint: &str) -> genlab::Result<(Gan, PathBuf)> {
    let checkpoint = if run.is_dir() {
        run.join(CHECKPOINT_FILE)
    } else {
        run.to_path_buf()
    };
    if !checkpoint.is_file() {
        return Err(Error::Checkpoint {
            path: checkpoint,
            reason: format!("there is no such file ({hint})"),
        });
    }
    Ok((Gan::load_checkpoint(&checkpoint)?, checkpoint))
}

/// Writes `n` digits of a GAN run (`genlab sample`).
pub fn sample(run: &Path, n: usize, out: &Path, seed: u64, selection: Option<f32>) -> genlab::Result<Outcome> {
    let target = SampleOutput::from_path(out)?;
    let (mut gan, _) = load_gan(run, "give a GAN run's directory or its checkpoint")?;
    gan.set_selection(selection.or(gan.config().selection))?;
    let written = gan.save_samples(&target, n, seed)?;
    let averaged = if gan.config().ema_decay.is_some() {
        " (weight average)"
    } else {
        ""
    };
    let selected = gan.config().selection.map_or(String::new(), |keep| {
        format!(", each the best of {:.2} candidates by the discriminator", 1.0 / keep)
    });
    println!(
        "wrote {} file(s): {n} digits of iteration {}{averaged}{selected}",
        written.len(),
        gan.iteration()
    );
    println!("samples={n} out={} iteration={}", out.display(), gan.iteration());
    Ok(Outcome::Finished)
}

/// Writes a GAN run's candidates with their selection scores and the judge's verdict as CSV
/// (`genlab candidates`).
pub fn candidates(run: &Path, n: usize, out: &Path, masks: u64, directions: usize, seed: u64) -> genlab::Result<Outcome> {
    if out.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "--out {} is a folder; give a CSV file's path",
            out.display()
        )));
    }
    let (gan, _) = load_gan(run, "give a GAN run's directory or its checkpoint")?;
    let found = gan.candidates(n, seed, masks, directions)?;
    let mnist = gan.mnist()?;
    let judge = DigitClassifier::load_or_train(&data_dir(), mnist)?;
    let unit: Vec<f32> = found.images.iter().map(|v| 0.5 * v + 0.5).collect();
    let (probabilities, _) = judge.probabilities_and_features(&unit)?;
    let mut csv = String::from("index,d_logit,d_logit_dropout,jacobian,judge_confidence,judge_class\n");
    let column = |values: &[f32], k: usize| values.get(k).map_or(String::new(), |v| v.to_string());
    for (k, p) in probabilities.chunks(10).enumerate() {
        let (class, confidence) = p
            .iter()
            .enumerate()
            .fold((0, 0.0f32), |best, (c, &v)| if v > best.1 { (c, v) } else { best });
        csv.push_str(&format!(
            "{k},{},{},{},{confidence},{class}\n",
            found.d_logit[k],
            column(&found.d_logit_dropout, k),
            column(&found.jacobian, k)
        ));
    }
    write_file(out, csv.as_bytes())?;
    println!("candidates={n} iteration={} out={}", gan.iteration(), out.display());
    Ok(Outcome::Finished)
}

/// Scores digits made elsewhere (e.g. by bench/keras_gan_quality.py): an IDX file of 28x28
/// unsigned-byte images; the first `samples` are judged.
fn score_idx_images(path: &Path, samples: usize) -> genlab::Result<Outcome> {
    let images = read_idx(path, IMAGES_MAGIC).map_err(|e| match e {
        Error::CorruptData { reason, .. } => Error::InvalidArgument(format!(
            "{} is neither a run directory, a checkpoint, nor an IDX image file ({reason})",
            path.display()
        )),
        other => other,
    })?;
    if images.dims[1..] != [28, 28] {
        return Err(Error::InvalidArgument(format!(
            "{} holds {:?} images; `genlab score` judges 28x28 digits",
            path.display(),
            &images.dims[1..]
        )));
    }
    let n = samples.min(images.dims[0]);
    if n < 2 {
        return Err(Error::InvalidArgument(format!(
            "{} holds {} image(s); a score needs at least 2 (the Frechet distance compares spreads)",
            path.display(),
            images.dims[0]
        )));
    }
    let digits: Vec<f32> = images.data[..n * PIXELS].iter().map(|&b| Scaling::Symmetric.apply(b)).collect();
    let mnist = Mnist::load()?;
    let judge = DigitClassifier::load_or_train(&data_dir(), &mnist)?;
    let result = judge.score(&digits, &reference_digits(&mnist, n))?;
    println!("{} samples from {}", result.samples, path.display());
    println!("{result}");
    Ok(Outcome::Finished)
}
