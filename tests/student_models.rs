//! Models written as a student writes them in a notebook cell (`genlab::models::exercises`) train,
//! summarise, checkpoint and resume as the lecture's built-in ones (`genlab::models`), which stay
//! the reference: the lecture's networks typed line by line give the built-in ones' losses bit
//! for bit, and changed networks run everything the lecture's do.

mod common;

use genlab::models::exercises::{Decoder, Discriminator, Discriminator3, Encoder, Encoder32, Generator, Generator256};
use genlab::{Autoencoder, AutoencoderConfig, Error, Gan};

fn ae_config(run_dir: Option<std::path::PathBuf>) -> AutoencoderConfig {
    AutoencoderConfig {
        seed: 3,
        log_every: 0,
        snapshot_images: 4,
        train_images: Some(1024),
        run_dir,
        ..AutoencoderConfig::default()
    }
}

#[test]
fn the_lectures_gan_typed_line_by_line_trains_as_the_built_in_one_bit_for_bit() {
    let mnist = common::mnist();
    let mut built_in = Gan::with_data(common::gan_config(7, None), mnist.clone()).unwrap();
    let mut typed = Gan::with_networks::<Generator, Discriminator>()
        .start_with_data(common::gan_config(7, None), mnist)
        .unwrap();
    built_in.train(5).unwrap();
    typed.train(5).unwrap();
    assert_eq!(typed.history(), built_in.history(), "losses and snapshots");
    assert_eq!(typed.generate(3, 1).unwrap(), built_in.generate(3, 1).unwrap());
    assert_eq!(typed.summary(), built_in.summary(), "Keras' rows and counts");
}

/// A run of the lecture's networks typed line by line (notebook 01's, grouped differently from
/// `genlab::models`) is read by `Gan::load_checkpoint` and by the command line's `score` and
/// `export`, as the notebooks tell students; other networks still are not.
#[test]
fn a_notebook_run_of_the_lectures_networks_is_read_as_the_lectures() {
    let dir = common::temp_dir("student-typed-load");
    let mut typed = Gan::with_networks::<Generator, Discriminator>()
        .start_with_data(common::gan_config(4, Some(dir.clone())), common::mnist())
        .unwrap();
    typed.train(3).unwrap();
    let images = typed.generate(2, 0).unwrap();
    drop(typed);
    let checkpoint = dir.join(genlab::train::CHECKPOINT_FILE);
    let loaded = Gan::load_checkpoint(&checkpoint).unwrap();
    assert_eq!((loaded.iteration(), loaded.generate(2, 0).unwrap()), (3, images));
    let out = common::run(&["score", dir.to_str().unwrap(), "--samples", "50"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let figures = common::temp_dir("student-typed-export");
    let out = common::run(&["export", dir.to_str().unwrap(), "--out", figures.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(figures.join("losses.png").is_file());

    let ae_dir = common::temp_dir("student-typed-ae-load");
    let mut ae = Autoencoder::with_networks::<Encoder, Decoder>()
        .start_with_data(ae_config(Some(ae_dir.clone())), common::mnist())
        .unwrap();
    ae.fit(1).unwrap();
    drop(ae);
    assert_eq!(
        Autoencoder::load_checkpoint(ae_dir.join(genlab::train::CHECKPOINT_FILE))
            .unwrap()
            .epoch(),
        1
    );
}

#[test]
fn the_lectures_loop_written_out_is_a_step_bit_for_bit() {
    let mnist = common::mnist();
    let mut stepped = Gan::with_data(common::gan_config(2, None), mnist.clone()).unwrap();
    let mut written = Gan::with_networks::<Generator, Discriminator>()
        .start_with_data(common::gan_config(2, None), mnist)
        .unwrap();
    for _ in 0..3 {
        let (real, fake, g) = stepped.step().unwrap();
        let (images, noise) = written.batch().unwrap();
        assert_eq!((images.len(), noise.len()), (32 * 784, 32 * 100));
        let generated = written.generator_predict(&noise).unwrap();
        let (d_loss_real, d_x) = written.discriminator_train_on_batch(&images, 1.0).unwrap();
        let (d_loss_fake, d_g_z) = written.discriminator_train_on_batch(&generated, 0.0).unwrap();
        let (g_loss, d_g_z_frozen) = written.train_on_batch(&noise, 1.0).unwrap();
        assert_eq!((d_loss_real, d_loss_fake, g_loss), (real, fake, g));
        for p in [d_x, d_g_z, d_g_z_frozen] {
            assert!((0.0..=1.0).contains(&p), "{p} is a probability");
        }
    }
    assert_eq!(written.history(), stepped.history());
    // The generator's update ends an iteration: without the discriminator's two, it is refused.
    let (_, noise) = written.batch().unwrap();
    let err = written.train_on_batch(&noise, 1.0).unwrap_err().to_string();
    assert!(err.contains("discriminator_train_on_batch"), "{err}");
    assert_eq!(written.iteration(), 3);
}

#[test]
fn the_lectures_autoencoder_typed_line_by_line_trains_as_the_built_in_one_bit_for_bit() {
    let mnist = common::mnist();
    let mut built_in = Autoencoder::with_data(ae_config(None), mnist.clone()).unwrap();
    let mut typed = Autoencoder::with_networks::<Encoder, Decoder>()
        .start_with_data(ae_config(None), mnist)
        .unwrap();
    built_in.fit(1).unwrap();
    typed.fit(1).unwrap();
    assert_eq!(typed.history(), built_in.history());
    assert_eq!(typed.summary(), built_in.summary());
}

/// 256 filters in the generator and a third convolution in the discriminator: summary, training,
/// checkpoint, resume, and a checkpoint of other networks refused with the tensor that does not fit.
#[test]
fn a_changed_gan_summarises_trains_checkpoints_and_resumes() {
    let dir = common::temp_dir("student-gan");
    let networks = || Gan::with_networks::<Generator256, Discriminator3>();
    let mut gan = networks()
        .start_with_data(common::gan_config(5, Some(dir.clone())), common::mnist())
        .unwrap();
    let summary = gan.summary();
    // Dense 100x12544 + 12544, BatchNormalization 4 x 12544, Conv2D 256x64x5x5 + 64, ...
    assert_eq!(summary.generator.total_params(), 1_266_944 + 50_176 + 409_664 + 256 + 1_601);
    gan.train(4).unwrap();
    assert!(gan.history().g_loss.iter().all(|l| l.is_finite()));
    assert!(gan.generate(2, 0).unwrap().iter().all(|v| (-1.0..=1.0).contains(v)));
    let losses = gan.history().clone();
    drop(gan);

    let mut resumed = networks().resume(&dir).unwrap();
    assert_eq!(resumed.history(), &losses);
    resumed.train(2).unwrap();
    assert_eq!(resumed.iteration(), 6);
    let mut straight = networks().start_with_data(common::gan_config(5, None), common::mnist()).unwrap();
    straight.train(6).unwrap();
    assert_eq!(
        resumed.history().g_loss,
        straight.history().g_loss,
        "the resumed run continues the same curve"
    );
    drop(resumed);

    // The lecture's networks cannot load it: the error names the tensor and both shapes.
    let err = Gan::resume(&dir).err().unwrap();
    assert!(matches!(err, Error::Checkpoint { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("generator.0.0.weight") && text.contains("12544") && text.contains("6272"),
        "{text}"
    );
    // Nor can a checkpoint with more tensors than the networks hold.
    let err = Gan::with_networks::<Generator256, Discriminator>()
        .resume(&dir)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("discriminator"), "{err}");
}

#[test]
fn a_changed_autoencoder_trains_and_resumes() {
    let dir = common::temp_dir("student-ae");
    let networks = || Autoencoder::with_networks::<Encoder32, Decoder>();
    let mut ae = networks().start_with_data(ae_config(Some(dir.clone())), common::mnist()).unwrap();
    // The first two convolutions grow from 160 and 1,160 parameters to 320 and 2,312.
    assert_eq!(ae.summary().total_params(), 4_385 + 160 + 1_152);
    ae.fit(1).unwrap();
    let first = ae.history().test_loss[0];
    drop(ae);
    let mut resumed = networks().resume(&dir).unwrap();
    resumed.fit(1).unwrap();
    let h = resumed.history();
    assert_eq!(h.test_loss.len(), 2);
    assert!(h.test_loss[1] < first, "the test loss falls: {:?}", h.test_loss);
    drop(resumed);
    let err = Autoencoder::resume(&dir).err().unwrap().to_string();
    assert!(err.contains("autoencoder.0.0.weight"), "{err}");
}
