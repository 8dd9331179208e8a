//! The silhouette coefficient of a labelling, euclidean, as scikit-learn's `silhouette_score`.

use rayon::prelude::*;

use super::check_matrix;
use crate::{MetricsError, Result};

/// Euclidean distance of two f32 rows, summed in f64 over four lanes in a fixed order.
fn distance(a: &[f32], b: &[f32]) -> f64 {
    let mut lanes = [0.0f64; 4];
    let (a4, b4) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (a4.remainder(), b4.remainder());
    for (x, y) in a4.zip(b4) {
        for l in 0..4 {
            let d = f64::from(x[l]) - f64::from(y[l]);
            lanes[l] += d * d;
        }
    }
    let tail: f64 = ra
        .iter()
        .zip(rb)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum();
    ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + tail).sqrt()
}

/// Mean silhouette coefficient of `labels` for the row-major points `data` (`n_rows x
/// n_cols`), euclidean distance, as scikit-learn's `silhouette_score`: for each point,
/// (b − a) / max(a, b) with a its mean distance to the rest of its cluster and b the smallest
/// mean distance to another cluster; a point alone in its cluster scores 0. In [−1, 1].
///
/// Errors unless there are 2 to `n_rows − 1` distinct labels, or if a value is not finite.
/// Rows run in parallel; cost O(n_rows² · n_cols).
///
/// ```
/// use kratos_metrics::silhouette_score;
/// let points = [0.0, 0.1, 0.2, 10.0, 10.1, 10.2];
/// let s = silhouette_score(&points, 6, 1, &[0, 0, 0, 1, 1, 1])?;
/// assert!(s > 0.98);
/// # Ok::<(), kratos_metrics::MetricsError>(())
/// ```
pub fn silhouette_score(
    data: &[f32],
    n_rows: usize,
    n_cols: usize,
    labels: &[usize],
) -> Result<f64> {
    check_matrix(data, n_rows, n_cols, Some(labels))?;
    let mut names: Vec<usize> = labels.to_vec();
    names.sort_unstable();
    names.dedup();
    let k = names.len();
    if k < 2 || k >= n_rows {
        return Err(MetricsError::InvalidInput(format!(
            "the silhouette needs 2 to n_cells - 1 = {} distinct labels, got {k}",
            n_rows.saturating_sub(1)
        )));
    }
    let cluster: Vec<usize> = labels
        .iter()
        .map(|l| names.binary_search(l).expect("label among the names"))
        .collect();
    let mut sizes = vec![0f64; k];
    for &c in &cluster {
        sizes[c] += 1.0;
    }
    let row = |i: usize| &data[i * n_cols..(i + 1) * n_cols];
    let per_point: Vec<f64> = (0..n_rows)
        .into_par_iter()
        .map(|i| {
            let own = cluster[i];
            if sizes[own] <= 1.0 {
                return 0.0;
            }
            let mut sums = vec![0f64; k];
            for j in (0..n_rows).filter(|&j| j != i) {
                sums[cluster[j]] += distance(row(i), row(j));
            }
            let a = sums[own] / (sizes[own] - 1.0);
            let b = (0..k)
                .filter(|&c| c != own)
                .map(|c| sums[c] / sizes[c])
                .fold(f64::INFINITY, f64::min);
            let m = a.max(b);
            if m > 0.0 { (b - a) / m } else { 0.0 }
        })
        .collect();
    Ok(per_point.iter().sum::<f64>() / n_rows as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singletons_score_zero_and_bad_inputs_are_errors() {
        // Point 3 is alone in its cluster: it contributes 0 to the mean.
        let points = [0.0, 0.0, 1.0, 5.0];
        let with = silhouette_score(&points, 4, 1, &[0, 0, 0, 1]).unwrap();
        let a = [0.5, 0.5, 1.0];
        let b = [5.0, 5.0, 4.0];
        let expected = (0..3).map(|i| (b[i] - a[i]) / b[i]).sum::<f64>() / 4.0;
        assert!((with - expected).abs() < 1e-12, "{with} vs {expected}");
        assert!(silhouette_score(&points, 4, 1, &[0, 0, 0, 0]).is_err());
        assert!(silhouette_score(&points, 4, 1, &[0, 1, 2, 3]).is_err());
        assert!(silhouette_score(&points, 4, 1, &[0, 1]).is_err());
        assert!(silhouette_score(&[0.0, f32::NAN, 1.0, 2.0], 4, 1, &[0, 0, 1, 1]).is_err());
    }
}
