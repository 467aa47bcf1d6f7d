//! Dropout with its rate in the type and a seed the trainer controls.

use crate::ops::dropout::dropout;
use dfdx::nn::modules::{Module, ModuleMut, ZeroSizedModule};
use dfdx::prelude::*;

/// Zeroes each input with probability `RATE_PERCENT / 100` during training and scales the rest
/// by `1 / (1 - rate)`; passes inputs through unchanged at inference. The lecture uses
/// `Dropout<30>`.
///
/// Training mode is `forward_mut` on a traced tensor, inference is `forward` on an untraced one.
/// The mask comes from the layer's own seed, which trainers set every step with
/// [`Reseed`](super::Reseed): a step's masks depend only on the run seed and the step number,
/// so a run resumed from a checkpoint draws the same masks as an uninterrupted one.
///
/// Keras equivalent: `Dropout(0.3)`. PyTorch equivalent: `nn.Dropout(0.3)`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Dropout<const RATE_PERCENT: usize> {
    seed: u64,
    calls: u64,
}

impl<const R: usize> Dropout<R> {
    /// The drop probability, `RATE_PERCENT / 100`.
    pub const RATE: f32 = R as f32 / 100.0;

    /// Sets the seed of the masks to come.
    pub fn reseed(&mut self, seed: u64) {
        self.seed = seed;
        self.calls = 0;
    }
}

impl<const R: usize> ZeroSizedModule for Dropout<R> {}

impl<const R: usize, S: Shape> Module<Tensor<S, f32, Cpu>> for Dropout<R> {
    type Output = Tensor<S, f32, Cpu>;
    type Error = CpuError;

    /// Inference: the identity.
    fn try_forward(&self, x: Tensor<S, f32, Cpu>) -> Result<Self::Output, CpuError> {
        Ok(x)
    }
}

impl<const R: usize, S: Shape> ModuleMut<Tensor<S, f32, Cpu, OwnedTape<f32, Cpu>>> for Dropout<R> {
    type Output = Tensor<S, f32, Cpu, OwnedTape<f32, Cpu>>;
    type Error = CpuError;

    /// Training: drops inputs with probability `RATE`.
    fn try_forward_mut(&mut self, x: Tensor<S, f32, Cpu, OwnedTape<f32, Cpu>>) -> Result<Self::Output, CpuError> {
        const { assert!(R < 100, "Dropout: the rate must be below 100 percent") };
        let call_seed = self.seed ^ self.calls.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.calls += 1;
        dropout(x, Self::RATE, call_seed)
    }
}
