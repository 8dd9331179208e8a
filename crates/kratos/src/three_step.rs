//! The paper's "three-step" marker baseline: PCA → k-means → a differential test per cluster.
//!
//! Unsupervised pipelines (and the GCE baseline of the Kratos paper) find markers without the
//! labels: cluster the cells, then test each cluster against the rest. To compare such a panel
//! with the labelled methods, every true class takes the ranking of the cluster that holds most
//! of its cells.

use kratos_data::{Dataset, Labels};
use kratos_explain::{GenePanel, WilcoxonParams, wilcoxon_test};
use ndarray::Array2;

use crate::pca::FittedPca;
use crate::{Error, Result};

/// Settings of [`three_step_panel`].
#[derive(Debug, Clone, PartialEq)]
pub struct ThreeStepParams {
    /// Principal components kept (fewer if the data have fewer genes or cells); default 50,
    /// as scanpy's default `n_comps`.
    pub components: usize,
    /// Seed of k-means.
    pub seed: u64,
    /// The per-cluster test (default: Wilcoxon z, up-regulated genes first).
    pub test: WilcoxonParams,
}

impl Default for ThreeStepParams {
    fn default() -> Self {
        ThreeStepParams {
            components: 50,
            seed: 0,
            test: WilcoxonParams::new(),
        }
    }
}

impl ThreeStepParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Principal components kept.
    pub fn components(mut self, components: usize) -> Self {
        self.components = components;
        self
    }

    /// Seed of k-means.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// The first `components` principal components (row-major `n x d`, with `d` the number of
/// components obtained) of the per-gene standardised `values` (`n x dims`, row-major),
/// fitted on the rows `fit_rows` and applied to all rows. `None` when PCA is not defined
/// (fewer than two rows or varying columns) or the solver fails. Randomized SVD, as
/// scikit-learn's `PCA` for inputs of this size (seeded: the same input gives the same
/// components; each component's largest loading is positive).
pub fn pca(
    values: &[f32],
    n: usize,
    dims: usize,
    fit_rows: &[usize],
    components: usize,
) -> Option<(Vec<f32>, usize)> {
    if values.len() != n * dims || n == 0 || dims == 0 {
        return None;
    }
    // Per-column standardisation (zero mean, unit variance; constant columns become 0), as
    // scanpy's `pp.scale` before PCA. Column statistics come from two passes over `values`;
    // standardised rows are made only for the fitted rows and then chunk by chunk for the
    // projection, so no f64 copy of the whole matrix is held (atlas-sized inputs).
    let mut mean = vec![0.0f64; dims];
    for row in values.chunks_exact(dims) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += v as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let mut sd = vec![0.0f64; dims];
    for row in values.chunks_exact(dims) {
        for ((s, &v), m) in sd.iter_mut().zip(row).zip(&mean) {
            *s += (v as f64 - m).powi(2);
        }
    }
    sd.iter_mut().for_each(|s| *s = (*s / n as f64).sqrt());
    let standardised = |rows: &mut dyn Iterator<Item = usize>, count: usize| {
        let mut x = Array2::zeros((count, dims));
        for (mut out, r) in x.rows_mut().into_iter().zip(rows) {
            for (j, o) in out.iter_mut().enumerate() {
                let v = values[r * dims + j] as f64;
                *o = if sd[j] > 0.0 {
                    (v - mean[j]) / sd[j]
                } else {
                    0.0
                };
            }
        }
        x
    };
    if fit_rows.iter().any(|&r| r >= n) {
        return None;
    }
    let fit = standardised(&mut fit_rows.iter().copied(), fit_rows.len());
    let k = components.min(dims).min(fit_rows.len().saturating_sub(1));
    if k == 0 {
        return None;
    }
    let model = FittedPca::fit(fit.view(), k)?;
    const CHUNK: usize = 4096;
    // Fewer components than asked when the data have lower rank.
    let d = model.n_components();
    let mut out: Vec<f32> = Vec::with_capacity(n * d);
    for start in (0..n).step_by(CHUNK) {
        let end = (start + CHUNK).min(n);
        let y = model.project(standardised(&mut (start..end), end - start).view());
        out.extend(y.iter().map(|&v| v as f32));
    }
    (d > 0 && out.len() == n * d && out.iter().all(|v| v.is_finite())).then_some((out, d))
}

/// The three-step panel of `data` (labelled): PCA of the standardised genes, k-means with K =
/// the number of classes on the components, a Wilcoxon test of every cluster against the
/// rest; each class gets the ranking of the cluster holding most of its cells (the lower
/// cluster index on a tie). The panel's method is `three-step`.
///
/// ```
/// use kratos::{Dataset, Labels, ThreeStepParams, three_step_panel};
/// // Gene 0 is high in type A, gene 1 in type B, gene 2 is noise.
/// let values: Vec<f32> = (0..40)
///     .flat_map(|i| {
///         let a = i % 2 == 0;
///         [if a { 5.0 } else { 1.0 }, if a { 1.0 } else { 5.0 }, (i % 7) as f32 * 0.1]
///     })
///     .collect();
/// let labels: Vec<&str> = (0..40).map(|i| if i % 2 == 0 { "A" } else { "B" }).collect();
/// let data = Dataset::from_matrix(values, 40, 3)?.with_labels(Labels::from_names(&labels)?)?;
/// let panel = three_step_panel(&data, &ThreeStepParams::new().components(1))?;
/// assert_eq!(panel.top_genes(0, 1), ["gene0"]);
/// assert_eq!(panel.top_genes(1, 1), ["gene1"]);
/// # Ok::<(), kratos::Error>(())
/// ```
pub fn three_step_panel(data: &Dataset, params: &ThreeStepParams) -> Result<GenePanel> {
    let labels = data.require_labels()?;
    let (n, g) = data.shape();
    let k = labels.n_classes();
    if params.components == 0 {
        return Err(Error::Pipeline(
            "three-step: components must be at least 1".into(),
        ));
    }
    let all: Vec<usize> = (0..n).collect();
    let (components, d) = pca(data.values(), n, g, &all, params.components).ok_or_else(|| {
        Error::Pipeline(
            "three-step: PCA is not defined for these data (too few cells or varying genes)".into(),
        )
    })?;
    let clusters = kratos_metrics::kmeans(&components, n, d, k, params.seed)?;
    let names: Vec<String> = (0..k).map(|c| format!("cluster{c}")).collect();
    let cluster_labels = Labels::new(names, clusters.clone())?;
    let clustered = data.clone().with_labels(cluster_labels)?;
    // A cluster may be too small for the test; give such clusters no cells rather than fail.
    let test = wilcoxon_test(&clustered, &params.test.min_cells(1))?;
    let mut overlap = vec![vec![0usize; k]; k];
    for (&c, &cl) in labels.assignments().iter().zip(&clusters) {
        overlap[c][cl] += 1;
    }
    let mut scores = Vec::with_capacity(k);
    let mut counts = Vec::with_capacity(k);
    for row in &overlap {
        let best = (0..k).fold(0, |b, j| if row[j] > row[b] { j } else { b });
        scores.push(test.statistic(best).iter().map(|&v| v as f32).collect());
        counts.push(row[best]);
    }
    Ok(GenePanel::from_scores(
        "three-step",
        data.gene_names().to_vec(),
        labels.class_names().to_vec(),
        scores,
        counts,
    )?)
}
