//! Seed arithmetic: every random draw of a training step is derived from the run seed and the
//! step number, so a resumed run draws exactly what an uninterrupted run would.

use rand::rngs::StdRng;
use rand::SeedableRng;

/// Mixes two numbers into a well-spread 64-bit seed (SplitMix64 finaliser).
pub fn mix(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_add(0x9E37_79B9_7F4A_7C15).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What a random draw within a step is for; each purpose gets its own stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// Weight initialisation.
    Init = 1,
    /// Choosing or shuffling training images.
    Batch = 2,
    /// Noise vectors fed to the generator.
    Noise = 3,
    /// Dropout masks.
    Dropout = 4,
    /// The fixed noise behind snapshot grids.
    Snapshot = 5,
    /// Picking images to show.
    Display = 6,
    /// Dropout masks and nudge directions of sampling-time selection.
    Selection = 7,
}

/// A generator for one purpose of one step of a run.
pub fn step_rng(seed: u64, step: u64, stream: Stream) -> StdRng {
    StdRng::seed_from_u64(mix(mix(seed, stream as u64), step))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_and_steps_differ_and_repeat() {
        let a: u64 = step_rng(7, 3, Stream::Noise).gen();
        let b: u64 = step_rng(7, 3, Stream::Noise).gen();
        let c: u64 = step_rng(7, 4, Stream::Noise).gen();
        let d: u64 = step_rng(7, 3, Stream::Batch).gen();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }
}
