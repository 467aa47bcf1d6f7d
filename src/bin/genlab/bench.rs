//! `genlab bench`: the lecture's GAN iteration and autoencoder step (and epoch), timed, for the
//! built-in networks, the same typed line by line, or the exercises' variants.

use genlab::data::{Mnist, Scaling};
use genlab::models::exercises;
use genlab::{Autoencoder, AutoencoderConfig, Figure, Gan, GanConfig};
use std::sync::Arc;
use std::time::Instant;

/// The networks `genlab bench` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Networks {
    /// genlab's built-in models (`genlab::models`).
    Lecture,
    /// The lecture's models written line by line (`genlab::models::exercises`).
    Typed,
    /// The exercises' changed models: `Generator256`, `Discriminator3`, `Encoder32` + `Decoder`.
    Variants,
}

impl Networks {
    fn gan(self, config: GanConfig, mnist: Arc<Mnist>) -> genlab::Result<Gan> {
        match self {
            Networks::Lecture => Gan::with_data(config, mnist),
            Networks::Typed => Gan::with_networks::<exercises::Generator, exercises::Discriminator>().start_with_data(config, mnist),
            Networks::Variants => Gan::with_networks::<exercises::Generator256, exercises::Discriminator3>().start_with_data(config, mnist),
        }
    }

    fn autoencoder(self, config: AutoencoderConfig, mnist: Arc<Mnist>) -> genlab::Result<Autoencoder> {
        match self {
            Networks::Lecture => Autoencoder::with_data(config, mnist),
            Networks::Typed => Autoencoder::with_networks::<exercises::Encoder, exercises::Decoder>().start_with_data(config, mnist),
            Networks::Variants => Autoencoder::with_networks::<exercises::Encoder32, exercises::Decoder>().start_with_data(config, mnist),
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

pub fn bench(gan_iters: u64, ae_steps: u64, ae_epoch: bool, networks: Networks) -> genlab::Result<()> {
    let mnist = Mnist::load()?;
    println!(
        "threads={} load_before={} cpu={}",
        rayon::current_num_threads(),
        loadavg(),
        genlab::cpu_path().unwrap_or(genlab::CpuPath::Portable)
    );
    let mut gan = networks.gan(
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
    let mut ae = networks.autoencoder(
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
    let cpu = genlab::cpu_path().map_err(genlab::Error::InvalidArgument)?;
    let networks = format!("{networks:?}").to_lowercase();
    println!("gan_iter_s={g:.4} ae_step_s={a:.4}{epoch} networks={networks} cpu={cpu}");
    Ok(())
}
