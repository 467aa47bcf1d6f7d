//! 2x2 max pooling with Keras 'same' padding.

use super::kernels::{give_back, take_scratch, zeroed};
use dfdx::nn::modules::{Module, NonMutableModule, ZeroSizedModule};
use dfdx::prelude::*;
use rayon::prelude::*;

/// Maximum over 2x2 windows with stride 2: `(batch, C, H, H)` to `(batch, C, OUT, OUT)`, where
/// `OUT == ceil(H / 2)` is checked at compile time. For odd `H` the last window is cut short, as
/// Keras' 'same' padding does (padding never wins the max).
///
/// Keras equivalent: `MaxPooling2D(pool_size=2, padding='same')`.
#[derive(Debug, Default, Clone, Copy)]
pub struct MaxPool2d<const OUT: usize>;

impl<const O: usize> ZeroSizedModule for MaxPool2d<O> {}
impl<const O: usize> NonMutableModule for MaxPool2d<O> {}

impl<B: Dim, const C: usize, const H: usize, const O: usize, T: Tape<f32, Cpu>>
    Module<Tensor<(B, Const<C>, Const<H>, Const<H>), f32, Cpu, T>> for MaxPool2d<O>
{
    type Output = Tensor<(B, Const<C>, Const<O>, Const<O>), f32, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Const<C>, Const<H>, Const<H>), f32, Cpu, T>) -> Result<Self::Output, CpuError> {
        const { assert!(O == H.div_ceil(2), "MaxPool2d<OUT>: OUT must be ceil(input size / 2)") };
        let batch = x.shape().0;
        let (x, mut tape) = x.split_tape();
        let planes = batch.size() * C;
        let mut xs = take_scratch(planes * H * H);
        x.copy_into(&mut xs); // a memcpy; `as_vec` walks a strided iterator
        let mut out = zeroed::<f32>(planes * O * O);
        // Index (within its plane) of the input that won each output, for the backward pass.
        let mut argmax = zeroed::<u32>(planes * O * O);
        out.par_chunks_mut(O * O)
            .zip(argmax.par_chunks_mut(O * O))
            .enumerate()
            .for_each(|(plane, (dst, arg))| {
                let src = &xs[plane * H * H..][..H * H];
                for oy in 0..O {
                    for ox in 0..O {
                        let first = 2 * oy * H + 2 * ox;
                        let mut best = (src[first], first);
                        for iy in 2 * oy..(2 * oy + 2).min(H) {
                            for ix in 2 * ox..(2 * ox + 2).min(H) {
                                if src[iy * H + ix] > best.0 {
                                    best = (src[iy * H + ix], iy * H + ix);
                                }
                            }
                        }
                        dst[oy * O + ox] = best.0;
                        arg[oy * O + ox] = best.1 as u32;
                    }
                }
            });
        give_back(xs);
        let out = x.device().tensor_from_vec(out, (batch, Const::<C>, Const::<O>, Const::<O>));
        if T::OWNS_TAPE {
            let (x_id, out_id) = (x.ghost(), out.ghost());
            tape.add_backward_op(move |grads| {
                grads.try_alloc_for(&x_id)?;
                // Moved out of `grads` (and back below) rather than copied.
                let gout = std::mem::take(&mut **grads.get_or_alloc_mut(&out_id)?);
                let gx = grads.get_or_alloc_mut(&x_id)?;
                gx.par_chunks_mut(H * H).enumerate().for_each(|(plane, gplane)| {
                    let g = &gout[plane * O * O..][..O * O];
                    let a = &argmax[plane * O * O..][..O * O];
                    for (gv, &idx) in g.iter().zip(a) {
                        gplane[idx as usize] += gv;
                    }
                });
                **grads.get_or_alloc_mut(&out_id)? = gout;
                Ok(())
            });
        }
        Ok(out.put_tape(tape))
    }
}
