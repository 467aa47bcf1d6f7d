//! Curves: losses per iteration (raw and smoothed) or per epoch, and values at given points
//! (the judge's scores per snapshot).

use super::text::font;
use super::words;
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One or more named series and how to show them.
#[derive(Debug, Clone, PartialEq)]
pub struct Curves {
    pub(crate) series: Vec<(String, Vec<f32>)>,
    /// Moving-average window (per-iteration curves); `None` for curves with markers.
    window: Option<usize>,
    /// What the legend adds to a smoothed series' name ("moving average of 50"), in the
    /// language of the figure's making.
    smoothing: String,
    /// Where each series' markers sit, one list per series; `None`: at 1, 2, 3, ... (epochs).
    x: Option<Vec<Vec<f64>>>,
    /// The iteration of a per-iteration series' first value (0 unless it covers only the last
    /// iterations).
    first_iteration: f64,
    pub(crate) x_desc: String,
    pub(crate) y_desc: String,
    /// Fixed value range of the y axis; `None`: fitted to the values.
    y_range: Option<(f64, f64)>,
    /// A dashed horizontal line at this value (D(x) = D(G(z)) = 0.5, the equilibrium).
    reference: Option<f64>,
    /// A series on its own axis at the right, at the same x (FID beside shares).
    secondary: Option<Secondary>,
}

/// A series drawn against the right-hand axis, from 0 up.
#[derive(Debug, Clone, PartialEq)]
struct Secondary {
    name: String,
    values: Vec<f32>,
    desc: String,
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
            smoothing: window.map(words::moving_average).unwrap_or_default(),
            x: None,
            first_iteration: 0.0,
            x_desc: words::axis(if window.is_some() { "iteration" } else { "epoch" }),
            y_desc: words::axis("loss"),
            y_range: None,
            reference: None,
            secondary: None,
        })
    }

    pub fn per_iteration(series: &[(&str, &[f32])], window: usize) -> Result<Curves> {
        Self::new(series, Some(window.max(1)))
    }

    pub fn per_epoch(series: &[(&str, &[f32])]) -> Result<Curves> {
        Self::new(series, None)
    }

    /// Probabilities in `[0, 1]` per iteration, the first at iteration `first_iteration`,
    /// smoothed over `window`, with the dashed line at 0.5.
    pub fn probabilities(series: &[(&str, &[f32])], first_iteration: u64, window: usize) -> Result<Curves> {
        let mut curves = Self::per_iteration(series, window)?;
        curves.first_iteration = first_iteration as f64;
        curves.y_desc = words::axis("probability");
        curves.y_range = Some((0.0, 1.0));
        curves.reference = Some(0.5);
        Ok(curves)
    }

    /// Shares in `[0, 1]` at the given iterations (one value per iteration in every series;
    /// a shorter series covers the first ones).
    pub fn shares_at(iterations: &[u64], series: &[(&str, &[f32])]) -> Result<Curves> {
        let runs: Vec<(&str, &[u64], &[f32])> = series.iter().map(|(name, v)| (*name, iterations, *v)).collect();
        Self::shares_of(&runs)
    }

    /// Shares in `[0, 1]`, each series at its own points (name, x, values; a series shorter
    /// than its x covers the first points).
    pub fn shares_of(series: &[(&str, &[u64], &[f32])]) -> Result<Curves> {
        if let Some((name, x, v)) = series.iter().find(|(_, x, v)| v.len() > x.len()) {
            return Err(Error::InvalidArgument(format!("{name}: {} values for {} points", v.len(), x.len())));
        }
        let named: Vec<(&str, &[f32])> = series.iter().map(|(name, _, v)| (*name, *v)).collect();
        let mut curves = Self::new(&named, None)?;
        curves.x = Some(series.iter().map(|(_, x, _)| x.iter().map(|&i| i as f64).collect()).collect());
        curves.x_desc = words::axis("iteration");
        curves.y_desc = words::axis("share of samples");
        curves.y_range = Some((0.0, 1.0));
        Ok(curves)
    }

    /// The same curves with `values` (at the first series' points) against a right-hand axis
    /// named `desc`.
    pub fn with_secondary(mut self, name: &str, values: &[f32], desc: &str) -> Result<Curves> {
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(Error::InvalidArgument(format!("the {name} values contain {v}")));
        }
        self.secondary = Some(Secondary {
            name: name.to_string(),
            values: values.to_vec(),
            desc: desc.to_string(),
        });
        Ok(self)
    }
}

/// Tick labels with as many decimals as the axis' span needs, the same on every tick
/// ("0.10 / 0.12 / 0.14", not "0.1 / 0.12 / 0.14").
fn value_label(span: f64) -> impl Fn(&f64) -> String {
    let decimals = match span {
        s if s >= 5.0 => 0,
        s if s >= 0.5 => 1,
        s if s >= 0.05 => 2,
        _ => 3,
    };
    move |v| format!("{v:.decimals$}")
}

/// Tick positions on an axis of iterations or epochs: whole multiples of 1, 2 or 5 times a
/// power of ten, at most 10 of them, within `lo..=hi` (a 2-epoch curve gets 1 and 2, not
/// eight ticks that all read "1" or "2").
pub fn whole_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(1.0);
    if !span.is_finite() || span > 1e15 {
        // No whole ticks to search for (a history longer than any run, or values beyond f64).
        return Vec::new();
    }
    let mut step = 1.0f64;
    'search: loop {
        for m in [1.0, 2.0, 5.0] {
            if span / (m * step) <= 10.0 {
                step *= m;
                break 'search;
            }
        }
        step *= 10.0;
    }
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
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
    // In f64: the span of two f32 values near f32's limits overflows f32 (an infinite axis that
    // plotters never finishes dividing into ticks).
    let all = curves.series.iter().flat_map(|(_, v)| v.iter().map(|&x| x as f64));
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let pad = ((hi - lo) * 0.08).max(0.01);
    let (y0, y1) = curves.y_range.unwrap_or(((lo - pad).max(0.0), hi + pad));
    let epochs: Vec<f64> = (1..=len).map(|i| i as f64).collect();
    let xs = |k: usize| -> &[f64] {
        match &curves.x {
            Some(x) => &x[k],
            None => &epochs,
        }
    };
    let (x0, x1) = match (curves.window, &curves.x) {
        (Some(_), _) => (curves.first_iteration, curves.first_iteration + len.max(2) as f64 - 1.0),
        (None, Some(x)) => {
            // From 0 (or below), at least 10 wide: a single snapshot at 0 gets whole-number ticks.
            let a = x.iter().flatten().fold(0.0f64, |m, &v| m.min(v));
            let b = x.iter().flatten().fold(a + 10.0, |m, &v| m.max(v));
            let pad = (b - a) * 0.04;
            (a - pad, b + pad)
        }
        (None, None) => (0.5, len as f64 + 0.5),
    };
    let right = match &curves.secondary {
        Some(second) => second.values.iter().fold(1.0f64, |m, &v| m.max(v as f64)) * 1.1,
        None => 1.0,
    };
    let mut chart = ChartBuilder::on(root)
        .caption(title, font(title, 20.0 * s))
        .margin(12.0 * s)
        .x_label_area_size(44.0 * s)
        .y_label_area_size(64.0 * s)
        .right_y_label_area_size(if curves.secondary.is_some() { 64.0 * s } else { 0.0 })
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?
        .set_secondary_coord(x0..x1, 0.0..right);
    chart
        .configure_mesh()
        .x_desc(&curves.x_desc)
        .y_desc(&curves.y_desc)
        .y_label_formatter(&value_label(y1 - y0))
        // As many ticks as there are whole ones (plotters then picks those), and any other hidden.
        .x_labels(whole_ticks(x0, x1).len().max(1))
        .x_label_formatter(&|x| {
            if (x - x.round()).abs() < 1e-6 {
                format!("{x:.0}")
            } else {
                String::new()
            }
        })
        .label_style(("sans-serif", 13.0 * s))
        .axis_desc_style(font(&format!("{}{}", curves.x_desc, curves.y_desc), 15.0 * s))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err)?;
    if let Some(second) = &curves.secondary {
        chart
            .configure_secondary_axes()
            .y_desc(&second.desc)
            .label_style(("sans-serif", 13.0 * s))
            .axis_desc_style(font(&second.desc, 15.0 * s))
            .y_label_formatter(&value_label(right))
            .draw()
            .map_err(err)?;
    }
    if let Some(at) = curves.reference {
        chart
            .draw_series(DashedLineSeries::new(
                [(x0, at), (x1, at)],
                (6.0 * s) as u32,
                (4.0 * s) as u32,
                BLACK.mix(0.45).stroke_width(s.round().max(1.0) as u32),
            ))
            .map_err(err)?;
    }
    let first = curves.first_iteration;
    for (k, (name, values)) in curves.series.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        match curves.window {
            Some(window) => {
                let raw = values.iter().enumerate().map(|(i, v)| (first + i as f64, *v as f64));
                chart
                    // One pixel wide: plotters joins wider polylines with mitres, which shoot far past
                    // the values where a noisy curve turns sharply (false spikes).
                    .draw_series(LineSeries::new(raw, color.mix(0.5).stroke_width(1)))
                    .map_err(err)?;
                let smooth = moving_average(values, window)
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (first + i as f64, v as f64));
                chart
                    .draw_series(LineSeries::new(smooth, color.stroke_width((2.0 * s).round() as u32)))
                    .map_err(err)?
                    .label(format!("{name} ({})", curves.smoothing))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
            }
            None => {
                let points: Vec<(f64, f64)> = xs(k).iter().zip(values).map(|(x, v)| (*x, *v as f64)).collect();
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
    if let Some(second) = &curves.secondary {
        let color = COLORS[curves.series.len() % COLORS.len()];
        let points: Vec<(f64, f64)> = xs(0).iter().zip(&second.values).map(|(x, v)| (*x, *v as f64)).collect();
        let width = (2.0 * s).round() as u32;
        chart
            .draw_secondary_series(DashedLineSeries::new(
                points.clone(),
                (8.0 * s) as u32,
                (5.0 * s) as u32,
                color.stroke_width(width),
            ))
            .map_err(err)?;
        chart
            .draw_secondary_series(points.into_iter().map(|p| TriangleMarker::new(p, (5.0 * s) as i32, color.filled())))
            .map_err(err)?
            .label(second.name.clone())
            .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 5, color.filled()));
    }
    let names = curves
        .series
        .iter()
        .map(|(name, _)| name.as_str())
        .chain(curves.secondary.iter().map(|s| s.name.as_str()));
    let legend_text: String = names.collect();
    chart
        .configure_series_labels()
        // Shares rise from 0 at the start: the upper left corner stays free.
        .position(if curves.y_range.is_some() {
            SeriesLabelPosition::UpperLeft
        } else {
            SeriesLabelPosition::UpperRight
        })
        .label_font(font(&legend_text, 14.0 * s))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{moving_average, whole_ticks};

    #[test]
    fn ticks_are_whole_and_few() {
        assert_eq!(whole_ticks(0.5, 2.5), vec![1.0, 2.0]);
        assert_eq!(whole_ticks(0.0, 4000.0), (0..=8).map(|k| k as f64 * 500.0).collect::<Vec<_>>());
        assert_eq!(whole_ticks(0.5, 50.5), (1..=10).map(|k| k as f64 * 5.0).collect::<Vec<_>>());
        assert_eq!(whole_ticks(-0.4, 10.4), (0..=5).map(|k| k as f64 * 2.0).collect::<Vec<_>>());
        assert_eq!(whole_ticks(-0.4, 9.4), (0..=9).map(|k| k as f64).collect::<Vec<_>>());
        assert_eq!(whole_ticks(0.5, 1.5), vec![1.0]);
        // Spans no run has (values beyond f32's range in a hand-edited history) end at once.
        assert!(whole_ticks(-f64::MAX, f64::MAX).is_empty());
        assert!(whole_ticks(0.0, f64::INFINITY).is_empty());
    }

    #[test]
    fn moving_average_smooths_with_a_short_start() {
        assert_eq!(moving_average(&[1.0, 3.0, 5.0, 7.0], 2), vec![1.0, 2.0, 4.0, 6.0]);
    }
}
