//! The Keras-style summaries equal Keras' parameter counts.

mod common;

use genlab::summaries;

#[test]
fn generator_matches_keras() {
    let s = summaries::generator();
    assert_eq!(
        (s.total_params(), s.trainable_params(), s.non_trainable_params()),
        (865_281, 852_609, 12_672)
    );
    assert_eq!(s.rows.last().unwrap().output_shape, vec![1, 28, 28]);
    let text = s.to_string();
    assert!(text.contains("Total params: 865,281"), "{text}");
    assert!(text.contains("conv2d_1 (Conv2D)"));
}

#[test]
fn discriminator_matches_keras() {
    let s = summaries::discriminator();
    assert_eq!((s.total_params(), s.trainable_params()), (212_865, 212_865));
    let convs: Vec<usize> = s.rows.iter().filter(|r| r.class == "Conv2D").map(|r| r.params()).collect();
    assert_eq!(convs, vec![1_664, 204_928]);
    assert_eq!(s.rows.last().unwrap().output_shape, vec![1]);
}

#[test]
fn gan_with_frozen_discriminator_matches_keras() {
    let s = summaries::gan();
    assert_eq!(
        (s.total_params(), s.trainable_params(), s.non_trainable_params()),
        (1_078_146, 852_609, 225_537)
    );
}

#[test]
fn autoencoder_matches_keras() {
    let s = summaries::autoencoder();
    assert_eq!(s.total_params(), 4_385);
    let shapes: Vec<Vec<usize>> = s
        .rows
        .iter()
        .filter(|r| r.class == "Conv2D")
        .map(|r| r.output_shape.clone())
        .collect();
    assert_eq!(
        shapes,
        vec![
            vec![16, 28, 28],
            vec![8, 14, 14],
            vec![8, 4, 4],
            vec![8, 4, 4],
            vec![8, 8, 8],
            vec![16, 14, 14],
            vec![1, 28, 28]
        ]
    );
}

/// `gan.summary()` and `ae.summary()` print the tables of the models the trainers hold: the same
/// rows and counts as the lecture's `summary()` calls, in the lecture's order.
#[test]
fn trainers_summarise_the_models_they_hold() {
    let mnist = common::mnist();
    let gan = genlab::Gan::with_data(genlab::GanConfig::default(), mnist.clone()).unwrap();
    let held = gan.summary();
    assert_eq!(held.generator, summaries::generator());
    assert_eq!(held.discriminator, summaries::discriminator());
    assert_eq!(held.gan, summaries::gan());
    let text = held.to_string();
    assert_eq!(text.matches("Total params:").count(), 3, "{text}");
    assert!(text.contains("Total params: 1,078,146"), "{text}");
    let ae = genlab::Autoencoder::with_data(genlab::AutoencoderConfig::default(), mnist).unwrap();
    assert_eq!(ae.summary(), summaries::autoencoder());
}
