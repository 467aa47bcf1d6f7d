//! The `genlab` command line: the lecture's parts, headless.

use clap::{Parser, Subcommand};
use genlab::data::{data_dir, fetch_mnist, read_idx, Mirror, Mnist, Scaling, IMAGES_MAGIC, PIXELS};
use genlab::judge::{reference_digits, DigitClassifier, CLASSIFIER_FILE, JUDGE_NOISE_SEED};
use genlab::report::{write_autoencoder_outputs, write_gan_outputs, RunInfo};
use genlab::train::CHECKPOINT_FILE;
use genlab::{summaries, Autoencoder, AutoencoderConfig, Error, Figure, Gan, GanConfig, Outcome, StopFlag};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "genlab",
    version,
    about = "The lecture's DCGAN and convolutional autoencoder on MNIST, in Rust"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train the lecture's DCGAN and write its figures, history, checkpoint and run.json into --out.
    ///
    /// Ctrl-C (or SIGTERM) finishes the current iteration, writes a checkpoint and exits with 130;
    /// `--resume DIR` continues the same curve. The last line reads `iterations=N d_loss=.. g_loss=..`
    /// (losses averaged over the last 50 iterations).
    /// Example: genlab gan --iterations 4001 --out runs/gan
    Gan {
        /// Iterations in total (the lecture: 4001); with --resume, the total to reach.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        iterations: Option<u64>,
        /// Real and generated images per iteration.
        #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..))]
        batch: u64,
        /// Take a snapshot (and write a checkpoint) every this many iterations.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
        snapshot_every: u64,
        /// Seed of weights, batches, noise and dropout.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output directory (created if needed).
        #[arg(long, required_unless_present = "resume")]
        out: Option<PathBuf>,
        /// At each snapshot, judge this many generated digits with the digit classifier
        /// (scores.png, scores.csv; the classifier is trained on first use). 0: off.
        #[arg(long, default_value_t = 0)]
        judge: u64,
        /// Continue the run in this directory from its last checkpoint.
        #[arg(long, conflicts_with_all = ["out", "seed", "batch", "snapshot_every", "judge"])]
        resume: Option<PathBuf>,
    },
    /// Train the lecture's convolutional autoencoder and write its figures, history, checkpoint and run.json into --out.
    ///
    /// Ctrl-C (or SIGTERM) finishes the current step, writes a checkpoint and exits with 130;
    /// `--resume DIR` continues. The last line reads `epochs=N train_bce=.. test_bce=..`.
    /// Example: genlab autoencoder --epochs 50 --out runs/autoencoder
    Autoencoder {
        /// Epochs in total (the lecture: 50); with --resume, the total to reach.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        epochs: Option<u64>,
        /// Images per training step.
        #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..))]
        batch: u64,
        /// Seed of weights and shuffling (and of the test images shown).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Train on only the first N training images (quick experiments; default: all 60,000).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        train_images: Option<u64>,
        /// Output directory (created if needed).
        #[arg(long, required_unless_present = "resume")]
        out: Option<PathBuf>,
        /// Continue the run in this directory from its last checkpoint.
        #[arg(long, conflicts_with_all = ["out", "seed", "batch", "train_images"])]
        resume: Option<PathBuf>,
    },
    /// Train the digit classifier that judges generated samples, save it into the data directory and print its test accuracy.
    ///
    /// Example: genlab classifier --epochs 3
    Classifier {
        /// Training epochs.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
        epochs: u64,
        /// Train on only the first N training images (quick experiments; default: all 60,000).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        train_images: Option<u64>,
    },
    /// Score a GAN run's generator with the digit classifier (trained on first use).
    ///
    /// Generates --samples digits; prints the digit histogram and, last, `confident=<share>
    /// min_class=<share> fid=<value>` (share labelled with probability >= 0.9, smallest digit share,
    /// Frechet distance between classifier features of real test images and of the samples).
    /// Example: genlab score runs/gan
    Score {
        /// A run directory (or its checkpoint.safetensors), or an IDX file of 28x28 images.
        run: PathBuf,
        /// Number of generated digits to judge.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(2..))]
        samples: u64,
    },
    /// Draw the lecture's activation-functions slide as PNG and SVG into --out.
    ///
    /// Example: genlab activations --out slides
    Activations {
        /// Output directory (created if needed).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the Keras-style summaries of the generator, discriminator, GAN and autoencoder.
    ///
    /// Example: genlab summary
    Summary,
    /// Time the lecture's GAN iteration (batch 32) and autoencoder step (batch 128) on MNIST.
    ///
    /// Prints medians after a warm-up; the last line reads `gan_iter_s=<median> ae_step_s=<median>`
    /// (and `ae_epoch_s=<seconds>` with `--ae-epoch`).
    /// Example: genlab bench --gan-iters 30 --ae-steps 50 --ae-epoch
    Bench {
        /// Timed GAN iterations (after 3 warm-up iterations).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
        gan_iters: u64,
        /// Timed autoencoder steps (after 5 warm-up steps).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
        ae_steps: u64,
        /// Also time one whole autoencoder epoch as the lecture runs it: 469 shuffled batches of
        /// the 60,000 training images, then the loss on the 10,000 test images.
        #[arg(long)]
        ae_epoch: bool,
    },
    /// Download MNIST (checksummed) into the data directory.
    ///
    /// Example: genlab fetch-mnist --mirror /path/to/dir/with/mnist/gz/files
    FetchMnist {
        /// A URL prefix or a local directory holding the four .gz files (default: $GENLAB_MNIST_MIRROR, else the public mirrors).
        #[arg(long)]
        mirror: Option<String>,
        /// Where to put the files (default: $GENLAB_DATA, else data/mnist in the checkout).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// Exit code of a run stopped by Ctrl-C or SIGTERM (128 + SIGINT), as shells report it.
const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Gan {
            iterations,
            batch,
            snapshot_every,
            seed,
            judge,
            out,
            resume,
        } => run_gan(iterations, batch as usize, snapshot_every, seed, judge as usize, out, resume),
        Command::Autoencoder {
            epochs,
            batch,
            seed,
            train_images,
            out,
            resume,
        } => run_autoencoder(epochs, batch as usize, seed, train_images.map(|n| n as usize), out, resume),
        Command::Classifier { epochs, train_images } => train_classifier(epochs, train_images.map(|n| n as usize)),
        Command::Score { run, samples } => score(&run, samples as usize),
        Command::Activations { out } => usable_out_dir(&out).and_then(|()| {
            Figure::activations().save_png(out.join("activations.png"), 2.0)?;
            Figure::activations().save_svg(out.join("activations.svg"))?;
            println!("wrote {}/activations.png and activations.svg", out.display());
            Ok(Outcome::Finished)
        }),
        Command::Summary => {
            for s in [
                summaries::generator(),
                summaries::discriminator(),
                summaries::gan(),
                summaries::autoencoder(),
            ] {
                println!("{s}\n");
            }
            Ok(Outcome::Finished)
        }
        Command::Bench {
            gan_iters,
            ae_steps,
            ae_epoch,
        } => bench(gan_iters, ae_steps, ae_epoch).map(|()| Outcome::Finished),
        Command::FetchMnist { mirror, dir } => {
            let dir = dir.unwrap_or_else(data_dir);
            let mirrors = mirror.map(|m| vec![Mirror::parse(&m)]).unwrap_or_else(Mirror::defaults);
            fetch_mnist(&dir, &mirrors).map(|fetched| {
                println!(
                    "MNIST is in {} ({} file(s) fetched, all checksums verified)",
                    dir.display(),
                    fetched.len()
                );
                Outcome::Finished
            })
        }
    };
    match result {
        Ok(Outcome::Finished) => ExitCode::SUCCESS,
        Ok(Outcome::Stopped) => ExitCode::from(EXIT_INTERRUPTED),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn bench(gan_iters: u64, ae_steps: u64, ae_epoch: bool) -> genlab::Result<()> {
    let mnist = Mnist::load()?;
    println!("threads={} load_before={}", rayon::current_num_threads(), loadavg());
    let mut gan = Gan::with_data(
        GanConfig {
            log_every: 0,
            snapshot_every: u64::MAX,
            ..GanConfig::default()
        },
        mnist.clone(),
    )?;
    for _ in 0..3 {
        gan.step()?;
    }
    let gan_times: Vec<f64> = (0..gan_iters)
        .map(|_| {
            let t = Instant::now();
            gan.step().map(|_| t.elapsed().as_secs_f64())
        })
        .collect::<genlab::Result<_>>()?;
    let mut ae = Autoencoder::with_data(
        AutoencoderConfig {
            log_every: 0,
            ..AutoencoderConfig::default()
        },
        mnist.clone(),
    )?;
    let indices: Vec<usize> = (0..128).collect();
    let batch = mnist.train.pixels(&indices, Scaling::Unit);
    for _ in 0..5 {
        ae.train_step(&batch)?;
    }
    let ae_times: Vec<f64> = (0..ae_steps)
        .map(|_| {
            let t = Instant::now();
            ae.train_step(&batch).map(|_| t.elapsed().as_secs_f64())
        })
        .collect::<genlab::Result<_>>()?;
    let grid = gan.snapshot_images()?;
    let grid_times: Vec<f64> = (0..10)
        .map(|_| {
            let t = Instant::now();
            Figure::sample_grid(&grid, genlab::PixelRange::Symmetric, 5, "Iteration 0")
                .and_then(|f| f.to_png(1.0))
                .map(|_| t.elapsed().as_secs_f64())
        })
        .collect::<genlab::Result<_>>()?;
    println!("5x5 sample grid to PNG: median {:.1} ms", 1e3 * median(grid_times));
    let (g, a) = (median(gan_times), median(ae_times));
    println!(
        "GAN iteration (batch 32): median {g:.4} s over {gan_iters}; 4001 iterations ~ {:.1} min",
        g * 4001.0 / 60.0
    );
    println!(
        "AE step (batch 128): median {a:.4} s over {ae_steps}; one epoch (469 steps) ~ {:.1} s",
        a * 469.0
    );
    // `autoencoder.fit(X_train, X_train, epochs=1, batch_size=128, validation_data=(X_test, X_test))`
    let epoch = if ae_epoch {
        let t = Instant::now();
        ae.fit(1)?;
        let seconds = t.elapsed().as_secs_f64();
        println!("AE epoch (469 steps + test loss): {seconds:.2} s");
        format!(" ae_epoch_s={seconds:.3}")
    } else {
        String::new()
    };
    println!("load_after={}", loadavg());
    println!("gan_iter_s={g:.4} ae_step_s={a:.4}{epoch}");
    Ok(())
}

/// An output directory must be a directory (or not exist yet).
fn usable_out_dir(out: &Path) -> genlab::Result<()> {
    if out.exists() && !out.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "--out {} is a file, not a directory",
            out.display()
        )));
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io("creating", out, e))
}

/// A resume directory must hold a checkpoint.
fn resumable(dir: &Path) -> genlab::Result<()> {
    if !dir.join(CHECKPOINT_FILE).is_file() {
        return Err(Error::Checkpoint {
            path: dir.join(CHECKPOINT_FILE),
            reason: "there is no checkpoint there (was the run started with --out that directory?)".into(),
        });
    }
    Ok(())
}

/// Raises `flag` on Ctrl-C or SIGTERM.
fn stop_on_signals(flag: StopFlag) {
    let result = ctrlc::set_handler(move || {
        eprintln!("\nstopping after the current step; a checkpoint will be written");
        flag.raise();
    });
    if let Err(e) = result {
        eprintln!("warning: cannot catch Ctrl-C ({e}); an interrupt will not write a checkpoint");
    }
}

fn mean_of_last(values: &[f32], n: usize) -> f32 {
    let tail = &values[values.len().saturating_sub(n)..];
    tail.iter().sum::<f32>() / tail.len().max(1) as f32
}

fn run_gan(
    iterations: Option<u64>,
    batch: usize,
    snapshot_every: u64,
    seed: u64,
    judge_samples: usize,
    out: Option<PathBuf>,
    resume: Option<PathBuf>,
) -> genlab::Result<Outcome> {
    let tty = std::io::stdout().is_terminal();
    let (mut gan, dir, info) = match resume {
        Some(dir) => {
            resumable(&dir)?;
            let mut info = RunInfo::load(&dir)?;
            if let Some(total) = iterations {
                info.target = total;
            }
            let gan = Gan::resume(&dir)?;
            println!("resuming {} at iteration {} of {}", dir.display(), gan.iteration(), info.target);
            (gan, dir, info)
        }
        None => {
            let dir = out.expect("clap requires --out without --resume");
            usable_out_dir(&dir)?;
            let config = GanConfig {
                batch_size: batch,
                snapshot_every,
                seed,
                run_dir: Some(dir.clone()),
                progress_bar: tty,
                judge_samples,
                ..GanConfig::default()
            };
            let info = RunInfo {
                command: "gan".into(),
                args: std::env::args().collect(),
                seed,
                target: iterations.unwrap_or(4001),
                version: env!("CARGO_PKG_VERSION").into(),
            };
            info.save(&dir)?;
            (Gan::new(config)?, dir, info)
        }
    };
    gan.set_progress_bar(tty);
    stop_on_signals(gan.stop_flag());
    let outcome = gan.train(info.target.saturating_sub(gan.iteration()))?;
    let written = write_gan_outputs(&gan, &dir)?;
    println!("wrote {} files into {}", written.len() + 2, dir.display());
    if outcome == Outcome::Stopped {
        println!(
            "stopped at iteration {}; continue with: genlab gan --resume {}",
            gan.iteration(),
            dir.display()
        );
    }
    let h = gan.history();
    println!(
        "iterations={} d_loss={:.4} g_loss={:.4}",
        gan.iteration(),
        mean_of_last(&h.d_loss(), 50),
        mean_of_last(&h.g_loss, 50)
    );
    Ok(outcome)
}

fn run_autoencoder(
    epochs: Option<u64>,
    batch: usize,
    seed: u64,
    train_images: Option<usize>,
    out: Option<PathBuf>,
    resume: Option<PathBuf>,
) -> genlab::Result<Outcome> {
    let tty = std::io::stdout().is_terminal();
    let (mut ae, dir, info) = match resume {
        Some(dir) => {
            resumable(&dir)?;
            let mut info = RunInfo::load(&dir)?;
            if let Some(total) = epochs {
                info.target = total;
            }
            let ae = Autoencoder::resume(&dir)?;
            println!("resuming {} after {} of {} epochs", dir.display(), ae.epoch(), info.target);
            (ae, dir, info)
        }
        None => {
            let dir = out.expect("clap requires --out without --resume");
            usable_out_dir(&dir)?;
            let config = AutoencoderConfig {
                batch_size: batch,
                seed,
                train_images,
                run_dir: Some(dir.clone()),
                progress_bar: tty,
                ..AutoencoderConfig::default()
            };
            let info = RunInfo {
                command: "autoencoder".into(),
                args: std::env::args().collect(),
                seed,
                target: epochs.unwrap_or(50),
                version: env!("CARGO_PKG_VERSION").into(),
            };
            info.save(&dir)?;
            (Autoencoder::new(config)?, dir, info)
        }
    };
    ae.set_progress_bar(tty);
    stop_on_signals(ae.stop_flag());
    let remaining_steps = (info.target * ae.steps_per_epoch()).saturating_sub(ae.steps_done());
    let outcome = ae.fit_steps(remaining_steps)?;
    let written = write_autoencoder_outputs(&ae, &dir, info.seed)?;
    println!("wrote {} files into {}", written.len() + 2, dir.display());
    if outcome == Outcome::Stopped {
        println!(
            "stopped after {} epochs; continue with: genlab autoencoder --resume {}",
            ae.epoch(),
            dir.display()
        );
    }
    let h = ae.history();
    let last = |v: &[f32]| v.last().copied().unwrap_or(f32::NAN);
    println!(
        "epochs={} train_bce={:.4} test_bce={:.4}",
        ae.epoch(),
        last(&h.train_loss),
        last(&h.test_loss)
    );
    Ok(outcome)
}

fn train_classifier(epochs: u64, train_images: Option<usize>) -> genlab::Result<Outcome> {
    let mnist = Mnist::load()?;
    let judge = DigitClassifier::train(&mnist, epochs, train_images.unwrap_or(mnist.train.len()), 0, 100)?;
    let path = data_dir().join(CLASSIFIER_FILE);
    judge.save(&path)?;
    println!("saved {}", path.display());
    println!("test_accuracy={:.4}", judge.accuracy(&mnist.test)?);
    Ok(Outcome::Finished)
}

fn score(run: &Path, samples: usize) -> genlab::Result<Outcome> {
    if run.is_file() && run.extension().is_none_or(|e| e != "safetensors") {
        return score_idx_images(run, samples);
    }
    let dir = if run.is_file() {
        run.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        run.to_path_buf()
    };
    resumable(&dir)?;
    let gan = Gan::resume(&dir)?;
    let mnist = gan.mnist();
    let judge = DigitClassifier::load_or_train(&data_dir(), mnist)?;
    let result = judge.score(&gan.generate(samples, JUDGE_NOISE_SEED)?, &reference_digits(mnist, samples))?;
    println!("{} samples from iteration {} of {}", result.samples, gan.iteration(), dir.display());
    println!("{result}");
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
    let digits: Vec<f32> = images.data[..n * PIXELS].iter().map(|&b| Scaling::Symmetric.apply(b)).collect();
    let mnist = Mnist::load()?;
    let judge = DigitClassifier::load_or_train(&data_dir(), &mnist)?;
    let result = judge.score(&digits, &reference_digits(&mnist, n))?;
    println!("{} samples from {}", result.samples, path.display());
    println!("{result}");
    Ok(Outcome::Finished)
}
