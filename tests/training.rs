//! Training on real MNIST: losses fall, runs repeat under a seed, checkpoints resume exactly.

mod common;

use genlab::train::{Outcome, CHECKPOINT_FILE};
use genlab::{Autoencoder, AutoencoderConfig, Error, Gan, GanConfig};
use std::path::PathBuf;

fn ae_config(seed: u64, run_dir: Option<PathBuf>) -> AutoencoderConfig {
    AutoencoderConfig {
        seed,
        log_every: 0,
        run_dir,
        ..AutoencoderConfig::default()
    }
}

#[test]
fn autoencoder_test_loss_falls_on_real_mnist() {
    let mut ae = Autoencoder::with_data(ae_config(1, None), common::mnist()).unwrap();
    let before = ae.evaluate(&common::mnist().test).unwrap();
    ae.fit_steps(80).unwrap();
    let after = ae.evaluate(&common::mnist().test).unwrap();
    assert!(
        before > 0.6,
        "an untrained autoencoder should be near chance (BCE ~0.69), got {before}"
    );
    assert!(
        after < before - 0.2,
        "test BCE should fall well below its start: {before} -> {after}"
    );
    let (orig, rec) = ae.reconstruct_test(&[0, 1, 2]).unwrap();
    assert_eq!(orig.len(), 3 * 784);
    assert!(rec.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn gan_trains_with_finite_losses_and_a_discriminator_that_learns() {
    let mut gan = Gan::with_data(common::gan_config(0, None), common::mnist()).unwrap();
    assert_eq!(gan.train(30).unwrap(), Outcome::Finished);
    let h = gan.history();
    assert_eq!(h.g_loss.len(), 30);
    assert!(h.d_loss_real.iter().chain(&h.d_loss_fake).chain(&h.g_loss).all(|l| l.is_finite()));
    let late_real: f32 = h.d_loss_real[20..].iter().sum::<f32>() / 10.0;
    assert!(
        late_real < std::f32::consts::LN_2,
        "D's loss on real images should fall below ln 2, got {late_real}"
    );
    assert_eq!(
        h.snapshots.iter().map(|s| s.iteration).collect::<Vec<_>>(),
        (0..30).step_by(2).collect::<Vec<u64>>()
    );
    let imgs = gan.generate(3, 9).unwrap();
    assert!(imgs.iter().all(|v| (-1.0..=1.0).contains(v)));
    let p = gan.discriminate(&imgs).unwrap();
    assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn the_same_seed_gives_the_same_losses_bit_for_bit() {
    let run = |seed| {
        let mut gan = Gan::with_data(common::gan_config(seed, None), common::mnist()).unwrap();
        gan.train(4).unwrap();
        gan.history().clone()
    };
    let (a, b, c) = (run(5), run(5), run(6));
    assert_eq!(a, b);
    assert_ne!(a.g_loss, c.g_loss);
    let ae = |seed| {
        let mut ae = Autoencoder::with_data(ae_config(seed, None), common::mnist()).unwrap();
        (0..3)
            .map(|_| {
                ae.fit_steps(1).unwrap();
                ae.evaluate(&common::mnist().test).unwrap().to_bits()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(ae(2), ae(2));
}

#[test]
fn a_resumed_gan_continues_the_same_curve() {
    let dir = common::temp_dir("gan-resume");
    let mut first = Gan::with_data(common::gan_config(11, Some(dir.clone())), common::mnist()).unwrap();
    first.train(3).unwrap();
    drop(first);
    let mut resumed = Gan::resume(&dir).unwrap();
    assert_eq!(resumed.iteration(), 3);
    resumed.train(3).unwrap();
    let mut straight = Gan::with_data(common::gan_config(11, None), common::mnist()).unwrap();
    straight.train(6).unwrap();
    assert_eq!(resumed.history(), straight.history());
    assert_eq!(resumed.generate(2, 1).unwrap(), straight.generate(2, 1).unwrap());
}

#[test]
fn a_resumed_autoencoder_continues_mid_epoch() {
    let dir = common::temp_dir("ae-resume");
    let mut first = Autoencoder::with_data(ae_config(4, Some(dir.clone())), common::mnist()).unwrap();
    let stop = first.stop_flag();
    first.fit_steps(3).unwrap();
    stop.raise();
    assert_eq!(
        first.fit_steps(10).unwrap(),
        Outcome::Stopped,
        "a raised flag stops before the next step"
    );
    drop(first);
    let mut resumed = Autoencoder::resume(&dir).unwrap();
    resumed.fit_steps(3).unwrap();
    let mut straight = Autoencoder::with_data(ae_config(4, None), common::mnist()).unwrap();
    straight.fit_steps(6).unwrap();
    let (_, a) = resumed.reconstruct_test(&[5, 6]).unwrap();
    let (_, b) = straight.reconstruct_test(&[5, 6]).unwrap();
    assert_eq!(a, b);
}

#[test]
fn wrong_or_damaged_checkpoints_are_clear_errors() {
    let ae_dir = common::temp_dir("ckpt-ae");
    let mut ae = Autoencoder::with_data(ae_config(0, Some(ae_dir.clone())), common::mnist()).unwrap();
    ae.fit_steps(1).unwrap();
    ae.save_checkpoint().unwrap();
    let err = Gan::resume(&ae_dir).err().expect("an autoencoder checkpoint is no GAN");
    assert!(
        matches!(err, Error::Checkpoint { .. }) && err.to_string().contains("not a GAN"),
        "{err}"
    );

    let empty = common::temp_dir("ckpt-none");
    let err = Gan::resume(&empty).err().unwrap();
    assert!(err.to_string().contains(CHECKPOINT_FILE), "{err}");

    let damaged = common::temp_dir("ckpt-damaged");
    std::fs::write(damaged.join(CHECKPOINT_FILE), b"\x10\x00\x00\x00\x00\x00\x00\x00{not json").unwrap();
    let err = Autoencoder::resume(&damaged).err().unwrap();
    assert!(matches!(err, Error::Checkpoint { .. }), "{err}");
}

#[test]
fn invalid_settings_are_errors_not_panics() {
    let err = Gan::with_data(
        GanConfig {
            batch_size: 0,
            ..GanConfig::default()
        },
        common::mnist(),
    )
    .err()
    .unwrap();
    assert!(matches!(err, Error::InvalidArgument(_)));
    let ae = Autoencoder::with_data(ae_config(0, None), common::mnist()).unwrap();
    assert!(ae.reconstruct(&[0.0; 100]).is_err());
    assert!(ae.reconstruct_test(&[10_000]).is_err());
}

#[test]
fn a_denoising_autoencoder_cleans_noisy_digits() {
    let mnist = common::mnist();
    let mut ae = Autoencoder::with_data(
        AutoencoderConfig {
            noise_factor: 0.5,
            ..ae_config(3, None)
        },
        mnist.clone(),
    )
    .unwrap();
    let before = ae.evaluate(&mnist.test).unwrap();
    ae.fit_steps(80).unwrap();
    let after = ae.evaluate(&mnist.test).unwrap();
    assert!(after < before - 0.15, "noisy-to-clean test BCE should fall: {before} -> {after}");
    let fig = ae.denoise_figure(4, 0.5, 1).unwrap();
    assert!(fig.to_svg().unwrap().contains("cleaned"));
}

#[test]
fn a_latent_walk_runs_between_two_noise_vectors() {
    let gan = Gan::with_data(common::gan_config(2, None), common::mnist()).unwrap();
    let walk = gan.latent_walk(2, 5, 7).unwrap();
    assert_eq!(walk.len(), 2 * 5 * 784);
    let again = gan.latent_walk(2, 5, 7).unwrap();
    assert_eq!(walk, again, "seeded");
    // consecutive steps differ less than the two ends of a walk
    let diff = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>();
    let img = |k: usize| &walk[k * 784..(k + 1) * 784];
    assert!(diff(img(0), img(1)) < diff(img(0), img(4)));
    assert!(gan.latent_walk(0, 5, 7).is_err() && gan.generate_from(&[0.0; 99]).is_err());
}

/// `train_images: Some(n)` trains on the first `n` training images: the same run as on a data
/// set that has only those.
#[test]
fn train_images_means_the_first_n_images() {
    let n = 300;
    let full = common::mnist();
    let mut first_n = (*full).clone();
    first_n.train.images.truncate(n * genlab::data::PIXELS);
    first_n.train.labels.truncate(n);
    let config = AutoencoderConfig {
        batch_size: 100,
        train_images: Some(n),
        ..ae_config(5, None)
    };
    let mut limited = Autoencoder::with_data(config.clone(), full).unwrap();
    let mut truncated = Autoencoder::with_data(config, std::sync::Arc::new(first_n)).unwrap();
    assert_eq!(limited.steps_per_epoch(), 3);
    limited.fit_steps(3).unwrap();
    truncated.fit_steps(3).unwrap();
    assert_eq!(
        limited.reconstruct_test(&[0, 1]).unwrap(),
        truncated.reconstruct_test(&[0, 1]).unwrap()
    );
}

/// A diverging trainer stops with [`Error::Diverged`] before the bad loss enters its history,
/// and its run directory keeps the last good checkpoint.
#[test]
fn a_diverging_autoencoder_stops_and_keeps_its_checkpoint() {
    let dir = common::temp_dir("diverge-ae");
    let mut ae = Autoencoder::with_data(ae_config(2, Some(dir.clone())), common::mnist()).unwrap();
    ae.fit_steps(2).unwrap();
    ae.save_checkpoint().unwrap();
    let good = std::fs::read(dir.join(CHECKPOINT_FILE)).unwrap();
    // A learning rate no network survives.
    let mut store = genlab::train::TensorStore::load(&dir.join(CHECKPOINT_FILE)).unwrap();
    let mut state: serde_json::Value = serde_json::from_str(&store.state).unwrap();
    state["config"]["adam"]["learning_rate"] = serde_json::json!(1e30);
    store.state = state.to_string();
    drop(ae);
    store.save(&dir.join(CHECKPOINT_FILE)).unwrap();
    let edited = std::fs::read(dir.join(CHECKPOINT_FILE)).unwrap();
    let mut ae = Autoencoder::resume(&dir).unwrap();
    let err = ae.fit(2).err().expect("a learning rate of 1e30 diverges");
    assert!(
        matches!(err, Error::Diverged { .. }) && err.to_string().contains("not overwritten"),
        "{err}"
    );
    assert!(ae.history().train_loss.iter().all(|v| v.is_finite()));
    assert_eq!(std::fs::read(dir.join(CHECKPOINT_FILE)).unwrap(), edited);
    assert_ne!(good, edited);
}

/// `Gan::new` with a run directory that holds a run is refused; `start_over` replaces it.
#[test]
fn new_refuses_an_existing_run_and_start_over_replaces_it() {
    let dir = common::temp_dir("start-over");
    let mut gan = Gan::with_data(common::gan_config(1, Some(dir.clone())), common::mnist()).unwrap();
    gan.train(1).unwrap();
    drop(gan);
    let err = Gan::with_data(common::gan_config(1, Some(dir.clone())), common::mnist())
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::RunExists { .. }) && err.to_string().contains("start_over"),
        "{err}"
    );
    let gan = Gan::start_over(common::gan_config(1, Some(dir.clone()))).unwrap();
    assert_eq!(gan.iteration(), 0);
    assert!(!dir.join(CHECKPOINT_FILE).exists(), "the old checkpoint is gone");
}

/// `train_until(n)` and `fit_until(n)` reach a total, so re-running a notebook cell after a
/// resume finishes the run instead of adding to it; past the total they train nothing.
#[test]
fn until_means_a_total_even_after_a_resume() {
    let dir = common::temp_dir("until-gan");
    let mut gan = Gan::with_data(common::gan_config(0, Some(dir.clone())), common::mnist()).unwrap();
    gan.train_until(3).unwrap();
    drop(gan);
    let mut gan = Gan::resume(&dir).unwrap();
    assert_eq!(gan.iteration(), 3);
    gan.train_until(5).unwrap();
    gan.train_until(4).unwrap();
    assert_eq!((gan.iteration(), gan.history().g_loss.len()), (5, 5));

    let config = AutoencoderConfig {
        batch_size: 100,
        train_images: Some(200),
        ..ae_config(0, None)
    };
    let mut ae = Autoencoder::with_data(config, common::mnist()).unwrap();
    ae.fit_steps(1).unwrap();
    ae.fit_until(2).unwrap();
    assert_eq!((ae.epoch(), ae.steps_done()), (2, 4), "the partly trained epoch counts");
    ae.fit_until(1).unwrap();
    assert_eq!(ae.epoch(), 2);
}

/// The autoencoder keeps its snapshot digits' reconstructions after every epoch (different
/// digits, checkpointed), and `progression_figure(&[1, 2])` shows them in one figure.
#[test]
fn the_autoencoder_progression_shows_distinct_digits_after_each_epoch() {
    let dir = common::temp_dir("ae-progression");
    let config = AutoencoderConfig {
        batch_size: 100,
        train_images: Some(200),
        run_dir: Some(dir.clone()),
        ..ae_config(0, None)
    };
    let mut ae = Autoencoder::with_data(config, common::mnist()).unwrap();
    ae.fit_until(2).unwrap();
    let picks = ae.snapshot_indices();
    let mut digits: Vec<u8> = picks.iter().map(|&i| common::mnist().test.labels[i]).collect();
    digits.sort();
    digits.dedup();
    assert_eq!((picks.len(), digits.len()), (5, 5), "five test images of five digits");
    let history = ae.history().clone();
    assert_eq!(history.snapshots.len(), 2);
    assert_ne!(history.snapshots[0], history.snapshots[1], "the second epoch changes them");
    let (_, now) = ae.reconstruct_test(&picks).unwrap();
    assert_eq!(history.snapshots[1], now, "the last snapshot is the model's own output");
    drop(ae);
    let ae = Autoencoder::resume(&dir).unwrap();
    assert_eq!(ae.history(), &history);
    let (w, h) = ae.progression_figure(&[1, 2]).unwrap().size();
    let (w1, h1) = ae.progression_figure(&[2]).unwrap().size();
    assert!(w == w1 && h > h1, "a row per epoch: {w}x{h} vs {w1}x{h1}");
    for bad in [&[3][..], &[0], &[]] {
        assert!(matches!(ae.progression_figure(bad), Err(Error::InvalidArgument(_))), "{bad:?}");
    }
    // The code h of the lecture's encoder: 8 channels of 4x4 per image, ReLU outputs.
    let (shape, code) = ae.encode(&ae.mnist().test.pixels(&picks, genlab::data::Scaling::Unit)).unwrap();
    assert_eq!((shape, code.len()), (vec![8, 4, 4], 5 * 128));
    assert!(code.iter().all(|v| *v >= 0.0) && code.iter().any(|v| *v > 0.0));
    // Its figure: the images, a row per channel, the reconstructions (12 rows), not blank.
    let figure = ae.code_figure().unwrap();
    let (w, h) = figure.size();
    assert!(2 * h > 3 * w, "12 rows of 5: {w}x{h}");
    let svg = figure.to_svg().unwrap();
    assert!(svg.contains("8×4×4 = 128") && svg.contains("channel 8"), "{svg}");
}

/// The training GIF is a GIF with one frame per snapshot, shown inline as `image/gif`.
#[test]
fn the_training_gif_has_a_frame_per_snapshot() {
    let mut gan = Gan::with_data(common::gan_config(0, None), common::mnist()).unwrap();
    gan.train(4).unwrap();
    let gif = gan.training_gif().unwrap();
    let mut decoder = gif::DecodeOptions::new().read_info(gif.bytes()).unwrap();
    let mut frames = 0;
    while decoder.read_next_frame().unwrap().is_some() {
        frames += 1;
    }
    assert_eq!(frames, gan.history().snapshots.len());
    let (part, whole) = (gan.progression_figure_in(2, 2..=4).unwrap(), gan.progression_figure(2).unwrap());
    assert!(
        part.size().0 < whole.size().0,
        "2 of 3 panels: {:?} vs {:?}",
        part.size(),
        whole.size()
    );
    assert!(gan.progression_figure_in(2, 6..=8).is_err());
    // The lecture's split: named iterations, in the given order; four panels two by two.
    let two = gan.progression_figure_at(&[0, 2]).unwrap();
    let four = gan.progression_figure_at(&[0, 2, 2, 0]).unwrap();
    assert!(
        four.size().0 == two.size().0 && four.size().1 > two.size().1,
        "{:?} {:?}",
        two.size(),
        four.size()
    );
    let svg = gan.real_and_generated_figure(4, 1).unwrap().to_svg().unwrap();
    assert!(svg.contains("real (MNIST)") && svg.contains("generated (iteration 4)"), "{svg}");
    let err = gan.progression_figure_at(&[0, 3]).unwrap_err().to_string();
    assert!(err.contains("no snapshot at iteration 3") && err.contains("every 2"), "{err}");
}

/// D(x) and D(G(z)) are recorded per iteration, as the loop call by call returns them, and
/// drawn against the 0.5 line.
#[test]
fn the_history_keeps_d_x_and_d_g_z_of_every_iteration() {
    let mut gan = Gan::with_data(common::gan_config(3, None), common::mnist()).unwrap();
    let mut by_hand = Gan::with_data(common::gan_config(3, None), common::mnist()).unwrap();
    gan.train(3).unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (real, noise) = by_hand.batch().unwrap();
        let fake = by_hand.generator_predict(&noise).unwrap();
        let (_, d_x) = by_hand.discriminator_train_on_batch(&real, 1.0).unwrap();
        by_hand.discriminator_train_on_batch(&fake, 0.0).unwrap();
        let (_, d_g_z) = by_hand.train_on_batch(&noise, 1.0).unwrap();
        seen.push((d_x, d_g_z));
    }
    let h = gan.history();
    assert_eq!((h.d_real.len(), h.d_fake.len()), (3, 3));
    assert_eq!(h.d_real.iter().copied().zip(h.d_fake.iter().copied()).collect::<Vec<_>>(), seen);
    assert!(h.d_real.iter().chain(&h.d_fake).all(|p| (0.0..=1.0).contains(p)));
    let svg = gan.probability_figure().unwrap().to_svg().unwrap();
    assert!(svg.contains("D(x)") && svg.contains("D(G(z))"), "{svg}");
    let fresh = Gan::with_data(common::gan_config(3, None), common::mnist()).unwrap();
    assert!(matches!(fresh.probability_figure(), Err(Error::InvalidArgument(_))));
    // Runs without a judge cannot be compared by their scores, and the error says what to set.
    let err = Gan::score_comparison(&[("a", &gan)]).unwrap_err().to_string();
    assert!(err.contains("`a`") && err.contains("judge_samples"), "{err}");
}
