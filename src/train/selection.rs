//! Choosing among generated digits with the GAN's own parts, never a digit classifier: the
//! scores a candidate gets at sampling time (the discriminator's logit, how sharply the
//! generator changes around its noise vector), for discriminator rejection sampling (Azadi et
//! al., ICLR 2019) and Jacobian-norm truncation (Tanielian et al., ICML 2020).

use super::gan::{sampling_noise, Gan};
use super::MAX_IMAGES_PER_CALL;
use crate::error::{Error, Result};
use crate::rng::{step_rng, Stream};
use rand_distr::{Distribution, StandardNormal};

/// Generated candidates and the scores sampling-time selection can rank them by.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidates {
    /// The images (784 values each, in `[-1, 1]`), in the order drawn.
    pub images: Vec<f32>,
    /// The discriminator's logit of each image in inference mode (higher: more real to it).
    pub d_logit: Vec<f32>,
    /// The mean logit over `dropout_masks` dropout masks in training mode (empty with none).
    pub d_logit_dropout: Vec<f32>,
    /// An estimate of the generator's Jacobian norm at each noise vector: the mean of
    /// `|G(z + eps u) - G(z)| / eps` over random unit directions `u` (empty with none). dfdx has
    /// no second-order gradients; nudged forward passes need none.
    pub jacobian: Vec<f32>,
}

/// The size of the nudge along each direction, in noise units.
const NUDGE: f32 = 0.05;

impl Gan {
    /// `n` candidates from the sampling generator (noise drawn with `seed`, as
    /// [`generate`](Gan::generate) draws it) with their discriminator logits in inference mode,
    /// their mean logits over `dropout_masks` masks (0: none), and a Jacobian-norm estimate from
    /// `directions` nudged passes (0: none).
    pub fn candidates(&self, n: usize, seed: u64, dropout_masks: u64, directions: usize) -> Result<Candidates> {
        if !(1..=MAX_IMAGES_PER_CALL).contains(&n) {
            return Err(Error::InvalidArgument(format!(
                "candidates are 1 to {MAX_IMAGES_PER_CALL} images per call, asked for {n}"
            )));
        }
        let width = self.noise_size();
        let noise = sampling_noise(self.config(), width, n, &mut step_rng(seed, 0, Stream::Display));
        let images = self.generate_from(&noise)?;
        let d_logit = self.discriminator_logits(&images, 0)?;
        let d_logit_dropout = match dropout_masks {
            0 => Vec::new(),
            masks => self.discriminator_logits(&images, masks)?,
        };
        let mut jacobian = vec![0.0f32; if directions > 0 { n } else { 0 }];
        let mut rng = step_rng(seed, 1, Stream::Selection);
        for _ in 0..directions {
            let mut nudged = noise.clone();
            for z in nudged.chunks_mut(width) {
                let u: Vec<f32> = (0..width).map(|_| StandardNormal.sample(&mut rng)).collect();
                let norm = u.iter().map(|v| v * v).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
                z.iter_mut().zip(&u).for_each(|(z, u)| *z += NUDGE * u / norm);
            }
            let moved = self.generate_from(&nudged)?;
            for ((j, a), b) in jacobian.iter_mut().zip(images.chunks(784)).zip(moved.chunks(784)) {
                let step = a.iter().zip(b).map(|(a, b)| (a - b) * (a - b)).sum::<f32>().sqrt();
                *j += step / NUDGE / directions as f32;
            }
        }
        Ok(Candidates {
            images,
            d_logit,
            d_logit_dropout,
            jacobian,
        })
    }
}
