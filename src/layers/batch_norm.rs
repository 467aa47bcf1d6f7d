//! BatchNormalization with Keras' settings, each pass one parallel op.

use crate::ops::batch_norm::{batch_norm_infer, batch_norm_train, BatchNormState};
use dfdx::nn::modules::{Module, ModuleMut, ModuleVisitor, TensorCollection};
use dfdx::nn::tensor_collection::{ScalarOptions, TensorOptions};
use dfdx::nn::BuildOnDevice;
use dfdx::prelude::*;

/// Normalises each of `C` channels (axis 1) to zero mean and unit variance, then scales and
/// shifts it by learned per-channel factors: `(batch, C)` after a dense layer
/// ([`BatchNorm1D`]), `(batch, C, H, W)` after a convolution ([`BatchNorm2D`]).
///
/// Training mode (`forward_mut` on a traced tensor) normalises with the batch's own statistics
/// and updates the running ones: `running = (1 - momentum) * running + momentum * batch`, the
/// variance unbiased (`n / (n - 1)`). Inference (`forward` on an untraced tensor) normalises
/// with the running statistics and changes nothing. A traced tensor in `forward`, or an
/// untraced one in `forward_mut`, does not compile.
///
/// The fields, their names in checkpoints (`scale`, `bias`, `running_mean`, `running_var`) and
/// the two modes are dfdx's `BatchNorm1D` / `BatchNorm2D`; the defaults are Keras' (dfdx's are
/// PyTorch's, momentum 0.1 and epsilon 1e-5), and each pass is one parallel op where dfdx's
/// are a dozen single-threaded ones.
///
/// Keras equivalent: `BatchNormalization()` (`momentum=0.99`, which is 0.01 here: Keras names
/// the weight of the old value). PyTorch equivalent: `nn.BatchNorm1d(C, momentum=0.01, eps=1e-3)`.
#[derive(Debug, Clone)]
pub struct BatchNorm<const C: usize, E: Dtype = f32, D: Storage<E> = Cpu> {
    /// Per-channel factor (`gamma`), starts at 1.
    pub scale: Tensor<Rank1<C>, E, D>,
    /// Per-channel offset (`beta`), starts at 0.
    pub bias: Tensor<Rank1<C>, E, D>,
    /// Running mean, updated in training (not trained), starts at 0.
    pub running_mean: Tensor<Rank1<C>, E, D>,
    /// Running variance, updated in training (not trained), starts at 1.
    pub running_var: Tensor<Rank1<C>, E, D>,
    /// Added to the variance before its square root; Keras' default 1e-3.
    pub epsilon: f64,
    /// The weight of a batch's statistics in the running ones; Keras' default 0.01.
    pub momentum: f64,
}

/// BatchNormalization after a dense layer: `(batch, C)`. Another name of [`BatchNorm`].
///
/// Keras equivalent: `BatchNormalization()` after `Dense(C)`.
pub type BatchNorm1D<const C: usize, E = f32, D = Cpu> = BatchNorm<C, E, D>;

/// BatchNormalization after a convolution: `(batch, C, H, W)`, statistics per channel over the
/// batch and the image. Another name of [`BatchNorm`].
///
/// Keras equivalent: `BatchNormalization()` after `Conv2D(C, ..)`.
pub type BatchNorm2D<const C: usize, E = f32, D = Cpu> = BatchNorm<C, E, D>;

impl<const C: usize> BuildOnDevice<Cpu, f32> for BatchNorm<C, f32, Cpu> {
    type Built = Self;
}

impl<const C: usize, E: Dtype, D: Device<E>> TensorCollection<E, D> for BatchNorm<C, E, D> {
    type To<E2: Dtype, D2: Device<E2>> = BatchNorm<C, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(visitor: &mut V) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::tensor("scale", |s| &s.scale, |s| &mut s.scale, TensorOptions::reset_to_ones()),
                Self::tensor("bias", |s| &s.bias, |s| &mut s.bias, TensorOptions::reset_to_zeros()),
                Self::tensor(
                    "running_mean",
                    |s| &s.running_mean,
                    |s| &mut s.running_mean,
                    TensorOptions::detached(|t| t.try_fill_with_zeros()),
                ),
                Self::tensor(
                    "running_var",
                    |s| &s.running_var,
                    |s| &mut s.running_var,
                    TensorOptions::detached(|t| t.try_fill_with_ones()),
                ),
                Self::scalar("epsilon", |s| &s.epsilon, |s| &mut s.epsilon, ScalarOptions::from_default(1e-3)),
                Self::scalar("momentum", |s| &s.momentum, |s| &mut s.momentum, ScalarOptions::from_default(0.01)),
            ),
            |(scale, bias, running_mean, running_var, epsilon, momentum)| BatchNorm {
                scale,
                bias,
                running_mean,
                running_var,
                epsilon,
                momentum,
            },
        )
    }
}

impl<const C: usize> BatchNorm<C> {
    /// Training-mode normalisation of `x` (any shape whose axis 1 has `C` channels).
    fn train<S: Shape>(
        &mut self,
        x: Tensor<S, f32, Cpu, OwnedTape<f32, Cpu>>,
    ) -> Result<Tensor<S, f32, Cpu, OwnedTape<f32, Cpu>>, CpuError> {
        let state = BatchNormState {
            scale: &self.scale,
            bias: &self.bias,
            running_mean: &mut self.running_mean,
            running_var: &mut self.running_var,
            epsilon: self.epsilon,
            momentum: self.momentum,
        };
        batch_norm_train(x, state)
    }

    /// Inference-mode normalisation of `x`.
    fn infer<S: Shape>(&self, x: Tensor<S, f32, Cpu>) -> Result<Tensor<S, f32, Cpu>, CpuError> {
        batch_norm_infer(x, &self.scale, &self.bias, &self.running_mean, &self.running_var, self.epsilon)
    }
}

/// Implements inference (`Module`) and training (`ModuleMut`) for one input shape.
macro_rules! batch_norm_modes {
    ([$($dims:ident),*], $shape:ty) => {
        impl<$($dims: Dim,)* const C: usize> Module<Tensor<$shape, f32, Cpu>> for BatchNorm<C> {
            type Output = Tensor<$shape, f32, Cpu>;
            type Error = CpuError;

            /// Inference: normalises with the running statistics.
            fn try_forward(&self, x: Tensor<$shape, f32, Cpu>) -> Result<Self::Output, CpuError> {
                self.infer(x)
            }
        }

        impl<$($dims: Dim,)* const C: usize> ModuleMut<Tensor<$shape, f32, Cpu, OwnedTape<f32, Cpu>>> for BatchNorm<C> {
            type Output = Tensor<$shape, f32, Cpu, OwnedTape<f32, Cpu>>;
            type Error = CpuError;

            /// Training: normalises with the batch's statistics and updates the running ones.
            fn try_forward_mut(&mut self, x: Tensor<$shape, f32, Cpu, OwnedTape<f32, Cpu>>) -> Result<Self::Output, CpuError> {
                self.train(x)
            }
        }
    };
}
batch_norm_modes!([B], (B, Const<C>));
batch_norm_modes!([B, H, W], (B, Const<C>, H, W));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::testing::{close, values};
    use dfdx::nn::{builders, DeviceBuildExt};

    /// A layer with Keras' defaults, then a high momentum and scale, bias and running statistics
    /// away from their initial values (so that each shows in the results).
    fn away_from_start<const C: usize>(dev: &Cpu) -> BatchNorm<C> {
        let mut bn = dev.build_module::<BatchNorm<C>, f32>();
        assert_eq!((bn.epsilon, bn.momentum), (1e-3, 0.01), "Keras' defaults");
        bn.momentum = 0.3;
        bn.scale.copy_from(&values(C, 1).iter().map(|v| 1.0 + v / 2.0).collect::<Vec<_>>());
        bn.bias.copy_from(&values(C, 2));
        bn.running_mean.copy_from(&values(C, 3));
        bn.running_var.copy_from(&values(C, 4).iter().map(|v| 1.5 + v).collect::<Vec<_>>());
        bn
    }

    /// Two training steps, then inference, against dfdx's layer `$theirs` from the same state:
    /// outputs, the gradients of input, scale and bias under a weighted-sum loss, and the
    /// running statistics.
    macro_rules! matches_dfdx {
        ($name:ident, $theirs:ty, $c:literal, $shape:expr) => {
            #[test]
            fn $name() {
                let dev = Cpu::default();
                let mut ours = away_from_start::<$c>(&dev);
                let mut theirs = dev.build_module::<$theirs, f32>();
                theirs.scale = ours.scale.clone();
                theirs.bias = ours.bias.clone();
                theirs.running_mean = ours.running_mean.clone();
                theirs.running_var = ours.running_var.clone();
                (theirs.epsilon, theirs.momentum) = (ours.epsilon, ours.momentum);
                let shape = $shape;
                let n = shape.num_elements();
                for step in 0..2 {
                    let x = dev.tensor_from_vec(values(n, 10 + step).iter().map(|v| 3.0 * v + 0.5).collect(), shape);
                    let w = dev.tensor_from_vec(values(n, 20 + step), shape);
                    let y = ours.forward_mut(x.leaky_trace());
                    let want = theirs.forward_mut(x.leaky_trace());
                    close(&y.as_vec(), &want.as_vec());
                    let grads = (y * w.clone()).sum().backward();
                    let want_grads = (want * w).sum().backward();
                    close(&grads.get(&x).as_vec(), &want_grads.get(&x).as_vec());
                    close(&grads.get(&ours.scale).as_vec(), &want_grads.get(&theirs.scale).as_vec());
                    close(&grads.get(&ours.bias).as_vec(), &want_grads.get(&theirs.bias).as_vec());
                    close(&ours.running_mean.as_vec(), &theirs.running_mean.as_vec());
                    close(&ours.running_var.as_vec(), &theirs.running_var.as_vec());
                }
                let x = dev.tensor_from_vec(values(n, 30), shape);
                close(&ours.forward(x.clone()).as_vec(), &theirs.forward(x).as_vec());
            }
        };
    }

    // Runs of one value, in two reduction tasks (4096 channels each at batch 4).
    matches_dfdx!(dense_input_matches_dfdx, builders::BatchNorm1D<5000>, 5000, (4, Const::<5000>));
    // Runs of 2025 values (16-value chunks and a tail), three reduction tasks of two channels.
    matches_dfdx!(image_input_matches_dfdx, builders::BatchNorm2D<6>, 6, (4, Const::<6>, 45, 45));
    // One task, one image per batch, a plane smaller than a chunk.
    matches_dfdx!(small_image_input_matches_dfdx, builders::BatchNorm2D<3>, 3, (2, Const::<3>, 3, 3));

    /// An empty batch gives an empty output and leaves the running statistics alone.
    #[test]
    fn empty_batch_changes_nothing() {
        let dev = Cpu::default();
        let mut bn = away_from_start::<4>(&dev);
        let before = (bn.running_mean.as_vec(), bn.running_var.as_vec());
        let x = dev.tensor_from_vec(Vec::new(), (0, Const::<4>, 5, 5));
        let y = bn.forward_mut(x.leaky_trace());
        assert_eq!(y.shape().concrete(), [0, 4, 5, 5]);
        assert_eq!((bn.running_mean.as_vec(), bn.running_var.as_vec()), before);
    }
}
