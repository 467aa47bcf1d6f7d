//! The lecture's activation-functions slide.

use super::canvas::centered;
use super::text::font;
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

/// An activation function from the lecture's slide, with its derivative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
    /// `max(0, x)`.
    Relu,
    /// `max(0.1x, x)`, the slide's slope (the lecture's models use 0.2).
    LeakyRelu,
    /// `max(w1ᵀx + b1, w2ᵀx + b2)` (for a single input `x`, `w1ᵀx = w1 x`) with the example pieces `w1 = 1, b1 = 0.5` and
    /// `w2 = -0.5, b2 = 0` (a learned layer picks its own pieces; with more pieces it can
    /// approximate any convex function).
    Maxout,
    /// `x` for `x >= 0`, `alpha (e^x - 1)` below, with `alpha = 1`.
    Elu,
}

impl Activation {
    /// All six, in the slide's order.
    pub const ALL: [Activation; 6] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Maxout,
        Activation::Elu,
    ];

    /// The function's value at `x`.
    pub fn value(self, x: f64) -> f64 {
        match self {
            Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.max(0.0),
            Activation::LeakyRelu => x.max(0.1 * x),
            Activation::Maxout => (x + 0.5).max(-0.5 * x),
            Activation::Elu => {
                if x >= 0.0 {
                    x
                } else {
                    x.exp() - 1.0
                }
            }
        }
    }

    /// The derivative at `x` (the right-hand one at kinks).
    pub fn derivative(self, x: f64) -> f64 {
        match self {
            Activation::Sigmoid => self.value(x) * (1.0 - self.value(x)),
            Activation::Tanh => 1.0 - x.tanh().powi(2),
            Activation::Relu => (x >= 0.0) as u8 as f64,
            Activation::LeakyRelu => {
                if x >= 0.0 {
                    1.0
                } else {
                    0.1
                }
            }
            Activation::Maxout => {
                if x + 0.5 >= -0.5 * x {
                    1.0
                } else {
                    -0.5
                }
            }
            Activation::Elu => {
                if x >= 0.0 {
                    1.0
                } else {
                    x.exp()
                }
            }
        }
    }

    /// Panel title: name and formula, as on the slide.
    pub fn title(self) -> &'static str {
        match self {
            Activation::Sigmoid => "Sigmoid  σ(x) = 1 / (1 + e^(−x))",
            Activation::Tanh => "tanh  tanh(x)",
            Activation::Relu => "ReLU  max(0, x)",
            Activation::LeakyRelu => "Leaky ReLU  max(0.1x, x)",
            Activation::Maxout => "Maxout  max(w₁ᵀx + b₁, w₂ᵀx + b₂)",
            Activation::Elu => "ELU  x if x ≥ 0, α(eˣ − 1) if x < 0; α = 1",
        }
    }

    fn y_range(self) -> std::ops::Range<f64> {
        match self {
            Activation::Sigmoid => -0.2..1.2,
            Activation::Tanh => -1.2..1.2,
            _ => -1.5..6.0,
        }
    }
}

fn err<E: std::fmt::Display>(e: E) -> Error {
    Error::Figure(e.to_string())
}

const FUNCTION_COLOR: RGBColor = RGBColor(31, 119, 180);
const DERIVATIVE_COLOR: RGBColor = RGBColor(255, 127, 14);

pub fn draw_activations<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, text: &str, s: f64) -> Result<()> {
    let (title, body) = root.split_vertically((36.0 * s) as u32);
    let (w, h) = title.dim_in_pixel();
    title
        .draw(&Text::new(text, (w as i32 / 2, h as i32 / 2), centered(text, 20.0, s)))
        .map_err(err)?;
    for (panel, act) in body.split_evenly((2, 3)).iter().zip(Activation::ALL) {
        let mut chart = ChartBuilder::on(panel)
            .caption(act.title(), font(act.title(), 15.0 * s))
            .margin(8.0 * s)
            .x_label_area_size(38.0 * s)
            .y_label_area_size(48.0 * s)
            .build_cartesian_2d(-5.0..5.0, act.y_range())
            .map_err(err)?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", 11.0 * s))
            .x_labels(5)
            .y_labels(5)
            .light_line_style(WHITE.mix(0.0))
            .x_desc("x")
            .y_desc("f(x), f′(x)")
            .axis_desc_style(("sans-serif", 12.0 * s))
            .draw()
            .map_err(err)?;
        let xs: Vec<f64> = (0..=1000).map(|i| -5.0 + i as f64 * 0.01).collect();
        chart
            .draw_series(LineSeries::new([(-5.0, 0.0), (5.0, 0.0)], BLACK.mix(0.3)))
            .map_err(err)?;
        if act == Activation::Maxout {
            let pieces: [(f64, f64); 2] = [(1.0, 0.5), (-0.5, 0.0)];
            for (w, b) in pieces {
                let line = xs.iter().map(|&x| (x, w * x + b));
                chart
                    .draw_series(LineSeries::new(line, BLACK.mix(0.25).stroke_width(1)))
                    .map_err(err)?;
            }
        }
        let derivative = xs.iter().map(|&x| (x, act.derivative(x)));
        chart
            .draw_series(DashedLineSeries::new(
                derivative,
                6.0 * s,
                4.0 * s,
                DERIVATIVE_COLOR.stroke_width((1.5 * s).round() as u32),
            ))
            .map_err(err)?;
        let function = xs.iter().map(|&x| (x, act.value(x)));
        chart
            .draw_series(LineSeries::new(function, FUNCTION_COLOR.stroke_width((2.5 * s).round() as u32)))
            .map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Activation;

    #[test]
    fn derivatives_match_finite_differences() {
        for act in Activation::ALL {
            for x in [-3.0, -0.7, 0.4, 2.5] {
                let numeric = (act.value(x + 1e-6) - act.value(x - 1e-6)) / 2e-6;
                assert!((numeric - act.derivative(x)).abs() < 1e-5, "{act:?} at {x}");
            }
        }
    }
}
