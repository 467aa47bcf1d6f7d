//! Hostile input, case by case (issue: "Nothing lost, nothing absurd"): each fault found by
//! trying genlab as a hostile user would, run against the binary as a process. Every case exits
//! 2 with a message that says what to do, or behaves right; nothing a run had is lost.

mod common;

use common::{genlab, run, stderr, stdout};
use genlab::train::{TensorStore, CHECKPOINT_FILE};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

/// Asserts exit code 2 and that standard error says every one of `needles`.
fn refused(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "stdout: {}\nstderr: {err}", stdout(out));
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

/// A finished 3-iteration GAN run (a snapshot and checkpoint at every iteration) in a fresh dir.
fn gan_run(name: &str) -> PathBuf {
    let dir = common::temp_dir(name).join("run");
    let out = run(&["gan", "--iterations", "3", "--snapshot-every", "1", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

/// A finished 1-epoch autoencoder run on 256 images, 2 steps of 128.
fn ae_run(name: &str) -> PathBuf {
    let dir = common::temp_dir(name).join("run");
    let out = run(&[
        "autoencoder",
        "--epochs",
        "1",
        "--train-images",
        "256",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

/// `genlab gan --iterations 1` with MNIST read from `data` (a folder whose files a test spoiled).
fn one_gan_iteration_on(data: &Path) -> Output {
    genlab()
        .args(["gan", "--iterations", "1", "--out", "unused-dir"])
        .env("GENLAB_DATA", data)
        .output()
        .unwrap()
}

/// Rewrites a run's checkpoint through `change` (checksum recomputed: the content is what is
/// hostile, not the file).
fn edit_checkpoint(dir: &Path, change: impl FnOnce(&mut TensorStore)) {
    let path = dir.join(CHECKPOINT_FILE);
    let mut store = TensorStore::load(&path).unwrap();
    change(&mut store);
    store.save(&path).unwrap();
}

/// Replaces `"key":<number>` in a checkpoint's JSON state.
fn set_state_number(store: &mut TensorStore, key: &str, value: &str) {
    let mut state: serde_json::Value = serde_json::from_str(&store.state).unwrap();
    let slot = state.pointer_mut(key).unwrap_or_else(|| panic!("no {key} in the state"));
    *slot = serde_json::from_str(value).unwrap();
    store.state = state.to_string();
}

/// The names in `dir`, sorted.
fn sorted_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn resume(kind: &str, dir: &Path, more: &[&str]) -> Output {
    genlab()
        .args([kind, "--resume", dir.to_str().unwrap()])
        .args(more)
        .output()
        .unwrap()
}

/// 1. Non-finite losses stop training with a clear error; the last good checkpoint is kept
/// byte for byte and its figures and history are written; batch 1 is refused.
#[test]
fn a_diverging_run_stops_and_keeps_its_last_good_checkpoint() {
    refused(
        &run(&["gan", "--batch", "1", "--out", "unused-dir"]),
        &["batch_size (--batch) is 1", "BatchNormalization"],
    );
    assert!(!Path::new("unused-dir").exists());

    let dir = gan_run("fault-nan");
    // Weights so large that the discriminator's logits overflow: the next loss is not finite.
    edit_checkpoint(&dir, |s| {
        for (name, (_, values)) in s.tensors.iter_mut() {
            if name.starts_with("discriminator.") {
                values.iter_mut().for_each(|v| *v = 1e38);
            }
        }
    });
    std::fs::remove_file(dir.join("history.csv")).unwrap();
    let before = std::fs::read(dir.join(CHECKPOINT_FILE)).unwrap();
    let out = resume("gan", &dir, &["--iterations", "10"]);
    refused(&out, &["training diverged", "at iteration 3", "was not overwritten"]);
    assert_eq!(
        std::fs::read(dir.join(CHECKPOINT_FILE)).unwrap(),
        before,
        "the last good checkpoint changed"
    );
    assert!(stderr(&out).contains("last good checkpoint (at iteration 3"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(dir.join("history.csv")).unwrap().lines().count(), 4);
}

/// 2. A directory that holds a run is refused without --resume or --force, before anything in
/// it is touched; --force replaces the whole run; a failing start leaves it as it was.
#[test]
fn a_new_run_never_replaces_an_existing_one_silently() {
    let dir = gan_run("fault-exists");
    let run_json = std::fs::read(dir.join("run.json")).unwrap();
    let checkpoint = std::fs::read(dir.join(CHECKPOINT_FILE)).unwrap();
    let d = dir.to_str().unwrap();
    refused(
        &run(&["gan", "--iterations", "2", "--out", d]),
        &["already holds a run", "--resume", "--force"],
    );
    refused(&run(&["autoencoder", "--epochs", "1", "--out", d]), &["already holds a run"]);
    // --force whose start fails (no MNIST there): the old run is untouched.
    let empty = common::temp_dir("fault-exists-nodata");
    let out = genlab()
        .args(["gan", "--iterations", "2", "--force", "--out", d])
        .env("GENLAB_DATA", &empty)
        .output()
        .unwrap();
    refused(&out, &["fetch-mnist"]);
    assert_eq!(std::fs::read(dir.join("run.json")).unwrap(), run_json);
    assert_eq!(std::fs::read(dir.join(CHECKPOINT_FILE)).unwrap(), checkpoint);
    // A run.json without a checkpoint (killed before its first) also counts as a run.
    let early = common::temp_dir("fault-exists-early");
    std::fs::copy(dir.join("run.json"), early.join("run.json")).unwrap();
    refused(
        &run(&["gan", "--iterations", "2", "--out", early.to_str().unwrap()]),
        &["its run.json"],
    );
    // --force: a new run, none of the old one's snapshots left.
    let out = run(&["gan", "--iterations", "1", "--force", "--out", d]);
    assert!(out.status.success(), "{}", stderr(&out));
    let snapshots: Vec<_> = std::fs::read_dir(dir.join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(snapshots, ["iteration_00000.png"], "old snapshots mixed in");
    assert!(stdout(&out).contains("iterations=1 "), "{}", stdout(&out));
}

/// 3. A second process cannot write into a run directory in use.
#[test]
fn a_second_writer_is_kept_out_by_the_lock() {
    let dir = common::temp_dir("fault-lock").join("run");
    let d = dir.to_str().unwrap().to_string();
    let mut first = genlab()
        .args(["gan", "--iterations", "100000", "--snapshot-every", "5", "--out", &d])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !dir.join(CHECKPOINT_FILE).is_file() {
        assert!(start.elapsed() < Duration::from_secs(120), "the first run wrote no checkpoint");
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = first.id().to_string();
    refused(&resume("gan", &dir, &[]), &["in use by another genlab process", &pid]);
    refused(&run(&["gan", "--iterations", "2", "--force", "--out", &d]), &["in use", &pid]);
    first.kill().unwrap();
    first.wait().unwrap();
    // The lock went with the process, even killed: the run continues.
    let out = resume("gan", &dir, &["--iterations", "11"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// 4. Absurd sizes are refused before allocation, from the command line and from a checkpoint.
#[test]
fn absurd_sizes_are_refused_with_their_limit() {
    refused(&run(&["gan", "--batch", "100000000", "--out", "unused-dir"]), &["2 to 60000"]);
    refused(
        &run(&["gan", "--batch", "18446744073709551615", "--out", "unused-dir"]),
        &["2 to 60000"],
    );
    refused(&run(&["gan", "--judge", "100000000", "--out", "unused-dir"]), &["2 to 10000"]);
    refused(
        &run(&["autoencoder", "--batch", "100000000", "--out", "unused-dir"]),
        &["1 to 60000"],
    );
    let out = run(&["score", "unused-dir", "--samples", "1000000000"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!Path::new("unused-dir").exists());

    let dir = gan_run("fault-sizes");
    edit_checkpoint(&dir, |s| set_state_number(s, "/config/batch_size", "1000000000000"));
    refused(&resume("gan", &dir, &[]), &["batch_size", "2 to 60000"]);
    edit_checkpoint(&dir, |s| {
        set_state_number(s, "/config/batch_size", "32");
        set_state_number(s, "/config/snapshot_images", "1000000000");
    });
    refused(&resume("gan", &dir, &[]), &["snapshot_images 1 to 100"]);
}

/// 5. An autoencoder checkpoint whose position is past its epoch's end is refused.
#[test]
fn an_autoencoder_position_past_the_epoch_is_refused() {
    let dir = ae_run("fault-position");
    edit_checkpoint(&dir, |s| set_state_number(s, "/step_in_epoch", "5"));
    refused(
        &resume("autoencoder", &dir, &["--epochs", "2"]),
        &["stands at step 5 of an epoch of 2 steps"],
    );
    edit_checkpoint(&dir, |s| {
        set_state_number(s, "/step_in_epoch", "1");
        set_state_number(s, "/epoch_images", "7");
    });
    refused(
        &resume("autoencoder", &dir, &["--epochs", "2"]),
        &["counts 7 images (expected 128)"],
    );
}

/// 6. An output path that is not UTF-8 is a path like any other.
#[cfg(unix)]
#[test]
fn a_non_utf8_output_path_works_and_resumes() {
    use std::os::unix::ffi::OsStrExt;
    let dir = common::temp_dir("fault-utf8").join(std::ffi::OsStr::from_bytes(b"run-\xff\xfe"));
    let out = genlab().args(["gan", "--iterations", "2", "--out"]).arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = genlab().args(["gan", "--iterations", "4", "--resume"]).arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("iterations=4 "), "{}", stdout(&out));
}

/// 7. A flipped byte in a checkpoint is found by its checksum; a checkpoint from before
/// checksums loads with a warning.
#[test]
fn a_damaged_checkpoint_is_found_and_an_old_one_still_loads() {
    let dir = gan_run("fault-checksum");
    let path = dir.join(CHECKPOINT_FILE);
    let good = std::fs::read(&path).unwrap();
    let mut flipped = good.clone();
    let last = flipped.len() - 4000; // inside the last tensor's values
    flipped[last] ^= 0x40;
    std::fs::write(&path, &flipped).unwrap();
    refused(&resume("gan", &dir, &["--iterations", "4"]), &["do not match the checksum"]);
    // The same file without its checksum entry (renamed key of the same length): a warning.
    let mut old = good.clone();
    let at = old.windows(15).position(|w| w == b"genlab_checksum").unwrap();
    old[at..at + 15].copy_from_slice(b"genlab_checksuX");
    std::fs::write(&path, &old).unwrap();
    let out = resume("gan", &dir, &["--iterations", "4"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("has no checksum"), "{}", stderr(&out));
}

/// 8. Checkpoint contents are cross-checked: moments of the wrong size, missing moments, and
/// an iteration count the history does not have.
#[test]
fn checkpoint_contents_must_agree_with_each_other() {
    let dir = gan_run("fault-crosscheck");
    let good = std::fs::read(dir.join(CHECKPOINT_FILE)).unwrap();
    let restore = || std::fs::write(dir.join(CHECKPOINT_FILE), &good).unwrap();
    edit_checkpoint(&dir, |s| {
        let (shape, values) = s.tensors.get_mut("opt_g.m.0").unwrap();
        values.truncate(3);
        *shape = vec![3];
    });
    refused(&resume("gan", &dir, &[]), &["optimiser moments of `opt_g`"]);
    restore();
    edit_checkpoint(&dir, |s| s.tensors.retain(|name, _| !name.starts_with("opt_d.")));
    refused(
        &resume("gan", &dir, &[]),
        &["`opt_d` counts 6 updates but holds no optimiser moments"],
    );
    restore();
    edit_checkpoint(&dir, |s| set_state_number(s, "/iteration", "2"));
    refused(&resume("gan", &dir, &[]), &["counts 2 iterations but holds 3 values"]);
}

/// 9. A small file cannot expand without bound: a gzip whose payload is far larger than its
/// header announces, and a file linked to /dev/zero, are refused.
#[cfg(unix)]
#[test]
fn oversized_and_endless_data_files_are_refused() {
    use std::io::Write;
    let data = common::private_data_dir("fault-bomb");
    // test labels: a header for 10,000 labels, then 200 MB of zeros (a 200 KB gzip file)
    std::fs::remove_file(data.join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&0x0801u32.to_be_bytes()).unwrap();
    gz.write_all(&10_000u32.to_be_bytes()).unwrap();
    for _ in 0..200 {
        gz.write_all(&[0u8; 1 << 20]).unwrap();
    }
    std::fs::write(data.join("t10k-labels-idx1-ubyte.gz"), gz.finish().unwrap()).unwrap();
    let started = Instant::now();
    let out = one_gan_iteration_on(&data);
    refused(&out, &["t10k-labels", "more data bytes than the 10000"]);
    assert!(started.elapsed() < Duration::from_secs(60));
    std::fs::remove_file(data.join("t10k-labels-idx1-ubyte.gz")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", data.join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let out = one_gan_iteration_on(&data);
    refused(&out, &["t10k-labels", "not a regular file"]);
}

/// 11. `score` refuses too few images, and scores the checkpoint file it is given.
#[cfg(unix)]
#[test]
fn score_says_what_it_scores() {
    let dir = common::temp_dir("fault-score");
    for (n, name) in [(0u32, "none.idx"), (1, "one.idx")] {
        let mut idx = 0x0803u32.to_be_bytes().to_vec();
        for d in [n, 28, 28] {
            idx.extend(d.to_be_bytes());
        }
        idx.extend(vec![0u8; n as usize * 784]);
        std::fs::write(dir.join(name), idx).unwrap();
        refused(&run(&["score", dir.join(name).to_str().unwrap()]), &["at least 2"]);
    }
    let run_dir = gan_run("fault-score-run");
    let other = dir.join("other.safetensors");
    std::fs::copy(run_dir.join(CHECKPOINT_FILE), &other).unwrap();
    let more = resume("gan", &run_dir, &["--iterations", "5"]);
    assert!(more.status.success(), "{}", stderr(&more));
    std::fs::copy(&other, run_dir.join("other.safetensors")).unwrap();
    // A judge of its own, trained small, so the real one is neither needed nor replaced.
    let data = common::private_data_dir("fault-score-data");
    let with_data = |args: &[&str]| genlab().env("GENLAB_DATA", &data).args(args).output().unwrap();
    let out = with_data(&["classifier", "--epochs", "1", "--train-images", "2000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = with_data(&["score", run_dir.join("other.safetensors").to_str().unwrap(), "--samples", "50"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("from iteration 3 of") && stdout(&out).contains("other.safetensors"),
        "{}",
        stdout(&out)
    );
}

/// 13. Epoch counts that overflow the step count are refused.
#[test]
fn an_overflowing_epoch_count_is_refused() {
    let dir = common::temp_dir("fault-epochs").join("run");
    let out = run(&["autoencoder", "--epochs", "1152921504606846977", "--out", dir.to_str().unwrap()]);
    refused(&out, &["more steps than genlab can count"]);
}

/// 14. The leftovers of killed writes are removed: a checkpoint's `.tmp` at the next run, a
/// download's `.part` at the next fetch.
#[test]
fn leftovers_of_killed_writes_are_cleaned() {
    let dir = gan_run("fault-leftovers");
    let tmp = dir.join(".checkpoint.safetensors.4242.tmp");
    std::fs::write(&tmp, b"half a checkpoint").unwrap();
    let out = resume("gan", &dir, &["--iterations", "4"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!tmp.exists());

    let data = common::temp_dir("fault-part");
    let part = data.join(".t10k-labels-idx1-ubyte.gz.4242.part");
    std::fs::write(&part, b"half a download").unwrap();
    let out = genlab()
        .args(["fetch-mnist", "--dir", data.to_str().unwrap(), "--mirror"])
        .arg(genlab::data::data_dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!part.exists());
}

/// 16. Messages that say what to do: a damaged classifier file, an unreadable run.json.
#[cfg(unix)]
#[test]
fn messages_name_the_right_remedy() {
    let data = common::private_data_dir("fault-classifier");
    std::fs::write(data.join("classifier.safetensors"), b"\x08\x00\x00\x00\x00\x00\x00\x00{}garbage").unwrap();
    let dir = gan_run("fault-messages");
    let out = genlab()
        .args(["score", dir.to_str().unwrap()])
        .env("GENLAB_DATA", &data)
        .output()
        .unwrap();
    refused(&out, &["classifier", "Delete it"]);

    std::fs::remove_file(dir.join("run.json")).unwrap();
    std::fs::create_dir(dir.join("run.json")).unwrap();
    refused(&resume("gan", &dir, &[]), &["reading", "run.json", "readable"]);
}

/// 17. Without GENLAB_DATA the data directory is found from the working directory at run
/// time, and messages name it.
#[test]
fn the_data_directory_is_chosen_at_run_time() {
    // Outside the checkout (the tests' own temporary folders are inside it).
    let elsewhere = std::env::temp_dir().join(format!("genlab-fault-datadir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&elsewhere);
    std::fs::create_dir_all(&elsewhere).unwrap();
    let out = genlab()
        .args(["autoencoder", "--epochs", "1", "--out", "run"])
        .current_dir(&elsewhere)
        .output()
        .unwrap();
    refused(&out, &[&elsewhere.join("data").join("mnist").display().to_string(), "fetch-mnist"]);
    assert!(!elsewhere.join("run").exists(), "nothing is created before the inputs are valid");
    // From inside the checkout (a subfolder), its data/mnist is found.
    let inside = Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks");
    let dir = common::temp_dir("fault-datadir-inside").join("run");
    let out = genlab()
        .args(["autoencoder", "--epochs", "1", "--train-images", "128", "--out"])
        .arg(&dir)
        .current_dir(inside)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A named pipe with `mkfifo`.
#[cfg(unix)]
fn fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Round two, 2. A named pipe in place of an MNIST file, or in the mirror folder, is refused at
/// once (opening it for reading waited for a writer, forever).
#[cfg(unix)]
#[test]
fn a_named_pipe_in_place_of_mnist_is_refused_not_waited_on() {
    let data = common::private_data_dir("fault-fifo");
    std::fs::remove_file(data.join("t10k-labels-idx1-ubyte.gz")).unwrap();
    fifo(&data.join("t10k-labels-idx1-ubyte.gz"));
    let started = Instant::now();
    let out = one_gan_iteration_on(&data);
    refused(&out, &["t10k-labels", "not a regular file"]);
    assert!(started.elapsed() < Duration::from_secs(60), "it waited on the pipe");
    // The same pipe in a local mirror: fetch-mnist names the file and goes on to fail cleanly.
    let target = common::temp_dir("fault-fifo-fetch");
    let out = genlab()
        .args(["fetch-mnist", "--dir", target.to_str().unwrap(), "--mirror", data.to_str().unwrap()])
        .output()
        .unwrap();
    refused(&out, &["t10k-labels", "not a regular file"]);
}

/// Round two, 7. A symbolic link in place of a run's lock file is not followed: its target
/// keeps its content, and the message says to remove the link.
#[cfg(unix)]
#[test]
fn a_symlinked_lock_file_is_not_followed() {
    let dir = common::temp_dir("fault-lock-link");
    let victim = dir.join("notes.txt");
    std::fs::write(&victim, "a student's notes").unwrap();
    let run_dir = dir.join("run");
    std::fs::create_dir(&run_dir).unwrap();
    std::os::unix::fs::symlink(&victim, run_dir.join(genlab::train::RUN_LOCK_FILE)).unwrap();
    let out = run(&["gan", "--iterations", "1", "--out", run_dir.to_str().unwrap()]);
    refused(&out, &["symbolic link", "remove it"]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "a student's notes");
}

/// Round two, 13. A generator whose output is not finite (a hand-edited checkpoint, checksum
/// recomputed: here a negative running variance, whose square root is NaN) is refused by `score`
/// and `sample`, not scored 0 with black samples.
#[test]
fn a_generator_with_nan_weights_is_refused_not_scored() {
    let dir = gan_run("fault-nan-generator");
    edit_checkpoint(&dir, |s| {
        let (_, values) = s
            .tensors
            .iter_mut()
            .find(|(name, _)| name.starts_with("generator.") && name.contains("var"))
            .map(|(_, t)| t)
            .unwrap();
        values.iter_mut().for_each(|v| *v = -1.0);
    });
    refused(
        &run(&["score", dir.to_str().unwrap(), "--samples", "50"]),
        &["not finite", "checkpoint"],
    );
    let out_file = dir.join("samples.idx");
    let out = run(&["sample", dir.to_str().unwrap(), "--n", "10", "--out", out_file.to_str().unwrap()]);
    refused(&out, &["not finite"]);
    assert!(!out_file.exists());
}

/// Round two, 15. `export` checks its options and the run before it makes the output folder.
#[test]
fn export_makes_no_folder_for_a_command_it_refuses() {
    let dir = common::temp_dir("fault-export-order");
    let run_dir = gan_run("fault-export-order-run");
    for (args, needle) in [(vec!["--lang", "de"], "unknown language"), (vec!["--size", "0x0"], "0x0 pixels")] {
        let out_dir = dir.join("figures").join("nested");
        let mut all = vec!["export", run_dir.to_str().unwrap(), "--out", out_dir.to_str().unwrap()];
        all.extend(args);
        refused(&run(&all), &[needle]);
        assert!(!dir.join("figures").exists(), "{needle}: the folder was made");
    }
    let out_dir = dir.join("figures");
    refused(
        &run(&["export", dir.join("no-run").to_str().unwrap(), "--out", out_dir.to_str().unwrap()]),
        &["holds no"],
    );
    assert!(!out_dir.exists());
}

/// Round two, 8, 9 and 16. `sample` into a folder leaves no sample of an earlier, larger call
/// (and nothing else is touched); an IDX file of a legal 255-byte name is written, through a
/// temporary file of this process' own.
#[test]
fn samples_replace_earlier_samples_and_take_any_legal_name() {
    let dir = gan_run("fault-samples");
    let pngs = common::temp_dir("fault-samples-pngs");
    std::fs::write(pngs.join("notes.txt"), "mine").unwrap();
    std::fs::write(pngs.join("sample_notes.png"), "mine too").unwrap();
    for n in ["5", "3"] {
        let out = run(&["sample", dir.to_str().unwrap(), "--n", n, "--out", pngs.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let names = sorted_names(&pngs);
    assert_eq!(
        names,
        [
            "notes.txt",
            "sample_00000.png",
            "sample_00001.png",
            "sample_00002.png",
            "sample_notes.png"
        ]
    );
    let long = common::temp_dir("fault-samples-long").join(format!("{}.idx", "d".repeat(251)));
    let out = run(&["sample", dir.to_str().unwrap(), "--n", "4", "--out", long.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(long.is_file());
    assert_eq!(
        std::fs::read_dir(long.parent().unwrap()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

/// Round two, 12. A run that diverges before its first checkpoint says there is none, and how
/// to start again (it claimed a checkpoint "holds the last good state").
#[test]
fn a_run_that_diverges_before_its_first_checkpoint_says_there_is_none() {
    let dir = common::temp_dir("fault-early-divergence").join("run");
    let out = run(&[
        "gan",
        "--iterations",
        "50",
        "--snapshot-every",
        "1000",
        "--lr",
        "1e30",
        "--out",
        dir.to_str().unwrap(),
    ]);
    refused(&out, &["diverged", "holds none", "--force"]);
    assert!(!dir.join(CHECKPOINT_FILE).exists());
}

/// Round two, 17. A named pipe or a looping link as a run's checkpoint is named as what it is,
/// not "there is no checkpoint there".
#[cfg(unix)]
#[test]
fn a_checkpoint_that_is_not_a_file_is_named_as_what_it_is() {
    let dir = gan_run("fault-checkpoint-kinds");
    std::fs::remove_file(dir.join(CHECKPOINT_FILE)).unwrap();
    fifo(&dir.join(CHECKPOINT_FILE));
    refused(&resume("gan", &dir, &["--iterations", "4"]), &["not a regular file"]);
    std::fs::remove_file(dir.join(CHECKPOINT_FILE)).unwrap();
    std::os::unix::fs::symlink(dir.join(CHECKPOINT_FILE), dir.join(CHECKPOINT_FILE)).unwrap();
    refused(&resume("gan", &dir, &["--iterations", "4"]), &["symbolic link", "loop"]);
}

/// The length of a checkpoint's header (its first 8 bytes).
fn header_bytes(dir: &Path) -> u64 {
    let bytes = std::fs::read(dir.join(CHECKPOINT_FILE)).unwrap();
    u64::from_le_bytes(bytes[..8].try_into().unwrap())
}

/// Round two, 1: snapshot images live in the checkpoint's tensors, not in its header (a snapshot
/// at every iteration once outgrew the 100 MB a reader accepts); a checkpoint of the older
/// layout, images in the JSON state, still loads with them. 18: a tensor the run does not use is
/// refused instead of being dropped at the next save.
#[test]
fn snapshots_are_tensors_and_unknown_tensors_are_refused() {
    let dir = gan_run("fault-snapshot-tensors");
    let three = header_bytes(&dir);
    let out = resume("gan", &dir, &["--iterations", "30"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // 27 more snapshots of 25 images: as text they would add over 4 MB to the header.
    let thirty = header_bytes(&dir);
    assert!(thirty - three < 27 * 1000, "the header grew from {three} to {thirty} bytes");
    let path = dir.join(CHECKPOINT_FILE);
    let snapshots = genlab::Gan::load_checkpoint(&path).unwrap().history().snapshots.clone();
    assert_eq!(snapshots.len(), 30);
    assert!(snapshots.iter().all(|s| s.images.len() == 25 * 784));

    let good = std::fs::read(&path).unwrap();
    edit_checkpoint(&dir, |s| {
        let (_, images) = s.tensors.remove("history.snapshots").unwrap();
        let mut state: serde_json::Value = serde_json::from_str(&s.state).unwrap();
        let list = state.pointer_mut("/history/snapshots").unwrap().as_array_mut().unwrap();
        for (snapshot, grid) in list.iter_mut().zip(images.chunks(25 * 784)) {
            snapshot["images"] = serde_json::json!(grid);
        }
        s.state = state.to_string();
    });
    assert!(header_bytes(&dir) > 4_000_000, "the older layout keeps images in the header");
    let old = genlab::Gan::load_checkpoint(&path).unwrap();
    assert_eq!(old.history().snapshots, snapshots);

    std::fs::write(&path, &good).unwrap();
    edit_checkpoint(&dir, |s| {
        s.tensors.insert("notes.extra".into(), (vec![2], vec![1.0, 2.0]));
    });
    refused(
        &resume("gan", &dir, &["--iterations", "31"]),
        &["holds tensor `notes.extra`", "left as it is"],
    );
}

/// Round two, 6: a folder of the user's own files, named as a run's outputs but holding no run,
/// is refused, with `--force` too, and keeps every file.
#[test]
fn a_folder_of_other_files_is_not_overwritten() {
    let dir = common::temp_dir("fault-foreign").join("mine");
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["history.csv", "losses.png", "notes.txt"] {
        std::fs::write(dir.join(name), name).unwrap();
    }
    for force in [&[][..], &["--force"]] {
        let out = genlab()
            .args(["gan", "--iterations", "1", "--out", dir.to_str().unwrap()])
            .args(force)
            .output()
            .unwrap();
        refused(&out, &["holds no genlab run", "would be overwritten", "new or empty folder"]);
    }
    for name in ["history.csv", "losses.png", "notes.txt"] {
        assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), name);
    }
    assert!(!dir.join("run.json").exists());
}

/// Round two, 5: the checkpoint holds a run whole; a missing or damaged `run.json` (how it was
/// started) is written anew with a warning instead of blocking `--resume`.
#[test]
fn a_run_resumes_without_its_run_json() {
    let dir = gan_run("fault-run-json");
    std::fs::remove_file(dir.join("run.json")).unwrap();
    let out = resume("gan", &dir, &["--iterations", "4"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("continuing from the checkpoint, to 4 in all"),
        "{}",
        stderr(&out)
    );
    let info: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!((info["target"].as_u64(), info["seed"].as_u64()), (Some(4), Some(0)));
    std::fs::write(dir.join("run.json"), "{\"command\": \"ga").unwrap();
    let out = resume("gan", &dir, &["--iterations", "5"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("iterations=5"), "{}", stdout(&out));
}

/// Round two, 5: a run folder moved while the run trains is not made again at its old path
/// (with no lock and no run.json); the run stops, saying where to continue, and continues there.
#[test]
fn a_run_folder_moved_while_training_is_not_made_again() {
    let root = common::temp_dir("fault-moved");
    let (old, new) = (root.join("run"), root.join("renamed"));
    let child = genlab()
        .args([
            "gan",
            "--iterations",
            "2000",
            "--snapshot-every",
            "1",
            "--out",
            old.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !old.join(CHECKPOINT_FILE).exists() {
        assert!(start.elapsed() < Duration::from_secs(120), "no checkpoint after two minutes");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::rename(&old, &new).unwrap();
    let out = child.wait_with_output().unwrap();
    refused(&out, &["was moved or deleted", "--resume NEW_PATH"]);
    assert!(!old.exists(), "the old path was made again");
    let out = resume("gan", &new, &["--iterations", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// `genlab` as a user who cannot write `data` (root writes anywhere: as root the command runs
/// as `nobody` through `setpriv`).
#[cfg(unix)]
fn as_unprivileged_user(args: &[&str], data: &Path, cache: &Path) -> Output {
    let mut cmd = if unsafe { libc::geteuid() } == 0 {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_genlab")]);
        cmd
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_genlab"))
    };
    cmd.args(args).env("GENLAB_DATA", data).env("GENLAB_CACHE", cache).output().unwrap()
}

/// Round two, 3: on a read-only data folder (a class server's shared MNIST) the judge is saved
/// to the cache folder, and found there next time instead of being trained again.
#[cfg(unix)]
#[test]
fn a_read_only_data_folder_keeps_the_judge_in_the_cache() {
    use std::os::unix::fs::PermissionsExt;
    common::mnist();
    let root = common::temp_dir("fault-read-only-data");
    let data = root.join("data");
    std::fs::create_dir_all(&data).unwrap();
    for f in genlab::data::MNIST_FILES {
        std::fs::copy(genlab::data::data_dir().join(f.name), data.join(f.name)).unwrap();
    }
    let cache = root.join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    let run = gan_run("fault-read-only-run");
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::chown(&cache, Some(65534), Some(65534)).unwrap();
    }
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o555)).unwrap();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = as_unprivileged_user(&["classifier", "--epochs", "1", "--train-images", "1000"], &data, &cache);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("saved {}", cache.join("classifier.safetensors").display())),
        "{}",
        stdout(&out)
    );
    let score = as_unprivileged_user(&["score", run.to_str().unwrap(), "--samples", "50"], &data, &cache);
    assert!(score.status.success(), "{}", stderr(&score));
    assert!(!stdout(&score).contains("training the digit classifier"), "{}", stdout(&score));
    assert!(stdout(&score).contains("confident="), "{}", stdout(&score));
    assert!(!data.join("classifier.safetensors").exists());
}

/// Round two, 4: a score of the most samples (10,000) generates them a few hundred at a time:
/// its peak memory stays far below the 4.2 GB that one pass took.
#[cfg(target_os = "linux")]
#[test]
fn a_score_of_ten_thousand_digits_stays_small() {
    let run_dir = gan_run("fault-score-memory");
    let data = common::private_data_dir("fault-score-memory-data");
    let with_data = || {
        let mut cmd = genlab();
        cmd.env("GENLAB_DATA", &data);
        cmd
    };
    let out = with_data()
        .args(["classifier", "--epochs", "1", "--train-images", "1000"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let child = with_data()
        .args(["score", run_dir.to_str().unwrap(), "--samples", "10000"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for this test's own child, whose `Child` handle is never waited on again,
    // writing only into the two locals passed by pointer.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "wait status {status}");
    let peak_mb = usage.ru_maxrss / 1024; // kilobytes on Linux
    println!("peak memory of `genlab score --samples 10000`: {peak_mb} MB");
    assert!(peak_mb < 1000, "peak {peak_mb} MB");
}

/// Round two, 11: a GAN's checkpoint is all `sample` needs, and `export` writes every figure but
/// the one of real digits where MNIST is missing, saying why.
#[test]
fn sampling_and_export_need_no_mnist() {
    let run_dir = gan_run("fault-no-mnist-run");
    let root = common::temp_dir("fault-no-mnist");
    let empty = root.join("no-data");
    std::fs::create_dir_all(&empty).unwrap();
    let without_data = |args: &[&str]| genlab().env("GENLAB_DATA", &empty).args(args).output().unwrap();
    let idx = root.join("digits.idx");
    let out = without_data(&["sample", run_dir.to_str().unwrap(), "--n", "5", "--out", idx.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::metadata(&idx).unwrap().len(), 16 + 5 * 784);
    let figures = root.join("figures");
    let out = without_data(&["export", run_dir.to_str().unwrap(), "--out", figures.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("real_and_generated was not written") && stderr(&out).contains("genlab fetch-mnist"));
    for name in ["snapshot.png", "losses.png", "latent_walk.png"] {
        assert!(figures.join(name).is_file(), "{name} missing");
    }
    assert!(!figures.join("real_and_generated.png").exists());
}

/// The id of a process that has ended.
fn a_dead_pid() -> u32 {
    let mut child = match cfg!(windows) {
        true => std::process::Command::new("cmd").args(["/c", "exit"]).spawn().unwrap(),
        false => std::process::Command::new("true").spawn().unwrap(),
    };
    let pid = child.id();
    child.wait().unwrap();
    pid
}

/// Round two, 10: what killed processes left (MNIST unpacked in the temporary folder, a judge's
/// or a sample file's temporary file) is removed by the next command, what a running process
/// holds is not; a missing temporary folder is named, not made.
#[test]
fn leftovers_of_killed_processes_go_and_a_missing_tmpdir_is_named() {
    use genlab::data::TEMP_VARIABLE;
    let root = common::temp_dir("fault-dead-leftovers");
    let (dead, alive) = (a_dead_pid(), std::process::id());
    let tmp = root.join("tmp");
    for pid in [dead, alive] {
        std::fs::create_dir_all(tmp.join(format!("genlab-mnist-{pid}")).join("0")).unwrap();
    }
    let data = common::private_data_dir("fault-dead-leftovers-data");
    let judge_tmp = data.join(format!(".classifier.safetensors.{dead}.tmp"));
    std::fs::write(&judge_tmp, b"half a judge").unwrap();
    let out = genlab()
        .env(TEMP_VARIABLE, &tmp)
        .env("GENLAB_DATA", &data)
        .args(["classifier", "--epochs", "1", "--train-images", "500"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let left = sorted_names(&tmp);
    assert_eq!(left, [format!("genlab-mnist-{alive}")]);
    assert!(!judge_tmp.exists());

    let run_dir = gan_run("fault-dead-leftovers-run");
    let partial = root.join(format!(".genlab-samples.{dead}.partial"));
    std::fs::write(&partial, b"half a sample file").unwrap();
    let idx = root.join("digits.idx");
    let out = run(&["sample", run_dir.to_str().unwrap(), "--n", "3", "--out", idx.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(idx.is_file() && !partial.exists());

    let missing = root.join("no-such-tmp");
    let out = genlab()
        .env(TEMP_VARIABLE, &missing)
        .env("GENLAB_DATA", &data)
        .args(["classifier", "--epochs", "1", "--train-images", "500"])
        .output()
        .unwrap();
    refused(&out, &["does not exist", &format!("set {TEMP_VARIABLE}")]);
    assert!(!missing.exists());
}

/// Round two, 17: a data directory that is a file is named as one; a URL is said once; a
/// kernel path that is not text is refused, a mirror folder whose name is not text is used.
#[cfg(unix)]
#[test]
fn environment_and_fetch_messages_say_what_is_wrong() {
    use std::os::unix::ffi::OsStrExt;
    let root = common::temp_dir("fault-env-messages");
    let file = root.join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let out = genlab().env("GENLAB_DATA", &file).args(["fetch-mnist"]).output().unwrap();
    refused(&out, &["is a file, not a folder", "GENLAB_DATA"]);

    let url = "http://127.0.0.1:9/";
    let out = run(&["fetch-mnist", "--dir", root.join("data").to_str().unwrap(), "--mirror", url]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.matches("127.0.0.1:9/train-images-idx3-ubyte.gz").count(), 1, "{err}");

    let not_text = std::ffi::OsStr::from_bytes(b"avx\xff");
    let out = genlab().env("GENLAB_CPU", not_text).args(["cpu"]).output().unwrap();
    refused(&out, &["GENLAB_CPU is not valid text"]);

    let mirror = root.join(std::ffi::OsStr::from_bytes(b"mirror-\xff"));
    std::fs::create_dir_all(&mirror).unwrap();
    for f in genlab::data::MNIST_FILES {
        std::os::unix::fs::symlink(common::shared_mnist().canonicalize().unwrap().join(f.name), mirror.join(f.name)).unwrap();
    }
    let data = root.join("fetched");
    let out = genlab()
        .env("GENLAB_MNIST_MIRROR", &mirror)
        .args(["fetch-mnist", "--dir", data.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(data.join("t10k-labels-idx1-ubyte.gz").is_file());
}

/// Round two, 18: the four files are checked against MNIST's own contents at every load: a
/// raw (unpacked) file with one pixel changed is refused, a raw copy of MNIST is read, and bytes
/// after the end of a gzip stream are refused.
#[test]
fn data_files_are_checked_against_mnist_at_load() {
    use std::io::Read;
    common::mnist();
    let data = common::temp_dir("fault-raw-idx");
    let source = genlab::data::data_dir();
    for f in genlab::data::MNIST_FILES {
        std::fs::copy(source.join(f.name), data.join(f.name)).unwrap();
    }
    let labels = data.join("t10k-labels-idx1-ubyte.gz");
    let mut bytes = std::fs::read(&labels).unwrap();
    bytes.extend_from_slice(b"appended");
    std::fs::write(&labels, &bytes).unwrap();
    refused(
        &one_gan_iteration_on(&data),
        &["t10k-labels-idx1-ubyte.gz", "bytes follow the end of its data"],
    );
    std::fs::copy(source.join("t10k-labels-idx1-ubyte.gz"), &labels).unwrap();

    let gz = data.join("train-images-idx3-ubyte.gz");
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap())
        .read_to_end(&mut raw)
        .unwrap();
    std::fs::remove_file(&gz).unwrap();
    let raw_path = data.join("train-images-idx3-ubyte");
    std::fs::write(&raw_path, &raw).unwrap();
    let run_dir = data.join("run");
    let out = genlab()
        .args(["gan", "--iterations", "1", "--out", run_dir.to_str().unwrap()])
        .env("GENLAB_DATA", &data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    raw[16 + 7 * 784 + 400] ^= 0x01;
    std::fs::write(&raw_path, &raw).unwrap();
    refused(
        &one_gan_iteration_on(&data),
        &["train-images-idx3-ubyte", "not the canonical MNIST file's"],
    );
}
