use kratos_model::{AutodiffBackend, TrainedModel};

use crate::{ExplainError, Result};

/// A batch of cells to explain, already min-max scaled with the model's scaler.
///
/// Cell `i` has values `values[i * n_genes..(i + 1) * n_genes]` and is explained for class
/// `classes[i]`; one-vs-one methods explain it against class `versus[i]`. The panel builder
/// ([`crate::explain_panel`]) makes the batches; to call an explainer yourself, build one with
/// [`CellBatch::new`] and the setters.
///
/// ```
/// use kratos_explain::CellBatch;
/// let values = [0.0, 1.0, 0.5, 0.5]; // two cells, two genes
/// let batch = CellBatch::new(&values, 2, &[0, 1]).seed(3);
/// assert_eq!((batch.n_cells, batch.seed), (2, 3));
/// assert!(batch.check(2).is_ok());
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct CellBatch<'a> {
    /// Scaled values, row-major, `n_cells x n_genes`.
    pub values: &'a [f32],
    /// Number of cells.
    pub n_cells: usize,
    /// Number of genes (the model's input size).
    pub n_genes: usize,
    /// The class each cell is explained for.
    pub classes: &'a [usize],
    /// For one-vs-one methods: the class each cell is contrasted with.
    pub versus: Option<&'a [usize]>,
    /// Per-gene standard deviation (scaled) over all cells being explained, not only this
    /// batch (SmoothGrad's noise scale); empty: the batch's own.
    pub gene_std: &'a [f32],
    /// Per-gene mean (scaled) over all cells being explained (a baseline for IG); empty: the
    /// batch's own.
    pub gene_mean: &'a [f32],
    /// Seed for stochastic explainers; the panel builder derives one per batch.
    pub seed: u64,
}

impl<'a> CellBatch<'a> {
    /// The cells `values` (scaled, `classes.len() x n_genes`, row-major), each explained for
    /// its class in `classes`; no contrast classes, the batch's own gene statistics, seed 0.
    pub fn new(values: &'a [f32], n_genes: usize, classes: &'a [usize]) -> Self {
        CellBatch {
            values,
            n_cells: classes.len(),
            n_genes,
            classes,
            versus: None,
            gene_std: &[],
            gene_mean: &[],
            seed: 0,
        }
    }

    /// The class each cell is contrasted with (one-vs-one explainers).
    pub fn versus(mut self, versus: &'a [usize]) -> Self {
        self.versus = Some(versus);
        self
    }

    /// Per-gene mean and standard deviation (scaled) of all cells being explained.
    pub fn gene_stats(mut self, mean: &'a [f32], std: &'a [f32]) -> Self {
        self.gene_mean = mean;
        self.gene_std = std;
        self
    }

    /// The seed of stochastic explainers.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The per-gene standard deviation to use: [`CellBatch::gene_std`], or the batch's own
    /// when that is empty.
    pub fn std_or_own(&self) -> std::borrow::Cow<'a, [f32]> {
        if !self.gene_std.is_empty() {
            return std::borrow::Cow::Borrowed(self.gene_std);
        }
        let (mean, square) = self.own_moments();
        std::borrow::Cow::Owned(
            mean.iter()
                .zip(&square)
                .map(|(m, q)| (q - m * m).max(0.0).sqrt() as f32)
                .collect(),
        )
    }

    /// The per-gene mean to use: [`CellBatch::gene_mean`], or the batch's own when that is
    /// empty.
    pub fn mean_or_own(&self) -> std::borrow::Cow<'a, [f32]> {
        if !self.gene_mean.is_empty() {
            return std::borrow::Cow::Borrowed(self.gene_mean);
        }
        std::borrow::Cow::Owned(self.own_moments().0.iter().map(|&m| m as f32).collect())
    }

    /// Per-gene mean and mean square of the batch's values.
    fn own_moments(&self) -> (Vec<f64>, Vec<f64>) {
        let g = self.n_genes;
        let (mut mean, mut square) = (vec![0f64; g], vec![0f64; g]);
        for row in self.values.chunks_exact(g.max(1)) {
            for ((m, q), &v) in mean.iter_mut().zip(square.iter_mut()).zip(row) {
                *m += v as f64;
                *q += v as f64 * v as f64;
            }
        }
        let n = self.n_cells.max(1) as f64;
        mean.iter_mut().for_each(|m| *m /= n);
        square.iter_mut().for_each(|q| *q /= n);
        (mean, square)
    }

    /// Checks that the sizes agree and the classes exist in a model with `n_classes` outputs.
    pub fn check(&self, n_classes: usize) -> Result<()> {
        let n = self.n_cells;
        let stats_fit = |s: &[f32]| s.is_empty() || s.len() == self.n_genes;
        if self.values.len() != n * self.n_genes
            || self.classes.len() != n
            || !stats_fit(self.gene_std)
            || !stats_fit(self.gene_mean)
        {
            return Err(ExplainError::InvalidInput(format!(
                "batch sizes disagree: {} values, {} classes, {} stds, {} means for {n} cells x {} genes",
                self.values.len(),
                self.classes.len(),
                self.gene_std.len(),
                self.gene_mean.len(),
                self.n_genes
            )));
        }
        if let Some(&k) = self.classes.iter().find(|&&k| k >= n_classes) {
            return Err(ExplainError::InvalidInput(format!(
                "class index {k} is out of range for a model with {n_classes} classes"
            )));
        }
        if let Some(v) = self.versus {
            if v.len() != n {
                return Err(ExplainError::InvalidInput(format!(
                    "{} contrast classes for {n} cells",
                    v.len()
                )));
            }
            if let Some(i) = (0..n).find(|&i| v[i] >= n_classes || v[i] == self.classes[i]) {
                return Err(ExplainError::InvalidInput(format!(
                    "cell {i}: contrast class {} must differ from its class {} and exist",
                    v[i], self.classes[i]
                )));
            }
        }
        Ok(())
    }
}

/// A method that attributes a classifier's decision to its input genes.
///
/// Implement this to plug a new method into kratos: [`crate::explain_panel`], the reports and
/// the evaluation then work with it unchanged. Implementations must be batched (one
/// forward/backward pass over the whole batch per step) and deterministic for a given
/// [`CellBatch::seed`]. [`TrainedModel::input_gradient`] gives the gradient of the class
/// probabilities with respect to the input, the building block of gradient methods.
pub trait Explainer<B: AutodiffBackend> {
    /// A short name used in file names and reports (`cw`, `smoothgrad`, ...).
    fn name(&self) -> String;

    /// Whether the method explains a class against one other class ([`CellBatch::versus`]).
    fn is_one_vs_one(&self) -> bool {
        false
    }

    /// Per-cell, per-gene attributions (`n_cells x n_genes`, row-major) of the cells in
    /// `batch`. Larger magnitude means the gene matters more to the decision.
    fn attribute(&self, model: &TrainedModel<B>, batch: &CellBatch<'_>) -> Result<Vec<f32>>;
}

impl<B: AutodiffBackend, E: Explainer<B> + ?Sized> Explainer<B> for &E {
    fn name(&self) -> String {
        (**self).name()
    }
    fn is_one_vs_one(&self) -> bool {
        (**self).is_one_vs_one()
    }
    fn attribute(&self, model: &TrainedModel<B>, batch: &CellBatch<'_>) -> Result<Vec<f32>> {
        (**self).attribute(model, batch)
    }
}

impl<B: AutodiffBackend, E: Explainer<B> + ?Sized> Explainer<B> for Box<E> {
    fn name(&self) -> String {
        (**self).name()
    }
    fn is_one_vs_one(&self) -> bool {
        (**self).is_one_vs_one()
    }
    fn attribute(&self, model: &TrainedModel<B>, batch: &CellBatch<'_>) -> Result<Vec<f32>> {
        (**self).attribute(model, batch)
    }
}
