use serde::{Deserialize, Serialize};

use crate::{MetricsError, Result};

/// Which panel sizes (top-k genes) to evaluate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TopKGrid {
    /// The paper's percent grid: 1–9 %, 10–38 % in steps of 2, 40–100 % in steps of 4
    /// (40 panel sizes).
    Paper,
    /// A quick grid: 1, 2, 5, 10, 20 and 50 % of the genes.
    Quick,
    /// Percentages of the genes, each in (0, 100].
    Percent(Vec<f64>),
    /// Gene counts, each at least 1.
    Genes(Vec<usize>),
}

impl TopKGrid {
    /// The percentages of the grid (`None` for a grid of gene counts).
    ///
    /// ```
    /// use kratos_metrics::TopKGrid;
    /// assert_eq!(TopKGrid::Paper.percents().unwrap().len(), 40);
    /// assert_eq!(TopKGrid::Genes(vec![5]).percents(), None);
    /// ```
    pub fn percents(&self) -> Option<Vec<f64>> {
        match self {
            TopKGrid::Paper => Some(
                (1..=9)
                    .chain((10..=38).step_by(2))
                    .chain((40..=100).step_by(4))
                    .map(f64::from)
                    .collect(),
            ),
            TopKGrid::Quick => Some(vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0]),
            TopKGrid::Percent(p) => Some(p.clone()),
            TopKGrid::Genes(_) => None,
        }
    }

    /// The gene counts for `n_genes` genes: k = max(1, round(pct · n_genes / 100)), ties
    /// rounded to even as Python's `round` in the reference scorer, each at most `n_genes`.
    ///
    /// ```
    /// use kratos_metrics::TopKGrid;
    /// assert_eq!(TopKGrid::Quick.ks(1838), vec![18, 37, 92, 184, 368, 919]);
    /// assert_eq!(TopKGrid::Percent(vec![1.0]).ks(50), vec![1]); // 0.5 rounds to 0, then 1
    /// ```
    pub fn ks(&self, n_genes: usize) -> Vec<usize> {
        match self {
            TopKGrid::Genes(k) => k.iter().map(|&k| k.clamp(1, n_genes.max(1))).collect(),
            _ => self
                .percents()
                .unwrap_or_default()
                .iter()
                .map(|p| {
                    ((p * n_genes as f64 / 100.0).round_ties_even() as usize)
                        .clamp(1, n_genes.max(1))
                })
                .collect(),
        }
    }

    /// Checks the grid's values, naming the bad one.
    pub(crate) fn check(&self) -> Result<()> {
        match self {
            TopKGrid::Percent(p)
                if p.is_empty() || p.iter().any(|v| !(*v > 0.0 && *v <= 100.0)) =>
            {
                Err(MetricsError::invalid(
                    "grid",
                    format!("percentages must be a non-empty list in (0, 100], got {p:?}"),
                ))
            }
            TopKGrid::Genes(k) if k.is_empty() || k.contains(&0) => Err(MetricsError::invalid(
                "grid",
                format!("gene counts must be a non-empty list of values >= 1, got {k:?}"),
            )),
            _ => Ok(()),
        }
    }
}

/// Parameters of [`crate::evaluate_panel`], the paper's SVM top-k protocol.
///
/// Builder style; [`PanelEvaluationParams::check`] turns them into
/// [`ValidPanelEvaluationParams`] or names the first bad value.
///
/// Defaults: the [quick grid](TopKGrid::Quick), `n_iter` 10 random-search candidates (the
/// paper used 200; 10 is the reference scorer's default and keeps an evaluation to minutes),
/// 3 inner and 3 outer folds, `min_cells` 9, per-gene min-max scaling, seed 0, all classes.
///
/// ```
/// use kratos_metrics::{PanelEvaluationParams, TopKGrid};
/// let params = PanelEvaluationParams::new().grid(TopKGrid::Paper).n_iter(200).seed(7);
/// assert!(params.check().is_ok());
/// assert!(PanelEvaluationParams::new().n_iter(0).check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelEvaluationParams {
    /// Panel sizes.
    pub grid: TopKGrid,
    /// Random-search candidates (C, γ) per search.
    pub n_iter: usize,
    /// Cross-validation folds of the random search that chooses (C, γ).
    pub inner_folds: usize,
    /// Cross-validation folds of the reported AUROC.
    pub outer_folds: usize,
    /// A class is evaluated only if it and the rest of the cells both have at least this many
    /// cells (and at least the protocol's own minimum, see
    /// [`ValidPanelEvaluationParams::required_cells`]); smaller classes are skipped and
    /// reported. The default 9 puts at least 3 cells of each side into every outer test fold.
    pub min_cells: usize,
    /// Min-max scale each gene over all cells before fitting, as the reference scorer does.
    pub scale: bool,
    /// Seed of the outer folds and of the random search.
    pub seed: u64,
    /// Evaluate only these classes (by name); `None` evaluates all.
    #[serde(default)]
    pub classes: Option<Vec<String>>,
}

impl Default for PanelEvaluationParams {
    fn default() -> Self {
        PanelEvaluationParams {
            grid: TopKGrid::Quick,
            n_iter: 10,
            inner_folds: 3,
            outer_folds: 3,
            min_cells: 9,
            scale: true,
            seed: 0,
            classes: None,
        }
    }
}

impl PanelEvaluationParams {
    /// The defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the panel sizes.
    pub fn grid(mut self, grid: TopKGrid) -> Self {
        self.grid = grid;
        self
    }

    /// Sets the number of random-search candidates (the paper: 200).
    pub fn n_iter(mut self, n_iter: usize) -> Self {
        self.n_iter = n_iter;
        self
    }

    /// Sets the folds of the random search's cross-validation (at least 2).
    pub fn inner_folds(mut self, folds: usize) -> Self {
        self.inner_folds = folds;
        self
    }

    /// Sets the folds of the reported cross-validated AUROC (at least 2).
    pub fn outer_folds(mut self, folds: usize) -> Self {
        self.outer_folds = folds;
        self
    }

    /// Sets the minimum class size (the reference scorer's default is 30).
    pub fn min_cells(mut self, min_cells: usize) -> Self {
        self.min_cells = min_cells;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Turns per-gene min-max scaling on or off.
    pub fn scale(mut self, scale: bool) -> Self {
        self.scale = scale;
        self
    }

    /// Evaluates only the named classes.
    pub fn only_classes<S: AsRef<str>>(mut self, classes: &[S]) -> Self {
        self.classes = Some(classes.iter().map(|c| c.as_ref().to_string()).collect());
        self
    }

    /// Checks every value, naming the first bad one.
    pub fn check(&self) -> Result<ValidPanelEvaluationParams> {
        if self.n_iter == 0 {
            return Err(MetricsError::invalid("n_iter", "must be at least 1, got 0"));
        }
        if self.inner_folds < 2 {
            return Err(MetricsError::invalid(
                "inner_folds",
                format!("must be at least 2, got {}", self.inner_folds),
            ));
        }
        if self.outer_folds < 2 {
            return Err(MetricsError::invalid(
                "outer_folds",
                format!("must be at least 2, got {}", self.outer_folds),
            ));
        }
        self.grid.check()?;
        if let Some(classes) = &self.classes
            && classes.is_empty()
        {
            return Err(MetricsError::invalid(
                "classes",
                "the list of classes to evaluate is empty",
            ));
        }
        Ok(ValidPanelEvaluationParams(self.clone()))
    }
}

/// [`PanelEvaluationParams`] that passed [`PanelEvaluationParams::check`]; reads like them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidPanelEvaluationParams(PanelEvaluationParams);

impl std::ops::Deref for ValidPanelEvaluationParams {
    type Target = PanelEvaluationParams;

    fn deref(&self) -> &PanelEvaluationParams {
        &self.0
    }
}

impl ValidPanelEvaluationParams {
    /// The checked parameters.
    pub fn params(&self) -> &PanelEvaluationParams {
        &self.0
    }

    /// The fewest cells a class (and the rest) must have to be evaluated: `min_cells`, but at
    /// least the smallest count for which every outer training split still holds
    /// `inner_folds` cells of the side, so that every inner test fold has a cell of both
    /// sides and its AUROC is defined (5 for 3 x 3 folds). scikit-learn's StratifiedKFold(3)
    /// itself only needs 3; the nested search needs the rest.
    pub fn required_cells(&self) -> usize {
        let (outer, inner) = (self.0.outer_folds, self.0.inner_folds);
        // The largest outer test fold of a side with n cells holds ceil(n / outer) of them.
        let protocol = (outer..)
            .find(|&n| n - n.div_ceil(outer) >= inner)
            .expect("an unbounded search ends");
        self.0.min_cells.max(protocol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_grid_has_the_published_steps() {
        let p = TopKGrid::Paper.percents().unwrap();
        assert_eq!(p.len(), 9 + 15 + 16);
        assert_eq!(
            (p[0], p[8], p[9], p[23], p[24], p[39]),
            (1.0, 9.0, 10.0, 38.0, 40.0, 100.0)
        );
        assert_eq!(TopKGrid::Quick.ks(765), vec![8, 15, 38, 76, 153, 382]);
        assert_eq!(TopKGrid::Paper.ks(1838)[..3], [18, 37, 55]);
        assert_eq!(TopKGrid::Genes(vec![3, 900]).ks(20), vec![3, 20]);
    }

    #[test]
    fn bad_values_are_named() {
        let name = |p: PanelEvaluationParams| match p.check() {
            Err(MetricsError::InvalidParameter { name, .. }) => name,
            other => panic!("expected an invalid parameter, got {other:?}"),
        };
        assert_eq!(name(PanelEvaluationParams::new().n_iter(0)), "n_iter");
        assert_eq!(
            name(PanelEvaluationParams::new().inner_folds(1)),
            "inner_folds"
        );
        assert_eq!(
            name(PanelEvaluationParams::new().outer_folds(0)),
            "outer_folds"
        );
        let grid = |g| name(PanelEvaluationParams::new().grid(g));
        assert_eq!(grid(TopKGrid::Percent(vec![0.0])), "grid");
        assert_eq!(grid(TopKGrid::Percent(vec![101.0])), "grid");
        assert_eq!(grid(TopKGrid::Percent(vec![f64::NAN])), "grid");
        assert_eq!(grid(TopKGrid::Genes(vec![])), "grid");
        assert_eq!(grid(TopKGrid::Genes(vec![4, 0])), "grid");
        let none: [&str; 0] = [];
        assert_eq!(
            name(PanelEvaluationParams::new().only_classes(&none)),
            "classes"
        );
    }

    #[test]
    fn required_cells_cover_the_nested_folds() {
        let required = |outer, inner, min| {
            PanelEvaluationParams::new()
                .outer_folds(outer)
                .inner_folds(inner)
                .min_cells(min)
                .check()
                .unwrap()
                .required_cells()
        };
        // 4 cells: an outer fold takes 2, leaving 2 < 3 for the inner folds; 5 leaves 3.
        assert_eq!(required(3, 3, 0), 5);
        assert_eq!(required(3, 3, 9), 9);
        assert_eq!(required(2, 2, 0), 4);
        assert_eq!(required(5, 3, 0), 5);
    }
}
