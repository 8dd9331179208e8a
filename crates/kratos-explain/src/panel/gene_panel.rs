use serde::{Deserialize, Serialize};

use kratos_data::Dataset;

use crate::{ExplainError, Result};

/// The marker panel of every class: genes ranked by their score for the class, best first.
///
/// Ties are broken by column position (the earlier gene first), never by name. A class whose
/// scores are degenerate (no cell explained, non-finite scores, or the top 20 not above the
/// median score — e.g. a saturated network whose perturbations never moved) is flagged by
/// [`GenePanel::degenerate_classes`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenePanel {
    pub(super) method: String,
    pub(super) gene_names: Vec<String>,
    pub(super) class_names: Vec<String>,
    pub(super) scores: Vec<Vec<f32>>,
    pub(super) rankings: Vec<Vec<usize>>,
    pub(super) cells_used: Vec<usize>,
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
        })
    }

    /// The method that produced the panel (`cw`, `smoothgrad`, `wilcoxon`, ...).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The same genes, classes, method and cells with new per-class `scores` (re-ranked).
    pub fn with_scores(&self, scores: Vec<Vec<f32>>) -> Result<Self> {
        GenePanel::from_scores(
            self.method.clone(),
            self.gene_names.clone(),
            self.class_names.clone(),
            scores,
            self.cells_used.clone(),
        )
    }

    /// This panel of the genes `kept` (column indices of `all_genes`, one per gene of this
    /// panel, in its gene order) as a panel of every gene of `all_genes`: the kept genes keep
    /// their scores and order, then each class's other genes follow with score 0, in the order
    /// of `order`'s ranking of that class (a panel of `all_genes` with the same classes).
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
        Ok(GenePanel {
            method: self.method.clone(),
            gene_names: all_genes.to_vec(),
            class_names: self.class_names.clone(),
            scores,
            rankings,
            cells_used: self.cells_used.clone(),
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
    /// constant score, or the score at rank 20 (the top quarter for fewer than 80 genes) not
    /// above the median score.
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
        let kth = s[ranking[k - 1]];
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
