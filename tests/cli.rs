//! The `genlab` binary as a process: outputs of short runs, clean interrupts and exact resume,
//! and exit code 2 with a clear message for every kind of bad input.

mod common;

use common::{genlab, run, stderr, stdout};

#[cfg(unix)]
use std::path::Path;
#[cfg(unix)]
use std::process::{Command, Stdio};
#[cfg(unix)]
use std::time::{Duration, Instant};

/// `bench/compare.sh` reads the last line of `genlab bench`: every field, a positive number.
#[test]
fn bench_prints_its_medians_and_the_epoch_on_the_last_line() {
    let out = run(&["bench", "--gan-iters", "1", "--ae-steps", "1", "--ae-epoch"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let last = stdout(&out).lines().last().unwrap().to_string();
    for field in ["gan_iter_s", "ae_step_s", "ae_epoch_s"] {
        let value = last
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{field}=")))
            .unwrap_or_else(|| panic!("no {field} in {last:?}"));
        let seconds: f64 = value.parse().unwrap_or_else(|e| panic!("{field}={value}: {e}"));
        assert!(seconds > 0.0 && seconds.is_finite(), "{last}");
    }
    let path = genlab::cpu_path().unwrap();
    assert!(last.ends_with(&format!(" cpu={path}")), "{last}");
}

/// `GENLAB_CPU` forces every path this CPU has (the last line names it), and refuses an unknown
/// path or one the CPU lacks with exit 2 and the paths it can use, before any work.
#[test]
fn genlab_cpu_forces_a_kernel_path_or_says_which_exist() {
    for path in genlab::supported_paths() {
        let out = genlab().arg("cpu").env(genlab::CPU_ENV, path.name()).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).trim_end().starts_with(&format!("cpu={path} supported=")),
            "{}",
            stdout(&out)
        );
    }
    let lacking = ["portable", "neon", "avx2", "avx512"]
        .into_iter()
        .find(|name| genlab::supported_paths().iter().all(|p| p.name() != *name))
        .expect("no CPU has every path");
    for (value, says) in [("sse9", "is not a kernel path"), (lacking, "this CPU cannot run")] {
        let out = genlab()
            .args(["gan", "--iterations", "1", "--out"])
            .arg(std::env::temp_dir().join("genlab-cpu-refused"))
            .env(genlab::CPU_ENV, value)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{value}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{value}: {}", stderr(&out));
        assert!(
            !std::env::temp_dir().join("genlab-cpu-refused").exists(),
            "{value}: the run started"
        );
    }
}

#[test]
fn a_short_gan_run_writes_every_output_and_a_summary_line() {
    let dir = common::temp_dir("cli-gan");
    let out = run(&[
        "gan",
        "--iterations",
        "5",
        "--snapshot-every",
        "2",
        "--seed",
        "3",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    for f in [
        "checkpoint.safetensors",
        "run.json",
        "history.csv",
        "progression.png",
        "progression.svg",
        "losses.png",
        "losses.svg",
        "training.gif",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    for i in [0, 2, 4] {
        assert!(dir.join(format!("snapshots/iteration_{i:05}.png")).is_file());
    }
    let last = stdout(&out).lines().last().unwrap().to_string();
    assert!(
        last.starts_with("iterations=5 batch=32 d_loss=") && last.contains(" g_loss="),
        "{last}"
    );
    let run_json = std::fs::read_to_string(dir.join("run.json")).unwrap();
    assert!(run_json.contains("\"seed\": 3") && run_json.contains("\"version\""), "{run_json}");
    assert_eq!(std::fs::read_to_string(dir.join("history.csv")).unwrap().lines().count(), 6);

    // The run's figures for slides, in Korean at 16:9, in one command.
    let slides = dir.join("slides-ko");
    let out = run(&[
        "export",
        dir.to_str().unwrap(),
        "--out",
        slides.to_str().unwrap(),
        "--lang",
        "ko",
        "--size",
        "1280x720",
        "--svg",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let last = stdout(&out).lines().last().unwrap().to_string();
    assert!(last.starts_with("figures=") && last.contains(" lang=ko "), "{last}");
    for f in ["progression", "snapshot", "losses", "latent_walk"] {
        let png = std::fs::read(slides.join(format!("{f}.png"))).unwrap();
        let header = png::Decoder::new(png.as_slice()).read_info().unwrap().info().clone();
        assert_eq!((header.width, header.height), (1280, 720), "{f}.png");
        let svg = std::fs::read_to_string(slides.join(format!("{f}.svg"))).unwrap();
        assert!(
            svg.contains("<title>반복") || svg.contains("<title>잠재") || svg.contains("<title>학습"),
            "{f}.svg has no Korean text"
        );
    }
}

#[test]
fn a_short_autoencoder_run_writes_every_output_and_a_summary_line() {
    let dir = common::temp_dir("cli-ae");
    let out = run(&[
        "autoencoder",
        "--epochs",
        "2",
        "--train-images",
        "640",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    for f in [
        "checkpoint.safetensors",
        "run.json",
        "history.csv",
        "reconstructions.png",
        "reconstructions.svg",
        "progression.png",
        "progression.svg",
        "losses.png",
        "losses.svg",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    let last = stdout(&out).lines().last().unwrap().to_string();
    assert!(last.starts_with("epochs=2 train_bce=") && last.contains(" test_bce="), "{last}");
}

#[cfg(unix)]
fn wait_for(path: &Path, limit: Duration) {
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < limit, "{} did not appear", path.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Unix only: Ctrl-C on Windows is a console event, and Wine (where the Windows build is tested)
/// delivers none to a process without a real console.
#[cfg(unix)]
#[test]
fn sigint_checkpoints_and_resume_finishes_the_same_curve() {
    let straight = common::temp_dir("cli-straight");
    let out = run(&[
        "gan",
        "--iterations",
        "12",
        "--snapshot-every",
        "3",
        "--seed",
        "9",
        "--out",
        straight.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    let broken = common::temp_dir("cli-broken");
    let child = genlab()
        .args([
            "gan",
            "--iterations",
            "12",
            "--snapshot-every",
            "3",
            "--seed",
            "9",
            "--out",
            broken.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&broken.join("checkpoint.safetensors"), Duration::from_secs(120));
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let interrupted = child.wait_with_output().unwrap();
    let history = std::fs::read_to_string(broken.join("history.csv")).unwrap();
    let done = history.lines().count() - 1;
    assert!(
        done < 12,
        "the run should stop early, it did {done} iterations: {}",
        stdout(&interrupted)
    );
    assert_eq!(interrupted.status.code(), Some(130), "{}", stderr(&interrupted));
    assert!(stdout(&interrupted).contains("--resume"), "it should say how to continue");

    let resumed = run(&["gan", "--resume", broken.to_str().unwrap()]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(stdout(&resumed).lines().last().unwrap().starts_with("iterations=12 "));
    assert_eq!(
        std::fs::read_to_string(broken.join("history.csv")).unwrap(),
        std::fs::read_to_string(straight.join("history.csv")).unwrap(),
        "an interrupted and resumed run must reproduce the uninterrupted one"
    );
}

fn assert_usage_error(args: &[&str], needle: &str) {
    let out = run(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    assert!(stderr(&out).contains(needle), "{args:?}: expected {needle:?} in {}", stderr(&out));
}

#[test]
fn bad_input_exits_2_with_a_message_naming_the_problem() {
    let dir = common::temp_dir("cli-bad");
    let file = dir.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let empty = dir.join("empty-run");
    std::fs::create_dir_all(&empty).unwrap();
    let corrupt = dir.join("corrupt-run");
    std::fs::create_dir_all(&corrupt).unwrap();
    std::fs::write(corrupt.join("checkpoint.safetensors"), b"garbage").unwrap();
    std::fs::write(
        corrupt.join("run.json"),
        br#"{"command":"gan","args":[],"seed":0,"target":5,"version":"0.1.0"}"#,
    )
    .unwrap();

    let o = dir.join("exported");
    assert_usage_error(&["gan", "--bogus-flag"], "--bogus-flag");
    assert_usage_error(&["gan", "--recipe", "best", "--out", "x"], "use `lecture`");
    assert_usage_error(
        &["gan", "--label-smoothing", "0.7", "--out", dir.join("smooth").to_str().unwrap()],
        "label_smoothing is 0.7",
    );
    assert_usage_error(&["sample", empty.to_str().unwrap(), "--out", o.to_str().unwrap()], "no such file");
    assert_usage_error(
        &["sample", corrupt.to_str().unwrap(), "--out", file.to_str().unwrap()],
        "not an IDX file",
    );
    assert_usage_error(&["gan", "--iterations", "0", "--out", "x"], "0 is not in 1..");
    assert_usage_error(&["gan", "--iterations", "-3", "--out", "x"], "-3");
    assert_usage_error(&["autoencoder", "--epochs", "0", "--out", "x"], "0 is not in 1..");
    assert_usage_error(&["gan", "--iterations", "3", "--out", file.to_str().unwrap()], "is a file");
    assert_usage_error(&["gan", "--resume", empty.to_str().unwrap()], "no checkpoint");
    assert_usage_error(&["gan", "--resume", corrupt.to_str().unwrap()], "cannot be used");
    assert_usage_error(
        &["export", empty.to_str().unwrap(), "--out", o.to_str().unwrap()],
        "holds no checkpoint",
    );
    assert_usage_error(
        &["export", corrupt.to_str().unwrap(), "--out", o.to_str().unwrap()],
        "neither a GAN checkpoint",
    );
    assert_usage_error(
        &["export", corrupt.to_str().unwrap(), "--out", o.to_str().unwrap(), "--lang", "de"],
        "use `ko`",
    );
    assert_usage_error(
        &["export", corrupt.to_str().unwrap(), "--out", o.to_str().unwrap(), "--size", "big"],
        "WIDTHxHEIGHT",
    );

    let out = genlab()
        .args(["autoencoder", "--epochs", "1", "--out", dir.join("o").to_str().unwrap()])
        .env("GENLAB_DATA", &empty)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("fetch-mnist"),
        "missing MNIST should name the command that fetches it: {}",
        stderr(&out)
    );
}

#[test]
fn summary_prints_the_keras_totals() {
    let out = run(&["summary"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for total in ["865,281", "212,865", "1,078,146", "852,609", "225,537", "4,385"] {
        assert!(text.contains(total), "missing {total}");
    }
}

/// The confident share of `genlab score`'s last line (`confident=<share> min_class=...`).
fn confident(out: &std::process::Output) -> f64 {
    let last = stdout(out).lines().last().unwrap_or_default().to_string();
    let share = last.split_whitespace().next().unwrap_or_default();
    share
        .trim_start_matches("confident=")
        .parse()
        .unwrap_or_else(|_| panic!("no share in `{last}`"))
}

#[test]
fn a_judged_gan_run_scores_every_snapshot_and_idx_images_can_be_scored() {
    let data = common::private_data_dir("cli-judge-data");
    let with_data = |args: &[&str]| genlab().env("GENLAB_DATA", &data).args(args).output().unwrap();
    let out = with_data(&["classifier", "--epochs", "1", "--train-images", "8000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(data.join("classifier.safetensors").is_file());

    // A run judging 200 samples at every second iteration, with `extra` settings.
    let judged_gan = |iterations: &str, out: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["gan", "--iterations", iterations, "--snapshot-every", "2", "--judge", "200"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--out", out.to_str().unwrap()]);
        with_data(&args)
    };
    let run_dir = common::temp_dir("cli-judged-gan");
    let out = judged_gan("5", &run_dir, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("judged: confident="), "{}", stdout(&out));
    let csv = std::fs::read_to_string(run_dir.join("scores.csv")).unwrap();
    let rows: Vec<Vec<f64>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.iter().map(|r| r[0] as u64).collect::<Vec<_>>(), vec![0, 2, 4], "{csv}");
    assert!(
        rows.iter()
            .all(|r| (0.0..=1.0).contains(&r[1]) && (0.0..=1.0).contains(&r[2]) && r[3] >= 0.0),
        "{csv}"
    );
    for f in ["scores.png", "scores.svg"] {
        assert!(run_dir.join(f).is_file(), "missing {f}");
    }
    // The last snapshot's score is what `genlab score` says of the final checkpoint.
    let out = with_data(&["score", run_dir.to_str().unwrap(), "--samples", "200"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let last = stdout(&out).lines().last().unwrap().to_string();
    let r = &rows[2];
    assert_eq!(last, format!("confident={:.3} min_class={:.3} fid={:.2}", r[1], r[2], r[3]));

    // Digits made elsewhere, as an IDX file: real test digits score far better than an untrained generator.
    let out = with_data(&[
        "score",
        data.join("t10k-images-idx3-ubyte.gz").to_str().unwrap(),
        "--samples",
        "300",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let real = confident(&out);
    assert!(real > 0.6 && real > rows[0][1] + 0.3, "{real} vs untrained {:?}", rows[0]);

    // A weight average judged beside the trained generator: its raw columns are the plain run's.
    let averaged = common::temp_dir("cli-averaged-gan");
    let out = judged_gan("5", &averaged, &["--ema-decay", "0.5"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let with_raw = std::fs::read_to_string(averaged.join("scores.csv")).unwrap();
    for (plain, both) in csv.lines().zip(with_raw.lines()).skip(1) {
        let (iteration, raw) = both.split_once(',').unwrap();
        let raw: Vec<&str> = raw.split(',').collect();
        assert_eq!(format!("{iteration},{}", raw[3..].join(",")), plain, "{with_raw}");
    }
    assert_ne!(with_raw.lines().nth(3), csv.lines().nth(3), "the average scores differently");

    // The improved recipe with a batch of its own: an averaged generator judged beside the
    // trained one, and the last line gives the batch.
    let improved = common::temp_dir("cli-improved-gan");
    let out = judged_gan("3", &improved, &["--recipe", "improved", "--batch", "48"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let last = stdout(&out).lines().last().unwrap().to_string();
    assert!(last.starts_with("iterations=3 batch=48 d_loss="), "{last}");
    let csv = std::fs::read_to_string(improved.join("scores.csv")).unwrap();
    assert!(
        csv.starts_with("iteration,confident,min_class,fid,raw_confident,raw_min_class,raw_fid\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().nth(2).unwrap().split(',').count(), 7, "{csv}");

    // Its digits as an IDX file score as the run itself does (up to rounding to bytes).
    let idx = improved.join("digits.idx");
    let seed = genlab::judge::JUDGE_NOISE_SEED.to_string();
    let out = with_data(&[
        "sample",
        improved.to_str().unwrap(),
        "--n",
        "200",
        "--seed",
        &seed,
        "--out",
        idx.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).lines().last().unwrap().starts_with("samples=200 out="),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::metadata(&idx).unwrap().len(), 16 + 200 * 784);
    let of_run = confident(&with_data(&["score", improved.to_str().unwrap(), "--samples", "200"]));
    let of_idx = confident(&with_data(&["score", idx.to_str().unwrap(), "--samples", "200"]));
    assert!((of_run - of_idx).abs() <= 0.03, "run {of_run} vs its IDX digits {of_idx}");
    let pngs = improved.join("pngs");
    let out = with_data(&["sample", improved.to_str().unwrap(), "--n", "3", "--out", pngs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&pngs).unwrap().count(), 3);

    let bad = run_dir.join("history.csv");
    let out = with_data(&["score", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("neither a run directory, a checkpoint, nor an IDX image file"),
        "{}",
        stderr(&out)
    );
}

/// `genlab candidates` writes one CSV row per candidate: its selection scores and the judge's
/// confidence and digit.
#[test]
fn candidates_are_written_with_their_scores_and_verdicts() {
    let dir = common::temp_dir("cli-candidates");
    let run_dir = dir.join("run");
    let out = run(&[
        "gan",
        "--iterations",
        "2",
        "--snapshot-every",
        "1",
        "--out",
        run_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = dir.join("candidates.csv");
    let args = ["candidates", run_dir.to_str().unwrap(), "--n", "30", "--out", csv.to_str().unwrap()];
    let out = run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("candidates=30 iteration=2"), "{}", stdout(&out));
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "index,d_logit,d_logit_dropout,jacobian,judge_confidence,judge_class");
    assert_eq!(lines.len(), 31);
    for line in &lines[1..] {
        let values: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
        assert_eq!(values.len(), 6, "{line}");
        assert!((0.0..=1.0).contains(&values[4]) && (0.0..=9.0).contains(&values[5]), "{line}");
    }
}
