//! Training in a background thread, so a notebook's other cells run while a model trains.

use super::{Autoencoder, Gan, Outcome};
use crate::error::{Error, Result};
use crate::figures::Figure;
use crate::StopFlag;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What background training needs of a trainer: one unit of its own loop at a time.
pub trait Steps: Send + 'static {
    /// What one unit is called ("iteration", "step").
    const UNIT: &'static str;
    /// Units done so far, in all.
    fn units_done(&self) -> u64;
    /// One unit, with the snapshots and checkpoints the trainer's own loop takes there.
    fn one_unit(&mut self) -> Result<()>;
    /// Writes a checkpoint (nothing without a run directory).
    fn checkpoint(&self) -> Result<()>;
    /// The flag that asks it to stop.
    fn stop_flag(&self) -> StopFlag;
    /// Turns its progress lines off (`0`) or back on; returns the old setting.
    fn set_log_every(&mut self, every: u64) -> u64;
}

impl Steps for Gan {
    const UNIT: &'static str = "iteration";
    fn units_done(&self) -> u64 {
        self.iteration()
    }
    fn one_unit(&mut self) -> Result<()> {
        self.step().map(drop)
    }
    fn checkpoint(&self) -> Result<()> {
        self.save_checkpoint()
    }
    fn stop_flag(&self) -> StopFlag {
        Gan::stop_flag(self)
    }
    fn set_log_every(&mut self, every: u64) -> u64 {
        Gan::set_log_every(self, every)
    }
}

impl Steps for Autoencoder {
    const UNIT: &'static str = "step";
    fn units_done(&self) -> u64 {
        self.steps_done()
    }
    fn one_unit(&mut self) -> Result<()> {
        self.fit_steps(1).map(drop)
    }
    fn checkpoint(&self) -> Result<()> {
        self.save_checkpoint()
    }
    fn stop_flag(&self) -> StopFlag {
        Autoencoder::stop_flag(self)
    }
    fn set_log_every(&mut self, every: u64) -> u64 {
        Autoencoder::set_log_every(self, every)
    }
}

/// State shared by the training thread and the cells that look at it.
struct Shared<M> {
    model: Mutex<M>,
    /// Cells waiting for the lock: the thread lets them in between units.
    waiting: AtomicUsize,
    done: AtomicU64,
    error: Mutex<Option<String>>,
}

/// A model training in a background thread: returned at once by
/// [`Gan::train_in_background`] and [`Autoencoder::fit_in_background`].
///
/// Any cell can look at it while it trains ([`status`](Training::status), [`peek`](Training::peek),
/// the figures), [`stop`](Training::stop) it cleanly (the current unit is finished and a
/// checkpoint written) or [`wait`](Training::wait) for it; both give the model back, to train
/// on, draw or save. Dropping it stops it the same way. Progress lines are off while it runs.
///
/// Keras equivalent: none (`model.fit` blocks its cell); a `threading.Thread` running `fit`.
pub struct Training<M: Steps> {
    /// `None` once handed back.
    shared: Option<Arc<Shared<M>>>,
    thread: Option<JoinHandle<Result<Outcome>>>,
    stop: StopFlag,
    log_every: u64,
    start: u64,
    target: u64,
    started: Instant,
}

/// Where a background run stands; prints as one line.
#[derive(Clone, PartialEq)]
pub struct TrainingStatus {
    /// Units done in all (GAN iterations, autoencoder steps).
    pub done: u64,
    /// The total it trains to.
    pub target: u64,
    /// What a unit is called.
    pub unit: &'static str,
    /// Seconds since it started.
    pub elapsed: Duration,
    /// Units done in this background run (for the rate).
    pub done_here: u64,
    /// Whether the thread still runs.
    pub running: bool,
    /// The error that ended it, if one did.
    pub error: Option<String>,
}

impl TrainingStatus {
    /// Seconds per unit so far in this run (`None` before the first).
    pub fn seconds_per_unit(&self) -> Option<f64> {
        (self.done_here > 0).then(|| self.elapsed.as_secs_f64() / self.done_here as f64)
    }
}

fn minutes(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s >= 60 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

impl std::fmt::Display for TrainingStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let share = 100.0 * self.done as f64 / self.target.max(1) as f64;
        let at = format!("{} {} of {} ({share:.0}%)", self.unit, self.done, self.target);
        let elapsed = minutes(self.elapsed.as_secs_f64());
        match (&self.error, self.running) {
            (Some(e), _) => write!(f, "stopped by an error at {at}: {e} (wait() returns it)"),
            (None, true) => {
                write!(f, "training: {at}, {elapsed} so far")?;
                if let Some(per) = self.seconds_per_unit() {
                    let left = per * self.target.saturating_sub(self.done) as f64;
                    write!(f, ", {per:.3} s per {}, about {} left", self.unit, minutes(left))?;
                }
                Ok(())
            }
            (None, false) if self.done >= self.target => write!(f, "finished: {at} after {elapsed}; wait() gives the model back"),
            (None, false) => write!(
                f,
                "stopped at {at} after {elapsed} (checkpoint written); wait() gives the model back"
            ),
        }
    }
}

impl std::fmt::Debug for TrainingStatus {
    /// The line itself, so a notebook cell ending in `training.status()` shows it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl<M: Steps> Training<M> {
    /// Starts training `model` until `target` units are done in all, in a new thread.
    fn start(mut model: M, target: u64) -> Training<M> {
        let stop = model.stop_flag();
        stop.lower();
        let log_every = model.set_log_every(0);
        let start = model.units_done();
        let shared = Arc::new(Shared {
            model: Mutex::new(model),
            waiting: AtomicUsize::new(0),
            done: AtomicU64::new(start),
            error: Mutex::new(None),
        });
        let (worker, flag) = (shared.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name(format!("genlab training ({})", M::UNIT))
            .spawn(move || {
                let result = train_loop(&worker, &flag, target);
                if let Err(e) = &result {
                    *lock(&worker.error) = Some(e.to_string());
                }
                result
            })
            .expect("starting a thread");
        Training {
            shared: Some(shared),
            thread: Some(thread),
            stop,
            log_every,
            start,
            target,
            started: Instant::now(),
        }
    }

    /// Where it stands, without waiting for the thread.
    pub fn status(&self) -> TrainingStatus {
        let done = self.shared().done.load(Ordering::SeqCst);
        TrainingStatus {
            done,
            target: self.target,
            unit: M::UNIT,
            elapsed: self.started.elapsed(),
            done_here: done - self.start,
            running: self.is_running(),
            error: lock(&self.shared().error).clone(),
        }
    }

    /// Waits until `units` more units (GAN iterations, autoencoder steps) are done than when
    /// called, or until the training ends (finished, stopped or failed), and returns where it
    /// stands then: a cell that shows training moving on while other cells run.
    pub fn wait_for_progress(&self, units: u64) -> TrainingStatus {
        let goal = self.shared().done.load(Ordering::SeqCst).saturating_add(units);
        while self.shared().done.load(Ordering::SeqCst) < goal && self.is_running() {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.status()
    }

    /// Whether the thread still trains.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Runs `look` on the model between two units (waiting at most for the current one):
    /// `training.peek(|gan| gan.generate(16, 0))`.
    pub fn peek<R>(&self, look: impl FnOnce(&M) -> R) -> R {
        let shared = self.shared();
        shared.waiting.fetch_add(1, Ordering::SeqCst);
        let model = lock(&shared.model);
        shared.waiting.fetch_sub(1, Ordering::SeqCst);
        look(&model)
    }

    /// Asks it to stop after the current unit, waits for the checkpoint, and gives the model
    /// back. Continue with another `train_in_background` / `fit_in_background`, or `train`.
    pub fn stop(mut self) -> Result<M> {
        self.stop.raise();
        self.finish()
    }

    /// Waits until it has trained to its target (or was stopped), and gives the model back; the
    /// error that ended it, if one did.
    pub fn wait(mut self) -> Result<M> {
        self.finish()
    }

    fn finish(&mut self) -> Result<M> {
        let outcome = match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(Error::InvalidArgument(
                "the training thread panicked (a bug in genlab: please report it)".into(),
            )),
            None => Err(Error::InvalidArgument("this training was already handed back".into())),
        };
        self.stop.lower();
        let shared = self.shared.take().expect("handed back once");
        let shared = Arc::try_unwrap(shared).unwrap_or_else(|_| unreachable!("the thread, the only other owner, has ended"));
        let mut model = shared.model.into_inner().unwrap_or_else(|p| p.into_inner());
        model.set_log_every(self.log_every);
        outcome.map(|_| model)
    }

    fn shared(&self) -> &Shared<M> {
        self.shared.as_ref().expect("a training is handed back only when consumed")
    }
}

impl<M: Steps> Drop for Training<M> {
    /// Stops the thread cleanly (with a checkpoint) when the handle goes, e.g. when a cell
    /// that started training is run again.
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.stop.raise();
            let _ = thread.join();
            self.stop.lower();
        }
    }
}

/// The thread's loop: units until the target or a stop, each under the lock, letting waiting
/// cells in between; a checkpoint at the end either way.
fn train_loop<M: Steps>(shared: &Shared<M>, stop: &StopFlag, target: u64) -> Result<Outcome> {
    loop {
        let mut model = lock(&shared.model);
        if stop.is_raised() || model.units_done() >= target {
            model.checkpoint()?;
            return Ok(if model.units_done() >= target {
                Outcome::Finished
            } else {
                Outcome::Stopped
            });
        }
        model.one_unit()?;
        shared.done.store(model.units_done(), Ordering::SeqCst);
        drop(model);
        // A lock is not fair: without this, the thread could take it again before a waiting
        // cell wakes up.
        while shared.waiting.load(Ordering::SeqCst) > 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// The lock, also after a panic elsewhere (the state is still the last whole unit's).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Training<Gan> {
    /// The latest snapshot grid (see [`Gan::snapshot_figure`]).
    pub fn snapshot_figure(&self) -> Result<Figure> {
        self.peek(|gan| gan.snapshot_figure())
    }
    /// The losses so far (see [`Gan::loss_figure`]).
    pub fn loss_figure(&self) -> Result<Figure> {
        self.peek(|gan| gan.loss_figure())
    }
    /// The judge's scores so far (see [`Gan::score_figure`]).
    pub fn score_figure(&self) -> Result<Figure> {
        self.peek(|gan| gan.score_figure())
    }
}

impl Training<Autoencoder> {
    /// The losses of the epochs done so far (see [`Autoencoder::loss_figure`]).
    pub fn loss_figure(&self) -> Result<Figure> {
        self.peek(|ae| ae.loss_figure())
    }
    /// Test images and their reconstructions now (see [`Autoencoder::reconstruction_figure`]).
    pub fn reconstruction_figure(&self, n: usize, seed: u64) -> Result<Figure> {
        self.peek(|ae| ae.reconstruction_figure(n, seed))
    }
}

impl Gan {
    /// Trains until `iterations` iterations are done in all (as [`train_until`](Gan::train_until))
    /// in a background thread, and returns at once: the lecture goes on in other cells.
    ///
    /// ```no_run
    /// # fn main() -> genlab::Result<()> {
    /// let gan = genlab::Gan::new(genlab::GanConfig::default())?;
    /// let training = gan.train_in_background(4001);
    /// println!("{}", training.status()); // any cell: "training: iteration 812 of 4001 ..."
    /// let figure = training.snapshot_figure()?; // the latest snapshot
    /// let gan = training.stop()?; // or training.wait()?
    /// # Ok(()) }
    /// ```
    pub fn train_in_background(self, iterations: u64) -> Training<Gan> {
        Training::start(self, iterations)
    }
}

impl Autoencoder {
    /// Trains until `epochs` epochs are done in all (as [`fit_until`](Autoencoder::fit_until))
    /// in a background thread, and returns at once; see [`Training`].
    pub fn fit_in_background(self, epochs: u64) -> Result<Training<Autoencoder>> {
        let target = self.steps_for_epochs(epochs)?;
        Ok(Training::start(self, target))
    }
}
