//! Loss curves: per iteration (raw and smoothed) or per epoch.

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One or more named loss series and how to show them.
#[derive(Debug, Clone, PartialEq)]
pub struct Curves {
    series: Vec<(String, Vec<f32>)>,
    /// Moving-average window (per-iteration curves); `None` for per-epoch curves.
    window: Option<usize>,
}

const COLORS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

impl Curves {
    fn new(series: &[(&str, &[f32])], window: Option<usize>) -> Result<Curves> {
        if series.iter().all(|(_, v)| v.is_empty()) {
            return Err(Error::InvalidArgument("no loss values to plot yet: train first".into()));
        }
        if let Some((name, _)) = series.iter().find(|(_, v)| v.iter().any(|x| !x.is_finite())) {
            return Err(Error::InvalidArgument(format!("the {name} losses contain NaN or infinite values")));
        }
        Ok(Curves {
            series: series.iter().map(|(n, v)| (n.to_string(), v.to_vec())).collect(),
            window,
        })
    }

    pub fn per_iteration(series: &[(&str, &[f32])], window: usize) -> Result<Curves> {
        Self::new(series, Some(window.max(1)))
    }

    pub fn per_epoch(series: &[(&str, &[f32])]) -> Result<Curves> {
        Self::new(series, None)
    }
}

/// Trailing moving average (shorter windows at the start).
pub fn moving_average(values: &[f32], window: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(values.len());
    let mut sum = 0.0f64;
    for (i, v) in values.iter().enumerate() {
        sum += *v as f64;
        if i >= window {
            sum -= values[i - window] as f64;
        }
        out.push((sum / (i + 1).min(window) as f64) as f32);
    }
    out
}

fn err<E: std::fmt::Display>(e: E) -> Error {
    Error::Figure(e.to_string())
}

pub fn draw_losses<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, curves: &Curves, title: &str, s: f64) -> Result<()> {
    let len = curves.series.iter().map(|(_, v)| v.len()).max().unwrap_or(1);
    let all = curves.series.iter().flat_map(|(_, v)| v.iter().copied());
    let (lo, hi) = all.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let pad = ((hi - lo) * 0.08).max(0.01);
    let (x0, x1, xlabel) = match curves.window {
        Some(_) => (0.0, len.max(2) as f64 - 1.0, "iteration"),
        None => (0.5, len as f64 + 0.5, "epoch"),
    };
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20.0 * s))
        .margin(12.0 * s)
        .x_label_area_size(44.0 * s)
        .y_label_area_size(64.0 * s)
        .build_cartesian_2d(x0..x1, ((lo - pad).max(0.0) as f64)..(hi + pad) as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(xlabel)
        .y_desc("loss")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .label_style(("sans-serif", 13.0 * s))
        .axis_desc_style(("sans-serif", 15.0 * s))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err)?;
    for (k, (name, values)) in curves.series.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        match curves.window {
            Some(window) => {
                let raw = values.iter().enumerate().map(|(i, v)| (i as f64, *v as f64));
                chart
                    .draw_series(LineSeries::new(raw, color.mix(0.35).stroke_width((s.round() as u32).max(1))))
                    .map_err(err)?;
                let smooth = moving_average(values, window)
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (i as f64, v as f64));
                chart
                    .draw_series(LineSeries::new(smooth, color.stroke_width((2.0 * s).round() as u32)))
                    .map_err(err)?
                    .label(format!("{name} (moving average of {window})"))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
            }
            None => {
                let points: Vec<(f64, f64)> = values.iter().enumerate().map(|(i, v)| ((i + 1) as f64, *v as f64)).collect();
                chart
                    .draw_series(LineSeries::new(points.clone(), color.stroke_width((2.0 * s).round() as u32)))
                    .map_err(err)?;
                chart
                    .draw_series(points.into_iter().map(|p| Circle::new(p, (3.5 * s) as i32, color.filled())))
                    .map_err(err)?
                    .label(name.clone())
                    .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
            }
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 14.0 * s))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::moving_average;

    #[test]
    fn moving_average_smooths_with_a_short_start() {
        assert_eq!(moving_average(&[1.0, 3.0, 5.0, 7.0], 2), vec![1.0, 2.0, 4.0, 6.0]);
    }
}
