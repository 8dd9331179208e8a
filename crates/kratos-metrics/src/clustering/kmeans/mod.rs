//! Seeded k-means as scikit-learn's `KMeans`: greedy k-means++ seeding, Lloyd iterations to
//! convergence, the best of `n_init` runs by inertia.
//!
//! Written by hand rather than taken from linfa-clustering, whose k-means++ draws one candidate
//! per centre (scikit-learn draws 2 + ln k and keeps the best) and stops on its own tolerance:
//! on the 64-d embedding of pbmc68k_reduced it settled in optima 1–4% above scikit-learn's on
//! most seeds, which moved the reported ARI.

mod algorithm;
mod hyperparams;

pub use algorithm::KMeansFit;
pub use hyperparams::{KMeansParams, ValidKMeansParams};

use crate::Result;

/// K-means of the row-major points `data` (`n_rows x n_cols`) into `k` clusters with
/// scikit-learn's defaults (10 runs, at most 300 iterations, tolerance 1e-4), seeded:
/// `KMeansParams::new(k).seed(seed).check()?.fit(..)`.
///
/// ```
/// use kratos_metrics::{adjusted_rand_index, kmeans};
/// let points = [0.0, 0.1, 0.2, 10.0, 10.1, 10.2];
/// let fit = kmeans(&points, 6, 1, 2, 7)?;
/// assert_eq!(adjusted_rand_index(&fit.labels, &[0, 0, 0, 1, 1, 1])?, 1.0);
/// assert!((fit.inertia - 0.04).abs() < 1e-6);
/// # Ok::<(), kratos_metrics::MetricsError>(())
/// ```
pub fn kmeans(
    data: &[f32],
    n_rows: usize,
    n_cols: usize,
    k: usize,
    seed: u64,
) -> Result<KMeansFit> {
    KMeansParams::new(k)
        .seed(seed)
        .check()?
        .fit(data, n_rows, n_cols)
}
