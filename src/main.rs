//! The `genlab` command line: the lecture's parts, headless.

use clap::{Parser, Subcommand};
use genlab::data::{data_dir, fetch_mnist, Mirror, Mnist, Scaling};
use genlab::{summaries, Autoencoder, AutoencoderConfig, Gan, GanConfig};
use std::path::PathBuf;
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
    /// Print the Keras-style summaries of the generator, discriminator, GAN and autoencoder.
    ///
    /// Example: genlab summary
    Summary,
    /// Time the lecture's GAN iteration (batch 32) and autoencoder step (batch 128) on MNIST.
    ///
    /// Prints medians after a warm-up; the last line reads `gan_iter_s=<median> ae_step_s=<median>`.
    /// Example: genlab bench --gan-iters 30 --ae-steps 50
    Bench {
        /// Timed GAN iterations (after 3 warm-up iterations).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
        gan_iters: u64,
        /// Timed autoencoder steps (after 5 warm-up steps).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
        ae_steps: u64,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Summary => {
            for s in [
                summaries::generator(),
                summaries::discriminator(),
                summaries::gan(),
                summaries::autoencoder(),
            ] {
                println!("{s}\n");
            }
            Ok(())
        }
        Command::Bench { gan_iters, ae_steps } => bench(gan_iters, ae_steps),
        Command::FetchMnist { mirror, dir } => {
            let dir = dir.unwrap_or_else(data_dir);
            let mirrors = mirror.map(|m| vec![Mirror::parse(&m)]).unwrap_or_else(Mirror::defaults);
            fetch_mnist(&dir, &mirrors).map(|fetched| {
                println!(
                    "MNIST is in {} ({} file(s) fetched, all checksums verified)",
                    dir.display(),
                    fetched.len()
                );
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
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

fn bench(gan_iters: u64, ae_steps: u64) -> genlab::Result<()> {
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
    let (g, a) = (median(gan_times), median(ae_times));
    println!(
        "GAN iteration (batch 32): median {g:.4} s over {gan_iters}; 4001 iterations ~ {:.1} min",
        g * 4001.0 / 60.0
    );
    println!(
        "AE step (batch 128): median {a:.4} s over {ae_steps}; one epoch (469 steps) ~ {:.1} s",
        a * 469.0
    );
    println!("load_after={}", loadavg());
    println!("gan_iter_s={g:.4} ae_step_s={a:.4}");
    Ok(())
}
