//! Runs a few GAN iterations or autoencoder steps, for profilers (callgrind, perf).
//! Run: `cargo run --release --example profile_steps -- gan|ae N`
use genlab::data::{Mnist, Scaling};
use genlab::{Autoencoder, AutoencoderConfig, Gan, GanConfig};

fn main() -> genlab::Result<()> {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "gan".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let mnist = Mnist::load()?;
    if what == "gan" {
        let mut gan = Gan::with_data(
            GanConfig {
                log_every: 0,
                snapshot_every: u64::MAX,
                ..GanConfig::default()
            },
            mnist,
        )?;
        for _ in 0..n {
            gan.step()?;
        }
    } else {
        let mut ae = Autoencoder::with_data(
            AutoencoderConfig {
                log_every: 0,
                ..AutoencoderConfig::default()
            },
            mnist.clone(),
        )?;
        let batch = mnist.train.pixels(&(0..128).collect::<Vec<_>>(), Scaling::Unit);
        for _ in 0..n {
            ae.train_step(&batch)?;
        }
    }
    Ok(())
}
