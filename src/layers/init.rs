//! Keras' default weight initialiser.

use dfdx::prelude::*;

/// Fills `t` with Keras' glorot_uniform: `U(-l, l)` with `l = sqrt(6 / (fan_in + fan_out))`.
///
/// Keras equivalent: `kernel_initializer="glorot_uniform"` (the default of `Dense` and `Conv2D`).
pub fn glorot_uniform<S: Shape, E, D: Device<E>>(t: &mut Tensor<S, E, D>, fan_in: usize, fan_out: usize) -> Result<(), D::Err>
where
    E: Dtype + num_traits::Float + rand_distr::uniform::SampleUniform,
{
    let limit = E::from((6.0 / (fan_in + fan_out) as f64).sqrt()).unwrap_or_else(E::one);
    t.try_fill_with_distr(rand_distr::Uniform::new(-limit, limit))
}

/// The body of `iter_tensors` for a layer with a `weight` (glorot_uniform with the given fans)
/// and a `bias` (zeros), rebuilt by `$build` from the two visited tensors: Keras' `Dense` and
/// `Conv2D` parameters, as dfdx visits them for building, saving and optimising.
macro_rules! glorot_weight_zero_bias {
    ($visitor:expr, ($fan_in:expr, $fan_out:expr), |$weight:ident, $bias:ident| $build:expr) => {
        $visitor.visit_fields(
            (
                Self::tensor(
                    "weight",
                    |s| &s.weight,
                    |s| &mut s.weight,
                    TensorOptions::reset_with(|t| glorot_uniform(t, $fan_in, $fan_out)),
                ),
                Self::tensor("bias", |s| &s.bias, |s| &mut s.bias, TensorOptions::reset_to_zeros()),
            ),
            |($weight, $bias)| $build,
        )
    };
}
pub(crate) use glorot_weight_zero_bias;
