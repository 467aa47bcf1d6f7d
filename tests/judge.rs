//! The digit classifier that judges GAN samples: it learns, and its score tells real digits
//! from noise.

mod common;

use genlab::data::Scaling;
use genlab::judge::DigitClassifier;
use rand::{Rng, SeedableRng};

#[test]
fn the_judge_learns_and_scores_real_digits_high_and_noise_low() {
    let mnist = common::mnist();
    // A small budget: two epochs over 15,000 images (the full judge trains 3 over 60,000).
    let judge = DigitClassifier::train(&mnist, 2, 15_000, 0, 0).unwrap();
    let accuracy = judge.accuracy(&mnist.test).unwrap();
    assert!(accuracy > 0.95, "test accuracy after a small budget: {accuracy}");

    let reference = mnist.test.pixels(&(0..500).collect::<Vec<_>>(), Scaling::Unit);
    // Real digits, in the generator's [-1, 1] range.
    let real = mnist.test.pixels(&(500..1000).collect::<Vec<_>>(), Scaling::Symmetric);
    let real_score = judge.score(&real, &reference).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let noise: Vec<f32> = (0..500 * 784).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let noise_score = judge.score(&noise, &reference).unwrap();

    assert!(real_score.confident > 0.8, "real digits: {real_score}");
    assert!(real_score.min_class > 0.04, "every digit appears among real ones: {real_score}");
    assert!(
        noise_score.min_class < 0.04,
        "noise does not look like all ten digits: {noise_score}"
    );
    assert!(
        noise_score.fid > 10.0 * real_score.fid.max(0.1),
        "noise is far from real digits: {noise_score} vs {real_score}"
    );
    assert!((real_score.class_shares.iter().sum::<f32>() - 1.0).abs() < 1e-4);
}
