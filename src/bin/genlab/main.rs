//! The `genlab` command line: the lecture's parts, headless.
//!
//! Rooms: `main.rs` (the commands and their arguments), `run.rs` (one run for `gan` and
//! `autoencoder`: start or resume, train to a target, write outputs), `report.rs` (what a run
//! leaves in its directory), `bench.rs` (`genlab bench`), `score.rs` (the judge's commands).

mod bench;
mod report;
mod run;
mod score;

use clap::{Parser, Subcommand};
use genlab::data::{data_dir, fetch_mnist, Mirror};
use genlab::{summaries, Autoencoder, AutoencoderConfig, Error, Figure, Gan, GanConfig, GanRecipe, Outcome};
use run::{usable_out_dir, Fresh};
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// `--resume DIR` continues the same curve. The last line reads `iterations=N batch=N d_loss=.. g_loss=..`
    /// (losses averaged over the last 50 iterations).
    /// Example: genlab gan --iterations 4001 --out runs/gan
    Gan {
        /// Iterations in total (default: the recipe's, the lecture: 4001); with --resume, the total to reach.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        iterations: Option<u64>,
        /// The settings to start from: `lecture` (the lecture's) or `improved` (the lecture's
        /// settings plus a weight average of the generator, EMA 0.999, for 10000 iterations).
        /// The options below override single settings.
        #[arg(long, default_value = "lecture")]
        recipe: GanRecipe,
        /// Real and generated images per iteration (default: 32, the lecture's).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        batch: Option<u64>,
        /// Learning rate of both networks' Adam (default: 0.001, Keras'; the DCGAN paper's: 0.0002).
        #[arg(long)]
        lr: Option<f32>,
        /// Adam's beta_1 of both networks (default: 0.9, Keras'; the DCGAN paper's: 0.5).
        #[arg(long)]
        beta1: Option<f32>,
        /// The discriminator's own learning rate (two time-scale update rule, e.g. 0.0004);
        /// default: the generator's.
        #[arg(long)]
        d_lr: Option<f32>,
        /// One-sided label smoothing: real images' target is 1 - S for the discriminator (0: off).
        #[arg(long)]
        label_smoothing: Option<f32>,
        /// Sample from an exponential moving average of the generator's weights with this decay
        /// (e.g. 0.999; 0: off).
        #[arg(long)]
        ema_decay: Option<f32>,
        /// The discriminator's generated batch comes from the generator in training mode
        /// (BatchNormalization with the batch's statistics), not from `predict` as in the lecture.
        #[arg(long)]
        fakes_in_training_mode: bool,
        /// Sample with standing statistics: BatchNormalization statistics recomputed for the
        /// sampling generator from 16 batches of noise (training is unchanged).
        #[arg(long)]
        standing_statistics: bool,
        /// Sample from noise truncated to [-T, T] (training is unchanged).
        #[arg(long)]
        truncation: Option<f32>,
        /// Sample with discriminator rejection sampling: keep this share of candidates, those the
        /// run's discriminator rates most real (e.g. 0.5: two candidates per digit; training is
        /// unchanged).
        #[arg(long)]
        selection: Option<f32>,
        /// Take a snapshot (and write a checkpoint) every this many iterations.
        #[arg(long, default_value_t = GanConfig::default().snapshot_every, value_parser = clap::value_parser!(u64).range(1..))]
        snapshot_every: u64,
        /// Seed of weights, batches, noise and dropout.
        #[arg(long, default_value_t = GanConfig::default().seed)]
        seed: u64,
        /// Output directory (created if needed; one that holds a run is refused without --force).
        #[arg(long, required_unless_present = "resume")]
        out: Option<PathBuf>,
        /// Start over in an --out directory that holds a run: its checkpoint, figures and history are replaced.
        #[arg(long)]
        force: bool,
        /// At each snapshot, judge this many generated digits with the digit classifier
        /// (scores.png, scores.csv; the classifier is trained on first use). 0: off.
        #[arg(long, default_value_t = 0)]
        judge: u64,
        /// Continue the run in this directory from its last checkpoint.
        #[arg(long, conflicts_with_all = ["out", "seed", "batch", "snapshot_every", "judge", "force", "recipe", "lr", "beta1", "d_lr", "label_smoothing", "ema_decay", "fakes_in_training_mode", "standing_statistics", "truncation", "selection"])]
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
        #[arg(long, default_value_t = AutoencoderConfig::default().batch_size as u64, value_parser = clap::value_parser!(u64).range(1..))]
        batch: u64,
        /// Seed of weights and shuffling (and of the test images shown).
        #[arg(long, default_value_t = AutoencoderConfig::default().seed)]
        seed: u64,
        /// Train on only the first N training images (quick experiments; default: all 60,000).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        train_images: Option<u64>,
        /// Output directory (created if needed; one that holds a run is refused without --force).
        #[arg(long, required_unless_present = "resume")]
        out: Option<PathBuf>,
        /// Start over in an --out directory that holds a run: its checkpoint, figures and history are replaced.
        #[arg(long)]
        force: bool,
        /// Continue the run in this directory from its last checkpoint.
        #[arg(long, conflicts_with_all = ["out", "seed", "batch", "train_images", "force"])]
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
        /// Number of generated digits to judge (2 to 10000: the test set's size).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(2..=genlab::judge::MAX_SAMPLES as u64))]
        samples: u64,
        /// Sample a run with standing statistics (see `genlab gan --help`), whatever it trained with.
        #[arg(long)]
        standing_statistics: bool,
        /// Sample a run from noise truncated to [-T, T].
        #[arg(long)]
        truncation: Option<f32>,
        /// Sample a run with discriminator rejection sampling, keeping this share of candidates
        /// (see `genlab gan --help`).
        #[arg(long)]
        selection: Option<f32>,
    },
    /// Study sampling-time selection: draw candidates from a GAN run and write, per candidate, the
    /// scores selection can rank by (the discriminator's logit, its mean over dropout masks, a
    /// Jacobian-norm estimate) beside the digit classifier's verdict, as CSV. The classifier only
    /// grades the study; selection never consults it. bench/selection.py reads the file.
    ///
    /// Example: genlab candidates runs/gan --n 10000 --out candidates.csv
    Candidates {
        /// The run's directory (holding checkpoint.safetensors) or its checkpoint file.
        run: PathBuf,
        /// How many candidates.
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=genlab::judge::MAX_SAMPLES as u64))]
        n: u64,
        /// The CSV file to write.
        #[arg(long)]
        out: PathBuf,
        /// Dropout masks to average the discriminator's logit over (0: none).
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(0..=64))]
        dropout_masks: u64,
        /// Random directions for the Jacobian-norm estimate (0: none).
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(0..=64))]
        directions: u64,
        /// Seed of the candidates' noise.
        #[arg(long, default_value_t = genlab::judge::JUDGE_NOISE_SEED)]
        seed: u64,
    },
    /// Write generated digits from a GAN run's final generator (its weight average when the run
    /// keeps one): an IDX file of unsigned-byte 28x28 images (0-255, MNIST's format) when --out
    /// ends in .idx, else a folder of 28x28 PNGs.
    ///
    /// The last line reads `samples=N out=PATH iteration=N`.
    /// Example: genlab sample runs/gan --n 10000 --out samples.idx
    Sample {
        /// The run's directory (holding checkpoint.safetensors) or its checkpoint file.
        run: PathBuf,
        /// How many digits.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=genlab::train::MAX_IMAGES_PER_CALL as u64))]
        n: u64,
        /// FILE.idx for one IDX file, or a folder for PNGs (sample_00000.png, ...).
        #[arg(long)]
        out: PathBuf,
        /// Seed of the noise (the same seed gives the same digits).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Keep this share of candidates, those the run's discriminator rates most real (see
        /// `genlab gan --help`; default: the run's own setting).
        #[arg(long)]
        selection: Option<f32>,
    },
    /// Draw the lecture's activation-functions slide as PNG and SVG into --out.
    ///
    /// Example: genlab activations --out slides
    Activations {
        /// Output directory (created if needed).
        #[arg(long)]
        out: PathBuf,
    },
    /// Write every figure of a run for slides: progression sheets (and the lecture's two halves),
    /// snapshot grid, losses, scores, latent walk, GIF (GAN); progression, reconstructions,
    /// losses, denoising (autoencoder).
    ///
    /// RUN_DIR is a `genlab gan` / `genlab autoencoder` --out directory or a notebook's runs/gan.
    /// Example: genlab export runs/gan --out slides --lang ko --size 1920x1080 --svg
    Export {
        /// The run's directory (holding checkpoint.safetensors).
        run: PathBuf,
        /// Output directory (created if needed; files of the same names are replaced).
        #[arg(long)]
        out: PathBuf,
        /// The language of the figures' words: ko (Korean, as the lecture) or en.
        #[arg(long, default_value = "en")]
        lang: String,
        /// Every PNG and SVG at exactly WIDTHxHEIGHT pixels (1920x1080 for a 16:9 slide);
        /// default: each figure at its own size, PNGs at 2x.
        #[arg(long)]
        size: Option<String>,
        /// Also write an SVG of every figure (letters as outlines: no fonts needed).
        #[arg(long)]
        svg: bool,
    },
    /// Print the Keras-style summaries of the generator, discriminator, GAN and autoencoder.
    ///
    /// Example: genlab summary
    Summary,
    /// Time the lecture's GAN iteration (batch 32) and autoencoder step (batch 128) on MNIST.
    ///
    /// Prints medians after a warm-up; the last line reads `gan_iter_s=<median> ae_step_s=<median>`
    /// (and `ae_epoch_s=<seconds>` with `--ae-epoch`), then `networks=<networks> cpu=<kernel path>`.
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
        /// Which networks: `lecture` (genlab's built-in models), `typed` (the same written line
        /// by line as a notebook cell writes them) or `variants` (256 filters in the generator,
        /// a third convolution block in the discriminator, 32 filters in the encoder's first
        /// convolution). See `genlab::models::exercises`.
        #[arg(long, default_value = "lecture")]
        networks: bench::Networks,
    },
    /// Print the kernel path in use and the paths this CPU can run (set one with GENLAB_CPU).
    ///
    /// The last line reads `cpu=<path> supported=<path>,<path>,...`.
    /// Example: GENLAB_CPU=avx2 genlab cpu
    Cpu,
    /// Download MNIST (checksummed) into the data directory.
    ///
    /// Example: genlab fetch-mnist --mirror /path/to/dir/with/mnist/gz/files
    FetchMnist {
        /// A URL prefix or a local directory holding the four .gz files (default: $GENLAB_MNIST_MIRROR, else the public mirrors).
        #[arg(long)]
        mirror: Option<String>,
        /// Where to put the files (default: $GENLAB_DATA, else the nearest data/mnist in the current directory or above it, else ./data/mnist).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// `1920x1080` as (1920, 1080).
fn parse_size(text: &str) -> genlab::Result<(u32, u32)> {
    let parsed = text
        .split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)));
    parsed.ok_or_else(|| Error::InvalidArgument(format!("--size {text}: give WIDTHxHEIGHT in pixels, e.g. 1920x1080")))
}

/// Exit code of a run stopped by Ctrl-C or SIGTERM (128 + SIGINT), as shells report it.
const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A GENLAB_CPU the CPU cannot honour is an error before any work starts.
    let result = genlab::cpu_path()
        .map_err(Error::InvalidArgument)
        .and_then(|_| command(cli.command));
    match result {
        Ok(Outcome::Finished) => ExitCode::SUCCESS,
        Ok(Outcome::Stopped) => ExitCode::from(EXIT_INTERRUPTED),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn command(command: Command) -> genlab::Result<Outcome> {
    match command {
        Command::Gan {
            iterations,
            recipe,
            batch,
            lr,
            beta1,
            d_lr,
            label_smoothing,
            ema_decay,
            fakes_in_training_mode,
            standing_statistics,
            truncation,
            selection,
            snapshot_every,
            seed,
            judge,
            out,
            force,
            resume,
        } => {
            let fresh = out.map(|dir| {
                let mut config = recipe.config();
                if let Some(batch) = batch {
                    config.batch_size = batch as usize;
                }
                config.adam.learning_rate = lr.unwrap_or(config.adam.learning_rate);
                config.adam.beta_1 = beta1.unwrap_or(config.adam.beta_1);
                if let Some(d_lr) = d_lr {
                    let base = config.discriminator_adam.unwrap_or(config.adam);
                    config.discriminator_adam = Some(genlab::optim::AdamConfig {
                        learning_rate: d_lr,
                        ..base
                    });
                }
                config.label_smoothing = label_smoothing.unwrap_or(config.label_smoothing);
                if let Some(decay) = ema_decay {
                    config.ema_decay = (decay != 0.0).then_some(decay);
                }
                config.fakes_in_training_mode |= fakes_in_training_mode;
                config.standing_statistics |= standing_statistics;
                config.truncation = truncation.or(config.truncation);
                config.selection = selection.or(config.selection);
                Fresh {
                    config: GanConfig {
                        snapshot_every,
                        seed,
                        run_dir: Some(dir.clone()),
                        judge_samples: judge as usize,
                        ..config
                    },
                    dir,
                    seed,
                    force,
                }
            });
            let iterations = iterations.or(fresh.as_ref().map(|_| recipe.iterations()));
            run::run::<Gan>(fresh, resume, iterations)
        }
        Command::Autoencoder {
            epochs,
            batch,
            seed,
            train_images,
            out,
            force,
            resume,
        } => {
            let fresh = out.map(|dir| Fresh {
                config: AutoencoderConfig {
                    batch_size: batch as usize,
                    seed,
                    train_images: train_images.map(|n| n as usize),
                    run_dir: Some(dir.clone()),
                    ..AutoencoderConfig::default()
                },
                dir,
                seed,
                force,
            });
            run::run::<Autoencoder>(fresh, resume, epochs)
        }
        Command::Classifier { epochs, train_images } => score::train_classifier(epochs, train_images.map(|n| n as usize)),
        Command::Score {
            run,
            samples,
            standing_statistics,
            truncation,
            selection,
        } => score::score(&run, samples as usize, standing_statistics, truncation, selection),
        Command::Candidates {
            run,
            n,
            out,
            dropout_masks,
            directions,
            seed,
        } => score::candidates(&run, n as usize, &out, dropout_masks, directions as usize, seed),
        Command::Sample {
            run,
            n,
            out,
            seed,
            selection,
        } => score::sample(&run, n as usize, &out, seed, selection),
        Command::Activations { out } => usable_out_dir(&out).and_then(|()| {
            Figure::activations().save_png(out.join("activations.png"), 2.0)?;
            Figure::activations().save_svg(out.join("activations.svg"))?;
            println!("wrote {}/activations.png and activations.svg", out.display());
            Ok(Outcome::Finished)
        }),
        Command::Export { run, out, lang, size, svg } => (|| {
            // Every input checked before the output folder is made: the options here, the run in
            // report::export.
            let options = genlab::ExportOptions {
                language: genlab::Language::from_code(&lang)?,
                size: size.as_deref().map(parse_size).transpose()?,
                svg,
                ..genlab::ExportOptions::default()
            };
            let written = report::export(&run, &out, &options)?;
            for path in &written {
                println!("{}", path.display());
            }
            println!("figures={} lang={} out={}", written.len(), options.language.code(), out.display());
            Ok(Outcome::Finished)
        })(),
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
            networks,
        } => bench::bench(gan_iters, ae_steps, ae_epoch, networks).map(|()| Outcome::Finished),
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
        Command::Cpu => {
            let supported: Vec<&str> = genlab::supported_paths().iter().map(|p| p.name()).collect();
            let path = genlab::cpu_path().map_err(Error::InvalidArgument)?;
            println!("cpu={path} supported={}", supported.join(","));
            Ok(Outcome::Finished)
        }
    }
}
