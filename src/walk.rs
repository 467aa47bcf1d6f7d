//! Walking every tensor of a model (weights, biases, BatchNorm statistics) with a closure: dfdx's
//! visitor machinery written once for the checkpoint, the optimiser and the summaries.

use dfdx::nn::tensor_collection::{RecursiveWalker, TensorOptions, TensorVisitor, ViewTensorMut, ViewTensorName, ViewTensorRef};
use dfdx::nn::TensorCollection;
use dfdx::prelude::*;

/// One tensor of a model, its shape type erased.
pub(crate) trait TensorSlot {
    /// Its shape.
    fn dims(&self) -> Vec<usize>;
    /// Its number of values.
    fn len(&self) -> usize;
    /// Copies its values into `dst` (of [`len`](TensorSlot::len)).
    fn read(&self, dst: &mut [f32]);
    /// Overwrites its values from `src` (of [`len`](TensorSlot::len)).
    fn write(&mut self, src: &[f32]);
    /// Its gradient in `grads`, allocated if missing.
    fn grad<'a>(&self, grads: &'a mut Gradients<f32, Cpu>) -> Result<&'a mut Vec<f32>, CpuError>;
}

impl<S: Shape> TensorSlot for Tensor<S, f32, Cpu> {
    fn dims(&self) -> Vec<usize> {
        self.shape().concrete().into_iter().collect()
    }
    fn len(&self) -> usize {
        self.shape().num_elements()
    }
    fn read(&self, dst: &mut [f32]) {
        self.copy_into(dst)
    }
    fn write(&mut self, src: &[f32]) {
        self.copy_from(src)
    }
    fn grad<'a>(&self, grads: &'a mut Gradients<f32, Cpu>) -> Result<&'a mut Vec<f32>, CpuError> {
        Ok(&mut **grads.get_or_alloc_mut(self)?)
    }
}

/// A dfdx visitor that hands each tensor, with its name and whether it is trainable, to a
/// closure; `$view` is dfdx's viewer (by reference or mutably), `$slot` what the closure gets.
/// The closure is a trait object, so a model's walk is compiled once per model type, not once
/// per closure (a notebook cell that names a student's model compiles every walk it needs).
macro_rules! closure_visitor {
    ($name:ident, $view:ty, $slot:ty, $($tensor:tt)+) => {
        struct $name<'f>(&'f mut dyn FnMut(&str, bool, $slot) -> Result<(), CpuError>);
        impl TensorVisitor<f32, Cpu> for $name<'_> {
            type Viewer = ($view, ViewTensorName);
            type Err = CpuError;
            type E2 = f32;
            type D2 = Cpu;
            fn visit<S: Shape>(
                &mut self,
                opts: TensorOptions<S, f32, Cpu>,
                (t, name): ($($tensor)+ Tensor<S, f32, Cpu>, String),
            ) -> Result<Option<Tensor<S, f32, Cpu>>, CpuError> {
                (self.0)(&name, opts.do_gradient_update, t)?;
                Ok(None)
            }
        }
    };
}
closure_visitor!(Ref, ViewTensorRef, &dyn TensorSlot, &);
closure_visitor!(Mut, ViewTensorMut, &mut dyn TensorSlot, &mut);

/// Calls `f(name, trainable, tensor)` for every tensor of `model`, in dfdx's order (names as
/// dfdx gives them: `0.1.weight`).
pub(crate) fn each_tensor<M: TensorCollection<f32, Cpu>>(model: &M, mut f: impl FnMut(&str, bool, &dyn TensorSlot)) {
    walk(model, &mut |name: &str, trainable, t: &dyn TensorSlot| {
        f(name, trainable, t);
        Ok(())
    })
}

fn walk<M: TensorCollection<f32, Cpu>>(model: &M, f: &mut dyn FnMut(&str, bool, &dyn TensorSlot) -> Result<(), CpuError>) {
    M::iter_tensors(&mut RecursiveWalker {
        m: (model, String::new()),
        f: &mut Ref(f),
    })
    .expect("reading tensors cannot fail");
}

/// [`each_tensor`] with write access; stops at the first error `f` returns.
pub(crate) fn each_tensor_mut<M: TensorCollection<f32, Cpu>>(
    model: &mut M,
    mut f: impl FnMut(&str, bool, &mut dyn TensorSlot) -> Result<(), CpuError>,
) -> Result<(), CpuError> {
    walk_mut(model, &mut f)
}

fn walk_mut<M: TensorCollection<f32, Cpu>>(
    model: &mut M,
    f: &mut dyn FnMut(&str, bool, &mut dyn TensorSlot) -> Result<(), CpuError>,
) -> Result<(), CpuError> {
    M::iter_tensors(&mut RecursiveWalker {
        m: (model, String::new()),
        f: &mut Mut(f),
    })?;
    Ok(())
}
