//! Training in a background thread: the caller goes on at once, looks at the model while it
//! trains, stops it with a checkpoint or waits for it, and gets the same model as in the
//! foreground.

mod common;

use genlab::train::CHECKPOINT_FILE;
use genlab::{Autoencoder, AutoencoderConfig, Gan, GanConfig};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn config(run_dir: Option<PathBuf>) -> GanConfig {
    GanConfig {
        seed: 12,
        log_every: 0,
        snapshot_every: 5,
        snapshot_images: 4,
        run_dir,
        ..GanConfig::default()
    }
}

#[test]
fn background_training_returns_at_once_and_ends_where_the_foreground_does() {
    let gan = Gan::with_data(config(None), common::mnist()).unwrap();
    let started = Instant::now();
    let training = gan.train_in_background(12);
    assert!(started.elapsed() < Duration::from_millis(500), "it returned at once");
    // Looking at it between units, while it trains.
    let mut seen = Vec::new();
    while training.is_running() {
        seen.push(training.peek(|g| g.iteration()));
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert!(seen.iter().any(|&i| i > 0 && i < 12), "it was seen mid-run: {seen:?}");
    let status = training.status();
    assert_eq!((status.done, status.target, status.running), (12, 12, false));
    assert!(status.to_string().starts_with("finished: iteration 12 of 12"), "{status}");
    assert!(training.snapshot_figure().unwrap().to_png(1.0).unwrap().len() > 1000);
    let background = training.wait().unwrap();

    let mut foreground = Gan::with_data(config(None), common::mnist()).unwrap();
    foreground.train(12).unwrap();
    assert_eq!(background.history(), foreground.history(), "the same curve as in the foreground");
    assert_eq!(background.config().log_every, 0);
}

#[test]
fn a_stopped_background_run_leaves_a_checkpoint_and_continues_the_same_curve() {
    let dir = common::temp_dir("background-stop");
    let gan = Gan::with_data(config(Some(dir.clone())), common::mnist()).unwrap();
    let training = gan.train_in_background(1000);
    while training.status().done < 3 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let line = training.status().to_string();
    assert!(line.starts_with("training: iteration ") && line.contains(" of 1000 "), "{line}");
    let gan = training.stop().unwrap();
    let stopped_at = gan.iteration();
    assert!((3..1000).contains(&stopped_at), "{stopped_at}");
    assert!(dir.join(CHECKPOINT_FILE).is_file());
    drop(gan);
    let resumed = Gan::resume(&dir).unwrap();
    assert_eq!(resumed.iteration(), stopped_at, "the checkpoint is the stop's");
    // Start again in the background from the resumed run, to a total.
    let gan = resumed.train_in_background(stopped_at + 4).wait().unwrap();
    let mut straight = Gan::with_data(config(None), common::mnist()).unwrap();
    straight.train(stopped_at + 4).unwrap();
    assert_eq!(gan.history(), straight.history());
}

#[test]
fn waiting_for_progress_returns_once_training_moved_on_or_ended() {
    let gan = Gan::with_data(config(None), common::mnist()).unwrap();
    let training = gan.train_in_background(6);
    let before = training.status();
    let after = training.wait_for_progress(2);
    assert!(after.done >= before.done + 2 || !after.running, "{before} / {after}");
    // Past the target it returns when the thread ends, with the final status.
    let end = training.wait_for_progress(100);
    assert_eq!((end.done, end.running), (6, false), "{end}");
    assert_eq!(training.wait().unwrap().iteration(), 6);
}

#[test]
fn dropping_a_background_run_stops_it_cleanly() {
    let dir = common::temp_dir("background-drop");
    let gan = Gan::with_data(config(Some(dir.clone())), common::mnist()).unwrap();
    let training = gan.train_in_background(1000);
    while training.status().done < 2 {
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(training);
    let resumed = Gan::resume(&dir).unwrap();
    assert!((2..1000).contains(&resumed.iteration()), "{}", resumed.iteration());
}

#[test]
fn an_autoencoder_fits_in_the_background_to_a_total_of_epochs() {
    let ae = Autoencoder::with_data(
        AutoencoderConfig {
            seed: 3,
            log_every: 0,
            train_images: Some(512),
            ..AutoencoderConfig::default()
        },
        common::mnist(),
    )
    .unwrap();
    let training = ae.fit_in_background(2).unwrap();
    let status = training.status();
    assert_eq!((status.unit, status.target), ("step", 8), "512 images are 4 steps of 128 per epoch");
    let ae = training.wait().unwrap();
    assert_eq!(ae.epoch(), 2);
    assert_eq!(ae.history().test_loss.len(), 2);
    // A total already reached trains nothing and hands the model back as it was.
    let again = ae.fit_in_background(1).unwrap();
    assert_eq!(again.status().target, 4);
    assert_eq!(again.wait().unwrap().epoch(), 2);
}
