//! Redundancy-aware re-ranking of a panel (greedy max-relevance, min-redundancy).
//!
//! A marker panel is read from the top: a gene that only repeats the information of a gene
//! already chosen (a strongly correlated one) adds little. [`decorrelate`] walks each class's
//! ranking and picks, among the best `candidates` genes, the one whose relevance (its position
//! in the original ranking, mapped to [0, 1]) minus `penalty` × its largest |Pearson
//! correlation| with the genes already picked is highest — the mRMR idea (Peng et al. 2005),
//! written here because no maintained Rust crate offers it for a ranked list.
//!
//! Markers of one cell type correlate over all cells simply because they are all high in
//! that type, so a plain redundancy penalty also pushes genes the type needs down and lets
//! unrelated genes up. By default only genes that are significantly higher in the class
//! (one-vs-rest Wilcoxon rank-sum, Benjamini–Hochberg adjusted p below
//! [`RedundancyParams::significance`], positive z) are re-ordered, among the positions they
//! already hold; every other gene keeps its position.
//!
//! A significance test alone does not keep genes the model ignores out of the top: a gene
//! can be higher in a class by chance and, being uncorrelated with the real markers, win the
//! greedy choice. [`RedundancyParams::relevance_floor`] ties moving to the attribution itself:
//! only genes whose relevance score (see [`decorrelate_with_relevance`]) is at least that
//! fraction of the class's best score are re-ordered.

use kratos_data::Dataset;
use serde::{Deserialize, Serialize};

use crate::combine::check_same_layout;
use crate::{ExplainError, GenePanel, Result, WilcoxonParams, wilcoxon_test};

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
    /// Only genes significantly higher in the class (Wilcoxon BH-adjusted p below this, z > 0)
    /// are re-ordered, within the positions they hold; the others keep theirs (default
    /// `Some(0.05)`; `None` re-orders every candidate).
    #[serde(default = "default_significance")]
    pub significance: Option<f64>,
    /// Only genes whose relevance score is at least this fraction of the class's best score
    /// are re-ordered (default `None`: no floor). The relevance scores are the panel's own in
    /// [`decorrelate`], the given panel's in [`decorrelate_with_relevance`].
    #[serde(default)]
    pub relevance_floor: Option<f64>,
}

fn default_significance() -> Option<f64> {
    Some(0.05)
}

impl Default for RedundancyParams {
    fn default() -> Self {
        RedundancyParams {
            penalty: 0.5,
            candidates: 100,
            significance: default_significance(),
            relevance_floor: None,
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

    /// Sets the significance gate (`None` re-orders every candidate).
    pub fn significance(mut self, significance: Option<f64>) -> Self {
        self.significance = significance;
        self
    }

    /// Sets the relevance floor (`None`: no floor).
    pub fn relevance_floor(mut self, relevance_floor: Option<f64>) -> Self {
        self.relevance_floor = relevance_floor;
        self
    }

    /// Errors on a negative or non-finite penalty, zero candidates, or a significance level or
    /// relevance floor outside (0, 1].
    pub fn check(&self) -> Result<()> {
        if let Some(f) = self.relevance_floor
            && !(f > 0.0 && f <= 1.0)
        {
            return Err(ExplainError::InvalidInput(format!(
                "redundancy relevance floor must be in (0, 1], got {f}"
            )));
        }
        if let Some(a) = self.significance
            && !(a > 0.0 && a <= 1.0)
        {
            return Err(ExplainError::InvalidInput(format!(
                "redundancy significance level must be in (0, 1], got {a}"
            )));
        }
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
    data.columns(genes)
        .into_iter()
        .map(|column| {
            let mut col: Vec<f64> = column.into_iter().map(f64::from).collect();
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

/// Which genes of every class of `panel` may be re-ordered: all of them without a
/// significance gate; with one, the genes significantly higher in the class. A panel class
/// the labels of `data` do not know gets none.
fn movable_genes(
    panel: &GenePanel,
    relevance: &GenePanel,
    data: &Dataset,
    params: &RedundancyParams,
) -> Result<Vec<Vec<bool>>> {
    let mut movable = significant_genes(panel, data, params)?;
    if let Some(floor) = params.relevance_floor {
        for (c, movable) in movable.iter_mut().enumerate() {
            let scores = relevance.scores(c);
            let best = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
            for (m, &s) in movable.iter_mut().zip(scores) {
                *m &= best > 0.0 && s as f64 >= floor * best;
            }
        }
    }
    Ok(movable)
}

/// The significance gate of [`movable_genes`]: every gene without one.
fn significant_genes(
    panel: &GenePanel,
    data: &Dataset,
    params: &RedundancyParams,
) -> Result<Vec<Vec<bool>>> {
    let g = panel.gene_names().len();
    let Some(alpha) = params.significance else {
        return Ok(vec![vec![true; g]; panel.n_classes()]);
    };
    let labels = data.labels().ok_or_else(|| {
        ExplainError::InvalidInput(
            "decorrelate: the significance gate needs labelled cells (or set significance None)"
                .into(),
        )
    })?;
    let test = wilcoxon_test(data, &WilcoxonParams::new())?;
    Ok(panel
        .class_names()
        .iter()
        .map(
            |name| match labels.class_names().iter().position(|c| c == name) {
                Some(c) => test
                    .p_adjusted(c)
                    .iter()
                    .zip(test.statistic(c))
                    .map(|(&q, &z)| q < alpha && z > 0.0)
                    .collect(),
                None => vec![false; g],
            },
        )
        .collect())
}

/// `panel` re-ranked per class so that the top genes repeat each other less (see the module
/// documentation); correlations are computed over all cells of `data` (the genes of the
/// panel, in the same order; with the significance gate, labelled cells whose class names
/// are the panel's). Of the best `candidates` positions of every class, those holding a
/// movable gene are refilled by the greedy choice among those genes; the best movable gene
/// stays where it is. Scores become `n_genes − new position` (so the TSV order is the new
/// ranking).
///
/// ```
/// use kratos_data::{Dataset, Labels};
/// use kratos_explain::{GenePanel, RedundancyParams, decorrelate};
/// // 40 cells, class A = even cells. Genes 0 and 1 are the same marker of A, gene 2 a
/// // different marker of A, gene 3 noise.
/// let values: Vec<f32> = (0..40)
///     .flat_map(|i| {
///         let a = if i % 2 == 0 { 5.0 } else { 0.0 };
///         let b = (i % 4) as f32;
///         [a + b, 2.0 * (a + b), a + (i % 5) as f32 * 2.0, (i % 3) as f32]
///     })
///     .collect();
/// let names: Vec<&str> = (0..40).map(|i| if i % 2 == 0 { "A" } else { "B" }).collect();
/// let data = Dataset::from_matrix(values, 40, 4)?.with_labels(Labels::from_names(&names)?)?;
/// let genes = data.gene_names().to_vec();
/// let panel = GenePanel::from_scores("p", genes, vec!["A".into()], vec![vec![4.0, 3.0, 2.0, 1.0]], vec![20])?;
/// let out = decorrelate(&panel, &data, &RedundancyParams::new().penalty(1.0))?;
/// assert_eq!(out.top_genes(0, 2), ["gene0", "gene2"]); // the copy of gene 0 moves down
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decorrelate(
    panel: &GenePanel,
    data: &Dataset,
    params: &RedundancyParams,
) -> Result<GenePanel> {
    decorrelate_with_relevance(panel, panel, data, params)
}

/// [`decorrelate`] with the relevance floor ([`RedundancyParams::relevance_floor`]) read from
/// `relevance`'s scores instead of `panel`'s — e.g. the attribution behind a panel whose own
/// scores are ranks. `relevance` must have the panel's genes and classes in the same order.
///
/// ```
/// use kratos_data::Dataset;
/// use kratos_explain::{GenePanel, RedundancyParams, decorrelate, decorrelate_with_relevance};
/// // Genes 0 and 1 are copies, gene 2 differs; the model gives gene 2 almost nothing.
/// let values: Vec<f32> = (0..30)
///     .flat_map(|i| {
///         let a = (i % 5) as f32;
///         [a, 2.0 * a + 1.0, ((i * 7) % 11) as f32]
///     })
///     .collect();
/// let data = Dataset::from_matrix(values, 30, 3)?;
/// let genes = data.gene_names().to_vec();
/// let ranks = GenePanel::from_scores("p", genes.clone(), vec!["A".into()], vec![vec![3.0, 2.0, 1.0]], vec![30])?;
/// let attribution = GenePanel::from_scores("a", genes, vec!["A".into()], vec![vec![1.0, 0.9, 0.01]], vec![30])?;
/// let params = RedundancyParams::new().significance(None).penalty(1.0);
/// assert_eq!(decorrelate(&ranks, &data, &params)?.top_genes(0, 2), ["gene0", "gene2"]);
/// let floored = params.relevance_floor(Some(0.1));
/// let out = decorrelate_with_relevance(&ranks, &attribution, &data, &floored)?;
/// assert_eq!(out.top_genes(0, 2), ["gene0", "gene1"]); // gene 2 is below the floor
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decorrelate_with_relevance(
    panel: &GenePanel,
    relevance: &GenePanel,
    data: &Dataset,
    params: &RedundancyParams,
) -> Result<GenePanel> {
    params.check()?;
    check_same_layout(&[panel, relevance])?;
    if data.gene_names() != panel.gene_names() {
        return Err(ExplainError::InvalidInput(format!(
            "decorrelate: the data ({} genes) must have the panel's genes ({}) in the same order",
            data.n_genes(),
            panel.gene_names().len()
        )));
    }
    let g = panel.gene_names().len();
    let m = params.candidates.min(g);
    let movable = movable_genes(panel, relevance, data, params)?;
    let mut scores = Vec::with_capacity(panel.n_classes());
    for (ranking, movable) in panel.rankings().iter().zip(&movable) {
        // Positions among the best m that hold a movable gene, and those genes in order.
        let slots: Vec<usize> = (0..m).filter(|&p| movable[ranking[p]]).collect();
        let genes: Vec<usize> = slots.iter().map(|&p| ranking[p]).collect();
        let n = genes.len();
        let columns = unit_columns(data, &genes);
        let mut chosen: Vec<usize> = Vec::with_capacity(n);
        let mut taken = vec![false; n];
        let mut max_corr = vec![0f64; n];
        for _ in 0..n {
            let mut best: Option<(usize, f64)> = None;
            for j in (0..n).filter(|&j| !taken[j]) {
                let relevance = 1.0 - j as f64 / n as f64;
                let value = relevance - params.penalty * max_corr[j];
                if best.is_none_or(|(_, b)| value > b) {
                    best = Some((j, value));
                }
            }
            let Some((j, _)) = best else { break };
            taken[j] = true;
            chosen.push(j);
            for k in (0..n).filter(|&k| !taken[k]) {
                let r: f64 = columns[j]
                    .iter()
                    .zip(&columns[k])
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
                    .abs();
                max_corr[k] = max_corr[k].max(r);
            }
        }
        let mut order = ranking.clone();
        for (&slot, &j) in slots.iter().zip(&chosen) {
            order[slot] = genes[j];
        }
        let mut s = vec![0f32; g];
        for (position, &gene) in order.iter().enumerate() {
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
        let ungated = RedundancyParams::new().significance(None);
        let out = decorrelate(&panel, &data, &ungated.penalty(1.0)).unwrap();
        assert_eq!(out.rankings()[0][0], 0);
        assert_ne!(out.rankings()[0][1], 1, "{:?}", out.rankings()[0]);
        let same = decorrelate(&panel, &data, &ungated.penalty(0.0)).unwrap();
        assert_eq!(same.rankings()[0], vec![0, 1, 2, 3]);
    }

    #[test]
    fn genes_below_the_relevance_floor_keep_their_positions() {
        let (data, panel) = data_and_panel();
        let relevance = panel.with_scores(vec![vec![1.0, 0.9, 0.05, 0.5]]).unwrap();
        let params = RedundancyParams::new().significance(None).penalty(1.0);
        // Without a floor gene 1 (a copy of gene 0) moves down.
        let free = decorrelate_with_relevance(&panel, &relevance, &data, &params).unwrap();
        assert_ne!(free.rankings()[0][1], 1);
        // With floor 0.1 gene 2 (relevance 0.05) stays at position 2, and only genes 0, 1 and
        // 3 are re-ordered among positions 0, 1 and 3.
        let floored = params.relevance_floor(Some(0.1));
        let out = decorrelate_with_relevance(&panel, &relevance, &data, &floored).unwrap();
        let r = &out.rankings()[0];
        assert_eq!(r[2], 2, "{r:?}");
        assert_eq!(r[0], 0, "{r:?}");
        for bad in [0.0, -0.5, 1.5, f64::NAN] {
            assert!(params.relevance_floor(Some(bad)).check().is_err());
        }
        let other = GenePanel::from_scores(
            "other",
            data.gene_names().to_vec(),
            vec!["B".into()],
            vec![vec![1.0; 4]],
            vec![1],
        )
        .unwrap();
        let err = decorrelate_with_relevance(&panel, &other, &data, &params).unwrap_err();
        assert!(
            err.to_string()
                .contains("do not have the same genes and classes"),
            "{err}"
        );
    }

    #[test]
    fn genes_must_match() {
        let (data, panel) = data_and_panel();
        let other = data.select_genes(&[1, 0, 2, 3]);
        assert!(decorrelate(&panel, &other, &RedundancyParams::new()).is_err());
    }

    #[test]
    fn the_gate_needs_labels_and_a_valid_level() {
        let (data, panel) = data_and_panel();
        let err = decorrelate(&panel, &data, &RedundancyParams::new()).unwrap_err();
        assert!(err.to_string().contains("labelled"), "{err}");
        for bad in [0.0, -0.1, 1.5, f64::NAN] {
            assert!(
                RedundancyParams::new()
                    .significance(Some(bad))
                    .check()
                    .is_err()
            );
        }
    }

    /// Genes that are not significantly higher in the class keep their positions, whatever
    /// the penalty; the movable ones are only re-ordered among their own positions.
    #[test]
    fn genes_outside_the_gate_keep_their_positions() {
        let n = 60;
        let names: Vec<&str> = (0..n).map(|i| if i % 2 == 0 { "A" } else { "B" }).collect();
        // gene 0, 2: markers of A (copies); gene 1, 3: noise; gene 4: another marker of A.
        let values: Vec<f32> = (0..n)
            .flat_map(|i| {
                let a = if i % 2 == 0 { 4.0 } else { 0.0 };
                let jitter = (i % 4) as f32;
                [
                    a + jitter,
                    ((i * 7) % 5) as f32,
                    2.0 * (a + jitter),
                    ((i * 3) % 7) as f32,
                    a + ((i * 5) % 9) as f32 * 0.5,
                ]
            })
            .collect();
        let data = Dataset::from_matrix(values, n, 5)
            .unwrap()
            .with_labels(kratos_data::Labels::from_names(&names).unwrap())
            .unwrap();
        let panel = GenePanel::from_scores(
            "test",
            data.gene_names().to_vec(),
            vec!["A".into()],
            vec![vec![5.0, 4.0, 3.0, 2.0, 1.0]],
            vec![n / 2],
        )
        .unwrap();
        let out = decorrelate(&panel, &data, &RedundancyParams::new().penalty(2.0)).unwrap();
        let r = &out.rankings()[0];
        assert_eq!((r[1], r[3]), (1, 3), "noise genes moved: {r:?}");
        assert_eq!(r[0], 0);
        assert_eq!(
            r[2], 4,
            "the different marker should move ahead of the copy: {r:?}"
        );
        assert_eq!(r[4], 2);
    }
}
