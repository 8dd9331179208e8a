use serde::{Deserialize, Serialize};

use crate::{MetricsError, Result};

/// Which panel sizes to evaluate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TopKGrid {
    /// The paper's percent grid: 1–9 %, 10–38 % in steps of 2, 40–100 % in steps of 4.
    Paper,
    /// A quick grid: 1, 2, 5, 10, 20 and 50 % of the genes.
    Quick,
    /// Percentages of the genes.
    Percent(Vec<f64>),
    /// Gene counts.
    Genes(Vec<usize>),
}

impl TopKGrid {
    /// The percentages of the grid (`None` for a grid of gene counts).
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

    /// The gene counts for `n_genes` genes: k = max(1, round(pct · n_genes / 100)) with ties
    /// rounded to even (as Python's `round` in the reference), each at most `n_genes`.
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
}

/// Parameters of [`crate::evaluate_panel`] (builder style; [`PanelEvaluationParams::check`]
/// rejects bad values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelEvaluationParams {
    /// Panel sizes (default: the quick grid).
    pub grid: TopKGrid,
    /// Random-search candidates (C, γ) per fit. The paper used 200; the default, 10, matches
    /// the reference scorer and keeps an evaluation to seconds.
    pub n_iter: usize,
    /// Inner cross-validation folds for choosing (C, γ) (default 3).
    pub inner_folds: usize,
    /// Outer cross-validation folds for the AUROC (default 3).
    pub outer_folds: usize,
    /// Classes with fewer cells are skipped and reported (default 9: three per outer fold).
    pub min_cells: usize,
    /// Min-max scale each gene before fitting (default true, as the reference).
    pub scale: bool,
    /// Seed of the folds and of the random search.
    pub seed: u64,
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
        }
    }
}

impl PanelEvaluationParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the grid.
    pub fn grid(mut self, grid: TopKGrid) -> Self {
        self.grid = grid;
        self
    }

    /// Sets the random-search size.
    pub fn n_iter(mut self, n_iter: usize) -> Self {
        self.n_iter = n_iter;
        self
    }

    /// Sets the minimum class size.
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

    /// Checks every value, naming the first bad one.
    pub fn check(&self) -> Result<()> {
        if self.n_iter == 0 {
            return Err(MetricsError::invalid("n_iter", "must be at least 1"));
        }
        if self.inner_folds < 2 || self.outer_folds < 2 {
            return Err(MetricsError::invalid(
                "folds",
                "inner and outer folds must be at least 2",
            ));
        }
        match &self.grid {
            TopKGrid::Percent(p)
                if p.is_empty() || p.iter().any(|v| !(*v > 0.0 && *v <= 100.0)) =>
            {
                Err(MetricsError::invalid(
                    "grid",
                    format!("percentages must lie in (0, 100], got {p:?}"),
                ))
            }
            TopKGrid::Genes(k) if k.is_empty() || k.contains(&0) => Err(MetricsError::invalid(
                "grid",
                format!("gene counts must be at least 1, got {k:?}"),
            )),
            _ => Ok(()),
        }
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
        assert_eq!(TopKGrid::Percent(vec![1.0]).ks(50), vec![1]); // 0.5 rounds to even 0 -> 1
    }
}
