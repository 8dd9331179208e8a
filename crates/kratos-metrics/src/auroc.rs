use crate::{MetricsError, Result};

/// Average ranks (1-based) of `values`, ties sharing the mean of their ranks.
pub(crate) fn average_ranks(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0f64; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            ranks[o] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// Area under the ROC curve of `scores` for the positive cells (`labels[i] == true`).
///
/// Equals scikit-learn's `roc_auc_score`: its trapezoid over the distinct score thresholds
/// is the Mann–Whitney statistic U/(n₊·n₋), in which a tie between a positive and a negative
/// counts one half; U comes from average ranks. Errors if the lengths differ, only one class
/// is present, or a score is NaN.
///
/// ```
/// use kratos_metrics::auroc;
/// // The tie at 0.5 between a positive and a negative counts one half: (3 + 0.5) / 4.
/// assert_eq!(auroc(&[0.1, 0.5, 0.5, 0.9], &[false, false, true, true])?, 0.875);
/// assert!(auroc(&[0.1, 0.2], &[true, true]).is_err());
/// # Ok::<(), kratos_metrics::MetricsError>(())
/// ```
pub fn auroc(scores: &[f64], labels: &[bool]) -> Result<f64> {
    if scores.len() != labels.len() {
        return Err(MetricsError::InvalidInput(format!(
            "{} scores for {} labels",
            scores.len(),
            labels.len()
        )));
    }
    if let Some(i) = scores.iter().position(|s| s.is_nan()) {
        return Err(MetricsError::InvalidInput(format!("score {i} is NaN")));
    }
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return Err(MetricsError::InvalidInput(
            "AUROC needs both positive and negative cells".into(),
        ));
    }
    let ranks = average_ranks(scores);
    let rank_sum: f64 = ranks
        .iter()
        .zip(labels)
        .filter(|(_, l)| **l)
        .map(|(r, _)| r)
        .sum();
    let (p, n) = (positives as f64, negatives as f64);
    Ok((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_count_half() {
        assert_eq!(auroc(&[1.0, 1.0], &[true, false]).unwrap(), 0.5);
        assert_eq!(auroc(&[0.0, 1.0, 2.0], &[false, true, true]).unwrap(), 1.0);
        assert!(auroc(&[0.0, 1.0], &[true, true]).is_err());
        assert!(auroc(&[f64::NAN, 1.0], &[true, false]).is_err());
    }
}
