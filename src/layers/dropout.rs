//! Dropout with its rate in the type and a seed the trainer controls.

use super::kernels::{give_back, take_scratch, zeroed};
use dfdx::nn::modules::{Module, ModuleMut, ZeroSizedModule};
use dfdx::prelude::*;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

/// Elements per thread task, and per mask generator.
const CHUNK: usize = 1 << 14;

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
        let keep_scale = 1.0 / (1.0 - Self::RATE);
        let shape = *x.shape();
        let (x, mut tape) = x.split_tape();
        let mut xs = take_scratch(shape.num_elements());
        x.copy_into(&mut xs);
        // Mask and output in one parallel pass; each chunk of the mask has its own generator,
        // seeded from the call and the chunk's index, so the mask does not depend on threads.
        let mut mask = zeroed::<f32>(xs.len());
        let mut out = zeroed::<f32>(xs.len());
        mask.par_chunks_mut(CHUNK)
            .zip(out.par_chunks_mut(CHUNK))
            .zip(xs.par_chunks(CHUNK))
            .enumerate()
            .for_each(|(chunk, ((m, o), v))| {
                let mut rng = rand::rngs::StdRng::seed_from_u64(call_seed ^ (chunk as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
                for ((m, o), v) in m.iter_mut().zip(o).zip(v) {
                    *m = if rng.gen::<f32>() < Self::RATE { 0.0 } else { keep_scale };
                    *o = v * *m;
                }
            });
        give_back(xs);
        let out = x.device().tensor_from_vec(out, shape);
        let (x_id, out_id) = (x.ghost(), out.ghost());
        tape.add_backward_op(move |grads| {
            grads.try_alloc_for(&x_id)?;
            // Moved out of `grads` (and back below) rather than copied.
            let gout = std::mem::take(&mut **grads.get_or_alloc_mut(&out_id)?);
            grads
                .get_or_alloc_mut(&x_id)?
                .par_chunks_mut(CHUNK)
                .zip(gout.par_chunks(CHUNK))
                .zip(mask.par_chunks(CHUNK))
                .for_each(|((gx, go), m)| {
                    for ((gx, go), m) in gx.iter_mut().zip(go).zip(m) {
                        *gx += go * m;
                    }
                });
            **grads.get_or_alloc_mut(&out_id)? = gout;
            Ok(())
        });
        Ok(out.put_tape(tape))
    }
}
