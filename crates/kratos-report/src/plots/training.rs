use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, FONT, colour, render};
use crate::ReportError;

/// Per-epoch values of one training curve.
pub struct Series {
    /// Legend name.
    pub name: String,
    /// One value per epoch (1-based epochs).
    pub values: Vec<f64>,
}

fn draw_training<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    loss: &[Series],
    accuracy: &[Series],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (left, right) = root.split_horizontally(root.dim_in_pixel().0 / 2);
    for (area, series, title, y_desc) in [
        (&left, loss, "Training loss", "loss"),
        (&right, accuracy, "Accuracy", "accuracy"),
    ] {
        let epochs = series
            .iter()
            .map(|s| s.values.len())
            .max()
            .unwrap_or(1)
            .max(2);
        let (lo, hi) = series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
        let (lo, hi) = if lo.is_finite() && hi > lo {
            (lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05)
        } else {
            (0.0, 1.0)
        };
        let mut chart = ChartBuilder::on(area)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(52)
            .build_cartesian_2d(1.0..epochs as f64, lo..hi)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| format!("{x:.0}"))
            .x_desc("epoch")
            .y_desc(y_desc)
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for (i, s) in series.iter().enumerate() {
            chart
                .draw_series(LineSeries::new(
                    s.values
                        .iter()
                        .enumerate()
                        .map(|(e, &v)| ((e + 1) as f64, v)),
                    colour(i).stroke_width(2),
                ))?
                .label(s.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour(i).stroke_width(3))
                });
        }
        chart
            .configure_series_labels()
            .position(if y_desc == "loss" {
                SeriesLabelPosition::UpperRight
            } else {
                SeriesLabelPosition::LowerRight
            })
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 13))
            .draw()?;
    }
    Ok(())
}

/// Loss and accuracy per epoch (training and validation).
pub fn training_curves(
    stem: &Path,
    loss: &[Series],
    accuracy: &[Series],
) -> Result<Vec<PathBuf>, ReportError> {
    render(
        stem,
        (1000, 400),
        |r| draw_training(r, loss, accuracy),
        |r| draw_training(r, loss, accuracy),
    )
}
