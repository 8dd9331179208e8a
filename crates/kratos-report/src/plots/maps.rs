use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{DrawResult, FONT, colour, render};
use crate::ReportError;

/// One 2-D map: a title and one point per cell.
pub struct Map<'a> {
    /// Panel title.
    pub title: String,
    /// Coordinates, one per cell of `labels`.
    pub points: &'a [[f32; 2]],
}

fn range_of(values: impl Iterator<Item = f32>) -> std::ops::Range<f32> {
    let (lo, hi) = values.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return 0.0..1.0;
    }
    let pad = ((hi - lo) * 0.05).max(1e-3);
    (lo - pad)..(hi + pad)
}

fn draw_maps<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    maps: &[Map<'_>],
    labels: &[usize],
    class_names: &[String],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (width, _) = root.dim_in_pixel();
    let legend_width = 230;
    let (plots, legend) = root.split_horizontally(width - legend_width);
    let panels = plots.split_evenly((1, maps.len().max(1)));
    for (area, map) in panels.iter().zip(maps) {
        let x = range_of(map.points.iter().map(|p| p[0]));
        let y = range_of(map.points.iter().map(|p| p[1]));
        let mut chart = ChartBuilder::on(area)
            .caption(&map.title, (FONT, 20))
            .margin(12)
            .x_label_area_size(24)
            .y_label_area_size(24)
            .build_cartesian_2d(x, y)?;
        // t-SNE coordinates have no units: axes without numbers.
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .y_labels(0)
            .x_desc("t-SNE 1")
            .y_desc("t-SNE 2")
            .axis_desc_style((FONT, 13))
            .draw()?;
        // Small classes last, so they are not hidden under big ones.
        let mut order: Vec<usize> = (0..map.points.len()).collect();
        let mut sizes = vec![0usize; class_names.len()];
        for &l in labels {
            sizes[l] += 1;
        }
        order.sort_by_key(|&i| std::cmp::Reverse(sizes[labels[i]]));
        chart.draw_series(order.iter().map(|&i| {
            let p = map.points[i];
            Circle::new((p[0], p[1]), 3, colour(labels[i]).mix(0.85).filled())
        }))?;
    }
    // Legend: one coloured dot and the class name (with its cell count) per class.
    let mut counts = vec![0usize; class_names.len()];
    for &l in labels {
        counts[l] += 1;
    }
    legend.draw(&Text::new("label", (10, 40), (FONT, 16, FontStyle::Bold)))?;
    for (c, name) in class_names.iter().enumerate() {
        let y = 70 + c as i32 * 22;
        legend.draw(&Circle::new((18, y), 6, colour(c).filled()))?;
        let mut text = format!("{name} ({})", counts[c]);
        if text.chars().count() > 28 {
            text = text.chars().take(27).collect::<String>() + "…";
        }
        legend.draw(&Text::new(
            text,
            (30, y),
            TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// Side-by-side 2-D maps of the same cells coloured by label, with a legend.
pub fn embedding_maps(
    stem: &Path,
    maps: &[Map<'_>],
    labels: &[usize],
    class_names: &[String],
) -> Result<Vec<PathBuf>, ReportError> {
    let height = 560.max(90 + 22 * class_names.len() as u32);
    let size = (560 * maps.len().max(1) as u32 + 230, height);
    render(
        stem,
        size,
        |r| draw_maps(r, maps, labels, class_names),
        |r| draw_maps(r, maps, labels, class_names),
    )
}
