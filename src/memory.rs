//! Keeping freed memory for reuse: training allocates and frees the same large buffers (several
//! MB of activations and gradients) every step.

use std::sync::Once;

/// Tells glibc's allocator to serve large buffers from the heap and keep freed memory, instead
/// of mapping fresh pages for each (and faulting every page in again): that cost 10-15% of an
/// autoencoder step. Called once by the trainers; affects the whole process; a no-op elsewhere
/// than Linux with glibc.
pub fn keep_freed_memory() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only changes allocator thresholds; it is safe to call at any time.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        }
    });
}
