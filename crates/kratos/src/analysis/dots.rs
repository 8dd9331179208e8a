//! The numbers behind a marker dot plot.

use kratos_data::Dataset;
use kratos_explain::GenePanel;
use serde::Serialize;

/// For the top genes of every class of a panel: the fraction of each class's cells where the
/// gene is above 0, and the gene's mean in each class scaled to [0, 1] across classes (the
/// two channels of scanpy's dot plot).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarkerDots {
    /// The data's classes (rows).
    pub classes: Vec<String>,
    /// The genes (columns), each class's top genes in class order, without repeats.
    pub genes: Vec<String>,
    /// The panel class each gene was taken for.
    pub gene_class: Vec<usize>,
    /// `fraction[class][gene]`: share of the class's cells with the gene above 0.
    pub fraction: Vec<Vec<f32>>,
    /// `scaled_mean[class][gene]`: the class's mean, min-max scaled per gene across classes.
    pub scaled_mean: Vec<Vec<f32>>,
}

/// The dot-plot numbers of the top `per_class` genes of every class of `panel` on the labelled
/// `data` (genes matched by name); `None` when `data` has no labels or lacks a panel gene.
///
/// ```
/// use kratos::{Dataset, GenePanel, Labels};
/// use kratos::analysis::marker_dots;
/// let data = Dataset::from_matrix(vec![3.0, 0.0, 2.0, 0.0, 0.0, 1.0], 3, 2)?
///     .with_labels(Labels::from_names(&["A", "A", "B"])?)?;
/// let panel = GenePanel::from_scores("p", data.gene_names().to_vec(), vec!["A".into(), "B".into()],
///     vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![2, 1])?;
/// let dots = marker_dots(&panel, &data, 1).unwrap();
/// assert_eq!(dots.genes, ["gene0", "gene1"]);
/// assert_eq!(dots.fraction[0], [1.0, 0.0]); // class A: gene0 in both cells, gene1 in none
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn marker_dots(panel: &GenePanel, data: &Dataset, per_class: usize) -> Option<MarkerDots> {
    let labels = data.labels()?;
    let mut genes: Vec<usize> = Vec::new();
    let mut gene_class = Vec::new();
    for c in 0..panel.n_classes() {
        for &g in panel.top_indices(c, per_class) {
            let column = data.gene_index(&panel.gene_names()[g])?;
            if !genes.contains(&column) {
                genes.push(column);
                gene_class.push(c);
            }
        }
    }
    let k = labels.n_classes();
    let mut fraction = vec![vec![0f32; genes.len()]; k];
    let mut mean = vec![vec![0f32; genes.len()]; k];
    let counts = labels.class_counts();
    for (i, &c) in labels.assignments().iter().enumerate() {
        let row = data.row(i);
        for (j, &g) in genes.iter().enumerate() {
            let v = row.get(g);
            if v > 0.0 {
                fraction[c][j] += 1.0;
            }
            mean[c][j] += v;
        }
    }
    for c in 0..k {
        let n = counts[c].max(1) as f32;
        fraction[c].iter_mut().for_each(|v| *v /= n);
        mean[c].iter_mut().for_each(|v| *v /= n);
    }
    let mut scaled = mean.clone();
    for j in 0..genes.len() {
        let (lo, hi) = (0..k).fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), c| {
            (a.min(mean[c][j]), b.max(mean[c][j]))
        });
        for row in scaled.iter_mut() {
            row[j] = if hi > lo {
                (row[j] - lo) / (hi - lo)
            } else {
                0.0
            };
        }
    }
    Some(MarkerDots {
        classes: labels.class_names().to_vec(),
        genes: genes
            .iter()
            .map(|&g| data.gene_names()[g].clone())
            .collect(),
        gene_class,
        fraction,
        scaled_mean: scaled,
    })
}
