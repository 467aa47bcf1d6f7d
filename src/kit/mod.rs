//! The training kit below both the trainers (`crate::train`) and the judge (`crate::judge`):
//! what any training loop here needs, each in its own room.
//!
//! Rooms: `step.rs` (one optimiser step, written once), `progress.rs` (progress lines and bars,
//! the stop flag), `checkpoint.rs` (a trainer's tensors and state in one file, written
//! atomically; the tensor store), `run_dir.rs` (one writer per run directory and the files it
//! holds), `state.rs` (a trainer's settings, counters, data and run directory, apart from its
//! networks), `ema.rs` (a network's weight average).

pub(crate) mod checkpoint;
pub(crate) mod ema;
pub(crate) mod progress;
pub(crate) mod run_dir;
pub(crate) mod state;
pub(crate) mod step;
