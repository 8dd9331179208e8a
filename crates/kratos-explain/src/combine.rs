//! Combining per-class panels of the same genes and classes: the mean of normalised scores
//! (an ensemble's members) and the rank product (scores of different kinds).

use crate::{ExplainError, GenePanel, Result};

pub(crate) fn check_same_layout(panels: &[&GenePanel]) -> Result<()> {
    let first = panels
        .first()
        .ok_or_else(|| ExplainError::InvalidInput("no panels to combine".into()))?;
    for p in &panels[1..] {
        if p.gene_names() != first.gene_names() || p.class_names() != first.class_names() {
            return Err(ExplainError::InvalidInput(format!(
                "panels `{}` and `{}` do not have the same genes and classes in the same order",
                first.method(),
                p.method()
            )));
        }
    }
    Ok(())
}

/// Averages panels of the same genes and classes (e.g. one per ensemble member) after
/// normalising each panel's scores to sum 1 within each class, so that no model weighs more
/// because its scores are larger. A class whose scores sum to 0 contributes zeros. The
/// result's method is the first panel's and its `cells_used` the smallest over panels.
pub fn mean_normalised(panels: &[GenePanel]) -> Result<GenePanel> {
    let refs: Vec<&GenePanel> = panels.iter().collect();
    check_same_layout(&refs)?;
    let first = &panels[0];
    let (k, g) = (first.n_classes(), first.gene_names().len());
    let mut scores = vec![vec![0f64; g]; k];
    for p in panels {
        for (c, acc) in scores.iter_mut().enumerate() {
            let s = p.scores(c);
            let total: f64 = s.iter().map(|&v| v as f64).sum();
            if total > 0.0 && total.is_finite() {
                for (a, &v) in acc.iter_mut().zip(s) {
                    *a += v as f64 / total;
                }
            }
        }
    }
    let n = panels.len() as f64;
    let cells_used = (0..k)
        .map(|c| panels.iter().map(|p| p.cells_used()[c]).min().unwrap_or(0))
        .collect();
    GenePanel::from_scores(
        first.method(),
        first.gene_names().to_vec(),
        first.class_names().to_vec(),
        scores
            .into_iter()
            .map(|s| s.into_iter().map(|v| (v / n) as f32).collect())
            .collect(),
        cells_used,
    )
}

/// Ranks (1 = highest score) with ties given their average rank; NaN ranks last.
fn average_ranks(scores: &[f32]) -> Vec<f64> {
    let key = |v: f32| if v.is_nan() { f32::NEG_INFINITY } else { v };
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| key(scores[b]).total_cmp(&key(scores[a])));
    let mut ranks = vec![0f64; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && key(scores[order[j + 1]]) == key(scores[order[i]]) {
            j += 1;
        }
        let average = (i + j) as f64 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            ranks[o] = average;
        }
        i = j + 1;
    }
    ranks
}

/// The rank product of panels of the same genes and classes: per class, each gene's score is
/// 1 / (geometric mean of its ranks in the panels), ranks from 1 (best) with ties averaged.
/// Named `rank-product`; `cells_used` is the smallest over panels.
///
/// ```
/// use kratos_explain::{GenePanel, rank_product};
/// let genes: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
/// let x = GenePanel::from_scores("x", genes.clone(), vec!["T".into()], vec![vec![3.0, 2.0, 1.0]], vec![5])?;
/// let y = GenePanel::from_scores("y", genes, vec!["T".into()], vec![vec![1.0, 3.0, 2.0]], vec![5])?;
/// let both = rank_product(&[&x, &y])?;
/// assert_eq!(both.top_genes(0, 1), ["b"]); // ranks 2 and 1 beat 1 and 3
/// # Ok::<(), kratos_explain::ExplainError>(())
/// ```
pub fn rank_product(panels: &[&GenePanel]) -> Result<GenePanel> {
    check_same_layout(panels)?;
    let first = panels[0];
    let k = first.n_classes();
    let n = panels.len() as f64;
    let scores = (0..k)
        .map(|c| {
            let ranks: Vec<Vec<f64>> = panels.iter().map(|p| average_ranks(p.scores(c))).collect();
            (0..first.gene_names().len())
                .map(|j| {
                    let log_mean = ranks.iter().map(|r| r[j].ln()).sum::<f64>() / n;
                    (-log_mean).exp() as f32
                })
                .collect()
        })
        .collect();
    let cells_used = (0..k)
        .map(|c| panels.iter().map(|p| p.cells_used()[c]).min().unwrap_or(0))
        .collect();
    GenePanel::from_scores(
        "rank-product",
        first.gene_names().to_vec(),
        first.class_names().to_vec(),
        scores,
        cells_used,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            average_ranks(&[0.5, 0.9, 0.5, 0.1]),
            vec![2.5, 1.0, 2.5, 4.0]
        );
        assert_eq!(average_ranks(&[1.0, f32::NAN]), vec![1.0, 2.0]);
    }

    #[test]
    fn mean_normalised_weighs_models_equally() {
        let genes = names(&["a", "b", "c"]);
        let x = GenePanel::from_scores(
            "cw",
            genes.clone(),
            names(&["T"]),
            vec![vec![100.0, 0.0, 100.0]],
            vec![4],
        )
        .unwrap();
        let y = GenePanel::from_scores(
            "cw",
            genes,
            names(&["T"]),
            vec![vec![0.0, 0.2, 0.2]],
            vec![3],
        )
        .unwrap();
        let m = mean_normalised(&[x, y]).unwrap();
        let s = m.scores(0);
        assert!((s[0] - 0.25).abs() < 1e-6 && (s[1] - 0.25).abs() < 1e-6);
        assert!((s[2] - 0.5).abs() < 1e-6);
        assert_eq!(m.cells_used(), &[3]);
        assert_eq!(m.top_genes(0, 1), ["c"]);
    }
}
