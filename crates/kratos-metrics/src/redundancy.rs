//! Redundancy of a panel and the ground-truth roles of its genes.

use kratos_data::{Dataset, GeneRole};
use serde::{Deserialize, Serialize};

use crate::{MetricsError, Result};

/// Pearson correlation of two columns, or `None` when one is constant.
pub(crate) fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        cov += (x - ma) * (y - mb);
        va += (x - ma).powi(2);
        vb += (y - mb).powi(2);
    }
    (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
}

/// Mean absolute Pearson correlation among the genes `genes` (columns of `data`), over all
/// pairs; pairs with a constant gene are left out (as `numpy.nanmean` does in the reference).
/// `None` when fewer than two genes or no defined pair. Lower means a less redundant panel.
pub fn redundancy(data: &Dataset, genes: &[usize]) -> Result<Option<f64>> {
    if let Some(&g) = genes.iter().find(|&&g| g >= data.n_genes()) {
        return Err(MetricsError::InvalidInput(format!(
            "gene column {g} is out of range for {} genes",
            data.n_genes()
        )));
    }
    let columns: Vec<Vec<f64>> = genes
        .iter()
        .map(|&g| data.column(g).iter().map(|&v| v as f64).collect())
        .collect();
    let (mut sum, mut count) = (0.0, 0usize);
    for i in 0..columns.len() {
        for j in i + 1..columns.len() {
            if let Some(r) = pearson(&columns[i], &columns[j]) {
                sum += r.abs();
                count += 1;
            }
        }
    }
    Ok((count > 0).then(|| sum / count as f64))
}

/// Causal, dependent and noise genes among a class's top-k.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoleCounts {
    /// Causal genes.
    pub causal: usize,
    /// Dependent genes.
    pub dependent: usize,
    /// Noise genes.
    pub noise: usize,
}

/// For every class's ranking (gene columns, best first), the roles among its top `k` genes.
pub fn role_counts(
    rankings: &[Vec<usize>],
    roles: &[GeneRole],
    k: usize,
) -> Result<Vec<RoleCounts>> {
    rankings
        .iter()
        .map(|ranking| {
            let mut counts = RoleCounts::default();
            for &g in ranking.iter().take(k) {
                match roles.get(g) {
                    Some(GeneRole::Causal) => counts.causal += 1,
                    Some(GeneRole::Dependent) => counts.dependent += 1,
                    Some(GeneRole::Noise) => counts.noise += 1,
                    None => {
                        return Err(MetricsError::InvalidInput(format!(
                            "gene column {g} has no role ({} roles given)",
                            roles.len()
                        )));
                    }
                }
            }
            Ok(counts)
        })
        .collect()
}
