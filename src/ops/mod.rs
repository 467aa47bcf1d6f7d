//! The operations behind the typed layers: each computes its forward pass on plain slices and
//! records one backward op on the tape. The tape work (split the tape, remember the tensors by
//! ghost, take the output's gradient out of `Gradients` and put it back, add parameter
//! gradients) is written once, in [`record`], as dfdx's own `try_unary_op` does it; an op only
//! says how to compute its output and, from what it kept, its gradients.
//!
//! - [`conv2d`]: convolutions, one planner choosing among direct, per-task and batch-wide
//!   kernels, and the fused upsampling convolution;
//! - [`rectify`]: ReLU / Leaky ReLU passes (also fused into convolutions);
//! - [`batch_norm`]: BatchNormalization's statistics and normalisation;
//! - [`pool`], [`upsampling`], [`dropout`], [`bce`]: the other layers' and the loss's passes;
//! - [`scratch`]: reusable buffers that return themselves to a pool when dropped.
//!
//! Nothing here names an instruction set: the ISA-specific code is in `crate::cpu`.

pub(crate) mod batch_norm;
pub(crate) mod bce;
pub(crate) mod conv2d;
pub(crate) mod dropout;
pub(crate) mod pool;
pub(crate) mod rectify;
pub(crate) mod scratch;
pub(crate) mod upsampling;

use dfdx::prelude::*;

/// Elements per thread task in element-wise passes (rectifiers, dropout, the loss, Adam,
/// zeroing). Fixed, so per-task partial sums (and dropout's per-task generators) do not depend
/// on how many threads run.
pub(crate) const ELEMENTS_PER_TASK: usize = 1 << 14;

/// Where a backward op adds one parameter's gradient: a handle to that tensor's entry in
/// `Gradients` (dfdx's ghost tensors cannot be named outside dfdx, so the handle keeps one in a
/// closure).
pub(crate) struct GradOf(Box<GradLookup>);

/// Finds one tensor's gradient in `Gradients` (allocating it when missing).
type GradLookup = dyn for<'a> Fn(&'a mut Gradients<f32, Cpu>) -> Result<&'a mut Vec<f32>, CpuError>;

impl GradOf {
    /// The gradient entry of `t`.
    pub(crate) fn new<S: Shape, T>(t: &Tensor<S, f32, Cpu, T>) -> GradOf {
        let ghost = t.ghost();
        GradOf(Box::new(move |grads: &mut Gradients<f32, Cpu>| {
            Ok(&mut **grads.get_or_alloc_mut(&ghost)?)
        }))
    }

    fn get<'a>(&self, grads: &'a mut Gradients<f32, Cpu>) -> Result<&'a mut Vec<f32>, CpuError> {
        (self.0)(grads)
    }
}

/// An op's forward result: the output's values and shape, and what its backward pass keeps.
pub(crate) struct Forward<So, K> {
    /// Output values, row-major.
    pub values: Vec<f32>,
    /// Output shape.
    pub shape: So,
    /// What the backward pass needs (not used when the input carries no tape).
    pub kept: K,
}

/// [`record`] for an op without parameters whose forward pass reads its input's values:
/// `forward` gets a copy of them (and whether a backward pass follows) and returns the output's
/// values and what to keep; `backward` adds to the input's gradient.
pub(crate) fn unary<S: Shape, So: Shape, T: Tape<f32, Cpu>, K: 'static>(
    x: Tensor<S, f32, Cpu, T>,
    out_shape: So,
    forward: impl FnOnce(&[f32], bool) -> (Vec<f32>, K),
    backward: impl FnOnce(K, &mut [f32], &mut [f32]) + 'static,
) -> Result<Tensor<So, f32, Cpu, T>, CpuError> {
    record(
        x,
        Vec::new(),
        |x, traced| {
            let (values, kept) = forward(&scratch::Scratch::copy_of(x), traced);
            Ok(Forward {
                values,
                shape: out_shape,
                kept,
            })
        },
        move |kept, gout, gx| {
            backward(kept, gout, gx);
            Vec::new()
        },
    )
}

/// Runs an op on `x` and, when `x` carries a tape, records its backward pass.
///
/// `forward` gets the input without its tape and whether a backward pass will follow (so it can
/// skip keeping what only the backward pass reads). `backward` gets what the forward pass kept,
/// the output's gradient (its own to rewrite in place) and the input's gradient to add to, and
/// returns one gradient per tensor in `params` (in that order) to be added to theirs, or none
/// at all (a frozen layer).
pub(crate) fn record<S, So, T, K>(
    x: Tensor<S, f32, Cpu, T>,
    params: Vec<GradOf>,
    forward: impl FnOnce(&Tensor<S, f32, Cpu>, bool) -> Result<Forward<So, K>, CpuError>,
    backward: impl FnOnce(K, &mut [f32], &mut [f32]) -> Vec<Vec<f32>> + 'static,
) -> Result<Tensor<So, f32, Cpu, T>, CpuError>
where
    S: Shape,
    So: Shape,
    T: Tape<f32, Cpu>,
    K: 'static,
{
    let (x, mut tape) = x.split_tape();
    let Forward { values, shape, kept } = forward(&x, T::OWNS_TAPE)?;
    let out = x.device().tensor_from_vec(values, shape);
    if !T::OWNS_TAPE {
        return Ok(out.put_tape(tape));
    }
    let (x_id, out_id) = (x.ghost(), out.ghost());
    tape.add_backward_op(move |grads| {
        grads.try_alloc_for(&x_id)?;
        // Moved out of `grads` (and back below) rather than copied: both are borrowed at once.
        let mut gout = std::mem::take(&mut **grads.get_or_alloc_mut(&out_id)?);
        let param_grads = backward(kept, &mut gout, grads.get_or_alloc_mut(&x_id)?);
        for (param, grad) in params.iter().zip(&param_grads) {
            for (d, v) in param.get(grads)?.iter_mut().zip(grad) {
                *d += v;
            }
        }
        **grads.get_or_alloc_mut(&out_id)? = gout;
        Ok(())
    });
    Ok(out.put_tape(tape))
}
