//! 2x2 max pooling with stride 2 and Keras 'same' padding (an odd last window is cut short).

use super::scratch::zeroed;
use super::unary;
use dfdx::prelude::*;
use rayon::prelude::*;

/// Max-pools `x`, `planes` planes of `H x H`, into `out_shape` (`planes` planes of `O x O`,
/// `O = ceil(H / 2)`); the gradient goes to the input that won each window. The sizes are
/// const generics: with them known the compiler unrolls the window loops (with run-time sizes
/// the pass took twice as long).
pub(crate) fn max_pool2d<const H: usize, const O: usize, S: Shape, So: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<S, f32, Cpu, T>,
    planes: usize,
    out_shape: So,
) -> Result<Tensor<So, f32, Cpu, T>, CpuError> {
    unary(
        x,
        out_shape,
        |xs, _| {
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
            (out, argmax)
        },
        move |argmax, gout, gx| {
            gx.par_chunks_mut(H * H).enumerate().for_each(|(plane, gplane)| {
                let g = &gout[plane * O * O..][..O * O];
                let a = &argmax[plane * O * O..][..O * O];
                for (gv, &idx) in g.iter().zip(a) {
                    gplane[idx as usize] += gv;
                }
            });
        },
    )
}
