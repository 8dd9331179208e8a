//! The paper's "three-step" marker baseline: PCA → k-means → a differential test per cluster.
//!
//! Unsupervised pipelines (and the GCE baseline of the Kratos paper) find markers without the
//! labels: cluster the cells, then test each cluster against the rest. To compare such a panel
//! with the labelled methods, every true class takes the ranking of the cluster that holds most
//! of its cells.

use kratos_data::{Dataset, Labels};
use kratos_metrics::{KMeansParams, pca};
use serde::{Deserialize, Serialize};

use super::{WilcoxonParams, wilcoxon_test};
use crate::{ExplainError, GenePanel, Result};

/// Settings of [`three_step_panel`].
///
/// ```
/// use kratos_explain::ThreeStepParams;
/// assert!(ThreeStepParams::new().components(20).seed(3).check().is_ok());
/// assert!(ThreeStepParams::new().components(0).check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

    /// Checks every value, naming the first bad one.
    pub fn check(&self) -> Result<()> {
        if self.components == 0 {
            return Err(ExplainError::invalid("components", "must be at least 1"));
        }
        self.test.check()
    }
}

/// The three-step panel of `data` (labelled): PCA of the standardised genes, k-means with K =
/// the number of classes on the components, a Wilcoxon test of every cluster against the
/// rest; each class gets the ranking of the cluster holding most of its cells (the lower
/// cluster index on a tie). The panel's method is `three-step`.
///
/// ```
/// use kratos_data::{Dataset, Labels};
/// use kratos_explain::{ThreeStepParams, three_step_panel};
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
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn three_step_panel(data: &Dataset, params: &ThreeStepParams) -> Result<GenePanel> {
    params.check()?;
    let labels = data.require_labels()?;
    let (n, g) = data.shape();
    let k = labels.n_classes();
    let all: Vec<usize> = (0..n).collect();
    let (components, d) =
        pca(&data.row_major_values(), n, g, &all, params.components).ok_or_else(|| {
            ExplainError::InvalidInput(
                "three-step: PCA is not defined for these data (too few cells or varying genes)"
                    .into(),
            )
        })?;
    let clusters = KMeansParams::new(k)
        .seed(params.seed)
        .check()?
        .fit(&components, n, d)?
        .labels;
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
    GenePanel::from_scores(
        "three-step",
        data.gene_names().to_vec(),
        labels.class_names().to_vec(),
        scores,
        counts,
    )
}
