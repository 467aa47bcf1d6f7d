//! The Keras-style summaries equal Keras' own tables for the lecture's code.

mod common;

use genlab::summaries;
use genlab::summary::Summary;

/// What Keras printed for one model: `tests/keras/summaries.json`, written by
/// `bench/keras_summaries.py` from the lecture's code run verbatim.
fn keras_table(model: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keras/summaries.json")).unwrap();
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    all[model].clone()
}

/// Every row of genlab's table against Keras': name, class, output shape (Keras' channels-last
/// turned channels-first), parameters and trainable parameters, in order; and the model's name.
fn assert_rows_are_keras(ours: &Summary, model: &str) {
    let keras = keras_table(model);
    assert_eq!(ours.name, keras["name"].as_str().unwrap(), "{model}'s name");
    let theirs = keras["rows"].as_array().unwrap();
    let names = |rows: Vec<String>| rows.join(", ");
    assert_eq!(
        names(ours.rows.iter().map(|r| format!("{} ({})", r.name, r.class)).collect()),
        names(
            theirs
                .iter()
                .map(|r| format!("{} ({})", r["name"].as_str().unwrap(), r["class"].as_str().unwrap()))
                .collect()
        ),
        "{model}'s rows"
    );
    for (row, k) in ours.rows.iter().zip(theirs) {
        let mut shape: Vec<usize> = k["output_shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        if shape.len() == 3 {
            shape.rotate_right(1);
        }
        assert_eq!(row.output_shape, shape, "{model} {}: output shape", row.name);
        assert_eq!(
            row.params() as u64,
            k["params"].as_u64().unwrap(),
            "{model} {}: parameters",
            row.name
        );
        assert_eq!(
            row.trainable as u64,
            k["trainable"].as_u64().unwrap(),
            "{model} {}: trainable",
            row.name
        );
    }
}

/// Rows, names, shapes and counts of all four models are the ones Keras prints for the lecture's
/// code, and the printed table shows each row as Keras does (`name (Class)`).
#[test]
fn every_row_is_the_one_keras_prints() {
    for (ours, model) in [
        (summaries::generator(), "generator"),
        (summaries::discriminator(), "discriminator"),
        (summaries::gan(), "gan"),
        (summaries::autoencoder(), "autoencoder"),
    ] {
        assert_rows_are_keras(&ours, model);
        let printed = ours.to_string();
        let keras = keras_table(model);
        for row in keras["rows"].as_array().unwrap() {
            let cell = format!("{} ({})", row["name"].as_str().unwrap(), row["class"].as_str().unwrap());
            assert!(
                keras["printed"].as_str().unwrap().contains(&cell),
                "the JSON's own table lists {cell}"
            );
            assert!(printed.contains(&cell), "{model}: {cell} missing from\n{printed}");
        }
    }
}

/// Two changes a student makes (256 filters in the generator, a third convolution block in the
/// discriminator), typed as a notebook cell writes them, give the rows Keras prints for the
/// lecture's code changed the same way (`bench/keras_summaries.py`: `variant_*`); and the
/// lecture's networks typed line by line give the lecture's rows.
#[test]
fn students_networks_have_the_rows_keras_prints_for_them() {
    use genlab::models::exercises::{Discriminator, Discriminator3, Generator, Generator256};
    let variants = summaries::gan_of::<Generator256, Discriminator3>();
    assert_rows_are_keras(&variants.generator, "variant_generator");
    assert_rows_are_keras(&variants.discriminator, "variant_discriminator");
    assert_rows_are_keras(&variants.gan, "variant_gan");
    let lecture = summaries::gan_of::<Generator, Discriminator>();
    assert_rows_are_keras(&lecture.generator, "generator");
    assert_rows_are_keras(&lecture.discriminator, "discriminator");
    assert_rows_are_keras(&lecture.gan, "gan");
    use genlab::models::exercises::{Decoder, Encoder};
    assert_rows_are_keras(&summaries::autoencoder_of::<(Encoder, Decoder)>(), "autoencoder");
}

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
