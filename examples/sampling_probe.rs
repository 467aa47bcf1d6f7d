//! Scores a GAN checkpoint under each way of sampling (raw or averaged generator is the run's;
//! standing statistics and truncation are tried here): `cargo run --release --example
//! sampling_probe -- RUN_DIR [SAMPLES]`.
use genlab::data::data_dir;
use genlab::judge::{reference_digits, DigitClassifier, JUDGE_NOISE_SEED};
use genlab::Gan;

fn main() -> genlab::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let run = args.get(1).expect("give a run directory");
    let n: usize = args.get(2).map_or(1000, |s| s.parse().expect("a count"));
    let mut gan = Gan::load_checkpoint(std::path::Path::new(run).join("checkpoint.safetensors"))?;
    let judge = DigitClassifier::load_or_train(&data_dir(), gan.mnist())?;
    let reference = reference_digits(gan.mnist(), n);
    for (standing, truncation) in [
        (false, None),
        (true, None),
        (false, Some(1.5)),
        (true, Some(1.5)),
        (true, Some(1.0)),
        (true, Some(0.7)),
    ] {
        gan.set_sampling(standing, truncation)?;
        let score = judge.score(&gan.generate(n, JUDGE_NOISE_SEED)?, &reference)?;
        println!("standing={standing:<5} truncation={truncation:?}: {}", score.summary_line());
    }
    Ok(())
}
