//! 2x2 max pooling with stride 2 and Keras 'same' padding (an odd last window is cut short).

use super::scratch::{zeroed, Scratch};
use super::{record, Forward};
use dfdx::prelude::*;
use rayon::prelude::*;

/// Max-pools `x`, `planes` planes of `h x h`, into `out_shape` (`planes` planes of `o x o`,
/// `o = ceil(h / 2)`); the gradient goes to the input that won each window.
pub(crate) fn max_pool2d<S: Shape, So: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<S, f32, Cpu, T>,
    (planes, h, o): (usize, usize, usize),
    out_shape: So,
) -> Result<Tensor<So, f32, Cpu, T>, CpuError> {
    record(
        x,
        Vec::new(),
        |x, _| {
            let xs = Scratch::copy_of(x); // a memcpy; `as_vec` walks a strided iterator
            let mut out = zeroed::<f32>(planes * o * o);
            // Index (within its plane) of the input that won each output, for the backward pass.
            let mut argmax = zeroed::<u32>(planes * o * o);
            out.par_chunks_mut(o * o)
                .zip(argmax.par_chunks_mut(o * o))
                .enumerate()
                .for_each(|(plane, (dst, arg))| {
                    let src = &xs[plane * h * h..][..h * h];
                    for oy in 0..o {
                        for ox in 0..o {
                            let first = 2 * oy * h + 2 * ox;
                            let mut best = (src[first], first);
                            for iy in 2 * oy..(2 * oy + 2).min(h) {
                                for ix in 2 * ox..(2 * ox + 2).min(h) {
                                    if src[iy * h + ix] > best.0 {
                                        best = (src[iy * h + ix], iy * h + ix);
                                    }
                                }
                            }
                            dst[oy * o + ox] = best.0;
                            arg[oy * o + ox] = best.1 as u32;
                        }
                    }
                });
            Ok(Forward {
                values: out,
                shape: out_shape,
                kept: argmax,
            })
        },
        move |argmax, gout, gx| {
            gx.par_chunks_mut(h * h).enumerate().for_each(|(plane, gplane)| {
                let g = &gout[plane * o * o..][..o * o];
                let a = &argmax[plane * o * o..][..o * o];
                for (gv, &idx) in g.iter().zip(a) {
                    gplane[idx as usize] += gv;
                }
            });
            Vec::new()
        },
    )
}
