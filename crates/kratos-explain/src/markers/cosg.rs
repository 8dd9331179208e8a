//! COSG (Dai et al. 2022, Briefings in Bioinformatics): marker genes by the cosine similarity
//! of each gene's expression with each class's indicator vector, as the `cosg` package
//! computes it.

use kratos_data::Dataset;
use serde::{Deserialize, Serialize};

use super::{labels_and_counts, per_gene};
use crate::{ExplainError, GenePanel, Result};

/// Parameters of [`cosg_panel`]; the defaults are the `cosg` package's (version 1.2).
///
/// ```
/// use kratos_explain::CosgParams;
/// assert!(CosgParams::new().mu(100.0).check().is_ok());
/// assert!(CosgParams::new().mu(0.0).check().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CosgParams {
    /// Penalty on genes also similar to other classes (`mu`, default 1; larger penalises
    /// less).
    pub mu: f64,
    /// Give −1 to genes expressed in too few cells of the class (default true).
    pub remove_lowly_expressed: bool,
    /// "Too few": below this fraction of the class's cells (default 0.1) …
    pub expressed_fraction: f64,
    /// … or below this many cells (default 3), whichever is larger.
    pub expressed_min_cells: usize,
}

impl Default for CosgParams {
    fn default() -> Self {
        CosgParams {
            mu: 1.0,
            remove_lowly_expressed: true,
            expressed_fraction: 0.1,
            expressed_min_cells: 3,
        }
    }
}

impl CosgParams {
    /// The `cosg` package's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `mu` (positive).
    pub fn mu(mut self, mu: f64) -> Self {
        self.mu = mu;
        self
    }

    /// Switches the filter of lowly expressed genes on or off.
    pub fn remove_lowly_expressed(mut self, remove: bool) -> Self {
        self.remove_lowly_expressed = remove;
        self
    }

    /// Checks the values, naming the bad one.
    pub fn check(&self) -> Result<()> {
        if !(self.mu > 0.0 && self.mu.is_finite()) {
            return Err(ExplainError::invalid(
                "mu",
                format!("must be positive and finite, got {}", self.mu),
            ));
        }
        if !(0.0..=1.0).contains(&self.expressed_fraction) {
            return Err(ExplainError::invalid(
                "expressed_fraction",
                format!("must lie in [0, 1], got {}", self.expressed_fraction),
            ));
        }
        Ok(())
    }
}

/// The COSG marker panel of every class: with cos(g, k) = Σ_{cells of k} x_g / (‖x_g‖ √n_k),
/// gene g's score in class k is cos³ / ((1 − mu) cos² + mu Σ_j cos(g, j)²) (0 where cos is 0),
/// −1 where the gene is expressed (non-zero) in fewer than max(fraction · n_k, min cells) of
/// the class's cells. Genes ranked by score, the `cosg` package's order (up-regulated genes).
/// Works on the values as given (COSG is usually run on log-normalised data).
///
/// ```
/// use kratos_data::{Dataset, Labels};
/// use kratos_explain::{CosgParams, cosg_panel};
/// // Gene 0 is on in A only; gene 1 in both.
/// let values: Vec<f32> = (0..40).flat_map(|i| [((i + 1) % 2) as f32 * 2.0, 1.0]).collect();
/// let labels: Vec<&str> = (0..40).map(|i| if i % 2 == 0 { "A" } else { "B" }).collect();
/// let data = Dataset::from_matrix(values, 40, 2)?.with_labels(Labels::from_names(&labels)?)?;
/// let panel = cosg_panel(&data, &CosgParams::new())?;
/// assert_eq!(panel.top_genes(0, 1), ["gene0"]);
/// assert_eq!(panel.top_genes(1, 1), ["gene1"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cosg_panel(data: &Dataset, params: &CosgParams) -> Result<GenePanel> {
    params.check()?;
    let (labels, counts) = labels_and_counts(data, "COSG")?;
    let k = labels.n_classes();
    let assignments = labels.assignments();
    let counts_ref = &counts;
    let per_gene_scores: Vec<Vec<f32>> = per_gene(
        data,
        || (),
        |_, cells, values| {
            let mut sums = vec![0f64; k];
            let mut nonzero = vec![0usize; k];
            let mut squares = 0f64;
            for (&i, &v) in cells.iter().zip(values) {
                let c = assignments[i as usize];
                let v = f64::from(v);
                sums[c] += v;
                squares += v * v;
                if v != 0.0 {
                    nonzero[c] += 1;
                }
            }
            let norm = squares.sqrt().max(1e-12);
            let cosine: Vec<f64> = (0..k)
                .map(|c| sums[c] / (norm * (counts_ref[c] as f64).sqrt().max(1e-12)))
                .collect();
            let total: f64 = cosine.iter().map(|c| c * c).sum::<f64>().max(1e-30);
            (0..k)
                .map(|c| {
                    let cos = cosine[c];
                    let lowly = params.remove_lowly_expressed
                        && (nonzero[c] as f64)
                            < (counts_ref[c] as f64 * params.expressed_fraction)
                                .max(params.expressed_min_cells as f64);
                    if lowly {
                        -1.0
                    } else if cos == 0.0 {
                        0.0
                    } else {
                        let sq = cos * cos;
                        (sq / ((1.0 - params.mu) * sq + params.mu * total) * cos) as f32
                    }
                })
                .collect()
        },
    );
    let scores: Vec<Vec<f32>> = (0..k)
        .map(|c| per_gene_scores.iter().map(|g| g[c]).collect())
        .collect();
    GenePanel::from_scores(
        "cosg",
        data.gene_names().to_vec(),
        labels.class_names().to_vec(),
        scores,
        counts,
    )
}
