//! Writes a GAN run's figures at screen size (scale 1), e.g. for the README.
//!
//! Run: `cargo run --release --example figures_from_run -- RUN_DIR OUT_DIR [EVERY]`
use genlab::Gan;
use std::path::PathBuf;

fn main() -> genlab::Result<()> {
    let mut args = std::env::args().skip(1);
    let run = PathBuf::from(args.next().unwrap_or_else(|| "notebooks/runs/gan".into()));
    let out = PathBuf::from(args.next().unwrap_or_else(|| "docs/images".into()));
    let every: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(800);
    let gan = Gan::load_checkpoint(run.join(genlab::train::CHECKPOINT_FILE))?;
    gan.progression_figure(every)?.save_png(out.join("gan_progression.png"), 1.0)?;
    gan.loss_figure()?.save_png(out.join("gan_losses.png"), 1.0)?;
    gan.latent_walk_figure(4, 10, 0)?.save_png(out.join("latent_walk.png"), 1.0)?;
    println!("wrote figures of iteration {} into {}", gan.iteration(), out.display());
    Ok(())
}
