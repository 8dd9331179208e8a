use serde::{Deserialize, Serialize};

use crate::{MetricsError, Result};

/// Parameters of k-means; the defaults are scikit-learn's `KMeans` (`n_init=10`,
/// `max_iter=300`, `tol=1e-4`). [`KMeansParams::check`] names the first bad value or gives the
/// [`ValidKMeansParams`] that fit.
///
/// ```
/// use kratos_metrics::KMeansParams;
/// let params = KMeansParams::new(3).n_init(4).seed(1).check()?;
/// let fit = params.fit(&[0.0, 0.1, 5.0, 5.1, 9.0, 9.1], 6, 1)?;
/// assert_eq!(fit.labels[0], fit.labels[1]);
/// assert!(KMeansParams::new(0).check().is_err());
/// # Ok::<(), kratos_metrics::MetricsError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeansParams {
    /// Clusters (K).
    pub n_clusters: usize,
    /// Runs from different seeds; the one with the lowest inertia is kept.
    pub n_init: usize,
    /// Lloyd iterations per run at most.
    pub max_iter: usize,
    /// A run has converged when the squared shift of all centres in one iteration is at most
    /// `tol` times the mean variance of the columns (scikit-learn's relative tolerance), or
    /// when no point changes cluster.
    pub tol: f64,
    /// Seed of the k-means++ draws.
    pub seed: u64,
}

impl KMeansParams {
    /// K clusters with scikit-learn's defaults and seed 0.
    pub fn new(n_clusters: usize) -> Self {
        KMeansParams {
            n_clusters,
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
        }
    }

    /// Sets the number of runs.
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// Sets the iterations per run.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Sets the relative tolerance.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks every value, naming the first bad one.
    pub fn check(&self) -> Result<ValidKMeansParams> {
        if self.n_clusters == 0 {
            return Err(MetricsError::invalid("n_clusters", "must be at least 1"));
        }
        if self.n_init == 0 {
            return Err(MetricsError::invalid("n_init", "must be at least 1"));
        }
        if self.max_iter == 0 {
            return Err(MetricsError::invalid("max_iter", "must be at least 1"));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(MetricsError::invalid(
                "tol",
                format!("must be a non-negative number, got {}", self.tol),
            ));
        }
        Ok(ValidKMeansParams(self.clone()))
    }
}

/// Checked [`KMeansParams`]: call [`ValidKMeansParams::fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidKMeansParams(pub(super) KMeansParams);

impl std::ops::Deref for ValidKMeansParams {
    type Target = KMeansParams;

    fn deref(&self) -> &KMeansParams {
        &self.0
    }
}
