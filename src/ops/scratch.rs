//! Reusable buffers for the ops: convolution buffers are up to ~100 MB, and allocating them fresh
//! every step costs page faults.

use super::ELEMENTS_PER_TASK;
use dfdx::prelude::*;
use rayon::prelude::*;
use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

/// Buffers kept per thread (no locks); more are freed.
const POOL_SIZE: usize = 12;

thread_local! {
    static POOL: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of floats from the dropping thread's pool, returned to the pool when dropped.
///
/// Its contents are unspecified when taken: write before reading.
#[derive(Debug, Default)]
pub(crate) struct Scratch(Vec<f32>);

impl Scratch {
    /// A buffer of exactly `len` floats (the smallest pooled one that fits, else a new one).
    pub(crate) fn take(len: usize) -> Scratch {
        POOL.with(|pool| {
            let mut pool = pool.borrow_mut();
            let best = (0..pool.len())
                .filter(|&i| pool[i].capacity() >= len)
                .min_by_key(|&i| pool[i].capacity());
            Scratch(match best {
                Some(i) => {
                    let mut v = pool.swap_remove(i);
                    v.resize(len, 0.0);
                    v.truncate(len);
                    v
                }
                None => vec![0.0; len],
            })
        })
    }

    /// A buffer holding a copy of `t`'s values.
    pub(crate) fn copy_of<S: Shape, T>(t: &Tensor<S, f32, Cpu, T>) -> Scratch {
        let mut s = Scratch::take(t.shape().num_elements());
        t.copy_into(&mut s);
        s
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.0);
        if buf.capacity() == 0 {
            return;
        }
        // `try_with`: a buffer dropped while its thread shuts down is simply freed.
        let _ = POOL.try_with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < POOL_SIZE {
                pool.push(buf);
            }
        });
    }
}

impl Deref for Scratch {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.0
    }
}

impl DerefMut for Scratch {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.0
    }
}

/// Elements per thread task when zeroing: writing zeros is several times faster per element
/// than the other element-wise passes, so its tasks are that much longer (with
/// [`ELEMENTS_PER_TASK`] an autoencoder step spent 7% more time, `bench/ab.sh`).
const ZEROS_PER_TASK: usize = 4 * ELEMENTS_PER_TASK;

/// A vector of `len` zeros (`T::default()`), written by all threads: a layer's fresh output is
/// several MB, and `vec![0.0; len]` zeroes it with one thread's `memset`.
pub(crate) fn zeroed<T: Copy + Default + Send + Sync>(len: usize) -> Vec<T> {
    if len < 2 * ZEROS_PER_TASK {
        return vec![T::default(); len];
    }
    let mut v = Vec::with_capacity(len);
    v.spare_capacity_mut()[..len].par_chunks_mut(ZEROS_PER_TASK).for_each(|chunk| {
        for x in chunk {
            x.write(T::default());
        }
    });
    // SAFETY: the capacity is at least `len` and every one of the first `len` elements was
    // initialised above.
    unsafe { v.set_len(len) };
    v
}
