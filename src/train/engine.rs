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
/// `Public` (whose `engine` field holds the object).
macro_rules! engine {
    (
        trait $engine:ident for $core:ty => $public:ty;
        &mut self { $( $(#[$mdoc:meta])* fn $mname:ident($($marg:ident: $mty:ty),* $(,)?) -> $mret:ty; )* }
        &self { $( $(#[$rdoc:meta])* fn $rname:ident($($rarg:ident: $rty:ty),* $(,)?) -> $rret:ty; )* }
    ) => {
        /// The calls that run dfdx code, made through a trait object (see `engine.rs`).
        trait $engine {
            fn core(&self) -> &$core;
            fn core_mut(&mut self) -> &mut $core;
            $( fn $mname(&mut self, $($marg: $mty),*) -> $mret; )*
            $( fn $rname(&self, $($rarg: $rty),*) -> $rret; )*
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
