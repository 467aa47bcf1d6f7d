//! Fully connected layer with Keras' initialisation.

use super::init::{glorot_uniform, glorot_weight_zero_bias};
use dfdx::nn::modules::{Module, ModuleVisitor, NonMutableModule, TensorCollection};
use dfdx::nn::tensor_collection::TensorOptions;
use dfdx::nn::BuildOnDevice;
use dfdx::prelude::*;

/// Fully connected layer `y = x W + b` from `(batch, IN)` to `(batch, OUT)`.
///
/// The kernel is stored as Keras stores it, `(IN, OUT)`, glorot_uniform; the bias starts at zero.
/// (dfdx's `Linear` starts from `U(±1/sqrt(IN))` instead.) An activation written in Keras as
/// `Dense(.., activation=..)` is a separate layer after it here.
///
/// Keras equivalent: `Dense(OUT, input_dim=IN)`. PyTorch equivalent: `nn.Linear(IN, OUT)`.
#[derive(Debug, Clone)]
pub struct Dense<const IN: usize, const OUT: usize, E: Dtype = f32, D: Storage<E> = Cpu> {
    /// Kernel, `(IN, OUT)`.
    pub weight: Tensor<Rank2<IN, OUT>, E, D>,
    /// Bias, `(OUT)`.
    pub bias: Tensor<Rank1<OUT>, E, D>,
}

impl<const I: usize, const O: usize> BuildOnDevice<Cpu, f32> for Dense<I, O, f32, Cpu> {
    type Built = Self;
}

impl<const I: usize, const O: usize, E: Dtype, D: Storage<E>> NonMutableModule for Dense<I, O, E, D> {}

impl<const I: usize, const O: usize, E, D> TensorCollection<E, D> for Dense<I, O, E, D>
where
    E: Dtype + num_traits::Float + rand_distr::uniform::SampleUniform,
    D: Device<E>,
{
    type To<E2: Dtype, D2: Device<E2>> = Dense<I, O, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(visitor: &mut V) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        glorot_weight_zero_bias!(visitor, (I, O), |weight, bias| Dense { weight, bias })
    }
}

impl<B: Dim, const I: usize, const O: usize, T: Tape<f32, Cpu>> Module<Tensor<(B, Const<I>), f32, Cpu, T>> for Dense<I, O, f32, Cpu> {
    type Output = Tensor<(B, Const<O>), f32, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Const<I>), f32, Cpu, T>) -> Result<Self::Output, CpuError> {
        let y = x.try_matmul(self.weight.retaped::<T>())?;
        let bias = self.bias.retaped::<T>().try_broadcast_like(y.shape())?;
        y.try_add(bias)
    }
}
