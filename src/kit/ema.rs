//! An exponential moving average of a network's weights: the network to sample from.

use crate::walk::{each_tensor, each_tensor_mut};
use dfdx::nn::TensorCollection;
use dfdx::prelude::*;

/// A copy of a network whose every tensor (weights and BatchNormalization statistics) follows
/// the trained network's as `avg = decay * avg + (1 - decay) * w` after each update.
///
/// From Karras et al., "Progressive Growing of GANs" (2018), and Yazıcı et al., "The Unusual
/// Effectiveness of Averaging in GAN Training" (ICLR 2019): the averaged generator's samples are
/// cleaner than the trained one's, whose weights keep circling an equilibrium. Training itself
/// is unchanged. The decay warms up as TensorFlow's `ExponentialMovingAverage(num_updates=t)`
/// does, `min(decay, (1 + t) / (10 + t))`, so the first updates do not keep the initial weights.
pub(crate) struct Ema<M> {
    /// The averaged network.
    pub net: M,
    /// The long-run decay per update.
    pub decay: f32,
    scratch: Vec<Vec<f32>>,
}

impl<M: TensorCollection<f32, Cpu> + Clone> Ema<M> {
    /// An average that starts at `net`'s weights.
    pub(crate) fn new(net: &M, decay: f32) -> Self {
        Ema {
            net: net.clone(),
            decay,
            scratch: Vec::new(),
        }
    }

    /// The decay used for update number `t` (counted from 0).
    pub(crate) fn decay_at(&self, t: u64) -> f32 {
        self.decay.min((1.0 + t as f32) / (10.0 + t as f32))
    }

    /// Moves the average towards `trained` after its update number `t` (counted from 0).
    pub(crate) fn update(&mut self, trained: &M, t: u64) {
        let d = self.decay_at(t);
        let mut index = 0;
        each_tensor(trained, |_, _, w| {
            if self.scratch.len() <= index {
                self.scratch.push(Vec::new());
            }
            self.scratch[index].resize(w.len(), 0.0);
            w.read(&mut self.scratch[index]);
            index += 1;
        });
        let (mut index, mut avg) = (0, Vec::new());
        each_tensor_mut(&mut self.net, |_, _, a| {
            avg.resize(a.len(), 0.0);
            a.read(&mut avg);
            for (a, w) in avg.iter_mut().zip(&self.scratch[index]) {
                *a += (1.0 - d) * (*w - *a);
            }
            a.write(&avg);
            index += 1;
            Ok(())
        })
        .expect("writing tensors cannot fail");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::build_generator;

    fn values<M: TensorCollection<f32, Cpu>>(m: &M) -> Vec<f32> {
        let mut all = Vec::new();
        each_tensor(m, |_, _, t| {
            let mut v = vec![0.0; t.len()];
            t.read(&mut v);
            all.extend(v);
        });
        all
    }

    #[test]
    fn the_average_moves_towards_the_trained_weights_by_the_warmed_up_decay() {
        let dev = Cpu::seed_from_u64(1);
        let a = build_generator(&dev);
        let b = build_generator(&dev);
        let mut ema = Ema::new(&a, 0.999);
        assert_eq!(values(&ema.net), values(&a), "it starts at the trained weights");
        // Update 0 uses min(0.999, 1/10) = 0.1: 10% of the old average, 90% of the new weights.
        ema.update(&b, 0);
        let (va, vb, ve) = (values(&a), values(&b), values(&ema.net));
        assert!(va.iter().zip(&vb).any(|(x, y)| x != y));
        for ((x, y), e) in va.iter().zip(&vb).zip(&ve) {
            assert!((e - (0.1 * x + 0.9 * y)).abs() <= 1e-6 * (1.0 + x.abs() + y.abs()));
        }
        assert_eq!(ema.decay_at(10_000), 0.999);
        // The trained network is untouched (the copy owns its own buffers).
        assert_eq!(values(&a), va);
    }
}
