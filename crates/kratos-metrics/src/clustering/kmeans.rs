//! Seeded k-means through linfa-clustering.

use linfa::prelude::*;
use linfa_clustering::KMeans;
use ndarray::Array2;
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::SeedableRng;

use super::check_matrix;
use crate::{MetricsError, Result};

/// K-means of the row-major points `data` (`n_rows x n_cols`) into `k` clusters with
/// linfa-clustering: k-means++ initialisation, 10 restarts keeping the lowest inertia
/// (scikit-learn's `n_init=10`), at most 300 iterations, tolerance 1e-4, seeded. Returns the
/// cluster (0..k) of every row.
///
/// ```
/// use kratos_metrics::{adjusted_rand_index, kmeans};
/// let points = [0.0, 0.1, 0.2, 10.0, 10.1, 10.2];
/// let clusters = kmeans(&points, 6, 1, 2, 7)?;
/// assert_eq!(adjusted_rand_index(&clusters, &[0, 0, 0, 1, 1, 1])?, 1.0);
/// # Ok::<(), kratos_metrics::MetricsError>(())
/// ```
pub fn kmeans(
    data: &[f32],
    n_rows: usize,
    n_cols: usize,
    k: usize,
    seed: u64,
) -> Result<Vec<usize>> {
    check_matrix(data, n_rows, n_cols, None)?;
    if k == 0 || k > n_rows {
        return Err(MetricsError::invalid(
            "k",
            format!("must lie in 1..={n_rows} (the number of rows), got {k}"),
        ));
    }
    if n_cols == 0 {
        return Err(MetricsError::InvalidInput(
            "k-means needs at least one column".into(),
        ));
    }
    let records = Array2::from_shape_vec(
        (n_rows, n_cols),
        data.iter().map(|&v| f64::from(v)).collect(),
    )
    .map_err(|e| MetricsError::InvalidInput(e.to_string()))?;
    let dataset = DatasetBase::from(records);
    let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
        .n_runs(10)
        .max_n_iterations(300)
        .tolerance(1e-4)
        .fit(&dataset)
        .map_err(|e| MetricsError::Model(format!("k-means: {e}")))?;
    Ok(model.predict(dataset).targets().iter().copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adjusted_rand_index;

    #[test]
    fn finds_separated_blobs_and_repeats_with_the_seed() {
        let data: Vec<f32> = (0..60)
            .flat_map(|i| {
                [
                    (i / 20) as f32 * 10.0 + (i % 5) as f32 * 0.1,
                    (i % 3) as f32 * 0.1,
                ]
            })
            .collect();
        let truth: Vec<usize> = (0..60).map(|i| i / 20).collect();
        let found = kmeans(&data, 60, 2, 3, 1).unwrap();
        assert_eq!(adjusted_rand_index(&truth, &found).unwrap(), 1.0);
        assert_eq!(found, kmeans(&data, 60, 2, 3, 1).unwrap());
        assert!(kmeans(&data, 60, 2, 0, 1).is_err());
        assert!(kmeans(&data, 60, 2, 61, 1).is_err());
        assert!(kmeans(&data, 59, 2, 3, 1).is_err());
    }
}
