//! The evcxr-safe trait object behind [`Gan`](crate::Gan) and [`Autoencoder`](crate::Autoencoder),
//! and the forwarding to it, generated from one list of operations.
//!
//! In an evcxr notebook every cell links its own copy of genlab and dfdx, and dfdx numbers
//! tensors with a per-copy counter; a model made in one cell must therefore do all its tensor
//! work in the copy that created it. The public types hold their state behind a trait object
//! made with the model (in the cell that names the networks' types), and every operation that
//! runs dfdx code goes through it. Each such operation is written once, with its doc, as an
//! item of the list given to [`engine!`](engine); the trainer's core implements it as a plain
//! inherent method. Forwarding is the only thing the macro generates: constructors are plain
//! code in each trainer's file.

/// `engine! { trait Name for Core<G: Bound, ..> => Public, state State, config Config; &mut self { /// docs
/// \n fn op(a: A) -> R; ... } &self { ... } }`: the object-safe trait (with `state()` /
/// `state_mut()` to reach the [`TrainerState`](crate::kit::state::TrainerState) `State`), its impl
/// for `Core` calling `Core`'s inherent methods of the same names, and one documented public
/// method per operation on `Public` (whose `engine` field holds the object). `Public` also gets
/// the state accessors both trainers share and implements [`Trainer`](super::Trainer) by
/// calling its own inherent constructors.
macro_rules! engine {
    (
        trait $engine:ident for $core:ident<$($g:ident: $bound:path),*> => $public:ty, state $state:ty, config $config:ty;
        &mut self { $( $(#[$mdoc:meta])* fn $mname:ident($($marg:ident: $mty:ty),* $(,)?) -> $mret:ty; )* }
        &self { $( $(#[$rdoc:meta])* fn $rname:ident($($rarg:ident: $rty:ty),* $(,)?) -> $rret:ty; )* }
    ) => {
        /// The calls that run dfdx code, made through a trait object (see `engine.rs`); `Send`,
        /// so a model can train in a background thread.
        trait $engine: Send {
            fn state(&self) -> &$state;
            fn state_mut(&mut self) -> &mut $state;
            $( fn $mname(&mut self, $($marg: $mty),*) -> $mret; )*
            $( fn $rname(&self, $($rarg: $rty),*) -> $rret; )*
        }

        impl<$($g: $bound),*> $engine for $core<$($g),*> {
            fn state(&self) -> &$state {
                &self.state
            }
            fn state_mut(&mut self) -> &mut $state {
                &mut self.state
            }
            $(
                fn $mname(&mut self, $($marg: $mty),*) -> $mret {
                    Self::$mname(self, $($marg),*)
                }
            )*
            $(
                fn $rname(&self, $($rarg: $rty),*) -> $rret {
                    Self::$rname(self, $($rarg),*)
                }
            )*
        }

        impl $crate::train::Trainer for $public {
            type Config = $config;
            fn start(config: Self::Config) -> $crate::Result<$public> {
                <$public>::new(config)
            }
            fn start_over(config: Self::Config) -> $crate::Result<$public> {
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

        impl $public {
            /// The run's settings.
            pub fn config(&self) -> &$config {
                &self.engine.state().config
            }
            /// The flag that stops training after the current step (with a checkpoint).
            pub fn stop_flag(&self) -> $crate::StopFlag {
                self.engine.state().stop.clone()
            }
            /// Sets where checkpoints go (`None`: nowhere); a directory is taken as by `new`.
            pub fn set_run_dir(&mut self, dir: Option<std::path::PathBuf>) -> $crate::Result<()> {
                let run = match &dir {
                    Some(d) => Some($crate::kit::run_dir::RunDir::claim(d, $crate::kit::run_dir::Claim::Fresh)?),
                    None => None,
                };
                let state = self.engine.state_mut();
                state.config.run_dir = dir;
                state.run = run;
                Ok(())
            }
            /// Print a progress line every `every` steps (0: silent); returns the old setting.
            pub fn set_log_every(&mut self, every: u64) -> u64 {
                std::mem::replace(&mut self.engine.state_mut().config.log_every, every)
            }
            /// Draw progress as a bar (terminals) or as lines (notebooks, logs).
            pub fn set_progress_bar(&mut self, bar: bool) {
                self.engine.state_mut().config.progress_bar = bar;
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
