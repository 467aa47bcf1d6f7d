//! MNIST fetching and reading on the real files, and every way a file can be wrong.

mod common;

use genlab::data::{fetch_mnist, md5_hex, Mirror, Mnist, Scaling, MNIST_FILES};
use genlab::Error;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

fn copy_mnist(to: &Path) {
    fetch_mnist(to, &common::test_mirrors()).unwrap();
}

#[test]
fn real_mnist_has_the_canonical_counts_and_label_histograms() {
    let m = common::mnist();
    assert_eq!(m.train.len(), 60_000);
    assert_eq!(m.test.len(), 10_000);
    let hist = |labels: &[u8]| {
        let mut h = [0usize; 10];
        labels.iter().for_each(|&l| h[l as usize] += 1);
        h
    };
    assert_eq!(hist(&m.train.labels), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    assert_eq!(hist(&m.test.labels), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
}

#[test]
fn the_lectures_two_scalings() {
    assert_eq!(Scaling::Symmetric.apply(0), -1.0);
    assert_eq!(Scaling::Symmetric.apply(255), 1.0);
    assert_eq!(Scaling::Unit.apply(0), 0.0);
    assert_eq!(Scaling::Unit.apply(255), 1.0);
    let m = common::mnist();
    let x = m.train.pixels(&[0], Scaling::Unit);
    assert_eq!(x.len(), 784);
    assert!(
        x.iter().any(|v| *v > 0.9) && x.iter().filter(|v| **v == 0.0).count() > 400,
        "a digit: mostly background, some ink"
    );
}

#[test]
fn seeded_sampling_repeats() {
    use rand::SeedableRng;
    let m = common::mnist();
    let a = m.train.random_indices(32, &mut rand::rngs::StdRng::seed_from_u64(1));
    let b = m.train.random_indices(32, &mut rand::rngs::StdRng::seed_from_u64(1));
    let c = m.train.random_indices(32, &mut rand::rngs::StdRng::seed_from_u64(2));
    assert_eq!(a, b);
    assert_ne!(a, c);
    let order = m.train.shuffled_indices(&mut rand::rngs::StdRng::seed_from_u64(1));
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..60_000).collect::<Vec<_>>());
}

#[test]
fn raw_idx_files_read_like_gzipped_ones() {
    let dir = common::temp_dir("raw-idx");
    copy_mnist(&dir);
    for f in MNIST_FILES {
        let gz = std::fs::read(dir.join(f.name)).unwrap();
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut raw).unwrap();
        std::fs::write(dir.join(f.name.trim_end_matches(".gz")), raw).unwrap();
        std::fs::remove_file(dir.join(f.name)).unwrap();
    }
    assert_eq!(Mnist::load_from(&dir).unwrap(), *common::mnist());
}

#[test]
fn missing_files_say_how_to_fetch() {
    let dir = common::temp_dir("missing");
    let err = Mnist::load_from(&dir).unwrap_err();
    assert!(matches!(err, Error::MissingData { .. }), "{err:?}");
    assert!(err.to_string().contains("fetch-mnist"), "{err}");
}

fn corrupt_case(name: &str, damage: impl Fn(Vec<u8>) -> Vec<u8>, expect: &str) {
    let dir = common::temp_dir(name);
    copy_mnist(&dir);
    let path = dir.join("t10k-labels-idx1-ubyte.gz");
    let gz = std::fs::read(&path).unwrap();
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut raw).unwrap();
    std::fs::remove_file(&path).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), damage(raw)).unwrap();
    let err = Mnist::load_from(&dir).unwrap_err();
    assert!(matches!(err, Error::CorruptData { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("t10k-labels") && msg.contains(expect), "{msg}");
}

#[test]
fn truncated_file_is_reported() {
    corrupt_case(
        "truncated",
        |mut raw| {
            raw.truncate(raw.len() - 100);
            raw
        },
        "announces",
    );
}

#[test]
fn wrong_magic_is_reported() {
    corrupt_case(
        "magic",
        |mut raw| {
            raw[3] = 0x03;
            raw
        },
        "magic number",
    );
}

#[test]
fn out_of_range_label_is_reported() {
    corrupt_case(
        "label",
        |mut raw| {
            raw[20] = 11;
            raw
        },
        "label 11",
    );
}

#[test]
fn damaged_gzip_is_reported() {
    let dir = common::temp_dir("badgz");
    copy_mnist(&dir);
    let path = dir.join("train-labels-idx1-ubyte.gz");
    let mut gz = std::fs::read(&path).unwrap();
    gz.truncate(gz.len() / 2);
    std::fs::write(&path, gz).unwrap();
    let err = Mnist::load_from(&dir).unwrap_err();
    assert!(err.to_string().contains("gzip"), "{err}");
}

#[test]
fn fetch_replaces_a_file_with_a_wrong_checksum_and_rejects_a_bad_mirror() {
    let dir = common::temp_dir("refetch");
    copy_mnist(&dir);
    std::fs::write(dir.join(MNIST_FILES[3].name), b"not mnist").unwrap();
    let fetched = fetch_mnist(&dir, &common::test_mirrors()).unwrap();
    assert_eq!(fetched, vec![MNIST_FILES[3].name]);
    assert_eq!(md5_hex(&std::fs::read(dir.join(MNIST_FILES[3].name)).unwrap()), MNIST_FILES[3].md5);

    // A mirror that serves wrong bytes is refused, and nothing is moved into place.
    let bad_mirror = common::temp_dir("bad-mirror");
    for f in MNIST_FILES {
        std::fs::write(bad_mirror.join(f.name), b"garbage").unwrap();
    }
    let target = common::temp_dir("refused");
    let err = fetch_mnist(&target, &[Mirror::Dir(bad_mirror)]).unwrap_err();
    assert!(matches!(err, Error::Fetch { .. }) && err.to_string().contains("MD5"), "{err}");
    let left: Vec<_> = std::fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| !n.to_string_lossy().starts_with(genlab::data::FETCH_LOCK_FILE))
        .collect();
    assert!(left.is_empty(), "nothing may be left behind: {left:?}");
}

/// Serves `dir` over HTTP on a loopback port for `requests` requests.
fn serve(dir: std::path::PathBuf, requests: usize) -> String {
    serve_paced(dir, requests, None)
}

/// [`serve`], sending each body in pieces of `pace.0` bytes with a pause of `pace.1` before each.
fn serve_paced(dir: std::path::PathBuf, requests: usize, pace: Option<(usize, std::time::Duration)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            reader.read_line(&mut line).unwrap();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap() == 0 || header == "\r\n" {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_string();
            match std::fs::read(dir.join(&path)) {
                Ok(body) => {
                    write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .unwrap();
                    match pace {
                        None => stream.write_all(&body).unwrap(),
                        Some((piece, pause)) => {
                            for chunk in body.chunks(piece) {
                                std::thread::sleep(pause);
                                if stream.write_all(chunk).and_then(|()| stream.flush()).is_err() {
                                    break; // the client gave up
                                }
                            }
                        }
                    }
                }
                Err(_) => write!(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap(),
            }
        }
    });
    format!("http://{addr}/mnist/")
}

#[test]
fn fetch_downloads_over_http_and_verifies() {
    let source = common::temp_dir("http-source");
    copy_mnist(&source.join("mnist"));
    let url = serve(source, 4);
    let target = common::temp_dir("http-target");
    let fetched = fetch_mnist(&target, &[Mirror::parse(&url)]).unwrap();
    assert_eq!(fetched.len(), 4);
    assert_eq!(Mnist::load_from(&target).unwrap(), *common::mnist());
}

#[test]
fn fetch_falls_through_a_dead_mirror_to_a_good_one() {
    let source = common::temp_dir("http-empty");
    let dead = serve(source, 1);
    let target = common::temp_dir("fallthrough");
    let mut mirrors = vec![Mirror::parse(&dead)];
    mirrors.extend(common::test_mirrors());
    // only the first file asks the dead mirror; it answers 404, the next mirror delivers
    let fetched = fetch_mnist(&target, &mirrors[..]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fetched.len(), 4);
}

/// A slow mirror delivers as long as data keeps coming (an idle timeout, not a deadline for the
/// whole file), with progress lines; a stalled one is given up after the idle timeout.
#[test]
fn slow_mirrors_deliver_and_stalled_ones_time_out() {
    use std::time::Duration;
    let source = common::temp_dir("slow-source");
    copy_mnist(&source.join("mnist"));
    let fetch = |url: &str, target: &Path| {
        // every file but the small test labels is already there
        for f in &MNIST_FILES[..3] {
            std::fs::copy(source.join("mnist").join(f.name), target.join(f.name)).unwrap();
        }
        std::process::Command::new(env!("CARGO_BIN_EXE_genlab"))
            .args(["fetch-mnist", "--mirror", url, "--dir"])
            .arg(target)
            .env(genlab::data::IDLE_TIMEOUT_ENV, "1")
            .output()
            .unwrap()
    };
    // 4.5 KB in 500-byte pieces every 300 ms: about 3 s in all, never 1 s without data.
    let slow = serve_paced(source.clone(), 1, Some((500, Duration::from_millis(300))));
    let target = common::temp_dir("slow-target");
    let out = fetch(&slow, &target);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("downloading") && err.contains("MB"), "no progress line: {err}");
    assert_eq!(
        md5_hex(&std::fs::read(target.join(MNIST_FILES[3].name)).unwrap()),
        MNIST_FILES[3].md5
    );
    // 2 KB, then silence for 3 s.
    let stalled = serve_paced(source.clone(), 1, Some((2000, Duration::from_millis(3000))));
    let target = common::temp_dir("stalled-target");
    let out = fetch(&stalled, &target);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no data for 1 s"), "{err}");
    assert!(!target.join(MNIST_FILES[3].name).exists());
}
