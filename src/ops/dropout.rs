//! Dropout's training pass: mask and product in one parallel pass, the mask a function of a seed.

use super::scratch::zeroed;
use super::{unary, ELEMENTS_PER_TASK as CHUNK};
use dfdx::prelude::*;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

/// Zeroes each element of `x` with probability `rate` and scales the rest by `1 / (1 - rate)`.
///
/// Each chunk of the mask has its own generator, seeded from `seed` and the chunk's index, so
/// the mask does not depend on how many threads run.
pub(crate) fn dropout<S: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<S, f32, Cpu, T>,
    rate: f32,
    seed: u64,
) -> Result<Tensor<S, f32, Cpu, T>, CpuError> {
    let keep_scale = 1.0 / (1.0 - rate);
    let shape = *x.shape();
    unary(
        x,
        shape,
        |xs, _| {
            let mut mask = zeroed::<f32>(xs.len());
            let mut out = zeroed::<f32>(xs.len());
            mask.par_chunks_mut(CHUNK)
                .zip(out.par_chunks_mut(CHUNK))
                .zip(xs.par_chunks(CHUNK))
                .enumerate()
                .for_each(|(chunk, ((m, o), v))| {
                    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ (chunk as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
                    for ((m, o), v) in m.iter_mut().zip(o).zip(v) {
                        *m = if rng.gen::<f32>() < rate { 0.0 } else { keep_scale };
                        *o = v * *m;
                    }
                });
            (out, mask)
        },
        |mask, gout, gx| {
            gx.par_chunks_mut(CHUNK)
                .zip(gout.par_chunks(CHUNK))
                .zip(mask.par_chunks(CHUNK))
                .for_each(|((gx, go), m)| {
                    for ((gx, go), m) in gx.iter_mut().zip(go).zip(m) {
                        *gx += go * m;
                    }
                });
        },
    )
}
