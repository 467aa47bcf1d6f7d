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
