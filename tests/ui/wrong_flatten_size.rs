// 128 x 7 x 7 = 6272 values per image, not 6000.
use dfdx::prelude::*;
use genlab::layers::Flatten;

fn main() {
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, Const<128>, Const<7>, Const<7>), f32, Cpu> = dev.zeros_like(&(2, Const, Const, Const));
    let _y = Flatten::<6000>.forward(x);
}
