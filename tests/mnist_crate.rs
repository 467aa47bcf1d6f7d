//! MNIST read through the `mnist` crate, behind genlab's own checks.

mod common;

use genlab::data::Mnist;

/// MNIST as loaded (parsed by the `mnist` crate after genlab's checks) holds exactly the bytes of
/// the four files, and the staging folder the crate read from is gone afterwards.
#[test]
fn mnist_through_the_mnist_crate_equals_the_files() {
    // The only test in this binary, so no other load has a staging folder open meanwhile.
    let _ = common::mnist();
    let dir = genlab::data::data_dir();
    let mnist = Mnist::load_from(&dir).unwrap();
    let read = |name: &str, magic| genlab::data::read_idx(&dir.join(format!("{name}.gz")), magic).unwrap().data;
    use genlab::data::{IMAGES_MAGIC, LABELS_MAGIC};
    assert!(mnist.train.images == read("train-images-idx3-ubyte", IMAGES_MAGIC));
    assert!(mnist.train.labels == read("train-labels-idx1-ubyte", LABELS_MAGIC));
    assert!(mnist.test.images == read("t10k-images-idx3-ubyte", IMAGES_MAGIC));
    assert!(mnist.test.labels == read("t10k-labels-idx1-ubyte", LABELS_MAGIC));
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("genlab-mnist-{}-", std::process::id()))
        })
        .collect();
    assert!(left.is_empty(), "staging folders left behind: {left:?}");
}
