//! The IDX and checkpoint readers fuzzed for a bounded time: mutated files (flipped bits,
//! extreme header words, cuts, insertions, gzip of mutated bytes) must give an error or a value,
//! never a panic, and never allocate more than a small multiple of the file's own size.
//!
//! `GENLAB_FUZZ_SECONDS` sets the time (default 20 s, split between the two readers); the seed
//! of each round is printed with any failure, and the failing input is kept under the target
//! directory.

use genlab::data::{read_idx, IMAGES_MAGIC, LABELS_MAGIC};
use genlab::train::TensorStore;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The system allocator, counting the bytes held now and the most held since the last reset.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`, which upholds `GlobalAlloc`'s
// contract; the counters are only bookkeeping beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout is passed on as given.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = HELD.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout (see `alloc`).
        unsafe { System.dealloc(ptr, layout) };
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as given; `ptr` and `layout` come from an earlier `alloc`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            HELD.fetch_sub(layout.size(), Ordering::Relaxed);
            let now = HELD.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `read` on the file `path` (of `len` bytes): no panic, and the most memory held during
/// the call stays within `64 x len + 1 MiB` above what was held before. Returns whether `read`
/// accepted the file.
fn check<T, E>(what: &str, round: u64, path: &Path, len: usize, read: impl FnOnce(&Path) -> Result<T, E> + std::panic::UnwindSafe) -> bool {
    let before = HELD.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let result = std::panic::catch_unwind(|| read(path).is_ok());
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let kept = path.with_extension(format!("failing-{round}"));
    if result.is_err() || peak > 64 * len + (1 << 20) {
        std::fs::copy(path, &kept).unwrap();
        panic!(
            "{what}, round {round}: {} (held {peak} bytes for a {len}-byte file); input kept in {}",
            if result.is_err() { "panicked" } else { "allocated too much" },
            kept.display()
        );
    }
    result.unwrap_or(false)
}

/// One mutation of `seed`: bit flips, an extreme 32-bit word, a cut, an insertion, or a mix.
fn mutate(seed: &[u8], rng: &mut StdRng) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..rng.gen_range(1..4) {
        if bytes.is_empty() {
            bytes.push(rng.gen());
        }
        let at = rng.gen_range(0..bytes.len());
        match rng.gen_range(0..5) {
            0 => bytes[at] ^= 1 << rng.gen_range(0..8),
            1 => {
                let word: u32 = [0, 1, 0x7fff_ffff, 0xffff_ffff, 0x0000_0803, 60_000, rng.gen()][rng.gen_range(0..7)];
                let end = (at + 4).min(bytes.len());
                bytes[at..end].copy_from_slice(&word.to_be_bytes()[..end - at]);
            }
            2 => bytes.truncate(at),
            3 => {
                let n = rng.gen_range(1..64);
                let extra: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
                bytes.splice(at..at, extra);
            }
            _ => bytes[at] = rng.gen(),
        }
    }
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn idx(magic: u32, dims: &[u32], fill: u8) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(std::iter::repeat_n(fill, dims.iter().product::<u32>() as usize));
    v
}

fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_idx_and_checkpoint_readers_survive_mutated_files() {
    let total = std::env::var("GENLAB_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20.0);
    let budget = Duration::from_secs_f64(total / 2.0);
    let dir = scratch();
    let mut rng = StdRng::seed_from_u64(0x6e6c_6162);

    // IDX: labels and images, raw and gzipped; the mutation hits the raw bytes or the gzip file.
    let seeds = [idx(LABELS_MAGIC, &[100], 7), idx(IMAGES_MAGIC, &[3, 28, 28], 200)];
    let path = dir.join("input.idx");
    let (started, mut rounds, mut accepted) = (Instant::now(), 0u64, 0u64);
    while started.elapsed() < budget {
        let seed = &seeds[(rounds % 2) as usize];
        // The fourth kind: a whole gzip stream with bytes after it, never accepted.
        let trailing = rounds % 4 == 3;
        let bytes = match rounds % 4 {
            0 => mutate(seed, &mut rng),
            1 => gzip(&mutate(seed, &mut rng)),
            2 => mutate(&gzip(seed), &mut rng),
            _ => {
                let mut bytes = gzip(seed);
                bytes.extend((0..rng.gen_range(1..64)).map(|_| rng.gen::<u8>()));
                bytes
            }
        };
        std::fs::write(&path, &bytes).unwrap();
        let magic = if rounds % 2 == 0 { LABELS_MAGIC } else { IMAGES_MAGIC };
        let ok = check("read_idx", rounds, &path, bytes.len(), |p| read_idx(p, magic));
        assert!(!(trailing && ok), "round {rounds}: bytes after a gzip stream were accepted");
        accepted += ok as u64;
        rounds += 1;
    }
    println!("read_idx: {rounds} mutated files, {accepted} still valid, no panic, bounded memory");
    assert!(rounds > 100, "too few rounds to mean anything");

    // Checkpoints: a small store written by genlab, mutated anywhere (header, state, values).
    let mut store = TensorStore::default();
    store
        .tensors
        .insert("a.weight".into(), (vec![4, 3], (0..12).map(|i| i as f32 * 0.1).collect()));
    store.tensors.insert("b.m.0".into(), (vec![5], vec![1.0; 5]));
    store.put_rows("history.snapshots", [&[0.5f32; 6][..], &[-0.5; 6]].into_iter());
    store.state = r#"{"kind":"genlab-gan","version":"0.1.0","iteration":3}"#.into();
    let path = dir.join("checkpoint.safetensors");
    store.save(&path).unwrap();
    let seed = std::fs::read(&path).unwrap();
    let (started, mut rounds, mut accepted) = (Instant::now(), 0u64, 0u64);
    while started.elapsed() < budget {
        let bytes = mutate(&seed, &mut rng);
        std::fs::write(&path, &bytes).unwrap();
        accepted += check("TensorStore::load", rounds, &path, bytes.len(), |p| {
            TensorStore::load(p).and_then(|s| s.state::<serde_json::Value>(p, "genlab-gan", "a GAN"))
        }) as u64;
        rounds += 1;
    }
    println!("TensorStore::load: {rounds} mutated files, {accepted} accepted (checksum intact), no panic, bounded memory");
    assert!(rounds > 100, "too few rounds to mean anything");
    std::fs::remove_dir_all(&dir).unwrap();
}
