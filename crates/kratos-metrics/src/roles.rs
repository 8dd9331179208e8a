//! Ground-truth roles of a simulation's genes among a panel's top genes.

use kratos_data::GeneRole;
use serde::{Deserialize, Serialize};

use crate::{MetricsError, Result};

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

/// For every class's ranking (gene columns, best first), the roles of its top `k` genes
/// (`roles[g]` is the role of gene column `g`). A ranking shorter than `k` counts all its
/// genes. Errors if a ranked gene has no role.
///
/// ```
/// use kratos_data::GeneRole::{Causal, Dependent, Noise};
/// use kratos_metrics::role_counts;
/// let roles = [Causal, Dependent, Noise, Causal];
/// let counts = role_counts(&[vec![3, 2, 0, 1], vec![1, 0, 2, 3]], &roles, 2)?;
/// assert_eq!((counts[0].causal, counts[0].noise), (1, 1));
/// assert_eq!((counts[1].causal, counts[1].dependent), (1, 1));
/// # Ok::<(), kratos_metrics::MetricsError>(())
/// ```
pub fn role_counts(
    rankings: &[Vec<usize>],
    roles: &[GeneRole],
    k: usize,
) -> Result<Vec<RoleCounts>> {
    rankings
        .iter()
        .enumerate()
        .map(|(c, ranking)| {
            let mut counts = RoleCounts::default();
            for &g in ranking.iter().take(k) {
                match roles.get(g) {
                    Some(GeneRole::Causal) => counts.causal += 1,
                    Some(GeneRole::Dependent) => counts.dependent += 1,
                    Some(GeneRole::Noise) => counts.noise += 1,
                    None => {
                        return Err(MetricsError::InvalidInput(format!(
                            "ranking {c}: gene column {g} has no role ({} roles given)",
                            roles.len()
                        )));
                    }
                }
            }
            Ok(counts)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_role_is_named() {
        let e = role_counts(&[vec![0], vec![0, 5]], &[GeneRole::Noise; 3], 2)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("ranking 1") && e.contains("gene column 5"),
            "{e}"
        );
    }

    #[test]
    fn short_ranking_counts_what_it_has() {
        let c = role_counts(&[vec![0, 1]], &[GeneRole::Causal, GeneRole::Noise], 20).unwrap();
        assert_eq!(
            c[0],
            RoleCounts {
                causal: 1,
                dependent: 0,
                noise: 1
            }
        );
    }
}
