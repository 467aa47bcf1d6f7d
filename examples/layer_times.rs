//! Times each layer of the lecture's autoencoder on its own, batch 128: forward, and forward +
//! backward, medians of repeated runs (the cost of the loss's own backward pass subtracted).
//! Run: `cargo run --release --example layer_times [-- ROUNDS]`
use genlab::dfdx::nn::modules::Module;
use genlab::dfdx::prelude::*;
use genlab::layers::{Conv2d, MaxPool2d, Relu, Same, UpSampleConv2d, UpSampling2D, Valid};
use std::time::Instant;

const BATCH: usize = 128;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Medians (ms) of: the forward pass with a tape, and forward + backward of `sum()` minus the
/// backward of `sum()` alone.
fn time<M, const C: usize, const H: usize, S>(name: &str, m: &M, rounds: usize)
where
    M: Module<
        Tensor<(usize, Const<C>, Const<H>, Const<H>), f32, Cpu, OwnedTape<f32, Cpu>>,
        Output = Tensor<S, f32, Cpu, OwnedTape<f32, Cpu>>,
        Error = CpuError,
    >,
    S: Shape,
{
    let dev = Cpu::seed_from_u64(0);
    let x: Tensor<(usize, Const<C>, Const<H>, Const<H>), f32, Cpu> = dev.sample_uniform_like(&(BATCH, Const, Const, Const));
    let (mut fwd, mut both, mut base) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        let y = m.try_forward(x.clone().traced(Gradients::leaky())).unwrap();
        fwd.push(t.elapsed().as_secs_f64());
        let g = y.sum().backward();
        drop(g);
        let t = Instant::now();
        let y = m.try_forward(x.clone().traced(Gradients::leaky())).unwrap();
        let g = y.sum().backward();
        both.push(t.elapsed().as_secs_f64());
        drop(g);
        let y = m.try_forward(x.clone().traced(Gradients::leaky())).unwrap();
        let (y, _) = y.split_tape();
        let t = Instant::now();
        let g = y.traced(Gradients::leaky()).sum().backward();
        base.push(t.elapsed().as_secs_f64());
        drop(g);
    }
    let (f, b, s) = (median(fwd), median(both), median(base));
    println!(
        "{name:<40} forward {:7.3} ms  backward {:7.3} ms  (sum backward {:5.3} ms)",
        f * 1e3,
        (b - f - s) * 1e3,
        s * 1e3
    );
}

fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(30);
    let dev = Cpu::seed_from_u64(0);
    time::<_, 1, 28, _>(
        "Conv2d<1,16,3,1,Same,28,Relu>",
        &dev.build_module::<Conv2d<1, 16, 3, 1, Same, 28, Relu>, f32>(),
        rounds,
    );
    time::<_, 16, 28, _>("MaxPool2d<14>", &MaxPool2d::<14>, rounds);
    time::<_, 16, 14, _>(
        "Conv2d<16,8,3,1,Same,14,Relu>",
        &dev.build_module::<Conv2d<16, 8, 3, 1, Same, 14, Relu>, f32>(),
        rounds,
    );
    time::<_, 8, 14, _>("MaxPool2d<7>", &MaxPool2d::<7>, rounds);
    time::<_, 8, 7, _>(
        "Conv2d<8,8,3,2,Same,4,Relu>",
        &dev.build_module::<Conv2d<8, 8, 3, 2, Same, 4, Relu>, f32>(),
        rounds,
    );
    time::<_, 8, 4, _>(
        "Conv2d<8,8,3,1,Same,4,Relu>",
        &dev.build_module::<Conv2d<8, 8, 3, 1, Same, 4, Relu>, f32>(),
        rounds,
    );
    time::<_, 8, 4, _>(
        "UpSampleConv2d<8,8,3,8,Relu>",
        &dev.build_module::<UpSampleConv2d<8, 8, 3, 8, Relu>, f32>(),
        rounds,
    );
    // UpSampling2D's output is upsampled where it is used: time it with the layer that uses it.
    time::<_, 8, 8, _>(
        "UpSampling2D<16> + Conv2d<8,16,3,1,Valid,14,Relu>",
        &(UpSampling2D::<16>, dev.build_module::<Conv2d<8, 16, 3, 1, Valid, 14, Relu>, f32>()),
        rounds,
    );
    time::<_, 8, 16, _>(
        "Conv2d<8,16,3,1,Valid,14,Relu>",
        &dev.build_module::<Conv2d<8, 16, 3, 1, Valid, 14, Relu>, f32>(),
        rounds,
    );
    time::<_, 16, 14, _>(
        "UpSampleConv2d<16,1,3,28>",
        &dev.build_module::<UpSampleConv2d<16, 1, 3, 28>, f32>(),
        rounds,
    );
}
