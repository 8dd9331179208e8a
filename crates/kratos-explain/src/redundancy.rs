//! Redundancy-aware re-ranking of a panel (greedy max-relevance, min-redundancy).
//!
//! A marker panel is read from the top: a gene that only repeats the information of a gene
//! already chosen (a strongly correlated one) adds little. [`decorrelate`] walks each class's
//! ranking and picks, among the best `candidates` genes, the one whose relevance (its position
//! in the original ranking, mapped to [0, 1]) minus `penalty` × its largest |Pearson
//! correlation| with the genes already picked is highest — the mRMR idea (Peng et al. 2005),
//! written here because no maintained Rust crate offers it for a ranked list.

use kratos_data::Dataset;
use serde::{Deserialize, Serialize};

use crate::{ExplainError, GenePanel, Result};

/// Settings of [`decorrelate`].
///
/// ```
/// use kratos_explain::RedundancyParams;
/// let p = RedundancyParams::new().penalty(0.5).candidates(60);
/// p.check()?;
/// assert!(RedundancyParams::new().penalty(-1.0).check().is_err());
/// # Ok::<(), kratos_explain::ExplainError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RedundancyParams {
    /// Weight of the redundancy term (default 0.5; 0 keeps the ranking).
    pub penalty: f64,
    /// Only the best this many genes of each class are re-ordered (default 100); the rest
    /// keep their order after them.
    pub candidates: usize,
}

impl Default for RedundancyParams {
    fn default() -> Self {
        RedundancyParams {
            penalty: 0.5,
            candidates: 100,
        }
    }
}

impl RedundancyParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the weight of the redundancy term.
    pub fn penalty(mut self, penalty: f64) -> Self {
        self.penalty = penalty;
        self
    }

    /// Sets how many top genes per class are re-ordered.
    pub fn candidates(mut self, candidates: usize) -> Self {
        self.candidates = candidates;
        self
    }

    /// Errors on a negative or non-finite penalty or zero candidates.
    pub fn check(&self) -> Result<()> {
        if !(self.penalty.is_finite() && self.penalty >= 0.0) {
            return Err(ExplainError::InvalidInput(format!(
                "redundancy penalty must be a finite number >= 0, got {}",
                self.penalty
            )));
        }
        if self.candidates == 0 {
            return Err(ExplainError::InvalidInput(
                "redundancy candidates must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// Standardised columns `genes` of `data` (zero mean, unit norm; constant columns are zero),
/// so that the dot product of two columns is their Pearson correlation.
fn unit_columns(data: &Dataset, genes: &[usize]) -> Vec<Vec<f64>> {
    let n = data.n_cells();
    genes
        .iter()
        .map(|&g| {
            let mut col: Vec<f64> = (0..n).map(|i| data.get(i, g) as f64).collect();
            let mean = col.iter().sum::<f64>() / n.max(1) as f64;
            col.iter_mut().for_each(|v| *v -= mean);
            let norm = col.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 0.0 {
                col.iter_mut().for_each(|v| *v /= norm);
            } else {
                col.iter_mut().for_each(|v| *v = 0.0);
            }
            col
        })
        .collect()
}

/// `panel` re-ranked per class so that the top genes repeat each other less (see the module
/// documentation); correlations are computed over all cells of `data` (the genes of the
/// panel, in the same order). The first gene of every class stays first. Scores become
/// `n_genes − new position` (so the TSV order is the new ranking).
pub fn decorrelate(
    panel: &GenePanel,
    data: &Dataset,
    params: &RedundancyParams,
) -> Result<GenePanel> {
    params.check()?;
    if data.gene_names() != panel.gene_names() {
        return Err(ExplainError::InvalidInput(format!(
            "decorrelate: the data ({} genes) must have the panel's genes ({}) in the same order",
            data.n_genes(),
            panel.gene_names().len()
        )));
    }
    let g = panel.gene_names().len();
    let m = params.candidates.min(g);
    let mut scores = Vec::with_capacity(panel.n_classes());
    for ranking in panel.rankings() {
        let top = &ranking[..m];
        let columns = unit_columns(data, top);
        let mut chosen: Vec<usize> = Vec::with_capacity(m);
        let mut taken = vec![false; m];
        let mut max_corr = vec![0f64; m];
        for _ in 0..m {
            let mut best: Option<(usize, f64)> = None;
            for j in (0..m).filter(|&j| !taken[j]) {
                let relevance = 1.0 - j as f64 / m as f64;
                let value = relevance - params.penalty * max_corr[j];
                if best.is_none_or(|(_, b)| value > b) {
                    best = Some((j, value));
                }
            }
            let Some((j, _)) = best else { break };
            taken[j] = true;
            chosen.push(j);
            for k in (0..m).filter(|&k| !taken[k]) {
                let r: f64 = columns[j]
                    .iter()
                    .zip(&columns[k])
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
                    .abs();
                max_corr[k] = max_corr[k].max(r);
            }
        }
        let order = chosen
            .iter()
            .map(|&j| top[j])
            .chain(ranking[m..].iter().copied());
        let mut s = vec![0f32; g];
        for (position, gene) in order.enumerate() {
            s[gene] = (g - position) as f32;
        }
        scores.push(s);
    }
    panel.with_scores(scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Genes 0 and 1 are copies, gene 2 is different; the ranking is 0, 1, 2, 3.
    fn data_and_panel() -> (Dataset, GenePanel) {
        let n = 30;
        let values: Vec<f32> = (0..n)
            .flat_map(|i| {
                let a = (i % 5) as f32;
                [a, a * 2.0 + 1.0, ((i * 7) % 11) as f32, (i % 3) as f32]
            })
            .collect();
        let data = Dataset::from_matrix(values, n, 4).unwrap();
        let panel = GenePanel::from_scores(
            "test",
            data.gene_names().to_vec(),
            vec!["A".into()],
            vec![vec![4.0, 3.0, 2.0, 1.0]],
            vec![n],
        )
        .unwrap();
        (data, panel)
    }

    #[test]
    fn a_copy_of_the_top_gene_moves_down() {
        let (data, panel) = data_and_panel();
        let out = decorrelate(&panel, &data, &RedundancyParams::new().penalty(1.0)).unwrap();
        assert_eq!(out.rankings()[0][0], 0);
        assert_ne!(out.rankings()[0][1], 1, "{:?}", out.rankings()[0]);
        let same = decorrelate(&panel, &data, &RedundancyParams::new().penalty(0.0)).unwrap();
        assert_eq!(same.rankings()[0], vec![0, 1, 2, 3]);
    }

    #[test]
    fn genes_must_match() {
        let (data, panel) = data_and_panel();
        let other = data.select_genes(&[1, 0, 2, 3]);
        assert!(decorrelate(&panel, &other, &RedundancyParams::new()).is_err());
    }
}
