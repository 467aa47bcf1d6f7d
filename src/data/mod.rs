//! MNIST: fetching, reading, scaling and batching.

mod fetch;
mod idx;
mod mnist;

pub use fetch::{
    fetch_mnist, idle_timeout, md5_hex, Mirror, MnistFile, DEFAULT_IDLE_TIMEOUT_S, FETCH_LOCK_FILE, IDLE_TIMEOUT_ENV, MAX_DOWNLOAD_BYTES,
    MIRROR_ENV, MNIST_FILES, PUBLIC_MIRRORS,
};
pub use idx::{idx_images, parse_idx, read_idx, read_idx_from, IdxArray, IMAGES_MAGIC, LABELS_MAGIC, MAX_IDX_BYTES};
pub use mnist::{add_noise, data_dir, image_batch, ImageBatch, Mnist, Scaling, Split, DATA_ENV, PIXELS, TEMP_VARIABLE};
