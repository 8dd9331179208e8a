use serde::{Deserialize, Serialize};

use crate::{ExplainError, Result};

/// How per-cell attributions of a class are combined into one score per gene.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aggregation {
    /// Mean of |attribution| over the class's cells (the paper's choice).
    MeanAbsolute,
    /// |mean of the signed attribution|: genes pushed the same way in every cell rank first.
    AbsoluteMean,
}

/// Which cells are explained and how their attributions are combined;
/// [`PanelOptions::check`] names the first bad value or gives the [`ValidPanelOptions`] that
/// the panel builders take.
///
/// ```
/// use kratos_explain::PanelOptions;
/// let options = PanelOptions::new().max_cells_per_class(Some(500)).seed(3).check()?;
/// assert_eq!(options.max_cells_per_class, Some(500));
/// assert!(PanelOptions::new().batch_cells(0).check().is_err());
/// # Ok::<(), kratos_explain::ExplainError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelOptions {
    /// Combination of attributions over cells (default: mean |attribution|).
    pub aggregation: Aggregation,
    /// Explain only cells the model classifies correctly (default true, as in the paper).
    pub correct_only: bool,
    /// At most this many cells per class are explained, drawn at random (seeded), so the cost
    /// does not grow with atlas size (default 2,000; `None`: all).
    pub max_cells_per_class: Option<usize>,
    /// At most this many cells in all: when the classes' cells (capped per class) add up to
    /// more, every class's cap is lowered to the same value until they fit, so that large
    /// classes give up cells first (default 12,000; `None`: no such bound). See
    /// [`PanelOptions::class_cap`].
    #[serde(default)]
    pub max_cells: Option<usize>,
    /// Cells per call of the explainer (bounds memory; default 4,096), fewer when the data have
    /// more than 1,024 genes: a batch holds at most 2²² values. CW's result for a cell does not
    /// depend on the batch; stochastic explainers draw their noise per batch.
    pub batch_cells: usize,
    /// Seed of the cell subsampling and of stochastic explainers (default 7).
    pub seed: u64,
}

impl Default for PanelOptions {
    fn default() -> Self {
        PanelOptions {
            aggregation: Aggregation::MeanAbsolute,
            correct_only: true,
            max_cells_per_class: Some(2000),
            max_cells: Some(12_000),
            batch_cells: 4096,
            seed: 7,
        }
    }
}

impl PanelOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the aggregation over cells.
    pub fn aggregation(mut self, aggregation: Aggregation) -> Self {
        self.aggregation = aggregation;
        self
    }

    /// Explain only correctly classified cells (or all labelled ones).
    pub fn correct_only(mut self, correct_only: bool) -> Self {
        self.correct_only = correct_only;
        self
    }

    /// Sets the cap on explained cells per class (`None`: all).
    pub fn max_cells_per_class(mut self, max: Option<usize>) -> Self {
        self.max_cells_per_class = max;
        self
    }

    /// Sets the bound on explained cells in all (`None`: none).
    pub fn max_cells(mut self, max: Option<usize>) -> Self {
        self.max_cells = max;
        self
    }

    /// The cap on explained cells per class for classes of `counts` cells: the per-class cap,
    /// lowered to the largest value at which the capped classes add up to at most
    /// [`PanelOptions::max_cells`] (at least 1 a class). `None`: no cap.
    ///
    /// ```
    /// use kratos_explain::PanelOptions;
    /// let options = PanelOptions::new().max_cells_per_class(Some(2000)).max_cells(Some(4000));
    /// assert_eq!(options.class_cap(&[3000, 800, 100]), Some(2000)); // 2000 + 800 + 100 fit
    /// assert_eq!(options.class_cap(&[5000, 5000, 900]), Some(1550)); // 1550 + 1550 + 900
    /// assert_eq!(PanelOptions::new().max_cells_per_class(None).max_cells(None).class_cap(&[9]), None);
    /// ```
    pub fn class_cap(&self, counts: &[usize]) -> Option<usize> {
        let largest = counts.iter().copied().max().unwrap_or(0);
        let cap = self.max_cells_per_class.unwrap_or(largest).min(largest);
        let Some(total) = self.max_cells else {
            return self.max_cells_per_class;
        };
        let fits = |c: usize| counts.iter().map(|&n| n.min(c)).sum::<usize>() <= total;
        if fits(cap) {
            return self
                .max_cells_per_class
                .or_else(|| (cap < largest).then_some(cap));
        }
        // The largest cap that fits, by bisection (the capped total grows with the cap).
        let (mut lo, mut hi) = (1usize, cap);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if fits(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Some(lo)
    }

    /// Sets the cells per explainer call.
    pub fn batch_cells(mut self, batch_cells: usize) -> Self {
        self.batch_cells = batch_cells;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks every value, naming the first bad one.
    pub fn check(&self) -> Result<ValidPanelOptions> {
        if self.batch_cells == 0 {
            return Err(ExplainError::invalid("batch_cells", "must be at least 1"));
        }
        if self.max_cells == Some(0) {
            return Err(ExplainError::invalid(
                "max_cells",
                "must be at least 1 (or unset: no bound)",
            ));
        }
        if self.max_cells_per_class == Some(0) {
            return Err(ExplainError::invalid(
                "max_cells_per_class",
                "must be at least 1 (or unset: all cells)",
            ));
        }
        Ok(ValidPanelOptions(self.clone()))
    }
}

/// Checked [`PanelOptions`]; reads like them. The default is the default options, checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ValidPanelOptions(PanelOptions);

impl ValidPanelOptions {
    /// The checked options.
    pub fn inner(&self) -> &PanelOptions {
        &self.0
    }
}

impl std::ops::Deref for ValidPanelOptions {
    type Target = PanelOptions;

    fn deref(&self) -> &PanelOptions {
        &self.0
    }
}
