//! The report's plots (plotters), each written as PNG and SVG: 2-D maps of the embedding and
//! of PCA of the input coloured by label, AUROC against panel size per method, a dot plot of
//! every class's top genes, and training curves.
//!
//! Text is drawn with DejaVu Sans from the `dejavu` crate through plotters' pure-Rust
//! `ab_glyph` backend, so no system font library is needed.

mod curves;
mod dots;
mod maps;
mod pixels;
mod training;

pub use curves::{ChartText, Curve, auroc_curves, line_chart};
pub use dots::{DotPlot, dot_plot};
pub use maps::{Map, embedding_maps};
pub use pixels::{PixelMap, pixel_map};
pub use training::{Series, training_curves};

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::ReportError;

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

pub(crate) const FONT: &str = "sans-serif";

pub(crate) fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are valid TrueType fonts shipped by the `dejavu` crate; a failure would
        // only leave text undrawn, which the drawing calls then report.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

pub(crate) type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Draws `draw` into `<stem>.png` and `<stem>.svg` of `size` pixels; returns both paths.
pub(crate) fn render(
    stem: &Path,
    size: (u32, u32),
    draw: impl Fn(&DrawingArea<BitMapBackend, Shift>) -> DrawResult,
    draw_svg: impl Fn(&DrawingArea<SVGBackend, Shift>) -> DrawResult,
) -> Result<Vec<PathBuf>, ReportError> {
    register_fonts();
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    let fail = |p: &Path, e: Box<dyn std::error::Error>| ReportError::Plot {
        path: p.to_path_buf(),
        problem: e.to_string(),
    };
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
                    dots: kratos::analysis::MarkerDots {
                        classes: names.clone(),
                        genes: vec!["g1".into(), "g2".into()],
                        gene_class: vec![0, 1],
                        fraction: vec![vec![1.0, 0.2]; 3],
                        scaled_mean: vec![vec![0.0, 1.0]; 3],
                    },
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
        let light = dots::reds(0.0);
        let dark = dots::reds(1.0);
        assert!(light.0 as u32 + light.1 as u32 > dark.0 as u32 + dark.1 as u32);
    }
}
