//! Progress lines while training, and a flag that asks training to stop after the current step.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// A shared "please stop" flag: raise it from a signal handler or another thread, and training
/// stops after the step it is in, writes a checkpoint and returns
/// [`Outcome::Stopped`](super::Outcome::Stopped).
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// A lowered flag.
    pub fn new() -> Self {
        Self::default()
    }
    /// Asks training to stop.
    pub fn raise(&self) {
        self.0.store(true, Ordering::SeqCst)
    }
    /// Lowers the flag again.
    pub fn lower(&self) {
        self.0.store(false, Ordering::SeqCst)
    }
    /// Whether a stop was asked for.
    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Prints a progress line every `every` steps (0: never), with rate and time left, flushed so
/// that JupyterLab and log files show it at once.
#[derive(Debug, Clone)]
pub struct Progress {
    every: u64,
    started: Instant,
    done: u64,
    total: u64,
}

impl Progress {
    /// Progress over `total` steps, printed every `every` steps.
    pub fn new(every: u64, total: u64) -> Self {
        Progress {
            every,
            started: Instant::now(),
            done: 0,
            total,
        }
    }

    /// Records one finished step; prints `label` with rate and ETA when a line is due.
    pub fn step(&mut self, label: impl FnOnce() -> String) {
        self.done += 1;
        if self.every == 0 || (self.done % self.every != 0 && self.done != self.total) {
            return;
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        let per_step = elapsed / self.done as f64;
        let left = per_step * self.total.saturating_sub(self.done) as f64;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{}  [{}/{}, {:.3} s/step, {:.0} s left]",
            label(),
            self.done,
            self.total,
            per_step,
            left
        );
        let _ = out.flush();
    }

    /// Seconds since the progress started.
    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}
