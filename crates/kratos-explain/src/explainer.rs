use kratos_model::{AutodiffBackend, TrainedModel};

use crate::{ExplainError, Result};

/// A batch of cells to explain, already min-max scaled with the model's scaler.
///
/// Cell `i` has values `values[i * n_genes..(i + 1) * n_genes]` and is explained for class
/// `classes[i]`; one-vs-one methods explain it against class `versus[i]`.
#[derive(Debug, Clone, Copy)]
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
    /// batch (SmoothGrad's noise scale).
    pub gene_std: &'a [f32],
    /// Per-gene mean (scaled) over all cells being explained (a baseline for IG).
    pub gene_mean: &'a [f32],
    /// Seed for stochastic explainers; the panel builder derives one per batch.
    pub seed: u64,
}

impl CellBatch<'_> {
    /// Checks that the sizes agree and the classes exist in a model with `n_classes` outputs.
    pub fn check(&self, n_classes: usize) -> Result<()> {
        let n = self.n_cells;
        if self.values.len() != n * self.n_genes
            || self.classes.len() != n
            || self.gene_std.len() != self.n_genes
            || self.gene_mean.len() != self.n_genes
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
/// [`CellBatch::seed`].
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
