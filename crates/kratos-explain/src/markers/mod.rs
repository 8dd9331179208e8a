//! Marker tests that need no model: one-vs-rest statistical tests per class, the statistics
//! the default panel combines with the attribution, and the unsupervised three-step pipeline.
//!
//! - [`wilcoxon_panel`] / [`wilcoxon_test`]: Wilcoxon rank-sum (Mann–Whitney U) z-score of
//!   every gene, class against the rest — what scanpy's `rank_genes_groups` does by default
//!   (`method="wilcoxon"`, no tie correction);
//! - [`welch_t_panel`] / [`welch_t_test`]: Welch's unequal-variance t statistic, class against
//!   the rest (scanpy's `method="t-test"`);
//! - [`rank_test_panel`] (two-sided Wilcoxon |z|), [`expression_change_panel`] (|Δ mean|) and
//!   [`mean_difference_panel`] (signed Δ mean): the per-class statistics of the default
//!   panel's rank product;
//! - [`cosg_panel`]: COSG's cosine-similarity marker score (the `cosg` package's);
//! - [`GeneStatistics`]: per class and gene the direction, scanpy's log fold change and the
//!   fractions of cells expressing it in the class and the rest;
//! - [`three_step_panel`]: PCA → k-means → Wilcoxon per cluster, the paper's unsupervised
//!   baseline.
//!
//! Both work on the values of the [`Dataset`] as given (log-normalise first if that is what you
//! want to test) and take the classes from [`Dataset::labels`], in their order. The `*_panel`
//! functions return the [`GenePanel`]; the `*_test` functions return a [`MarkerTest`] that also
//! holds the signed statistic, the two-sided p-values and the Benjamini–Hochberg adjusted
//! p-values of every class and gene.
//!
//! Every gene column is sorted (Wilcoxon) or scanned (Welch) once and the result is reused for
//! every class; genes are processed in parallel with rayon.

mod cosg;
mod gene_statistics;
mod statistics;
mod three_step;
mod welch;
mod wilcoxon;

use kratos_data::{Dataset, Labels};
use serde::{Deserialize, Serialize};

use crate::panel::require_labels;
use crate::{ExplainError, GenePanel, Result};

pub use cosg::{CosgParams, cosg_panel};
pub use gene_statistics::{Direction, GeneStatistics};
pub(crate) use statistics::mean_differences;
pub use statistics::{expression_change_panel, mean_difference_panel, rank_test_panel};
pub use three_step::{ThreeStepParams, three_step_panel};
pub use welch::{welch_t_panel, welch_t_test};
pub use wilcoxon::{wilcoxon_panel, wilcoxon_test};

/// Which genes of a class a test ranks first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MarkerDirection {
    /// Genes higher in the class than in the rest first (score = statistic; the default, as
    /// scanpy's `rank_genes_groups`).
    #[default]
    Up,
    /// Genes lower in the class than in the rest first (score = −statistic).
    Down,
    /// Genes that differ most either way first (score = |statistic|).
    Absolute,
}

impl MarkerDirection {
    fn score(self, statistic: f64) -> f32 {
        match self {
            MarkerDirection::Up => statistic as f32,
            MarkerDirection::Down => -statistic as f32,
            MarkerDirection::Absolute => statistic.abs() as f32,
        }
    }
}

/// Parameters of [`wilcoxon_panel`] and [`wilcoxon_test`]. The defaults reproduce scanpy's
/// `rank_genes_groups(method="wilcoxon")`: genes ranked by z descending, no tie correction.
///
/// ```
/// use kratos_explain::{MarkerDirection, WilcoxonParams};
/// let params = WilcoxonParams::new().direction(MarkerDirection::Absolute).tie_correction(true);
/// params.check()?;
/// assert!(WilcoxonParams::new().min_cells(0).check().is_err());
/// # Ok::<(), kratos_explain::ExplainError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WilcoxonParams {
    /// Which genes rank first (default [`MarkerDirection::Up`]).
    pub direction: MarkerDirection,
    /// Divide the variance of U by the tie correction 1 − Σ(t³ − t)/(n³ − n) (scanpy's
    /// `tie_correct=True`; default false, as scanpy's default).
    pub tie_correction: bool,
    /// A class with fewer cells than this, or whose rest has fewer, scores 0 with p-value 1 for
    /// every gene (default 1; must be at least 1).
    pub min_cells: usize,
}

impl Default for WilcoxonParams {
    fn default() -> Self {
        WilcoxonParams {
            direction: MarkerDirection::Up,
            tie_correction: false,
            min_cells: 1,
        }
    }
}

impl WilcoxonParams {
    /// The defaults (scanpy's).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the direction.
    pub fn direction(mut self, direction: MarkerDirection) -> Self {
        self.direction = direction;
        self
    }

    /// Switches the tie correction on or off.
    pub fn tie_correction(mut self, tie_correction: bool) -> Self {
        self.tie_correction = tie_correction;
        self
    }

    /// Sets the minimum number of cells in the class and in the rest.
    pub fn min_cells(mut self, min_cells: usize) -> Self {
        self.min_cells = min_cells;
        self
    }

    /// Checks every value, naming the first bad one.
    pub fn check(&self) -> Result<()> {
        if self.min_cells == 0 {
            return Err(ExplainError::invalid("min_cells", "must be at least 1"));
        }
        Ok(())
    }
}

/// Parameters of [`welch_t_panel`] and [`welch_t_test`]. The defaults reproduce scanpy's
/// `rank_genes_groups(method="t-test")`: genes ranked by t descending.
///
/// ```
/// use kratos_explain::{MarkerDirection, WelchParams};
/// WelchParams::new().direction(MarkerDirection::Down).check()?;
/// assert!(WelchParams::new().min_cells(1).check().is_err());
/// # Ok::<(), kratos_explain::ExplainError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WelchParams {
    /// Which genes rank first (default [`MarkerDirection::Up`]).
    pub direction: MarkerDirection,
    /// A class with fewer cells than this, or whose rest has fewer, scores 0 with p-value 1 for
    /// every gene (default 2, the least for which a sample variance exists; must be at least 2).
    pub min_cells: usize,
}

impl Default for WelchParams {
    fn default() -> Self {
        WelchParams {
            direction: MarkerDirection::Up,
            min_cells: 2,
        }
    }
}

impl WelchParams {
    /// The defaults (scanpy's).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the direction.
    pub fn direction(mut self, direction: MarkerDirection) -> Self {
        self.direction = direction;
        self
    }

    /// Sets the minimum number of cells in the class and in the rest.
    pub fn min_cells(mut self, min_cells: usize) -> Self {
        self.min_cells = min_cells;
        self
    }

    /// Checks every value, naming the first bad one.
    pub fn check(&self) -> Result<()> {
        if self.min_cells < 2 {
            return Err(ExplainError::invalid(
                "min_cells",
                format!(
                    "must be at least 2 (a sample variance needs two cells), got {}",
                    self.min_cells
                ),
            ));
        }
        Ok(())
    }
}

/// The result of a one-vs-rest test: the panel and, per class and gene (column order), the
/// signed statistic, its two-sided p-value and the Benjamini–Hochberg adjusted p-value
/// (adjusted over the genes of each class separately, as scanpy's `pvals_adj`).
#[derive(Debug, Clone, PartialEq)]
pub struct MarkerTest {
    panel: GenePanel,
    statistic: Vec<Vec<f64>>,
    p_values: Vec<Vec<f64>>,
    p_adjusted: Vec<Vec<f64>>,
}

impl MarkerTest {
    /// The panel: genes of each class ranked by the test's score (see [`MarkerDirection`]).
    pub fn panel(&self) -> &GenePanel {
        &self.panel
    }

    /// The panel, dropping the statistics.
    pub fn into_panel(self) -> GenePanel {
        self.panel
    }

    /// The signed statistic of every gene for class `class` (z for Wilcoxon, t for Welch;
    /// positive when the gene is higher in the class than in the rest).
    pub fn statistic(&self, class: usize) -> &[f64] {
        &self.statistic[class]
    }

    /// The two-sided p-value of every gene for class `class`.
    pub fn p_values(&self, class: usize) -> &[f64] {
        &self.p_values[class]
    }

    /// The Benjamini–Hochberg adjusted p-value of every gene for class `class`.
    pub fn p_adjusted(&self, class: usize) -> &[f64] {
        &self.p_adjusted[class]
    }
}

/// The labels of `data` and how many cells each class has.
fn labels_and_counts<'a>(data: &'a Dataset, method: &str) -> Result<(&'a Labels, Vec<usize>)> {
    let labels = require_labels(data, &format!("the {method} test"))?;
    if data.n_cells() == 0 || data.n_genes() == 0 {
        return Err(ExplainError::InvalidInput(format!(
            "the {method} test needs at least one cell and one gene, got {} x {}",
            data.n_cells(),
            data.n_genes()
        )));
    }
    let mut counts = vec![0usize; labels.n_classes()];
    for &a in labels.assignments() {
        counts[a] += 1;
    }
    Ok((labels, counts))
}

/// Genes whose non-zero values [`per_gene`] holds at once: bounds that copy for data with many
/// genes.
const GENES_PER_BLOCK: usize = 256;

/// `f(state, cells, values)` for every gene of `data`, in gene order, with the gene's non-zero
/// values (`cells` ascending, every other cell 0), block by block of [`GENES_PER_BLOCK`]
/// genes; the genes of a block run in parallel, each worker with its own `init()` state.
fn per_gene<T: Send, S>(
    data: &Dataset,
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, &[u32], &[f32]) -> T + Sync + Send,
) -> Vec<T> {
    use rayon::prelude::*;
    let g = data.n_genes();
    let mut out = Vec::with_capacity(g);
    for start in (0..g).step_by(GENES_PER_BLOCK) {
        let block = data.gene_columns(start..(start + GENES_PER_BLOCK).min(g));
        out.extend(
            block
                .genes()
                .into_par_iter()
                .map_init(&init, |state, gene| {
                    let (cells, values) = block.column(gene);
                    f(state, cells, values)
                })
                .collect::<Vec<T>>(),
        );
    }
    out
}

/// Turns per-gene results `(statistic, p-value)` for every class into a [`MarkerTest`].
fn assemble(
    method: &str,
    data: &Dataset,
    labels: &Labels,
    counts: Vec<usize>,
    direction: MarkerDirection,
    per_gene: Vec<Vec<(f64, f64)>>,
) -> Result<MarkerTest> {
    let k = labels.n_classes();
    let statistic: Vec<Vec<f64>> = (0..k)
        .map(|c| per_gene.iter().map(|g| g[c].0).collect())
        .collect();
    let p_values: Vec<Vec<f64>> = (0..k)
        .map(|c| per_gene.iter().map(|g| g[c].1).collect())
        .collect();
    let p_adjusted = p_values.iter().map(|p| benjamini_hochberg(p)).collect();
    let scores = statistic
        .iter()
        .map(|s| s.iter().map(|&v| direction.score(v)).collect())
        .collect();
    let panel = GenePanel::from_scores(
        method,
        data.gene_names().to_vec(),
        labels.class_names().to_vec(),
        scores,
        counts,
    )?;
    Ok(MarkerTest {
        panel,
        statistic,
        p_values,
        p_adjusted,
    })
}

/// Benjamini–Hochberg adjusted p-values (step-up, capped at 1), in the input's order. Same as
/// `scipy.stats.false_discovery_control(p, method="bh")` and statsmodels' `fdr_bh`.
pub(crate) fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut adjusted = vec![0.0; m];
    let mut running = 1.0f64;
    for (i, &g) in order.iter().enumerate().rev() {
        running = running.min(p[g] * m as f64 / (i + 1) as f64);
        adjusted[g] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bh_matches_hand_computation() {
        // m = 4: sorted 0.01, 0.02, 0.03, 0.5 -> 0.04, 0.04, 0.04, 0.5
        let adj = benjamini_hochberg(&[0.03, 0.5, 0.01, 0.02]);
        let want = [0.04, 0.5, 0.04, 0.04];
        for (a, w) in adj.iter().zip(want) {
            assert!((a - w).abs() < 1e-12, "{adj:?}");
        }
        assert_eq!(benjamini_hochberg(&[1.0, 1.0]), [1.0, 1.0]);
    }

    #[test]
    fn params_are_checked() {
        assert!(WilcoxonParams::default().check().is_ok());
        assert!(WilcoxonParams::new().min_cells(0).check().is_err());
        assert!(WelchParams::default().check().is_ok());
        assert!(WelchParams::new().min_cells(1).check().is_err());
        assert_eq!(MarkerDirection::default(), MarkerDirection::Up);
        assert_eq!(MarkerDirection::Absolute.score(-2.0), 2.0);
        assert_eq!(MarkerDirection::Down.score(-2.0), 2.0);
    }
}
