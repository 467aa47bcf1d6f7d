//! Adam exactly as Keras computes it, with state that can be saved and restored.

use crate::error::{Error, Result};
use crate::ops::ELEMENTS_PER_TASK as CHUNK;
use dfdx::nn::TensorCollection;
use dfdx::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Adam hyperparameters; the defaults are Keras'.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// Learning rate (Keras default 0.001).
    pub learning_rate: f32,
    /// Decay of the first moment (0.9).
    pub beta_1: f32,
    /// Decay of the second moment (0.999).
    pub beta_2: f32,
    /// Added to the denominator (Keras default 1e-7; PyTorch uses 1e-8).
    pub epsilon: f32,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            learning_rate: 1e-3,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
        }
    }
}

impl AdamConfig {
    /// The DCGAN paper's Adam (Radford et al. 2016): learning rate 2e-4 and `beta_1 = 0.5`
    /// ("the suggested momentum of 0.9 resulted in training oscillation and instability").
    ///
    /// Keras equivalent: `keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)`.
    pub fn dcgan() -> Self {
        AdamConfig {
            learning_rate: 2e-4,
            beta_1: 0.5,
            ..AdamConfig::default()
        }
    }

    /// The discriminator's half of the two time-scale update rule (TTUR; Heusel et al. 2017,
    /// as SAGAN uses it): the DCGAN Adam at twice its rate, 4e-4, against the generator's 2e-4
    /// or 1e-4, so the discriminator keeps up with the generator.
    pub fn ttur_discriminator() -> Self {
        AdamConfig {
            learning_rate: 4e-4,
            ..AdamConfig::dcgan()
        }
    }

    /// Checks that the hyperparameters can train: a finite positive learning rate and epsilon,
    /// betas in `[0, 1)`.
    pub fn check(&self) -> Result<()> {
        let positive = |v: f32| v.is_finite() && v > 0.0;
        let beta = |v: f32| (0.0..1.0).contains(&v);
        if positive(self.learning_rate) && positive(self.epsilon) && beta(self.beta_1) && beta(self.beta_2) {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "Adam needs a finite positive learning rate and epsilon and betas in [0, 1), got {self:?}"
            )))
        }
    }
}

/// Adam with Keras' update rule and state that checkpoints can hold.
///
/// Keras folds the bias correction into the step size,
/// `w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)`, which differs slightly from
/// PyTorch's (and dfdx's) `eps` placement. dfdx's own `Adam` keeps its moments private, so a
/// resumed run could not continue the same curve with it; this one exposes them.
///
/// Keras equivalent: `optimizer='adam'` (`keras.optimizers.Adam()`).
#[derive(Debug, Clone, PartialEq)]
pub struct Adam {
    /// Hyperparameters.
    pub config: AdamConfig,
    /// Updates applied so far.
    pub step: u64,
    /// First moments, one buffer per trainable tensor in visiting order.
    pub m: Vec<Vec<f32>>,
    /// Second moments, likewise.
    pub v: Vec<Vec<f32>>,
}

impl Adam {
    /// A fresh optimiser.
    pub fn new(config: AdamConfig) -> Self {
        Adam {
            config,
            step: 0,
            m: Vec::new(),
            v: Vec::new(),
        }
    }

    /// Applies one update to the trainable tensors of `model` from `grads`, then zeroes `grads`
    /// for those tensors.
    pub fn update<M: TensorCollection<f32, Cpu>>(&mut self, model: &mut M, grads: &mut Gradients<f32, Cpu>) -> Result<()> {
        self.step += 1;
        let t = self.step as i32;
        let c = self.config;
        let lr_t = c.learning_rate * (1.0 - c.beta_2.powi(t)).sqrt() / (1.0 - c.beta_1.powi(t));
        let (mut index, mut param) = (0, Vec::new());
        crate::walk::each_tensor_mut(model, |_, trainable, p| {
            if !trainable {
                return Ok(());
            }
            let n = p.len();
            if self.m.len() <= index {
                self.m.push(vec![0.0; n]);
                self.v.push(vec![0.0; n]);
            }
            let (m, v) = (&mut self.m[index], &mut self.v[index]);
            param.resize(n, 0.0);
            p.read(&mut param);
            let g = p.grad(grads)?;
            // Element by element, so splitting across threads changes no result.
            param
                .par_chunks_mut(CHUNK)
                .zip(m.par_chunks_mut(CHUNK))
                .zip(v.par_chunks_mut(CHUNK))
                .zip(g.par_chunks_mut(CHUNK))
                .for_each(|(((param, m), v), g)| {
                    for (((p, m), v), g) in param.iter_mut().zip(m).zip(v).zip(g) {
                        *m += (*g - *m) * (1.0 - c.beta_1);
                        *v += (*g * *g - *v) * (1.0 - c.beta_2);
                        *p -= lr_t * *m / (v.sqrt() + c.epsilon);
                        *g = 0.0;
                    }
                });
            p.write(&param);
            index += 1;
            Ok(())
        })?;
        Ok(())
    }
}
