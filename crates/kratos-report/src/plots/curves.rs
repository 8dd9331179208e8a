use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, FONT, colour, render};
use crate::ReportError;

/// One line of the AUROC plot: a method and its (percent of genes, mean AUROC) points.
pub struct Curve {
    /// Method name.
    pub name: String,
    /// (x, y) points.
    pub points: Vec<(f64, f64)>,
}

/// Titles and range of a line chart.
pub struct ChartText<'a> {
    /// Caption.
    pub title: &'a str,
    /// X axis (log scale).
    pub x_desc: &'a str,
    /// Y axis.
    pub y_desc: &'a str,
    /// Y range; `None` fits the data.
    pub y_range: Option<std::ops::Range<f64>>,
}

fn draw_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    curves: &[Curve],
    text: &ChartText<'_>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let xs = || curves.iter().flat_map(|c| c.points.iter().map(|p| p.0));
    let ys = || {
        curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.1))
            .filter(|v| v.is_finite())
    };
    let x_max = xs().fold(1.0f64, f64::max);
    let x_min = xs().fold(x_max, f64::min).max(1e-3);
    let y_range = text.y_range.clone().unwrap_or_else(|| {
        let lo = ys().fold(f64::INFINITY, f64::min);
        let hi = ys().fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() && hi > lo {
            (lo - 0.05 * (hi - lo)).max(0.0)..hi + 0.05 * (hi - lo)
        } else {
            0.0..1.0
        }
    });
    let mut chart = ChartBuilder::on(root)
        .caption(text.title, (FONT, 20))
        .margin(14)
        .x_label_area_size(40)
        .y_label_area_size(52)
        .build_cartesian_2d((x_min * 0.85..x_max * 1.15).log_scale(), y_range)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|x| format!("{x}"))
        .x_desc(text.x_desc)
        .y_desc(text.y_desc)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (i, c) in curves.iter().enumerate() {
        let style = colour(i).stroke_width(2);
        let points: Vec<(f64, f64)> = c
            .points
            .iter()
            .copied()
            .filter(|p| p.1.is_finite())
            .collect();
        chart
            .draw_series(LineSeries::new(points.iter().copied(), style))?
            .label(c.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour(i).stroke_width(3))
            });
        chart.draw_series(
            points
                .iter()
                .map(|&p| Circle::new(p, 3, colour(i).filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 14))
        .draw()?;
    Ok(())
}

/// Mean AUROC against panel size, one line per method.
pub fn auroc_curves(
    stem: &Path,
    curves: &[Curve],
    x_desc: &str,
) -> Result<Vec<PathBuf>, ReportError> {
    let y_min = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(1.0f64, f64::min);
    let text = ChartText {
        title: "Classification AUROC of the top-k genes",
        x_desc,
        y_desc: "mean AUROC over cell types",
        y_range: Some((((y_min - 0.02) * 20.0).floor() / 20.0).max(0.0)..1.005),
    };
    line_chart(stem, curves, &text)
}

/// A line chart with a log-scaled x axis, one line per curve, as PNG and SVG.
pub fn line_chart(
    stem: &Path,
    curves: &[Curve],
    text: &ChartText<'_>,
) -> Result<Vec<PathBuf>, ReportError> {
    render(
        stem,
        (820, 520),
        |r| draw_curves(r, curves, text),
        |r| draw_curves(r, curves, text),
    )
}
