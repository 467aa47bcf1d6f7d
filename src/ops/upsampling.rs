//! Nearest-neighbour 2x upsampling: every pixel repeated twice along both axes.
//!
//! (dfdx's general `Upscale2D` computes a floating-point source index per output pixel; this
//! fixed 2x kernel is several times faster, which matters in the generator and autoencoder.)

use super::scratch::zeroed;
use super::unary;
use dfdx::prelude::*;
use rayon::prelude::*;

/// Upsamples `x`, `planes` planes of `H x H`, into `out_shape` (planes of `O x O`, `O = 2H`).
pub(crate) fn upsample2x<const H: usize, const O: usize, S: Shape, So: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<S, f32, Cpu, T>,
    planes: usize,
    out_shape: So,
) -> Result<Tensor<So, f32, Cpu, T>, CpuError> {
    // `H` and `O` are constants, not captured variables: the passes run as closures and need
    // the sizes at compile time to be unrolled (with captured sizes this op took twice as long).
    unary(
        x,
        out_shape,
        |xs, _| {
            let mut out = zeroed::<f32>(planes * O * O);
            out.par_chunks_mut(O * O).zip(xs.par_chunks(H * H)).for_each(|(dst, src)| {
                for y in 0..H {
                    let row = &src[y * H..][..H];
                    let (top, bottom) = dst[2 * y * O..][..2 * O].split_at_mut(O);
                    for (pair, &v) in top.chunks_exact_mut(2).zip(row) {
                        pair[0] = v;
                        pair[1] = v;
                    }
                    bottom.copy_from_slice(top);
                }
            });
            (out, ())
        },
        move |(), gout, gx| {
            gx.par_chunks_mut(H * H).zip(gout.par_chunks(O * O)).for_each(|(g, go)| {
                for y in 0..H {
                    let (top, bottom) = (&go[2 * y * O..][..O], &go[(2 * y + 1) * O..][..O]);
                    for (x, gv) in g[y * H..][..H].iter_mut().enumerate() {
                        *gv += top[2 * x] + top[2 * x + 1] + bottom[2 * x] + bottom[2 * x + 1];
                    }
                }
            });
        },
    )
}
