// The second convolution expects 32 input channels, but the first produces 64.
use dfdx::prelude::*;
use genlab::layers::{Conv2d, LeakyRelu, Same};

fn main() {
    let dev: Cpu = Default::default();
    let m = dev.build_module::<(Conv2d<1, 64, 5, 2, Same, 14>, LeakyRelu<20>, Conv2d<32, 128, 5, 2, Same, 7>), f32>();
    let x: Tensor<(usize, Const<1>, Const<28>, Const<28>), f32, Cpu> = dev.zeros_like(&(2, Const, Const, Const));
    let _y = m.forward(x);
}
