//! Checkpoints: every tensor of a run (weights, BatchNorm statistics, optimiser moments) and its
//! JSON state in one safetensors file, written atomically.

use crate::error::{Error, Result};
use crate::optim::Adam;
use ::safetensors::tensor::{Dtype as SafeDtype, SafeTensors, TensorView};
use dfdx::nn::tensor_collection::{RecursiveWalker, TensorOptions, TensorVisitor, ViewTensorMut, ViewTensorName, ViewTensorRef};
use dfdx::nn::TensorCollection;
use dfdx::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

/// File name of the checkpoint inside a run directory.
pub const CHECKPOINT_FILE: &str = "checkpoint.safetensors";

/// A trainer whose whole state goes into one checkpoint in its run directory: its tensors by
/// name and a JSON state (counters, history, config) tagged with its kind.
pub(crate) trait Checkpointed: Sized {
    /// The `kind` its checkpoints carry (another kind is refused on resume).
    const KIND: &'static str;
    /// What it is, for messages: "a GAN".
    const WHAT: &'static str;
    /// Its JSON state.
    type State: Serialize + DeserializeOwned;

    /// Where its checkpoints go (`None`: nowhere).
    fn run_dir(&self) -> Option<&Path>;
    /// Its state now.
    fn state(&self) -> Self::State;
    /// Adds its tensors to `store`.
    fn put_tensors(&self, store: &mut TensorStore);
    /// A trainer from a saved state (its config pointed at `run_dir`), tensors taken from
    /// `store`; the error is the reason the checkpoint does not fit.
    fn restore(state: Self::State, run_dir: &Path, store: &TensorStore) -> Result<std::result::Result<Self, String>>;

    /// Writes the checkpoint into the run directory (nothing without one).
    fn write_checkpoint(&self) -> Result<()> {
        let Some(dir) = self.run_dir() else {
            return Ok(());
        };
        let mut store = TensorStore::default();
        self.put_tensors(&mut store);
        let tagged = Tagged {
            kind: Self::KIND.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            state: self.state(),
        };
        store.state = serde_json::to_string(&tagged).map_err(|e| Error::Tensor(e.to_string()))?;
        store.save(&dir.join(CHECKPOINT_FILE))
    }

    /// Continues the run whose checkpoint is in `run_dir`.
    fn resume(run_dir: &Path) -> Result<Self> {
        let path = run_dir.join(CHECKPOINT_FILE);
        let store = TensorStore::load(&path)?;
        let tagged: Tagged<Self::State> = store.state(&path, Self::KIND, Self::WHAT)?;
        Self::restore(tagged.state, run_dir, &store)?.map_err(|reason| Error::Checkpoint { path, reason })
    }
}

/// A checkpoint's JSON state: the trainer's own fields beside its kind and genlab's version.
#[derive(Serialize, Deserialize)]
struct Tagged<S> {
    kind: String,
    version: String,
    #[serde(flatten)]
    state: S,
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
        struct Put<'a>(&'a mut BTreeMap<String, (Vec<usize>, Vec<f32>)>, String);
        impl TensorVisitor<f32, Cpu> for Put<'_> {
            type Viewer = (ViewTensorRef, ViewTensorName);
            type Err = CpuError;
            type E2 = f32;
            type D2 = Cpu;
            fn visit<S: Shape>(
                &mut self,
                _: TensorOptions<S, f32, Cpu>,
                (t, name): (&Tensor<S, f32, Cpu>, String),
            ) -> std::result::Result<Option<Tensor<S, f32, Cpu>>, CpuError> {
                self.0.insert(
                    format!("{}.{name}", self.1),
                    (t.shape().concrete().into_iter().collect(), t.as_vec()),
                );
                Ok(None)
            }
        }
        let mut put = Put(&mut self.tensors, prefix.to_string());
        M::iter_tensors(&mut RecursiveWalker {
            m: (model, String::new()),
            f: &mut put,
        })
        .expect("reading tensors cannot fail");
    }

    /// Loads every tensor of `model` from `prefix.`, checking names and shapes.
    pub fn take_module<M: TensorCollection<f32, Cpu>>(&self, prefix: &str, model: &mut M) -> std::result::Result<(), String> {
        struct Take<'a>(&'a BTreeMap<String, (Vec<usize>, Vec<f32>)>, String, Option<String>);
        impl TensorVisitor<f32, Cpu> for Take<'_> {
            type Viewer = (ViewTensorMut, ViewTensorName);
            type Err = CpuError;
            type E2 = f32;
            type D2 = Cpu;
            fn visit<S: Shape>(
                &mut self,
                _: TensorOptions<S, f32, Cpu>,
                (t, name): (&mut Tensor<S, f32, Cpu>, String),
            ) -> std::result::Result<Option<Tensor<S, f32, Cpu>>, CpuError> {
                let key = format!("{}.{name}", self.1);
                let shape: Vec<usize> = t.shape().concrete().into_iter().collect();
                match self.0.get(&key) {
                    None => self.2.get_or_insert(format!("it has no tensor `{key}`")),
                    Some((s, _)) if *s != shape => self
                        .2
                        .get_or_insert(format!("tensor `{key}` has shape {s:?}, the model needs {shape:?}")),
                    Some((_, values)) => {
                        t.copy_from(values);
                        return Ok(None);
                    }
                };
                Ok(None)
            }
        }
        let mut take = Take(&self.tensors, prefix.to_string(), None);
        M::iter_tensors(&mut RecursiveWalker {
            m: (model, String::new()),
            f: &mut take,
        })
        .expect("writing tensors cannot fail");
        match take.2 {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }

    /// Adds an optimiser's moments under `prefix.`.
    pub fn put_optimizer(&mut self, prefix: &str, adam: &Adam) {
        for (i, (m, v)) in adam.m.iter().zip(&adam.v).enumerate() {
            self.tensors.insert(format!("{prefix}.m.{i}"), (vec![m.len()], m.clone()));
            self.tensors.insert(format!("{prefix}.v.{i}"), (vec![v.len()], v.clone()));
        }
    }

    /// Restores an optimiser's moments from `prefix.`; `step` comes from the JSON state.
    pub fn take_optimizer(&self, prefix: &str, adam: &mut Adam, step: u64) {
        adam.step = step;
        adam.m.clear();
        adam.v.clear();
        for i in 0.. {
            match (
                self.tensors.get(&format!("{prefix}.m.{i}")),
                self.tensors.get(&format!("{prefix}.v.{i}")),
            ) {
                (Some((_, m)), Some((_, v))) => {
                    adam.m.push(m.clone());
                    adam.v.push(v.clone());
                }
                _ => break,
            }
        }
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
    pub fn save(&self, path: &Path) -> Result<()> {
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
        let meta = HashMap::from([("genlab_state".to_string(), self.state.clone())]);
        let buffer = ::safetensors::tensor::serialize(views, &Some(meta)).map_err(|e| Error::Tensor(format!("{e:?}")))?;
        let tmp = tmp_path(path);
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&buffer)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io("writing checkpoint", path, e)
        })
    }

    /// Reads a store written by [`TensorStore::save`].
    pub fn load(path: &Path) -> Result<TensorStore> {
        let bad = |reason: String| Error::Checkpoint {
            path: path.to_path_buf(),
            reason,
        };
        let buffer = std::fs::read(path).map_err(|e| bad(format!("cannot read it ({e})")))?;
        let (_, metadata) = SafeTensors::read_metadata(&buffer).map_err(|e| bad(format!("not a safetensors file ({e:?})")))?;
        let state = metadata
            .metadata()
            .as_ref()
            .and_then(|m| m.get("genlab_state").cloned())
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
        Ok(TensorStore { tensors, state })
    }
}

fn tmp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}
