//! The GAN training techniques beyond the lecture: each off by default, each doing what its
//! documentation says, resumable; and the samples a run exports.

mod common;

use genlab::data::{read_idx, Scaling, IMAGES_MAGIC};
use genlab::optim::AdamConfig;
use genlab::train::SampleOutput;
use genlab::{Error, Gan, GanConfig, GanRecipe};

fn trained(config: GanConfig, iterations: u64) -> Gan {
    let mut gan = Gan::with_data(config, common::mnist()).unwrap();
    gan.train(iterations).unwrap();
    gan
}

#[test]
fn the_lecture_recipe_is_the_default_and_the_improved_one_differs_as_documented() {
    assert_eq!(GanRecipe::Lecture.config(), GanConfig::default());
    assert_eq!("lecture".parse::<GanRecipe>().unwrap(), GanRecipe::Lecture);
    let improved: GanRecipe = "improved".parse().unwrap();
    let c = improved.config();
    // The lecture's settings but for the weight average.
    assert_eq!(c.ema_decay, Some(0.999));
    assert_eq!(
        GanConfig {
            ema_decay: None,
            ..c.clone()
        },
        GanConfig::default()
    );
    assert_eq!(improved.iterations() * c.batch_size as u64, 320_000, "the ablation's budget");
    let err = "best".parse::<GanRecipe>().unwrap_err();
    assert!(err.to_string().contains("`lecture`"), "{err}");
}

#[test]
fn bad_technique_settings_are_clear_errors() {
    for (bad, says) in [
        (
            GanConfig {
                label_smoothing: 0.5,
                ..common::gan_config(0, None)
            },
            "label_smoothing is 0.5",
        ),
        (
            GanConfig {
                label_smoothing: -0.1,
                ..common::gan_config(0, None)
            },
            "label_smoothing is -0.1",
        ),
        (
            GanConfig {
                ema_decay: Some(1.0),
                ..common::gan_config(0, None)
            },
            "ema_decay is 1",
        ),
        (
            GanConfig {
                ema_decay: Some(f32::NAN),
                ..common::gan_config(0, None)
            },
            "ema_decay is NaN",
        ),
        (
            GanConfig {
                discriminator_adam: Some(AdamConfig {
                    learning_rate: 0.0,
                    ..AdamConfig::default()
                }),
                ..common::gan_config(0, None)
            },
            "learning rate",
        ),
    ] {
        let err = Gan::with_data(bad, common::mnist()).err().expect("refused");
        assert!(matches!(err, Error::InvalidArgument(_)) && err.to_string().contains(says), "{err}");
    }
}

#[test]
fn the_weight_average_leaves_training_alone_and_is_what_samples() {
    let mut plain = trained(common::gan_config(3, None), 6);
    let mut averaged = trained(
        GanConfig {
            ema_decay: Some(0.9),
            ..common::gan_config(3, None)
        },
        6,
    );
    let (p, a) = (plain.history().clone(), averaged.history().clone());
    assert_eq!(
        (&p.d_loss_real, &p.d_loss_fake, &p.g_loss),
        (&a.d_loss_real, &a.d_loss_fake, &a.g_loss)
    );
    // The trained generators are the same; the sampling one is the average.
    let noise = vec![0.5f32; 100];
    let trained_digits = plain.generate_from(&noise).unwrap();
    assert_eq!(plain.generator_predict(&noise).unwrap(), trained_digits);
    assert_eq!(averaged.generator_predict(&noise).unwrap(), trained_digits);
    assert_ne!(averaged.generate_from(&noise).unwrap(), trained_digits);
    assert_ne!(a.snapshots[2].images, p.snapshots[2].images);
    assert!(averaged.generate(3, 1).unwrap().iter().all(|v| (-1.0..=1.0).contains(v)));
}

#[test]
fn one_sided_label_smoothing_keeps_the_real_loss_above_the_targets_entropy() {
    let smoothed = trained(
        GanConfig {
            label_smoothing: 0.2,
            ..common::gan_config(5, None)
        },
        30,
    );
    let plain = trained(common::gan_config(5, None), 30);
    // BCE against target 0.8 is at least its entropy, H(0.8) = 0.500; hard labels go lower.
    let entropy = -(0.8f32 * 0.8f32.ln() + 0.2 * 0.2f32.ln());
    let lowest = |v: &[f32]| v.iter().copied().fold(f32::INFINITY, f32::min);
    assert!(
        lowest(&smoothed.history().d_loss_real) >= entropy - 1e-4,
        "{:?}",
        smoothed.history().d_loss_real
    );
    assert!(lowest(&plain.history().d_loss_real) < entropy, "{:?}", plain.history().d_loss_real);
}

#[test]
fn the_discriminator_can_have_its_own_adam() {
    let losses = |discriminator_adam| {
        trained(
            GanConfig {
                discriminator_adam,
                ..common::gan_config(6, None)
            },
            4,
        )
        .history()
        .clone()
    };
    let plain = losses(None);
    assert_eq!(losses(Some(AdamConfig::default())), plain, "the same settings given twice");
    let ttur = losses(Some(AdamConfig::ttur_discriminator()));
    assert_eq!(ttur.d_loss_real[0], plain.d_loss_real[0], "the first loss comes before any update");
    assert_ne!(ttur.d_loss_fake, plain.d_loss_fake);
}

#[test]
fn a_run_with_every_technique_resumes_the_same_curve() {
    let every = |run_dir| GanConfig {
        batch_size: 16,
        adam: AdamConfig::dcgan(),
        discriminator_adam: Some(AdamConfig::ttur_discriminator()),
        label_smoothing: 0.1,
        ema_decay: Some(0.95),
        ..common::gan_config(7, run_dir)
    };
    let dir = common::temp_dir("techniques-resume");
    drop(trained(every(Some(dir.clone())), 3));
    let mut resumed = Gan::resume(&dir).unwrap();
    assert_eq!(resumed.config().ema_decay, Some(0.95));
    resumed.train(3).unwrap();
    let straight = trained(every(None), 6);
    assert_eq!(resumed.history(), straight.history());
    assert_eq!(resumed.generate(2, 1).unwrap(), straight.generate(2, 1).unwrap());
}

#[test]
fn samples_export_as_idx_bytes_or_pngs_of_the_sampling_generator() {
    let gan = trained(
        GanConfig {
            ema_decay: Some(0.9),
            ..common::gan_config(8, None)
        },
        2,
    );
    let dir = common::temp_dir("samples");
    let idx = dir.join("digits.idx");
    let written = gan.save_samples(&SampleOutput::from_path(&idx).unwrap(), 7, 3).unwrap();
    assert_eq!(written, vec![idx.clone()]);
    let read = read_idx(&idx, IMAGES_MAGIC).unwrap();
    assert_eq!(read.dims, vec![7, 28, 28]);
    let expected: Vec<u8> = gan.generate(7, 3).unwrap().iter().map(|&v| Scaling::Symmetric.to_byte(v)).collect();
    assert_eq!(read.data, expected, "the same digits as generate(n, seed)");
    assert!(read.data.iter().any(|&b| b > 128) && read.data.iter().any(|&b| b < 128));

    let pngs = dir.join("pngs");
    let written = gan.save_samples(&SampleOutput::from_path(&pngs).unwrap(), 2, 3).unwrap();
    assert_eq!(written, vec![pngs.join("sample_00000.png"), pngs.join("sample_00001.png")]);
    let png = std::fs::read(&written[1]).unwrap();
    let mut reader = png::Decoder::new(png.as_slice()).read_info().unwrap();
    let mut rgb = vec![0; reader.output_buffer_size()];
    reader.next_frame(&mut rgb).unwrap();
    assert_eq!((reader.info().width, reader.info().height), (28, 28));
    let grey: Vec<u8> = rgb.chunks(3).map(|p| p[0]).collect();
    assert_eq!(grey, expected[784..2 * 784]);

    // A mistyped path replaces nothing; bad counts are errors.
    let text = dir.join("notes.txt");
    std::fs::write(&text, "keep me").unwrap();
    assert!(SampleOutput::from_path(&text).unwrap_err().to_string().contains("not an IDX file"));
    assert_eq!(std::fs::read_to_string(&text).unwrap(), "keep me");
    assert!(SampleOutput::from_path(&pngs.join("x.idx")).is_ok());
    assert!(gan.save_samples(&SampleOutput::Pngs(dir.join("none")), 0, 1).is_err());
}

#[test]
fn bytes_round_trip_through_the_scaling() {
    for b in 0..=255u8 {
        for s in [Scaling::Symmetric, Scaling::Unit] {
            assert_eq!(s.to_byte(s.apply(b)), b);
        }
    }
    assert_eq!((Scaling::Symmetric.to_byte(7.0), Scaling::Symmetric.to_byte(-7.0)), (255, 0));
    assert_eq!(Scaling::Unit.to_byte(f32::NAN), 0);
}

/// Sampling-time selection's scores: one per candidate, the same for the same seed; the mean
/// over dropout masks differs from inference mode (the masks are on), the Jacobian estimate is
/// positive; `genlab candidates` writes them with the judge's verdict, one row per candidate.
#[test]
fn candidates_carry_their_selection_scores() {
    let mut gan = Gan::with_data(common::gan_config(5, None), common::mnist()).unwrap();
    gan.train(3).unwrap();
    let found = gan.candidates(40, 7, 4, 2).unwrap();
    assert_eq!(found.images.len(), 40 * 784);
    assert_eq!(
        (found.d_logit.len(), found.d_logit_dropout.len(), found.jacobian.len()),
        (40, 40, 40)
    );
    assert_eq!(found, gan.candidates(40, 7, 4, 2).unwrap());
    assert_eq!(
        found.images,
        gan.generate(40, 7).unwrap(),
        "the candidates are the digits generate draws"
    );
    assert_ne!(found.d_logit, found.d_logit_dropout);
    assert!(found.jacobian.iter().all(|j| j.is_finite() && *j > 0.0), "{:?}", found.jacobian);
    let plain = gan.candidates(40, 7, 0, 0).unwrap();
    assert_eq!(plain.d_logit, found.d_logit);
    assert!(plain.d_logit_dropout.is_empty() && plain.jacobian.is_empty());
    assert!(gan.candidates(0, 7, 0, 0).is_err());
}

/// Discriminator rejection sampling: with `selection` 0.5, the 20 digits generated are the 20 of
/// the 40 candidates the discriminator rates most real, in the order drawn; sample export keeps the
/// same; keeping every candidate changes nothing; a share outside (0.05, 1] is refused.
#[test]
fn selection_keeps_the_candidates_the_discriminator_rates_most_real() {
    let mut gan = Gan::with_data(common::gan_config(6, None), common::mnist()).unwrap();
    gan.train(3).unwrap();
    let plain = gan.generate(20, 9).unwrap();
    let found = gan.candidates(40, 9, 0, 0).unwrap();
    gan.set_selection(Some(0.5)).unwrap();
    let selected = gan.generate(20, 9).unwrap();
    let mut best: Vec<usize> = (0..40).collect();
    best.sort_by(|&a, &b| found.d_logit[b].total_cmp(&found.d_logit[a]));
    best.truncate(20);
    best.sort_unstable();
    let expected: Vec<f32> = best.iter().flat_map(|&k| found.images[k * 784..(k + 1) * 784].to_vec()).collect();
    assert_eq!(selected, expected);
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let kept_logits: Vec<f32> = best.iter().map(|&k| found.d_logit[k]).collect();
    assert!(mean(&kept_logits) > mean(&found.d_logit));
    let bytes = gan.sample_bytes(20, 9).unwrap();
    let as_bytes: Vec<u8> = selected.iter().map(|&v| Scaling::Symmetric.to_byte(v)).collect();
    assert_eq!(bytes, as_bytes);
    gan.set_selection(Some(1.0)).unwrap();
    assert_eq!(gan.generate(20, 9).unwrap(), plain);
    for bad in [0.0, 0.01, 1.5, f32::NAN] {
        assert!(matches!(gan.set_selection(Some(bad)), Err(Error::InvalidArgument(_))), "{bad}");
    }
}
