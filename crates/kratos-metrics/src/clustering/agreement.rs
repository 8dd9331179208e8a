//! Agreement between two partitions of the same cells, as scikit-learn computes it.
//!
//! Written here rather than taken from a crate: linfa has no ARI/AMI, and the expected
//! mutual information must follow scikit-learn's formula term by term for the numbers to be
//! comparable with the paper's.

use std::collections::HashMap;

use crate::{MetricsError, Result};

/// A contingency table of two labelings: counts (`table[i][j]`), row sums, column sums and
/// the number of cells.
struct Contingency {
    table: Vec<Vec<f64>>,
    rows: Vec<f64>,
    cols: Vec<f64>,
    n: f64,
}

impl Contingency {
    fn new(a: &[usize], b: &[usize]) -> Result<Self> {
        if a.len() != b.len() {
            return Err(MetricsError::InvalidInput(format!(
                "the labelings have {} and {} cells",
                a.len(),
                b.len()
            )));
        }
        if a.is_empty() {
            return Err(MetricsError::InvalidInput("the labelings are empty".into()));
        }
        // Labels numbered in sorted order, as numpy.unique does.
        let index = |labels: &[usize]| {
            let mut sorted = labels.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            sorted
                .into_iter()
                .enumerate()
                .map(|(i, l)| (l, i))
                .collect::<HashMap<usize, usize>>()
        };
        let (ia, ib) = (index(a), index(b));
        let mut table = vec![vec![0f64; ib.len()]; ia.len()];
        for (x, y) in a.iter().zip(b) {
            table[ia[x]][ib[y]] += 1.0;
        }
        let rows = table.iter().map(|r| r.iter().sum()).collect();
        let cols = (0..ib.len())
            .map(|j| table.iter().map(|r| r[j]).sum())
            .collect();
        Ok(Contingency {
            table,
            rows,
            cols,
            n: a.len() as f64,
        })
    }

    /// Mutual information (nats), as scikit-learn's `mutual_info_score`: terms below machine
    /// epsilon dropped, the sum clipped at 0.
    fn mutual_information(&self) -> f64 {
        if self.rows.len() == 1 || self.cols.len() == 1 {
            return 0.0;
        }
        let n = self.n;
        let mut mi = 0.0;
        for (i, r) in self.table.iter().enumerate() {
            for (j, &v) in r.iter().enumerate() {
                if v > 0.0 {
                    let p = v / n;
                    let log_outer = -(self.rows[i] * self.cols[j]).ln() + n.ln() + n.ln();
                    let term = p * (v.ln() - n.ln()) + p * log_outer;
                    if term.abs() >= f64::EPSILON {
                        mi += term;
                    }
                }
            }
        }
        mi.max(0.0)
    }

    /// The expected mutual information of two random labelings with these cluster sizes
    /// (hypergeometric model), term by term as scikit-learn's `expected_mutual_information`,
    /// with log-gamma for the factorials.
    fn expected_mutual_information(&self) -> f64 {
        if self.rows.len() == 1 || self.cols.len() == 1 {
            return 0.0;
        }
        let n = self.n;
        let lgamma = libm::lgamma;
        let max = self
            .rows
            .iter()
            .chain(&self.cols)
            .fold(0f64, |m, &v| m.max(v)) as usize;
        // Index 0 is never used (nij starts at 1); 1 there avoids log(0), as in scikit-learn.
        let nijs: Vec<f64> = (0..=max).map(|v| v.max(1) as f64).collect();
        let term1: Vec<f64> = nijs.iter().map(|v| v / n).collect();
        let log_n_nij: Vec<f64> = nijs.iter().map(|v| n.ln() + v.ln()).collect();
        let gln_n_nij: Vec<f64> = nijs
            .iter()
            .map(|v| lgamma(v + 1.0) + lgamma(n + 1.0))
            .collect();
        let mut emi = 0.0;
        for &a in &self.rows {
            let (log_a, gln_a, gln_na) = (a.ln(), lgamma(a + 1.0), lgamma(n - a + 1.0));
            for &b in &self.cols {
                let (log_b, gln_b, gln_nb) = (b.ln(), lgamma(b + 1.0), lgamma(n - b + 1.0));
                let start = (a - n + b).max(1.0) as usize;
                let end = a.min(b) as usize;
                for nij in start..=end {
                    let v = nij as f64;
                    let term2 = log_n_nij[nij] - log_a - log_b;
                    let gln = gln_a + gln_b + gln_na + gln_nb
                        - gln_n_nij[nij]
                        - lgamma(a - v + 1.0)
                        - lgamma(b - v + 1.0)
                        - lgamma(n - a - b + v + 1.0);
                    emi += term1[nij] * term2 * gln.exp();
                }
            }
        }
        emi
    }

    /// Mean of the two labelings' entropies (nats): the arithmetic normaliser.
    fn arithmetic_mean_entropy(&self) -> f64 {
        let entropy = |counts: &[f64]| -> f64 {
            if counts.len() == 1 {
                return 0.0;
            }
            let ln_n = self.n.ln();
            -counts
                .iter()
                .map(|&c| (c / self.n) * (c.ln() - ln_n))
                .sum::<f64>()
        };
        (entropy(&self.rows) + entropy(&self.cols)) / 2.0
    }

    fn both_single_cluster(&self) -> bool {
        self.rows.len() == 1 && self.cols.len() == 1
    }
}

/// Adjusted Rand index of two labelings of the same cells (scikit-learn's
/// `adjusted_rand_score`, from the pair confusion matrix): 1 for the same partition up to
/// renaming, about 0 for independent ones, at most 1.
///
/// ```
/// use kratos_metrics::adjusted_rand_index;
/// assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[5, 5, 2, 2])?, 1.0);
/// # Ok::<(), kratos_metrics::MetricsError>(())
/// ```
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> Result<f64> {
    let ct = Contingency::new(a, b)?;
    let n = ct.n;
    let sum_squares: f64 = ct.table.iter().flatten().map(|v| v * v).sum();
    let row_squares: f64 = ct.rows.iter().map(|v| v * v).sum();
    let col_squares: f64 = ct.cols.iter().map(|v| v * v).sum();
    let tp = sum_squares - n;
    let fp = col_squares - sum_squares;
    let fneg = row_squares - sum_squares;
    let tn = n * n - fp - fneg - sum_squares;
    if fneg == 0.0 && fp == 0.0 {
        return Ok(1.0);
    }
    Ok(2.0 * (tp * tn - fneg * fp) / ((tp + fneg) * (fneg + tn) + (tp + fp) * (fp + tn)))
}

/// Adjusted mutual information with arithmetic normalisation (scikit-learn's
/// `adjusted_mutual_info_score`, `average_method="arithmetic"`): (MI − E\[MI\]) /
/// (mean(H(a), H(b)) − E\[MI\]). 1 for the same partition, about 0 for independent ones; 1 when
/// both are a single cluster, 0 when only one is.
///
/// ```
/// use kratos_metrics::adjusted_mutual_information;
/// let ami = adjusted_mutual_information(&[0, 0, 1, 1, 2, 2], &[0, 0, 1, 2, 2, 2])?;
/// assert!((ami - 0.5023607027202738).abs() < 1e-12); // scikit-learn's value
/// # Ok::<(), kratos_metrics::MetricsError>(())
/// ```
pub fn adjusted_mutual_information(a: &[usize], b: &[usize]) -> Result<f64> {
    let ct = Contingency::new(a, b)?;
    if ct.both_single_cluster() {
        return Ok(1.0);
    }
    if ct.rows.len() == 1 || ct.cols.len() == 1 {
        return Ok(0.0);
    }
    let mi = ct.mutual_information();
    let emi = ct.expected_mutual_information();
    // As scikit-learn: keep the signs of numerator and denominator, but never divide 0 by 0
    // (the expectation can exceed the maximum in the last bits).
    let away_from_zero = |v: f64| {
        if v < 0.0 {
            v.min(-f64::EPSILON)
        } else {
            v.max(f64::EPSILON)
        }
    };
    let denominator = away_from_zero(ct.arithmetic_mean_entropy() - emi);
    let numerator = away_from_zero(mi - emi);
    Ok(numerator / denominator)
}

/// Normalised mutual information with arithmetic normalisation (scikit-learn's
/// `normalized_mutual_info_score`): MI / mean(H(a), H(b)), in [0, 1].
///
/// ```
/// use kratos_metrics::normalized_mutual_information;
/// assert_eq!(normalized_mutual_information(&[0, 0, 0, 0], &[0, 1, 2, 3])?, 0.0);
/// # Ok::<(), kratos_metrics::MetricsError>(())
/// ```
pub fn normalized_mutual_information(a: &[usize], b: &[usize]) -> Result<f64> {
    let ct = Contingency::new(a, b)?;
    if ct.both_single_cluster() {
        return Ok(1.0);
    }
    let mi = ct.mutual_information();
    if mi == 0.0 {
        return Ok(0.0);
    }
    Ok(mi / ct.arithmetic_mean_entropy())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_partitions_score_one() {
        let a = [0, 0, 1, 1, 2, 2];
        let b = [5, 5, 3, 3, 9, 9];
        assert_eq!(adjusted_rand_index(&a, &b).unwrap(), 1.0);
        assert!((adjusted_mutual_information(&a, &b).unwrap() - 1.0).abs() < 1e-12);
        assert!((normalized_mutual_information(&a, &b).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn single_clusters_follow_scikit_learn() {
        assert_eq!(
            adjusted_mutual_information(&[1, 1, 1], &[4, 4, 4]).unwrap(),
            1.0
        );
        assert_eq!(
            adjusted_mutual_information(&[1, 1, 1], &[0, 1, 2]).unwrap(),
            0.0
        );
        assert_eq!(
            normalized_mutual_information(&[1, 1, 1], &[4, 4, 4]).unwrap(),
            1.0
        );
        assert_eq!(adjusted_rand_index(&[1, 1, 1], &[4, 4, 4]).unwrap(), 1.0);
    }

    #[test]
    fn mismatched_or_empty_labelings_are_errors() {
        assert!(adjusted_rand_index(&[0, 1], &[0]).is_err());
        assert!(adjusted_mutual_information(&[], &[]).is_err());
        assert!(normalized_mutual_information(&[0], &[0, 1]).is_err());
    }
}
