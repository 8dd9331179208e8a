//! The report's plots (plotters), each written as PNG and SVG: 2-D maps of the embedding and
//! of PCA of the input coloured by label, AUROC against panel size per method, a dot plot of
//! every class's top genes, and training curves.
//!
//! Text is drawn with DejaVu Sans from the `dejavu` crate through plotters' pure-Rust
//! `ab_glyph` backend, so no system font library is needed.

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::CliError;

/// The categorical palette (Tableau 20, dark shades first, so up to 10 classes get the
/// classic tab10 colours).
const PALETTE: [(u8, u8, u8); 20] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
    (174, 199, 232),
    (255, 187, 120),
    (152, 223, 138),
    (255, 152, 150),
    (197, 176, 213),
    (196, 156, 148),
    (247, 182, 210),
    (199, 199, 199),
    (219, 219, 141),
    (158, 218, 229),
];

/// Colour of class (or series) `i`.
pub fn colour(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

/// The colour as CSS hex, for the HTML tables.
pub fn colour_hex(i: usize) -> String {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    format!("#{r:02x}{g:02x}{b:02x}")
}

const FONT: &str = "sans-serif";

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are valid TrueType fonts shipped by the `dejavu` crate; a failure would
        // only leave text undrawn, which the drawing calls then report.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Draws `draw` into `<stem>.png` and `<stem>.svg` of `size` pixels; returns both paths.
fn render(
    stem: &Path,
    size: (u32, u32),
    draw: impl Fn(&DrawingArea<BitMapBackend, Shift>) -> DrawResult,
    draw_svg: impl Fn(&DrawingArea<SVGBackend, Shift>) -> DrawResult,
) -> Result<Vec<PathBuf>, CliError> {
    register_fonts();
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    let fail =
        |p: &Path, e: Box<dyn std::error::Error>| CliError::io(p, format!("cannot draw: {e}"));
    {
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&png, e.into()))?;
        draw(&root).map_err(|e| fail(&png, e))?;
        root.present().map_err(|e| fail(&png, e.into()))?;
    }
    {
        let root = SVGBackend::new(&svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&svg, e.into()))?;
        draw_svg(&root).map_err(|e| fail(&svg, e))?;
        root.present().map_err(|e| fail(&svg, e.into()))?;
    }
    Ok(vec![png, svg])
}

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
) -> Result<Vec<PathBuf>, CliError> {
    let height = 560.max(90 + 22 * class_names.len() as u32);
    let size = (560 * maps.len().max(1) as u32 + 230, height);
    render(
        stem,
        size,
        |r| draw_maps(r, maps, labels, class_names),
        |r| draw_maps(r, maps, labels, class_names),
    )
}

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
pub fn auroc_curves(stem: &Path, curves: &[Curve], x_desc: &str) -> Result<Vec<PathBuf>, CliError> {
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
) -> Result<Vec<PathBuf>, CliError> {
    render(
        stem,
        (820, 520),
        |r| draw_curves(r, curves, text),
        |r| draw_curves(r, curves, text),
    )
}

/// An image with marked pixels (the paper's digit maps): `image` (row-major `side x side`,
/// values in [0, 1], drawn dark on light), `up` pixels outlined in red, `down` in blue.
pub struct PixelMap<'a> {
    /// Caption.
    pub title: String,
    /// Pixels per side.
    pub side: usize,
    /// Intensities in [0, 1], row-major.
    pub image: &'a [f32],
    /// Pixels marked red.
    pub up: &'a [usize],
    /// Pixels marked blue.
    pub down: &'a [usize],
}

fn draw_pixels<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, map: &PixelMap<'_>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (w, h) = root.dim_in_pixel();
    let title_h = 34i32;
    root.draw(&Text::new(
        map.title.clone(),
        (8, 8),
        (FONT, 15).into_font().color(&BLACK),
    ))?;
    let side = map.side.max(1) as i32;
    let cell = ((w as i32 - 16).min(h as i32 - title_h - 8) / side).max(1);
    let x0 = (w as i32 - cell * side) / 2;
    let y0 = title_h;
    for (p, &v) in map.image.iter().enumerate() {
        let (r, c) = ((p as i32) / side, (p as i32) % side);
        let g = (255.0 * (1.0 - v.clamp(0.0, 1.0))) as u8;
        let (x, y) = (x0 + c * cell, y0 + r * cell);
        root.draw(&Rectangle::new(
            [(x, y), (x + cell, y + cell)],
            RGBColor(g, g, g).filled(),
        ))?;
    }
    let stroke = (cell / 6).clamp(1, 4) as u32;
    for (pixels, colour) in [
        (map.up, RGBColor(220, 30, 30)),
        (map.down, RGBColor(30, 80, 220)),
    ] {
        for &p in pixels {
            let (r, c) = ((p as i32) / side, (p as i32) % side);
            let (x, y) = (x0 + c * cell, y0 + r * cell);
            let inset = stroke as i32;
            root.draw(&Rectangle::new(
                [(x + inset, y + inset), (x + cell - inset, y + cell - inset)],
                colour.stroke_width(stroke),
            ))?;
        }
    }
    Ok(())
}

/// Draws a [`PixelMap`] as PNG and SVG.
pub fn pixel_map(stem: &Path, map: &PixelMap<'_>) -> Result<Vec<PathBuf>, CliError> {
    render(
        stem,
        (360, 400),
        |r| draw_pixels(r, map),
        |r| draw_pixels(r, map),
    )
}

/// The data of a dot plot: for each class (row) and gene (column), the fraction of the
/// class's cells in which the gene is detected (value > 0) and its mean value scaled to [0, 1]
/// per gene over classes.
pub struct DotPlot {
    /// Row labels.
    pub classes: Vec<String>,
    /// Column labels.
    pub genes: Vec<String>,
    /// For each gene, the class whose top genes it came from (colours the label).
    pub gene_class: Vec<usize>,
    /// `fraction[class][gene]` in [0, 1].
    pub fraction: Vec<Vec<f32>>,
    /// `scaled_mean[class][gene]` in [0, 1].
    pub scaled_mean: Vec<Vec<f32>>,
    /// Title.
    pub title: String,
}

/// A white-to-dark-red colour for v in [0, 1] (the "Reds" map biologists know from scanpy).
fn reds(v: f32) -> RGBColor {
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
    let n_genes = plot.genes.len() as i32;
    let n_classes = plot.classes.len() as i32;
    root.draw(&Text::new(
        plot.title.clone(),
        (12, 12),
        (FONT, 17, FontStyle::Bold),
    ))?;
    let grid_top = top + label_height;
    // Gene labels, rotated, coloured by the class they mark.
    for (j, g) in plot.genes.iter().enumerate() {
        let x = left + j as i32 * cell + cell / 2;
        let label_colour = colour(plot.gene_class[j]);
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
    for (i, c) in plot.classes.iter().enumerate() {
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
        for j in 0..plot.genes.len() {
            let x = left + j as i32 * cell + cell / 2;
            let f = plot.fraction[i][j];
            let radius = (f.sqrt() * (cell as f32 / 2.0 - 1.0)).round() as i32;
            if radius > 0 {
                root.draw(&Circle::new(
                    (x, y),
                    radius,
                    reds(plot.scaled_mean[i][j]).filled(),
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
        .genes
        .iter()
        .map(|g| g.chars().count().min(18))
        .max()
        .unwrap_or(4);
    12 + 7 * longest as i32
}

/// A dot plot of every class's top genes across classes.
pub fn dot_plot(stem: &Path, plot: &DotPlot) -> Result<Vec<PathBuf>, CliError> {
    let title_width = 12 + 9 * plot.title.chars().count() as u32;
    let width = (200 + 22 * plot.genes.len() as u32 + 40)
        .max(720)
        .max(title_width);
    let height = 50 + dot_label_height(plot) as u32 + 22 * plot.classes.len() as u32 + 110;
    render(
        stem,
        (width, height),
        |r| draw_dots(r, plot),
        |r| draw_dots(r, plot),
    )
}

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
) -> Result<Vec<PathBuf>, CliError> {
    render(
        stem,
        (1000, 400),
        |r| draw_training(r, loss, accuracy),
        |r| draw_training(r, loss, accuracy),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plot_writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let points: Vec<[f32; 2]> = (0..30).map(|i| [i as f32, (i % 3) as f32]).collect();
        let labels: Vec<usize> = (0..30).map(|i| i % 3).collect();
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let maps = [
            Map {
                title: "one".into(),
                points: &points,
            },
            Map {
                title: "two".into(),
                points: &points,
            },
        ];
        let mut files = embedding_maps(&dir.path().join("map"), &maps, &labels, &names).unwrap();
        files.extend(
            auroc_curves(
                &dir.path().join("auroc"),
                &[Curve {
                    name: "cw".into(),
                    points: vec![(1.0, 0.8), (5.0, 0.95)],
                }],
                "top-k genes (% of all genes)",
            )
            .unwrap(),
        );
        files.extend(
            dot_plot(
                &dir.path().join("dots"),
                &DotPlot {
                    classes: names.clone(),
                    genes: vec!["g1".into(), "g2".into()],
                    gene_class: vec![0, 1],
                    fraction: vec![vec![1.0, 0.2]; 3],
                    scaled_mean: vec![vec![0.0, 1.0]; 3],
                    title: "top genes".into(),
                },
            )
            .unwrap(),
        );
        files.extend(
            training_curves(
                &dir.path().join("training"),
                &[Series {
                    name: "train".into(),
                    values: vec![1.0, 0.5, 0.2],
                }],
                &[Series {
                    name: "train".into(),
                    values: vec![0.5, 0.8, 0.9],
                }],
            )
            .unwrap(),
        );
        assert_eq!(files.len(), 8);
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            assert!(
                bytes.len() > 500,
                "{} is {} bytes",
                f.display(),
                bytes.len()
            );
            if f.extension().unwrap() == "png" {
                assert_eq!(&bytes[1..4], b"PNG");
            } else {
                assert!(String::from_utf8_lossy(&bytes).contains("<svg"));
            }
        }
    }

    #[test]
    fn reds_runs_from_light_to_dark() {
        let light = reds(0.0);
        let dark = reds(1.0);
        assert!(light.0 as u32 + light.1 as u32 > dark.0 as u32 + dark.1 as u32);
    }
}
