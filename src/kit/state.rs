//! What a trainer holds besides its networks: settings, counters, data, stop flag and run
//! directory. The public trainers reach it without knowing the networks' types.

use super::progress::StopFlag;
use super::run_dir::{Claim, RunDir};
use crate::data::Mnist;
use crate::error::Result;
use std::path::Path;
use std::sync::Arc;

/// A trainer's state apart from its networks: `config` (its settings, `C`) and `counters`
/// (where it stands, `K`, saved in its checkpoints), the data, the stop flag and the run
/// directory it holds.
pub(crate) struct TrainerState<C, K> {
    pub config: C,
    pub counters: K,
    pub mnist: Arc<Mnist>,
    pub stop: StopFlag,
    pub run: Option<RunDir>,
}

/// Settings that may name a run directory.
pub(crate) trait RunSettings {
    /// Where checkpoints go, if anywhere.
    fn run_dir(&self) -> Option<&Path>;
}

impl<C: RunSettings, K: Default> TrainerState<C, K> {
    /// A fresh state on `mnist`, holding no run directory yet.
    pub(crate) fn new(config: C, mnist: Arc<Mnist>) -> Self {
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
