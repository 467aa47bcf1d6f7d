//! MNIST: fetching, reading, scaling and batching.

mod fetch;
mod idx;
mod mnist;

pub use fetch::{fetch_mnist, md5_hex, Mirror, MnistFile, MIRROR_ENV, MNIST_FILES, PUBLIC_MIRRORS};
pub use idx::{parse_idx, read_idx, IdxArray, IMAGES_MAGIC, LABELS_MAGIC};
pub use mnist::{add_noise, data_dir, image_batch, ImageBatch, Mnist, Scaling, Split, DATA_ENV, PIXELS};
