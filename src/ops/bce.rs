//! The lecture's loss, binary cross-entropy on logits, as one fused parallel op.
//!
//! dfdx's `binary_cross_entropy_with_logits_loss` runs a chain of single-threaded passes (the
//! element-wise loss, the mean, the mean's backward, the element-wise backward, which also
//! works out a gradient for the targets nobody asked for), with an `exp` and a `ln` in each
//! direction: about a millisecond of an autoencoder step. Here the forward pass computes the
//! loss and its gradient together, on all threads, and the backward pass scales the stored
//! gradient into the logits'.

use super::scratch::{zeroed, Scratch};
use super::{record, Forward, ELEMENTS_PER_TASK as CHUNK};
use dfdx::prelude::*;
use rayon::prelude::*;

/// Mean binary cross-entropy between `sigmoid(logits)` and `targets` (probabilities in
/// `[0, 1]`), computed from the logits in the numerically stable form
/// `max(x, 0) - x * t + ln(1 + exp(-|x|))`, on the tape of `logits`.
///
/// Same value as dfdx's `binary_cross_entropy_with_logits_loss` (to rounding), one parallel pass
/// each way.
///
/// Keras equivalent: `loss='binary_crossentropy'` on a sigmoid output
/// (`BinaryCrossentropy(from_logits=True)`). PyTorch: `nn.BCEWithLogitsLoss()`.
pub fn bce_with_logits<S: Shape, T: Tape<f32, Cpu>>(
    logits: Tensor<S, f32, Cpu, T>,
    targets: &Tensor<S, f32, Cpu>,
) -> Result<Tensor<Rank0, f32, Cpu, T>, CpuError> {
    let len = logits.shape().num_elements();
    let scale = 1.0 / len.max(1) as f32;
    record(
        logits,
        Vec::new(),
        |x, traced| {
            let (xs, ts) = (Scratch::copy_of(x), Scratch::copy_of(targets));
            // d loss / d x_i = (sigmoid(x_i) - t_i) / len, kept for the backward pass.
            let mut grad = if traced { zeroed::<f32>(len) } else { Vec::new() };
            let sums: Vec<f64> = if traced {
                grad.par_chunks_mut(CHUNK)
                    .zip(xs.par_chunks(CHUNK))
                    .zip(ts.par_chunks(CHUNK))
                    .map(|((g, x), t)| {
                        let mut sum = 0.0f64;
                        for ((g, &x), &t) in g.iter_mut().zip(x).zip(t) {
                            let (loss, sigmoid) = bce_and_sigmoid(x, t);
                            sum += loss as f64;
                            *g = (sigmoid - t) * scale;
                        }
                        sum
                    })
                    .collect()
            } else {
                xs.par_chunks(CHUNK)
                    .zip(ts.par_chunks(CHUNK))
                    .map(|(x, t)| x.iter().zip(t).map(|(&x, &t)| bce_and_sigmoid(x, t).0 as f64).sum())
                    .collect()
            };
            let mean = (sums.iter().sum::<f64>() * scale as f64) as f32;
            Ok(Forward {
                values: vec![mean],
                shape: (),
                kept: grad,
            })
        },
        |grad, gout, gx| {
            let upstream = gout[0];
            gx.par_chunks_mut(CHUNK).zip(grad.par_chunks(CHUNK)).for_each(|(gx, g)| {
                for (gx, g) in gx.iter_mut().zip(g) {
                    *gx += upstream * g;
                }
            });
            Vec::new()
        },
    )
}

/// The loss of one logit `x` against target `t`, and `sigmoid(x)`, from one `exp`.
#[inline(always)]
fn bce_and_sigmoid(x: f32, t: f32) -> (f32, f32) {
    let e = (-x.abs()).exp();
    // ln(1 + e) for e in (0, 1]: no cancellation, and `ln` is cheaper than `ln_1p`.
    let loss = x.max(0.0) - x * t + (1.0 + e).ln();
    let r = 1.0 / (1.0 + e);
    let sigmoid = if x >= 0.0 { r } else { e * r };
    (loss, sigmoid)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Value and gradient agree with dfdx's own loss, for large logits of both signs too.
    #[test]
    fn matches_dfdx_bce_with_logits() {
        let dev = Cpu::default();
        let n = 3 * CHUNK + 17;
        let x: Vec<f32> = (0..n).map(|i| ((i * 7919 % 2001) as f32 - 1000.0) / 40.0).collect();
        let t: Vec<f32> = (0..n).map(|i| (i * 104_729 % 101) as f32 / 100.0).collect();
        let logits = dev.tensor_from_vec(x, (n,));
        let targets = dev.tensor_from_vec(t, (n,));

        let want = binary_cross_entropy_with_logits_loss(logits.leaky_trace(), targets.clone());
        let want_value = want.array();
        let want_grad = want.backward().get(&logits).as_vec();
        let got = bce_with_logits(logits.leaky_trace(), &targets).expect("loss");
        let got_value = got.array();
        let got_grad = got.backward().get(&logits).as_vec();

        assert!(
            (got_value - want_value).abs() <= 1e-5 * want_value.abs(),
            "{got_value} vs {want_value}"
        );
        for (i, (a, b)) in got_grad.iter().zip(&want_grad).enumerate() {
            assert!((a - b).abs() <= 1e-6 / n as f32 + 1e-5 * b.abs(), "at {i}: {a} vs {b}");
        }
        let untraced = bce_with_logits(logits, &targets).expect("loss").array();
        assert_eq!(untraced, got_value);
    }
}
