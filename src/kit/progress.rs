//! Progress lines while training, and a flag that asks training to stop after the current step.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// A shared "please stop" flag: raise it from a signal handler or another thread, and training
/// stops after the step it is in, writes a checkpoint and returns
/// [`Outcome::Stopped`](crate::Outcome::Stopped).
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

/// Reports training progress: a line every `every` steps (0: never), or a progress bar with
/// ETA on a terminal. Lines are flushed at once, so JupyterLab and log files show them live.
pub struct Progress {
    every: u64,
    /// Added to the step count before the `every` test, so lines fall on a run's own multiples.
    offset: u64,
    started: Instant,
    done: u64,
    total: u64,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// Progress over `total` steps, printed every `every` steps; with `bar`, drawn as a bar.
    pub fn new(every: u64, total: u64, bar: bool) -> Self {
        let bar = (bar && every > 0).then(|| {
            let pb = indicatif::ProgressBar::new(total);
            let style = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} [{elapsed_precise}, ETA {eta}] {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            pb.set_style(style);
            pb
        });
        Progress {
            every,
            offset: 0,
            started: Instant::now(),
            done: 0,
            total,
            bar,
        }
    }

    /// Lines on the steps whose `first + done` is a multiple of `every` (`first`: the run's own
    /// number of the first step counted here), instead of every `every` steps from here.
    pub fn aligned(mut self, first: u64) -> Self {
        if self.every > 0 {
            self.offset = (first % self.every + self.every - 1) % self.every;
        }
        self
    }

    /// Records one finished step; `label` (current losses) is shown when a line or bar update is due.
    pub fn step(&mut self, label: impl FnOnce() -> String) {
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.set_position(self.done);
            if self.done % self.every.clamp(1, 10) == 0 || self.done == self.total {
                bar.set_message(label());
            }
            if self.done == self.total {
                bar.finish();
            }
            return;
        }
        if self.every == 0 || ((self.done + self.offset) % self.every != 0 && self.done != self.total) {
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

    /// Records one finished step without a line (its caller prints a line of its own instead,
    /// such as an epoch's summary); a bar still moves.
    pub fn skip_line(&mut self) {
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.set_position(self.done);
            if self.done == self.total {
                bar.finish();
            }
        }
    }

    /// Prints a line (above the bar, if one is drawn).
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        }
    }

    /// Seconds since the progress started.
    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}
