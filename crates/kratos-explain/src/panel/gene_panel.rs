use serde::{Deserialize, Serialize};

use kratos_data::Dataset;

use super::direction::Attached;
use crate::{ExplainError, Result};

/// The marker panel of every class: genes ranked by their score for the class, best first.
///
/// Ties are broken by column position (the earlier gene first), never by name. A class whose
/// scores are degenerate (no cell explained, non-finite scores, or the top 20 not above the
/// median score — e.g. a saturated network whose perturbations never moved) is flagged by
/// [`GenePanel::degenerate_classes`].
///
/// What a gene's score is depends on the method that made the panel (higher is better
/// throughout; attributions are averaged over the explained cells of the class — correctly
/// classified ones, at most 2,000 per class by default — in the models' min-max units):
///
/// | method | score |
/// |---|---|
/// | `kratos` (the default panel) | the rank product of the ensemble's CW attribution and the class's change in mean expression, divided by the class's best: 1 for the best gene, in (0, 1] for every gene the models saw (0 for genes outside a gene screen). The redundancy re-ordering of the top genes moves genes without changing their scores, so within the top 40 the scores need not fall strictly. |
/// | `cw`, `paper` | mean \|δ\| of the Carlini–Wagner perturbation (`paper`: the published method's own model, values as given) |
/// | `cw-ovo` | mean \|δ\| of the one-vs-one perturbation of the cells of the first class of the pair |
/// | `smoothgrad`, `ig`, `saliency`, `gradient-x-input` | mean \|attribution\|: of the gradient averaged over noisy copies, of the integrated gradient, of the gradient, of gradient × input |
/// | `wilcoxon` | the rank-sum z statistic of the class against the rest (positive: higher in the class; scanpy's `scores`) |
/// | `t-test` | Welch's t statistic of the class against the rest (scanpy's `t-test` `scores`) |
///
/// A panel may carry [`crate::GeneStatistics`] ([`GenePanel::with_statistics`]): each gene's
/// direction, fold change and fractions of expressing cells, written beside the score in the
/// panel file. The listing order can put one direction first ([`GenePanel::listing`]); the
/// order, not the score, is then what the panel ranks by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenePanel {
    pub(super) method: String,
    pub(super) gene_names: Vec<String>,
    pub(super) class_names: Vec<String>,
    pub(super) scores: Vec<Vec<f32>>,
    pub(super) rankings: Vec<Vec<usize>>,
    pub(super) cells_used: Vec<usize>,
    /// Not in the panel's JSON: the statistics are the data's, shared by every panel of a run.
    #[serde(skip)]
    pub(super) statistics: Option<Attached>,
}

/// Gene indices sorted by score, highest first; ties (and NaN, ranked last) by column position.
fn rank_by_score(scores: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    let key = |v: f32| if v.is_nan() { f32::NEG_INFINITY } else { v };
    order.sort_by(|&a, &b| key(scores[b]).total_cmp(&key(scores[a])).then(a.cmp(&b)));
    order
}

impl GenePanel {
    /// Builds a panel from per-class, per-gene scores (`scores[class][gene]`), ranking every
    /// class's genes. `cells_used[class]` is how many cells the scores come from.
    pub fn from_scores(
        method: impl Into<String>,
        gene_names: Vec<String>,
        class_names: Vec<String>,
        scores: Vec<Vec<f32>>,
        cells_used: Vec<usize>,
    ) -> Result<Self> {
        if scores.len() != class_names.len() || cells_used.len() != class_names.len() {
            return Err(ExplainError::InvalidInput(format!(
                "{} score rows and {} cell counts for {} classes",
                scores.len(),
                cells_used.len(),
                class_names.len()
            )));
        }
        if let Some(c) = scores.iter().position(|s| s.len() != gene_names.len()) {
            return Err(ExplainError::InvalidInput(format!(
                "class `{}` has {} scores for {} genes",
                class_names[c],
                scores[c].len(),
                gene_names.len()
            )));
        }
        let rankings = scores.iter().map(|s| rank_by_score(s)).collect();
        Ok(GenePanel {
            method: method.into(),
            gene_names,
            class_names,
            scores,
            rankings,
            cells_used,
            statistics: None,
        })
    }

    /// The method that produced the panel (`cw`, `smoothgrad`, `wilcoxon`, ...).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The same genes, classes, method, cells and statistics with new per-class `scores`
    /// (re-ranked).
    pub fn with_scores(&self, scores: Vec<Vec<f32>>) -> Result<Self> {
        let mut panel = GenePanel::from_scores(
            self.method.clone(),
            self.gene_names.clone(),
            self.class_names.clone(),
            scores,
            self.cells_used.clone(),
        )?;
        panel.statistics = self.statistics.clone();
        Ok(panel)
    }

    /// The same panel with new per-class `scores` (`scores[class][gene]`) and its rankings
    /// kept as they are: for an order that is not the scores' own (a re-ordering of the top
    /// genes that keeps each gene's score).
    pub(crate) fn rescored(&self, scores: Vec<Vec<f32>>) -> Result<Self> {
        if scores.len() != self.n_classes()
            || scores.iter().any(|s| s.len() != self.gene_names.len())
        {
            return Err(ExplainError::InvalidInput(format!(
                "new scores for {} classes do not fit a panel of {} classes and {} genes",
                scores.len(),
                self.n_classes(),
                self.gene_names.len()
            )));
        }
        let mut panel = self.clone();
        panel.scores = scores;
        Ok(panel)
    }

    /// This panel of the genes `kept` (column indices of `all_genes`, one per gene of this
    /// panel, in its gene order) as a panel of every gene of `all_genes`: the kept genes keep
    /// their scores and order, then each class's other genes follow with score 0, in the order
    /// of `order`'s ranking of that class (a panel of `all_genes` with the same classes).
    /// Attached statistics stay when they know every gene of `all_genes`.
    pub fn extended(
        &self,
        all_genes: &[String],
        kept: &[usize],
        order: &GenePanel,
    ) -> Result<GenePanel> {
        if kept.len() != self.gene_names.len() || kept.iter().any(|&j| j >= all_genes.len()) {
            return Err(ExplainError::InvalidInput(format!(
                "{} kept genes for a panel of {} genes among {}",
                kept.len(),
                self.gene_names.len(),
                all_genes.len()
            )));
        }
        if order.gene_names() != all_genes || order.class_names() != self.class_names() {
            return Err(ExplainError::InvalidInput(
                "the order of the other genes must rank every gene for the panel's classes".into(),
            ));
        }
        let mut is_kept = vec![false; all_genes.len()];
        kept.iter().for_each(|&j| is_kept[j] = true);
        let mut scores = Vec::with_capacity(self.n_classes());
        let mut rankings = Vec::with_capacity(self.n_classes());
        for c in 0..self.n_classes() {
            let mut s = vec![0f32; all_genes.len()];
            for (&j, &v) in kept.iter().zip(&self.scores[c]) {
                s[j] = v;
            }
            let mut ranking: Vec<usize> = self.rankings[c].iter().map(|&g| kept[g]).collect();
            ranking.extend(order.ranking(c).iter().copied().filter(|&j| !is_kept[j]));
            scores.push(s);
            rankings.push(ranking);
        }
        let statistics = self
            .statistics
            .as_ref()
            .and_then(|a| Attached::new(a.statistics().clone(), all_genes, &self.class_names).ok());
        Ok(GenePanel {
            method: self.method.clone(),
            gene_names: all_genes.to_vec(),
            class_names: self.class_names.clone(),
            scores,
            rankings,
            cells_used: self.cells_used.clone(),
            statistics,
        })
    }

    /// Renames the method (e.g. `kratos` for the default panel).
    pub fn with_method(mut self, method: impl Into<String>) -> Self {
        self.method = method.into();
        self
    }

    /// All genes the panel knows, in the data's column order.
    pub fn gene_names(&self) -> &[String] {
        &self.gene_names
    }

    /// The classes, in the model's order.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.class_names.len()
    }

    /// Score of every gene (column order) for class `class`.
    pub fn scores(&self, class: usize) -> &[f32] {
        &self.scores[class]
    }

    /// Gene indices of class `class`, best first.
    pub fn ranking(&self, class: usize) -> &[usize] {
        &self.rankings[class]
    }

    /// Every class's ranking (gene indices, best first), e.g. for `kratos-metrics`.
    pub fn rankings(&self) -> &[Vec<usize>] {
        &self.rankings
    }

    /// The indices of the `k` best genes of class `class` (fewer if the panel lists fewer).
    pub fn top_indices(&self, class: usize, k: usize) -> &[usize] {
        let r = &self.rankings[class];
        &r[..k.min(r.len())]
    }

    /// The names of the `k` best genes of class `class`.
    pub fn top_genes(&self, class: usize, k: usize) -> Vec<&str> {
        self.top_indices(class, k)
            .iter()
            .map(|&g| self.gene_names[g].as_str())
            .collect()
    }

    /// How many cells each class's scores come from.
    pub fn cells_used(&self) -> &[usize] {
        &self.cells_used
    }

    /// Whether class `class`'s scores are degenerate: no cell explained, a non-finite or
    /// constant score, or the 20th best score of the ranked genes (the top quarter's lowest
    /// for fewer than 80 genes) not above the median score. The scores are read in their own
    /// order, not the listing's: a listing that puts one direction first
    /// ([`GenePanel::listing`]) or a re-ordering of the top genes changes nothing here.
    pub fn is_degenerate(&self, class: usize) -> bool {
        let s = &self.scores[class];
        if self.cells_used[class] == 0 || s.is_empty() || s.iter().any(|v| !v.is_finite()) {
            return true;
        }
        let ranking = &self.rankings[class];
        if ranking.len() < 2 {
            return false;
        }
        let mut sorted: Vec<f32> = s.clone();
        sorted.sort_by(f32::total_cmp);
        let median = sorted[sorted.len() / 2];
        // "Top 20" for real panels; on tiny gene sets the top quarter.
        let k = ranking.len().div_ceil(4).clamp(1, 20);
        let mut ranked: Vec<f32> = ranking.iter().map(|&g| s[g]).collect();
        ranked.sort_by(|a, b| b.total_cmp(a));
        let kth = ranked[k - 1];
        sorted[0] == sorted[sorted.len() - 1] || kth <= median
    }

    /// The classes whose scores are degenerate (see [`GenePanel::is_degenerate`]).
    pub fn degenerate_classes(&self) -> Vec<usize> {
        (0..self.n_classes())
            .filter(|&c| self.is_degenerate(c))
            .collect()
    }

    /// Every class's ranking as column indices of `data`, matched by gene name. Genes of the
    /// panel that `data` lacks are an error naming the first one.
    pub fn rankings_for(&self, data: &Dataset) -> Result<Vec<Vec<usize>>> {
        let index: std::collections::HashMap<&str, usize> = data
            .gene_names()
            .iter()
            .enumerate()
            .map(|(i, g)| (g.as_str(), i))
            .collect();
        let column: Vec<Option<usize>> = self
            .gene_names
            .iter()
            .map(|g| index.get(g.as_str()).copied())
            .collect();
        self.rankings
            .iter()
            .map(|r| {
                r.iter()
                    .map(|&g| {
                        column[g].ok_or_else(|| {
                            ExplainError::InvalidInput(format!(
                                "the panel's gene `{}` is not in the data",
                                self.gene_names[g]
                            ))
                        })
                    })
                    .collect()
            })
            .collect()
    }
}

/// A small panel for the module's tests: genes a, b, c; class X ranks c first, Y is all zeros.
#[cfg(test)]
pub(super) fn example_panel() -> GenePanel {
    GenePanel::from_scores(
        "test",
        vec!["a".into(), "b".into(), "c".into()],
        vec!["X".into(), "Y".into()],
        vec![vec![0.5, 0.5, 0.9], vec![0.0, 0.0, 0.0]],
        vec![3, 0],
    )
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_fall_back_to_column_position() {
        let p = example_panel();
        assert_eq!(p.ranking(0), &[2, 0, 1]);
        assert_eq!(p.top_genes(0, 2), ["c", "a"]);
        assert_eq!(rank_by_score(&[1.0, f32::NAN, 2.0, 1.0]), vec![2, 0, 3, 1]);
    }

    #[test]
    fn degenerate_classes_are_flagged() {
        let p = example_panel();
        assert_eq!(p.degenerate_classes(), vec![1]);
        // 30 genes whose top 20 do not rise above the median: flagged.
        let flat: Vec<f32> = (0..30).map(|i| if i < 5 { 1.0 } else { 0.1 }).collect();
        let names: Vec<String> = (0..30).map(|i| format!("g{i}")).collect();
        let q = GenePanel::from_scores("t", names, vec!["X".into()], vec![flat], vec![4]).unwrap();
        assert!(q.is_degenerate(0));
    }
}
