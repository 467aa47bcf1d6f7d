//! Checkpoints: every tensor of a run (weights, BatchNorm statistics, optimiser moments) and its
//! JSON state in one safetensors file, written atomically.

use super::run_dir::{Claim, RunDir, CHECKPOINT_FILE};
use crate::error::{Error, Result};
use crate::optim::Adam;
use crate::walk::{each_tensor, each_tensor_mut};
use ::safetensors::tensor::{Dtype as SafeDtype, SafeTensors, TensorView};
use dfdx::nn::TensorCollection;
use dfdx::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The checkpoint tensor that holds a run's snapshot images (a GAN's grids, an autoencoder's
/// reconstructions), one row per snapshot.
pub(crate) const SNAPSHOTS_TENSOR: &str = "history.snapshots";

/// A trainer whose whole state goes into one checkpoint in its run directory: its tensors by
/// name and a JSON state (its config and counters) tagged with its kind.
pub(crate) trait Checkpointed: Sized {
    /// The `kind` its checkpoints carry (another kind is refused on resume).
    const KIND: &'static str;
    /// What it is, for messages: "a GAN".
    const WHAT: &'static str;
    /// Its settings.
    type Config: Serialize + DeserializeOwned;
    /// Where it stands: counters and history.
    type Counters: Serialize + DeserializeOwned;

    /// A fresh trainer with `config`, holding `run` as its run directory.
    fn fresh(config: Self::Config, run: Option<RunDir>) -> Result<Self>;
    /// Its settings and counters now.
    fn parts(&self) -> (&Self::Config, &Self::Counters);
    /// The run directory it holds.
    fn run(&self) -> Option<&RunDir>;
    /// Adds its tensors to `store`.
    fn put_tensors(&self, store: &mut TensorStore);
    /// Takes its tensors from `store` and its counters from a checkpoint; the error is the
    /// reason the checkpoint does not fit.
    fn restore(&mut self, store: &TensorStore, counters: Self::Counters) -> std::result::Result<(), String>;

    /// Writes the checkpoint into the run directory (nothing without one). Its JSON state must
    /// read back as it was written (a NaN would become `null`), and its tensors must be finite;
    /// otherwise nothing is written and the last good checkpoint stays.
    fn write_checkpoint(&self) -> Result<()> {
        let Some(run) = self.run() else { return Ok(()) };
        run.ensure()?;
        let (config, counters) = self.parts();
        let mut store = TensorStore::default();
        self.put_tensors(&mut store);
        let tagged = Tagged {
            kind: Self::KIND.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            config,
            counters,
        };
        let path = run.path.join(CHECKPOINT_FILE);
        store.state = serde_json::to_string(&tagged).map_err(|e| Error::Tensor(e.to_string()))?;
        if let Err(e) = serde_json::from_str::<Tagged<Self::Config, Self::Counters>>(&store.state) {
            return Err(Error::Diverged {
                what: format!("the run's state holds a value that is not a finite number ({e})"),
                kept: format!("The last good checkpoint {} was kept.", path.display()),
            });
        }
        store.save(&path)
    }

    /// What a divergence leaves behind, for its message.
    fn divergence_leaves(&self) -> String {
        match self.run() {
            Some(run) if run.path.join(CHECKPOINT_FILE).is_file() => format!(
                "The checkpoint in {} was not overwritten: it holds the last good state before this.",
                run.path.display()
            ),
            Some(run) => format!(
                "It diverged before its first checkpoint, so {} holds none: start again with --force \
                 (or start_over in a notebook), with other settings (a lower learning rate, say).",
                run.path.display()
            ),
            None => "The model in memory is no longer usable.".into(),
        }
    }

    /// The run in the checkpoint file `path`, holding `run` as its run directory (or none: it
    /// then writes no checkpoints).
    fn from_checkpoint(path: &Path, run: Option<RunDir>) -> Result<Self> {
        let store = TensorStore::load(path)?;
        let tagged: Tagged<Self::Config, Self::Counters> = store.state(path, Self::KIND, Self::WHAT)?;
        let mut trainer = Self::fresh(tagged.config, run)?;
        let bad = |reason: String| Error::Checkpoint {
            path: path.to_path_buf(),
            reason,
        };
        trainer.restore(&store, tagged.counters).map_err(bad)?;
        // A tensor the trainer does not take would be dropped at its next checkpoint.
        let mut taken = TensorStore::default();
        trainer.put_tensors(&mut taken);
        let unknown: Vec<&str> = store
            .tensors
            .keys()
            .filter(|k| !taken.tensors.contains_key(*k))
            .map(String::as_str)
            .collect();
        if let [first, ..] = unknown[..] {
            let more = match unknown.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            return Err(bad(format!(
                "it holds tensor `{first}`{more}, which this run does not use: written by another genlab or \
                 edited; nothing was loaded, and the file was left as it is"
            )));
        }
        Ok(trainer)
    }

    /// Continues the run whose checkpoint is in `run_dir` (locked first).
    fn resume(run_dir: &Path) -> Result<Self> {
        let run = RunDir::claim(run_dir, Claim::Continue)?;
        Self::from_checkpoint(&run_dir.join(CHECKPOINT_FILE), Some(run))
    }
}

/// A checkpoint's JSON state: the trainer's config and counters beside its kind and genlab's
/// version.
#[derive(Serialize, Deserialize)]
struct Tagged<C, K> {
    kind: String,
    version: String,
    config: C,
    #[serde(flatten)]
    counters: K,
}

/// Named f32 tensors plus a JSON state, the content of one checkpoint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TensorStore {
    /// Tensors by name: (shape, values).
    pub tensors: BTreeMap<String, (Vec<usize>, Vec<f32>)>,
    /// The run's state (counters, history, config), as JSON text.
    pub state: String,
}

impl TensorStore {
    /// Adds every tensor of `model` under `prefix.`.
    pub fn put_module<M: TensorCollection<f32, Cpu>>(&mut self, prefix: &str, model: &M) {
        each_tensor(model, |name, _, t| {
            let mut values = vec![0.0; t.len()];
            t.read(&mut values);
            self.tensors.insert(format!("{prefix}.{name}"), (t.dims(), values));
        });
    }

    /// Loads every tensor of `model` from `prefix.`, checking names and shapes, and that the
    /// store holds no other tensor under `prefix.` (a checkpoint of a larger network).
    pub fn take_module<M: TensorCollection<f32, Cpu>>(&self, prefix: &str, model: &mut M) -> std::result::Result<(), String> {
        let mut problem = None;
        let mut taken = std::collections::HashSet::new();
        each_tensor_mut(model, |name, _, t| {
            let key = format!("{prefix}.{name}");
            taken.insert(key.clone());
            match self.tensors.get(&key) {
                None => problem = problem.take().or(Some(format!("it has no tensor `{key}`"))),
                Some((s, _)) if *s != t.dims() => {
                    problem = problem
                        .take()
                        .or(Some(format!("tensor `{key}` has shape {s:?}, the model needs {:?}", t.dims())))
                }
                Some((_, values)) => t.write(values),
            }
            Ok(())
        })
        .expect("writing tensors cannot fail");
        if problem.is_none() {
            let dotted = format!("{prefix}.");
            if let Some(extra) = self.tensors.keys().find(|k| k.starts_with(&dotted) && !taken.contains(*k)) {
                problem = Some(format!(
                    "it holds tensor `{extra}`, which the model does not have (a checkpoint of other networks)"
                ));
            }
        }
        // Every mismatch means the checkpoint was written by networks of other types: say how
        // to load it with those.
        problem.map_or(Ok(()), |p| {
            Err(format!(
                "{p}: it was written by networks of other types; load it with the types that \
                 wrote it (`with_networks::<..>().load_checkpoint(..)`, the same types as in the notebook \
                 that trained it)"
            ))
        })
    }

    /// Adds equally long rows (a run's snapshot images) as one tensor `name` of shape
    /// `[rows, len]`; nothing when there are no rows. Images go here rather than into the JSON
    /// state, whose header a safetensors reader caps at 100 MB.
    pub fn put_rows<'a>(&mut self, name: &str, rows: impl ExactSizeIterator<Item = &'a [f32]>) {
        let count = rows.len();
        let values: Vec<f32> = rows.flatten().copied().collect();
        if count > 0 {
            self.tensors.insert(name.into(), (vec![count, values.len() / count], values));
        }
    }

    /// The rows of tensor `name` (written by [`put_rows`](TensorStore::put_rows)), checked to be
    /// `count` rows of `len` values; `None` when the store has no such tensor (a checkpoint from
    /// before genlab kept images there, whose JSON state holds them).
    pub fn take_rows(&self, name: &str, count: usize, len: usize) -> std::result::Result<Option<Vec<Vec<f32>>>, String> {
        let Some((shape, values)) = self.tensors.get(name) else {
            return Ok(None);
        };
        if *shape != [count, len] {
            return Err(format!(
                "tensor `{name}` has shape {shape:?}, the run's history needs [{count}, {len}]"
            ));
        }
        Ok(Some(values.chunks_exact(len.max(1)).map(<[f32]>::to_vec).collect()))
    }

    /// Adds an optimiser's moments under `prefix.`.
    pub fn put_optimizer(&mut self, prefix: &str, adam: &Adam) {
        for (i, (m, v)) in adam.m.iter().zip(&adam.v).enumerate() {
            self.tensors.insert(format!("{prefix}.m.{i}"), (vec![m.len()], m.clone()));
            self.tensors.insert(format!("{prefix}.v.{i}"), (vec![v.len()], v.clone()));
        }
    }

    /// Restores an optimiser's moments from `prefix.` for `model`'s trainable tensors; `step`
    /// (updates applied) comes from the JSON state. The error says why they do not fit: moments
    /// missing after updates, moments of a fresh optimiser, or sizes that are not the model's.
    pub fn take_optimizer<M: TensorCollection<f32, Cpu>>(
        &self,
        prefix: &str,
        adam: &mut Adam,
        step: u64,
        model: &M,
    ) -> std::result::Result<(), String> {
        let mut sizes = Vec::new();
        each_tensor(model, |_, trainable, t| {
            if trainable {
                sizes.push(t.len())
            }
        });
        let (mut m, mut v) = (Vec::new(), Vec::new());
        while let (Some((_, mi)), Some((_, vi))) = (
            self.tensors.get(&format!("{prefix}.m.{}", m.len())),
            self.tensors.get(&format!("{prefix}.v.{}", v.len())),
        ) {
            m.push(mi.clone());
            v.push(vi.clone());
        }
        let found: Vec<usize> = m.iter().map(Vec::len).collect();
        let v_found: Vec<usize> = v.iter().map(Vec::len).collect();
        // A first or second moment beyond the pairs taken (its partner missing).
        let extra = [format!("{prefix}.m.{}", m.len()), format!("{prefix}.v.{}", v.len())]
            .iter()
            .any(|k| self.tensors.contains_key(k));
        match (step, found.is_empty()) {
            (0, true) => {}
            (0, false) => return Err(format!("`{prefix}` has optimiser moments although it counts no update")),
            (_, true) => return Err(format!("`{prefix}` counts {step} updates but holds no optimiser moments")),
            (_, false) if found != sizes || v_found != sizes || extra => {
                return Err(format!(
                    "the optimiser moments of `{prefix}` have sizes {found:?} / {v_found:?}, the model's trainable tensors {sizes:?}"
                ))
            }
            _ => {}
        }
        adam.step = step;
        adam.m = m;
        adam.v = v;
        Ok(())
    }

    /// Parses the JSON state, first checking that it belongs to a run of `kind` (`what` names
    /// that kind in the error).
    pub fn state<T: serde::de::DeserializeOwned>(&self, path: &Path, kind: &str, what: &str) -> Result<T> {
        let bad = |reason: String| Error::Checkpoint {
            path: path.to_path_buf(),
            reason,
        };
        let value: serde_json::Value = serde_json::from_str(&self.state).map_err(|e| bad(format!("its state is unreadable ({e})")))?;
        match value.get("kind").and_then(|k| k.as_str()) {
            Some(k) if k == kind => {}
            Some(k) => return Err(bad(format!("it is a `{k}` checkpoint, not {what} one"))),
            None => return Err(bad("its state names no kind of run".into())),
        }
        serde_json::from_value(value).map_err(|e| bad(format!("its state is unreadable ({e})")))
    }

    /// Writes the store to `path` atomically: a temporary file in the same directory, synced,
    /// then renamed over the old checkpoint, so a kill at any moment leaves a whole file.
    ///
    /// A tensor holding NaN or infinity is refused ([`Error::Diverged`]) and the file on disk is
    /// left as it was: a diverged run never replaces its last good checkpoint. The tensors'
    /// checksum goes into the metadata, so [`TensorStore::load`] notices a damaged file.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some((name, value)) = self.first_non_finite() {
            return Err(Error::Diverged {
                what: format!("tensor `{name}` holds {value}"),
                kept: format!("The last good checkpoint {} was kept.", path.display()),
            });
        }
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = self
            .tensors
            .iter()
            .map(|(k, (shape, values))| (k.clone(), values.iter().flat_map(|v| v.to_le_bytes()).collect(), shape.clone()))
            .collect();
        let views = bytes
            .iter()
            .map(|(k, data, shape)| {
                Ok((
                    k.as_str(),
                    TensorView::new(SafeDtype::F32, shape.clone(), data).map_err(|e| Error::Tensor(format!("{e:?}")))?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let meta = HashMap::from([
            (STATE_KEY.to_string(), self.state.clone()),
            (CHECKSUM_KEY.to_string(), self.checksum()),
        ]);
        let buffer = ::safetensors::tensor::serialize(views, &Some(meta)).map_err(|e| Error::Tensor(format!("{e:?}")))?;
        // A checkpoint the reader would refuse never replaces a readable one.
        let header = u64::from_le_bytes(buffer[..8].try_into().expect("a safetensors buffer starts with its length"));
        if header > MAX_HEADER_BYTES {
            return Err(Error::Checkpoint {
                path: path.to_path_buf(),
                reason: format!(
                    "its header (the run's settings and history) would be {:.1} MB, over the {} MB a \
                     safetensors reader accepts, so it was not written and the earlier checkpoint was kept: \
                     continue from that checkpoint with fewer iterations or judged snapshots",
                    header as f64 / 1e6,
                    MAX_HEADER_BYTES / 1_000_000
                ),
            });
        }
        let tmp = tmp_path(path);
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&buffer)?;
            f.sync_all()
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io("writing checkpoint", path, e)
        })?;
        crate::files::replace(&tmp, path)
    }

    /// Reads a store written by [`TensorStore::save`], checking every tensor against the
    /// checksum saved with them (files from before checksums load with a warning) and refusing
    /// values that are not finite. Reads at most [`MAX_CHECKPOINT_BYTES`].
    pub fn load(path: &Path) -> Result<TensorStore> {
        let bad = |reason: String| Error::Checkpoint {
            path: path.to_path_buf(),
            reason,
        };
        let buffer = crate::files::read_at_most(path, MAX_CHECKPOINT_BYTES).map_err(|e| bad(format!("cannot read it ({e})")))?;
        let (_, metadata) = SafeTensors::read_metadata(&buffer).map_err(|e| match e {
            ::safetensors::SafeTensorError::HeaderTooLarge => bad(format!(
                "its header is over the {} MB a safetensors reader accepts (written by a genlab that kept \
                 snapshot images in it); this file cannot be read: start the run again",
                MAX_HEADER_BYTES / 1_000_000
            )),
            other => bad(format!("not a safetensors file ({other:?})")),
        })?;
        let metadata = metadata.metadata().clone().unwrap_or_default();
        let state = metadata
            .get(STATE_KEY)
            .cloned()
            .ok_or_else(|| bad("it has no genlab state; it was not written by genlab".into()))?;
        let st = SafeTensors::deserialize(&buffer).map_err(|e| bad(format!("damaged ({e:?})")))?;
        let mut tensors = BTreeMap::new();
        for (name, view) in st.tensors() {
            if view.dtype() != SafeDtype::F32 {
                return Err(bad(format!("tensor `{name}` is {:?}, expected F32", view.dtype())));
            }
            let values = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            tensors.insert(name, (view.shape().to_vec(), values));
        }
        let store = TensorStore { tensors, state };
        match metadata.get(CHECKSUM_KEY) {
            Some(sum) if *sum == store.checksum() => {}
            Some(_) => {
                return Err(bad(
                    "its contents do not match the checksum saved with them (the file was damaged after it was written)".into(),
                ))
            }
            None => eprintln!(
                "warning: {} has no checksum (written by an older genlab); its tensors cannot be verified",
                path.display()
            ),
        }
        if let Some((name, value)) = store.first_non_finite() {
            return Err(bad(format!("tensor `{name}` holds {value}")));
        }
        Ok(store)
    }

    /// MD5 over the JSON state and every tensor's name, shape and values, in name order (hex).
    fn checksum(&self) -> String {
        use md5::{Digest, Md5};
        let mut hash = Md5::new();
        hash.update((self.state.len() as u64).to_le_bytes());
        hash.update(self.state.as_bytes());
        for (name, (shape, values)) in &self.tensors {
            hash.update((name.len() as u64).to_le_bytes());
            hash.update(name.as_bytes());
            for &d in shape {
                hash.update((d as u64).to_le_bytes());
            }
            for v in values {
                hash.update(v.to_le_bytes());
            }
        }
        crate::files::hex(&hash.finalize())
    }

    /// The first tensor value that is NaN or infinite, with its tensor's name.
    fn first_non_finite(&self) -> Option<(&str, f32)> {
        self.tensors
            .iter()
            .find_map(|(name, (_, values))| values.iter().find(|v| !v.is_finite()).map(|&v| (name.as_str(), v)))
    }
}

/// The largest checkpoint genlab reads: 1 GiB (the lecture's GAN checkpoint is about 17 MB).
pub const MAX_CHECKPOINT_BYTES: u64 = 1 << 30;

/// Metadata key of a checkpoint's JSON state.
const STATE_KEY: &str = "genlab_state";
/// Metadata key of the tensors' checksum.
const CHECKSUM_KEY: &str = "genlab_checksum";

/// `first`, or when it refused the checkpoint's tensors ([`Error::Checkpoint`]), what `other`
/// gives: the same networks spelled another way (the lecture's, built in or typed line by
/// line). When both refuse, the first refusal is the one reported.
pub(crate) fn or_other_spelling<T>(first: Result<T>, other: impl FnOnce() -> Result<T>) -> Result<T> {
    match first {
        Err(refused @ Error::Checkpoint { .. }) => other().map_err(|_| refused),
        decided => decided,
    }
}

/// The largest header the safetensors reader accepts (its `MAX_HEADER_SIZE`).
const MAX_HEADER_BYTES: u64 = 100_000_000;

fn tmp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A checkpoint whose header the reader would refuse is not written, and the readable one
    /// stays (issue 36, round two #1: a 103.9 MB header replaced the last readable checkpoint).
    #[test]
    fn a_header_the_reader_would_refuse_never_replaces_a_readable_checkpoint() {
        let dir = std::env::temp_dir().join(format!("genlab-header-{}", std::process::id()));
        let path = dir.join("checkpoint.safetensors");
        let mut store = TensorStore::default();
        store.tensors.insert("w".into(), (vec![2], vec![1.0, 2.0]));
        store.state = "{}".into();
        store.save(&path).unwrap();
        let readable = std::fs::read(&path).unwrap();
        store.state = format!("{{\"snapshots\":\"{}\"}}", "7".repeat(MAX_HEADER_BYTES as usize));
        let err = store.save(&path).unwrap_err().to_string();
        assert!(err.contains("100 MB") && err.contains("earlier checkpoint was kept"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), readable, "the readable checkpoint was kept");
        assert!(TensorStore::load(&path).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A checkpoint another program holds open while a run saves (`genlab score` reading a run
    /// that trains, a virus scanner). Unix replaces it, and the reader goes on reading the whole
    /// earlier file. Windows may refuse to replace an open file (Wine 8 does, even when the reader
    /// shares deletion): the save tries again for about two seconds, so a short read never stops
    /// a run; a hold longer than that ends in a message saying what to do, with the earlier
    /// checkpoint whole. Either way no temporary file is left.
    #[test]
    fn a_checkpoint_held_open_elsewhere_stays_whole() {
        let dir = std::env::temp_dir().join(format!("genlab-held-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("checkpoint.safetensors");
        let mut store = TensorStore::default();
        store.tensors.insert("w".into(), (vec![2], vec![1.0, 2.0]));
        store.state = "{}".into();
        store.save(&path).unwrap();
        let earlier = std::fs::read(&path).unwrap();

        let mut reader = std::fs::File::open(&path).unwrap();
        let closing = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            let mut read = Vec::new();
            std::io::Read::read_to_end(&mut reader, &mut read).unwrap();
            read
        });
        store.tensors.insert("w".into(), (vec![2], vec![3.0, 4.0]));
        store.save(&path).expect("a file held open for 0.3 s is replaced");
        assert_eq!(closing.join().unwrap(), earlier, "the reader reads the file it opened, whole");
        let newer = std::fs::read(&path).unwrap();
        assert_ne!(newer, earlier);

        let mut options = std::fs::OpenOptions::new();
        options.read(true);
        #[cfg(windows)]
        std::os::windows::fs::OpenOptionsExt::share_mode(&mut options, 1); // FILE_SHARE_READ only
        let held = options.open(&path).unwrap();
        store.tensors.insert("w".into(), (vec![2], vec![5.0, 6.0]));
        let saved = store.save(&path);
        drop(held);
        match saved {
            Ok(()) => assert_ne!(std::fs::read(&path).unwrap(), newer),
            Err(e) => {
                assert!(cfg!(windows), "only Windows refuses to replace an open file: {e}");
                let e = e.to_string();
                assert!(e.contains("close any other program") && e.contains("earlier file was kept"), "{e}");
                assert_eq!(std::fs::read(&path).unwrap(), newer, "the earlier checkpoint stays");
            }
        }
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["checkpoint.safetensors"], "no temporary file is left");
        assert!(TensorStore::load(&path).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
