//! One optimiser step, written once for every trainer (the GAN's two networks, the
//! autoencoder, the judge's classifier).

use crate::error::Result;
use crate::optim::Adam;
use dfdx::nn::{TensorCollection, ZeroGrads};
use dfdx::prelude::*;

/// A network with its optimiser and its gradient buffers (kept between steps, so each step
/// reuses them instead of allocating).
pub(crate) struct Trained<M> {
    /// The network.
    pub net: M,
    /// Its optimiser.
    pub opt: Adam,
    grads: Option<Gradients<f32, Cpu>>,
}

impl<M: TensorCollection<f32, Cpu> + ZeroGrads<f32, Cpu>> Trained<M> {
    /// `net` trained by `opt`.
    pub(crate) fn new(net: M, opt: Adam) -> Trained<M> {
        let grads = Some(net.alloc_grads());
        Trained { net, opt, grads }
    }

    /// One step: `loss` runs the network in training mode on an input traced with the gradient
    /// buffers it is given; then backward, the Adam update and zeroed gradients. Returns the
    /// loss. Keras equivalent: `model.train_on_batch(x, y)`.
    pub(crate) fn step(
        &mut self,
        loss: impl FnOnce(&mut M, Gradients<f32, Cpu>) -> Result<Tensor<Rank0, f32, Cpu, OwnedTape<f32, Cpu>>>,
    ) -> Result<f32> {
        // A step that failed took the buffers with it: allocate new ones then.
        let grads = self.grads.take().unwrap_or_else(|| self.net.alloc_grads());
        let loss = loss(&mut self.net, grads)?;
        let value = loss.array();
        let mut grads = loss.try_backward()?;
        self.opt.update(&mut self.net, &mut grads)?;
        self.net.zero_grads(&mut grads);
        self.grads = Some(grads);
        Ok(value)
    }
}
