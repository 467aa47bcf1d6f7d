//! The evcxr-safe trait object behind [`Gan`](crate::Gan) and [`Autoencoder`](crate::Autoencoder),
//! generated from one list of operations.
//!
//! In an evcxr notebook every cell links its own copy of genlab and dfdx, and dfdx numbers
//! tensors with a per-copy counter; a model made in one cell must therefore do all its tensor
//! work in the copy that created it. The public types hold their state behind a trait object
//! made with the model, and every operation that runs dfdx code goes through it. Each such
//! operation is written once, as an inherent method of the trainer's core; [`engine!`](engine)
//! declares the trait, implements it for the core and gives the public type a documented method
//! that calls through the object.

/// `engine! { trait Name for Core => Public; &mut self { /// docs \n fn op(a: A) -> R; ... }
/// &self { ... } }`: the trait (with `core()` / `core_mut()` to reach the state), its impl for
/// `Core` forwarding to `Core`'s inherent methods, and one public method per operation on
/// `Public` (whose `engine` field holds the object). `Public` also gets the constructors and
/// state accessors both trainers share and implements [`Trainer`](super::Trainer); `Core` gets
/// the kind, config and counters of its checkpoints. `Core` provides `new(config)`,
/// `with_data(config, mnist)`, the rest of [`Checkpointed`](super::checkpoint::Checkpointed)
/// and the fields `config` (with `run_dir`, `progress_bar`), `counters`, `mnist` and `stop`.
macro_rules! engine {
    (
        trait $engine:ident for $core:ty => $public:ty, config $config:ident;
        checkpoint $kind:literal, $what:literal, counters $counters:ty;
        &mut self { $( $(#[$mdoc:meta])* fn $mname:ident($($marg:ident: $mty:ty),* $(,)?) -> $mret:ty; )* }
        &self { $( $(#[$rdoc:meta])* fn $rname:ident($($rarg:ident: $rty:ty),* $(,)?) -> $rret:ty; )* }
    ) => {
        /// The calls that run dfdx code, made through a trait object (see `engine.rs`); `Send`,
        /// so a model can train in a background thread.
        trait $engine: Send {
            fn core(&self) -> &$core;
            fn core_mut(&mut self) -> &mut $core;
            $( fn $mname(&mut self, $($marg: $mty),*) -> $mret; )*
            $( fn $rname(&self, $($rarg: $rty),*) -> $rret; )*
        }

        impl $crate::train::checkpoint::CheckpointKind for $core {
            const KIND: &'static str = $kind;
            const WHAT: &'static str = $what;
            type Config = $config;
            type Counters = $counters;
            fn fresh(config: $config, run: Option<$crate::train::run_dir::RunDir>) -> $crate::Result<$core> {
                let mut core = <$core>::new($config {
                    run_dir: run.as_ref().map(|r| r.path.clone()),
                    ..config
                })?;
                core.run = run;
                Ok(core)
            }
            fn parts(&self) -> (&$config, &$counters) {
                (&self.config, &self.counters)
            }
            fn run(&self) -> Option<&$crate::train::run_dir::RunDir> {
                self.run.as_ref()
            }
        }

        impl $core {
            /// `core` holding its configured run directory, taken `how`.
            fn claimed(mut core: $core, how: $crate::train::run_dir::Claim) -> $crate::Result<$core> {
                if let Some(dir) = &core.config.run_dir {
                    core.run = Some($crate::train::run_dir::RunDir::claim(dir, how)?);
                }
                Ok(core)
            }
        }

        impl $crate::train::Trainer for $public {
            type Config = $config;
            fn start(config: $config) -> $crate::Result<$public> {
                <$public>::new(config)
            }
            fn start_over(config: $config) -> $crate::Result<$public> {
                <$public>::start_over(config)
            }
            fn load_checkpoint(path: &std::path::Path) -> $crate::Result<$public> {
                <$public>::load_checkpoint(path)
            }
            fn resume(run_dir: &std::path::Path) -> $crate::Result<$public> {
                <$public>::resume(run_dir)
            }
            fn stop_flag(&self) -> $crate::StopFlag {
                <$public>::stop_flag(self)
            }
            fn set_progress_bar(&mut self, bar: bool) {
                <$public>::set_progress_bar(self, bar)
            }
        }

        impl $engine for $core {
            fn core(&self) -> &$core {
                self
            }
            fn core_mut(&mut self) -> &mut $core {
                self
            }
            $(
                fn $mname(&mut self, $($marg: $mty),*) -> $mret {
                    <$core>::$mname(self, $($marg),*)
                }
            )*
            $(
                fn $rname(&self, $($rarg: $rty),*) -> $rret {
                    <$core>::$rname(self, $($rarg),*)
                }
            )*
        }

        impl $public {
            /// A fresh model on MNIST from the data directory; weights drawn from `config.seed`.
            ///
            /// With a `run_dir`, the directory is locked against other processes, and one that
            /// already holds a run's checkpoint is refused ([`Error::RunExists`](crate::Error::RunExists)):
            /// continue it with `resume`, or replace it with `start_over`.
            pub fn new(config: $config) -> $crate::Result<$public> {
                Self::with_data(config, $crate::data::Mnist::load()?)
            }
            /// A fresh model on the given data (a `run_dir` is taken as by `new`).
            pub fn with_data(config: $config, mnist: std::sync::Arc<$crate::data::Mnist>) -> $crate::Result<$public> {
                let core = <$core>::claimed(<$core>::with_data(config, mnist)?, $crate::train::run_dir::Claim::Fresh)?;
                Ok(Self { engine: Box::new(core) })
            }
            /// A fresh model like `new`, replacing the run in `config.run_dir` if there is one: its
            /// checkpoint is removed once the new model is built (the notebooks' restart cells).
            pub fn start_over(config: $config) -> $crate::Result<$public> {
                let core = <$core>::with_data(config, $crate::data::Mnist::load()?)?;
                let core = <$core>::claimed(core, $crate::train::run_dir::Claim::StartOver)?;
                Ok(Self { engine: Box::new(core) })
            }
            /// Continues the run whose checkpoint is in `run_dir` (written by a run with that
            /// `run_dir`): weights, BatchNorm statistics, optimiser moments, counters and history,
            /// mid-epoch if it stopped there. The directory is locked against other processes.
            pub fn resume(run_dir: impl AsRef<std::path::Path>) -> $crate::Result<$public> {
                use $crate::train::checkpoint::Checkpointed;
                Ok(Self { engine: Box::new(<$core>::resume(run_dir.as_ref())?) })
            }
            /// The model in a checkpoint file, to look at (generate, score, draw): it takes no
            /// run directory and writes no checkpoints, so a run still training there is not
            /// disturbed.
            pub fn load_checkpoint(path: impl AsRef<std::path::Path>) -> $crate::Result<$public> {
                use $crate::train::checkpoint::Checkpointed;
                Ok(Self { engine: Box::new(<$core>::from_checkpoint(path.as_ref(), None)?) })
            }
            /// The run's settings.
            pub fn config(&self) -> &$config {
                &self.engine.core().config
            }
            /// The data it trains on.
            pub fn mnist(&self) -> &std::sync::Arc<$crate::data::Mnist> {
                &self.engine.core().mnist
            }
            /// The flag that stops training after the current step (with a checkpoint).
            pub fn stop_flag(&self) -> $crate::StopFlag {
                self.engine.core().stop.clone()
            }
            /// Sets where checkpoints go (`None`: nowhere); a directory is taken as by `new`.
            pub fn set_run_dir(&mut self, dir: Option<std::path::PathBuf>) -> $crate::Result<()> {
                let run = match &dir {
                    Some(d) => Some($crate::train::run_dir::RunDir::claim(d, $crate::train::run_dir::Claim::Fresh)?),
                    None => None,
                };
                let core = self.engine.core_mut();
                core.config.run_dir = dir;
                core.run = run;
                Ok(())
            }
            /// Print a progress line every `every` steps (0: silent); returns the old setting.
            pub fn set_log_every(&mut self, every: u64) -> u64 {
                std::mem::replace(&mut self.engine.core_mut().config.log_every, every)
            }
            /// Draw progress as a bar (terminals) or as lines (notebooks, logs).
            pub fn set_progress_bar(&mut self, bar: bool) {
                self.engine.core_mut().config.progress_bar = bar;
            }
            $(
                $(#[$mdoc])*
                pub fn $mname(&mut self, $($marg: $mty),*) -> $mret {
                    self.engine.$mname($($marg),*)
                }
            )*
            $(
                $(#[$rdoc])*
                pub fn $rname(&self, $($rarg: $rty),*) -> $rret {
                    self.engine.$rname($($rarg),*)
                }
            )*
        }
    };
}
pub(crate) use engine;
