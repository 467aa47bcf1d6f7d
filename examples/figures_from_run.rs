//! Writes the README's figures at screen size (scale 1) from the notebooks' runs: the GAN of
//! `01_gan.ipynb` (`runs/gan`) and the autoencoder of `02_autoencoder.ipynb` (`runs/autoencoder`),
//! the Korean versions of two of them at 16:9, and prints the README's table of the GAN's mean losses per 500 iterations.
//!
//! Run: `cargo run --release --example figures_from_run -- [RUNS_DIR] [OUT_DIR] [EVERY]`
//! (defaults: `notebooks/runs`, `docs/images`, 800).
use genlab::train::CHECKPOINT_FILE;
use genlab::{Autoencoder, Figure, Gan, Language};
use std::path::PathBuf;

fn main() -> genlab::Result<()> {
    let mut args = std::env::args().skip(1);
    let runs = PathBuf::from(args.next().unwrap_or_else(|| "notebooks/runs".into()));
    let out = PathBuf::from(args.next().unwrap_or_else(|| "docs/images".into()));
    let every: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(800);
    let gan = Gan::load_checkpoint(runs.join("gan").join(CHECKPOINT_FILE))?;
    gan.progression_figure(every)?.save_png(out.join("gan_progression.png"), 1.0)?;
    gan.loss_figure()?.save_png(out.join("gan_losses.png"), 1.0)?;
    gan.score_figure()?.save_png(out.join("gan_scores.png"), 1.0)?;
    gan.latent_walk_figure(4, 10, 0)?.save_png(out.join("latent_walk.png"), 1.0)?;
    let ae = Autoencoder::load_checkpoint(runs.join("autoencoder").join(CHECKPOINT_FILE))?;
    ae.progression_figure(&[10, ae.epoch()])?
        .save_png(out.join("ae_reconstructions.png"), 1.0)?;
    let (d_loss, g_loss) = (gan.history().d_loss(), &gan.history().g_loss);
    let mean = |values: &[f32]| values.iter().sum::<f32>() / values.len() as f32;
    for start in [0, 1000, 2000, 3000, 3500] {
        let range = start..(start + 500).min(g_loss.len());
        let (d, g) = (mean(&d_loss[range.clone()]), mean(&g_loss[range.clone()]));
        println!("| {}-{} | {d:.3} | {g:.3} |", range.start, range.end - 1);
    }
    Figure::activations().save_png(out.join("activations.png"), 1.0)?;
    // The same figures in the lecture's words, at 16:9 (half a 1920x1080 slide).
    Language::Korean.scope(|| -> genlab::Result<()> {
        gan.loss_figure()?.save_png_sized(out.join("gan_losses_ko.png"), 960, 540)?;
        ae.progression_figure(&[10, ae.epoch()])?
            .save_png_sized(out.join("ae_reconstructions_ko.png"), 960, 540)
    })?;
    println!(
        "wrote the figures of the GAN at iteration {} and the autoencoder after {} epochs into {}",
        gan.iteration(),
        ae.epoch(),
        out.display()
    );
    Ok(())
}
