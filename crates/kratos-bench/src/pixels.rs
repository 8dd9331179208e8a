//! The paper's Figure 5 idea on digit images: the one-vs-one CW perturbation that turns
//! correctly classified test images of one digit into another, averaged over the images.

use std::path::Path;

use kratos::data::read::read_labels;
use kratos::{CellBatch, CwExplainer, Pipeline, stratified_split};
use serde::Serialize;

use crate::registry::read_labelled;
use crate::{BenchError, Result};

/// Pixels marked on each side of a digit map.
pub const PIXELS: usize = 25;

/// The digit pairs drawn (first → second).
pub const PAIRS: [(&str, &str); 4] = [("3", "8"), ("8", "3"), ("4", "9"), ("9", "4")];

/// One pixel map: where the perturbation adds and removes ink.
#[derive(Debug, Clone, Serialize)]
pub struct PixelResult {
    /// The data set (`digits`, `mnist`).
    pub data: String,
    /// The digit explained.
    pub class: String,
    /// The digit it is moved towards.
    pub versus: String,
    /// Correctly classified test images explained.
    pub cells: usize,
    /// Test accuracy of the classifier.
    pub test_accuracy: f64,
    /// Pixels where ink is added (mean signed perturbation most positive), best first.
    pub add: Vec<usize>,
    /// Pixels where ink is removed (most negative), best first.
    pub remove: Vec<usize>,
    /// The image's file in a report (`img/<data>-<class>-vs-<versus>.png`).
    pub image: String,
    /// Side of the square image in pixels.
    #[serde(skip)]
    pub side: usize,
    /// The mean (min-max scaled) test image of `class`, row-major `side x side`.
    #[serde(skip)]
    pub mean_image: Vec<f32>,
}

/// Pixel maps of the digit pairs on the image data set in `folder` (`expr.csv.gz`,
/// `labels.tsv`, and for MNIST its fixed `split.tsv`; otherwise a stratified 70/30 split by
/// `seed`); `None` when the files are absent.
pub fn pixel_maps(folder: &Path, name: &str, seed: u64) -> Result<Option<Vec<PixelResult>>> {
    let Some(data) = read_labelled(folder, "expr.csv.gz", "labels.tsv")? else {
        return Ok(None);
    };
    let (n, g) = data.shape();
    let side = (g as f64).sqrt().round() as usize;
    if side * side != g {
        return Err(BenchError::NotSquare {
            path: folder.to_path_buf(),
            pixels: g,
        });
    }
    let split_file = folder.join("split.tsv");
    let (train, test) = if split_file.is_file() {
        let split = read_labels(&split_file, data.cell_ids())?;
        let train_class = split.class_index("train");
        (0..n).partition(|&i| Some(split.assignments()[i]) == train_class)
    } else {
        let s = stratified_split(data.require_labels()?, 0.3, seed)?;
        (s.train, s.test)
    };
    let trained = Pipeline::paper()
        .dataset(data.select_cells(&train))
        .seed(seed)
        .train()?;
    let model = trained.model();
    let test_data = data.select_cells(&test);
    let test_accuracy = model.accuracy(&test_data)?;
    let predicted = model.predict(&test_data)?;
    let labels = test_data.require_labels()?;
    let scaled = model.scaled_values(&test_data)?;
    let cw = CwExplainer::one_vs_one();
    let mut results = Vec::new();
    for (a, b) in PAIRS {
        let (Some(ia), Some(ib)) = (
            model.class_names().iter().position(|c| c == a),
            model.class_names().iter().position(|c| c == b),
        ) else {
            continue;
        };
        let la = labels.class_index(a);
        // Test cells of class a that the model gets right.
        let cells: Vec<usize> = (0..test_data.n_cells())
            .filter(|&i| Some(labels.assignments()[i]) == la && predicted[i] == ia)
            .collect();
        if cells.is_empty() {
            continue;
        }
        let values: Vec<f32> = cells
            .iter()
            .flat_map(|&i| scaled[i * g..(i + 1) * g].iter().copied())
            .collect();
        let classes = vec![ia; cells.len()];
        let versus = vec![ib; cells.len()];
        let batch = CellBatch::new(&values, g, &classes)
            .versus(&versus)
            .seed(seed);
        let d = cw.perturbations(model, &batch)?;
        let mut mean = vec![0f64; g];
        let mut image = vec![0f32; g];
        for (row, x) in d.chunks_exact(g).zip(values.chunks_exact(g)) {
            for j in 0..g {
                mean[j] += row[j] as f64;
                image[j] += x[j];
            }
        }
        let m = cells.len() as f32;
        image.iter_mut().for_each(|v| *v /= m);
        let mut order: Vec<usize> = (0..g).collect();
        order.sort_by(|&x, &y| mean[y].total_cmp(&mean[x]).then(x.cmp(&y)));
        let add: Vec<usize> = order
            .iter()
            .copied()
            .take(PIXELS)
            .filter(|&j| mean[j] > 0.0)
            .collect();
        let remove: Vec<usize> = order
            .iter()
            .rev()
            .copied()
            .take(PIXELS)
            .filter(|&j| mean[j] < 0.0)
            .collect();
        results.push(PixelResult {
            data: name.to_string(),
            class: a.into(),
            versus: b.into(),
            cells: cells.len(),
            test_accuracy,
            add,
            remove,
            image: format!("img/{name}-{a}-vs-{b}.png"),
            side,
            mean_image: image,
        });
    }
    Ok(Some(results))
}
