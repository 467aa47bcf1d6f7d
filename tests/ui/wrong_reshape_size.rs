// The generator's first block with 6000 units cannot be reshaped to 128 x 7 x 7 = 6272.
use dfdx::prelude::*;
use genlab::layers::{Dense, LeakyRelu, Reshape};

fn main() {
    let dev: Cpu = Default::default();
    let m = dev.build_module::<(Dense<100, 6000>, LeakyRelu<20>, Reshape<128, 7, 7>), f32>();
    let z: Tensor<(usize, Const<100>), f32, Cpu> = dev.zeros_like(&(2, Const));
    let _img = m.forward(z);
}
