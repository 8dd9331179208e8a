use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{DrawResult, FONT, colour, render};
use kratos::analysis::MarkerDots;

use crate::ReportError;

/// A marker dot plot: the numbers ([`MarkerDots`]: fraction of each class's cells in which
/// the gene is detected, mean value scaled per gene over classes) and a title.
pub struct DotPlot {
    /// Rows (classes), columns (genes) and the two values of every dot.
    pub dots: MarkerDots,
    /// Title.
    pub title: String,
}

/// A white-to-dark-red colour for v in [0, 1] (the "Reds" map biologists know from scanpy).
pub(super) fn reds(v: f32) -> RGBColor {
    // Three stops of matplotlib's "Reds": #fff5f0, #fb6a4a, #67000d.
    let (t, a, b) = if v < 0.5 {
        (
            v.max(0.0) * 2.0,
            (255.0, 245.0, 240.0),
            (251.0, 106.0, 74.0),
        )
    } else {
        (
            (v.min(1.0) - 0.5) * 2.0,
            (251.0, 106.0, 74.0),
            (103.0, 0.0, 13.0),
        )
    };
    let l = |x: f32, y: f32| (x + (y - x) * t).round() as u8;
    RGBColor(l(a.0, b.0), l(a.1, b.1), l(a.2, b.2))
}

fn draw_dots<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, plot: &DotPlot) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let cell = 22i32;
    let left = 200i32;
    let top = 50i32;
    let label_height = dot_label_height(plot);
    let n_genes = plot.dots.genes.len() as i32;
    let n_classes = plot.dots.classes.len() as i32;
    root.draw(&Text::new(
        plot.title.clone(),
        (12, 12),
        (FONT, 17, FontStyle::Bold),
    ))?;
    let grid_top = top + label_height;
    // Gene labels, rotated, coloured by the class they mark.
    for (j, g) in plot.dots.genes.iter().enumerate() {
        let x = left + j as i32 * cell + cell / 2;
        let label_colour = colour(plot.dots.gene_class[j]);
        let style = TextStyle::from((FONT, 12).into_font())
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Left, VPos::Center))
            .color(&label_colour);
        let mut name = g.clone();
        if name.chars().count() > 18 {
            name = name.chars().take(17).collect::<String>() + "…";
        }
        root.draw(&Text::new(name, (x, grid_top - 6), style))?;
    }
    for (i, c) in plot.dots.classes.iter().enumerate() {
        let y = grid_top + i as i32 * cell + cell / 2;
        let mut name = c.clone();
        if name.chars().count() > 26 {
            name = name.chars().take(25).collect::<String>() + "…";
        }
        root.draw(&Text::new(
            name,
            (left - 8, y),
            TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        // Light guide line.
        root.draw(&PathElement::new(
            vec![(left, y), (left + n_genes * cell, y)],
            BLACK.mix(0.06),
        ))?;
        for j in 0..plot.dots.genes.len() {
            let x = left + j as i32 * cell + cell / 2;
            let f = plot.dots.fraction[i][j];
            let radius = (f.sqrt() * (cell as f32 / 2.0 - 1.0)).round() as i32;
            if radius > 0 {
                root.draw(&Circle::new(
                    (x, y),
                    radius,
                    reds(plot.dots.scaled_mean[i][j]).filled(),
                ))?;
                root.draw(&Circle::new((x, y), radius, BLACK.mix(0.25)))?;
            }
        }
    }
    // Legends: dot size and colour.
    let ly = grid_top + n_classes * cell + 30;
    root.draw(&Text::new(
        "fraction of cells with value > 0",
        (left, ly),
        (FONT, 13),
    ))?;
    for (k, f) in [0.25f32, 0.5, 0.75, 1.0].iter().enumerate() {
        let x = left + 10 + k as i32 * 50;
        let r = (f.sqrt() * (cell as f32 / 2.0 - 1.0)).round() as i32;
        root.draw(&Circle::new(
            (x, ly + 28),
            r,
            RGBColor(150, 150, 150).filled(),
        ))?;
        root.draw(&Text::new(
            format!("{}%", (f * 100.0) as u32),
            (x - 10, ly + 44),
            (FONT, 11),
        ))?;
    }
    let cx = left + 260;
    root.draw(&Text::new(
        "mean value (scaled per gene)",
        (cx, ly),
        (FONT, 13),
    ))?;
    for k in 0..100 {
        let v = k as f32 / 99.0;
        root.draw(&Rectangle::new(
            [(cx + k * 2, ly + 20), (cx + k * 2 + 2, ly + 36)],
            reds(v).filled(),
        ))?;
    }
    root.draw(&Text::new("0", (cx, ly + 42), (FONT, 11)))?;
    root.draw(&Text::new("1", (cx + 195, ly + 42), (FONT, 11)))?;
    Ok(())
}

/// Height of the rotated gene labels: about 7 pixels per character, at most 18 characters.
fn dot_label_height(plot: &DotPlot) -> i32 {
    let longest = plot
        .dots
        .genes
        .iter()
        .map(|g| g.chars().count().min(18))
        .max()
        .unwrap_or(4);
    12 + 7 * longest as i32
}

/// A dot plot of every class's top genes across classes.
pub fn dot_plot(stem: &Path, plot: &DotPlot) -> Result<Vec<PathBuf>, ReportError> {
    let title_width = 12 + 9 * plot.title.chars().count() as u32;
    let width = (200 + 22 * plot.dots.genes.len() as u32 + 40)
        .max(720)
        .max(title_width);
    let height = 50 + dot_label_height(plot) as u32 + 22 * plot.dots.classes.len() as u32 + 110;
    render(
        stem,
        (width, height),
        |r| draw_dots(r, plot),
        |r| draw_dots(r, plot),
    )
}
