//! What a trainer holds besides its networks: settings, counters, data, stop flag and run
//! directory. The public trainers reach it without knowing the networks' types.

use super::progress::StopFlag;
use super::run_dir::{Claim, RunDir};
use crate::data::Mnist;
use crate::error::Result;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// A trainer's state apart from its networks: `config` (its settings, `C`) and `counters`
/// (where it stands, `K`, saved in its checkpoints), the data, the stop flag and the run
/// directory it holds.
pub(crate) struct TrainerState<C, K, M = Arc<Mnist>> {
    pub config: C,
    pub counters: K,
    pub mnist: M,
    pub stop: StopFlag,
    pub run: Option<RunDir>,
}

/// How a trainer holds MNIST: loaded (an autoencoder needs its test images for every figure)
/// or loaded when first needed ([`Dataset`]).
pub(crate) trait Data {
    /// The data, loading it first where needed.
    fn get(&self) -> Result<&Arc<Mnist>>;
}

impl Data for Arc<Mnist> {
    fn get(&self) -> Result<&Arc<Mnist>> {
        Ok(self)
    }
}

/// The data a trainer holds: MNIST given to it, or loaded when first needed (a GAN loaded
/// from its checkpoint to sample never reads it, so it samples where MNIST is not).
pub(crate) struct Dataset(OnceLock<Arc<Mnist>>);

impl Data for Dataset {
    fn get(&self) -> Result<&Arc<Mnist>> {
        if let Some(mnist) = self.0.get() {
            return Ok(mnist);
        }
        let mnist = Mnist::load()?;
        Ok(self.0.get_or_init(|| mnist))
    }
}

impl Dataset {
    /// `mnist`, as given.
    pub(crate) fn given(mnist: Arc<Mnist>) -> Dataset {
        Dataset(OnceLock::from(mnist))
    }

    /// MNIST from the data directory, loaded on first use.
    pub(crate) fn on_demand() -> Dataset {
        Dataset(OnceLock::new())
    }
}

/// Settings that may name a run directory.
pub(crate) trait RunSettings {
    /// Where checkpoints go, if anywhere.
    fn run_dir(&self) -> Option<&Path>;
}

impl<C: RunSettings, K: Default, M: Data> TrainerState<C, K, M> {
    /// A fresh state on `mnist`, holding no run directory yet.
    pub(crate) fn new(config: C, mnist: M) -> Self {
        TrainerState {
            config,
            counters: K::default(),
            mnist,
            stop: StopFlag::new(),
            run: None,
        }
    }

    /// Takes the configured run directory, `how` (a fresh run refuses one that holds a run).
    pub(crate) fn claim_run_dir(&mut self, how: Claim) -> Result<()> {
        if let Some(dir) = self.config.run_dir() {
            self.run = Some(RunDir::claim(dir, how)?);
        }
        Ok(())
    }
}
