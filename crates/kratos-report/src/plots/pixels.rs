use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, FONT, render};
use crate::ReportError;

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
pub fn pixel_map(stem: &Path, map: &PixelMap<'_>) -> Result<Vec<PathBuf>, ReportError> {
    render(
        stem,
        (360, 400),
        |r| draw_pixels(r, map),
        |r| draw_pixels(r, map),
    )
}
