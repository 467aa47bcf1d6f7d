// A 'same' stride-2 convolution of a 28x28 image gives 14x14, not 13x13.
use dfdx::prelude::*;
use genlab::layers::{Conv2d, Same};

fn main() {
    let dev: Cpu = Default::default();
    let m = dev.build_module::<Conv2d<1, 64, 5, 2, Same, 13>, f32>();
    let x: Tensor<(usize, Const<1>, Const<28>, Const<28>), f32, Cpu> = dev.zeros_like(&(2, Const, Const, Const));
    let _y = m.forward(x);
}
