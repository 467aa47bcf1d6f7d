//! Writes every kind of genlab figure, as PNG (2x) and SVG, into one folder, from real MNIST and
//! a short real training run.
//!
//! Run: `cargo run --release --example gallery -- OUT_DIR [GAN_ITERATIONS] [AE_EPOCHS] [PNG_SCALE]`

use genlab::data::{Mnist, Scaling};
use genlab::{Autoencoder, AutoencoderConfig, Figure, Gan, GanConfig, PixelRange};
use std::path::PathBuf;

fn main() -> genlab::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "gallery".into()));
    let gan_iterations: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(401);
    let ae_epochs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let scale: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2.0);
    let mnist = Mnist::load()?;
    let save = |name: &str, fig: &Figure| -> genlab::Result<()> {
        fig.save_png(out.join(format!("{name}.png")), scale)?;
        fig.save_svg(out.join(format!("{name}.svg")))?;
        println!("wrote {name}.png and {name}.svg");
        Ok(())
    };

    save("activations", &Figure::activations())?;
    let real: Vec<usize> = (0..25).collect();
    save(
        "mnist_grid",
        &Figure::sample_grid(
            &mnist.train.pixels(&real, Scaling::Symmetric),
            PixelRange::Symmetric,
            5,
            "MNIST training images",
        )?,
    )?;

    let mut gan = Gan::with_data(
        GanConfig {
            snapshot_every: 100,
            log_every: 100,
            ..GanConfig::default()
        },
        mnist.clone(),
    )?;
    gan.train(gan_iterations)?;
    save("gan_snapshot", &gan.snapshot_figure()?)?;
    save("gan_progression", &gan.progression_figure(100)?)?;
    save("gan_losses", &gan.loss_figure()?)?;
    gan.save_gif(out.join("gan_training.gif"))?;
    println!("wrote gan_training.gif");

    let mut ae = Autoencoder::with_data(
        AutoencoderConfig {
            log_every: 100,
            ..AutoencoderConfig::default()
        },
        mnist,
    )?;
    ae.fit(ae_epochs)?;
    save("ae_reconstructions", &ae.reconstruction_figure(5, 0)?)?;
    save("ae_losses", &ae.loss_figure()?)?;
    Ok(())
}
