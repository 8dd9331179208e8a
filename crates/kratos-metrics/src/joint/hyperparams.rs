use serde::{Deserialize, Serialize};

use crate::{MetricsError, Result};

/// Parameters of [`crate::evaluate_joint`]: how well N genes together tell every class apart.
///
/// Builder style; [`JointEvaluationParams::check`] turns them into
/// [`ValidJointEvaluationParams`] or names the first bad value.
///
/// Defaults: 3 seeded stratified splits with 30% of each class held out (seeds `seed`,
/// `seed + 1`, …, seed 0), classes under 10 cells left out, a multinomial logistic regression
/// with scikit-learn's default penalty (`C` 1) and a 15-nearest-neighbour classifier, both on
/// the genes standardised with the training cells' mean and standard deviation.
///
/// ```
/// use kratos_metrics::JointEvaluationParams;
/// assert!(JointEvaluationParams::new().splits(5).seed(1).check().is_ok());
/// assert!(JointEvaluationParams::new().neighbours(0).check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JointEvaluationParams {
    /// Train/test splits; the scores are their means.
    pub splits: usize,
    /// Fraction of each class held out for testing in every split.
    pub test_fraction: f64,
    /// Seed of the first split (split `s` uses `seed + s`).
    pub seed: u64,
    /// Classes with fewer cells are left out (and named in the result).
    pub min_cells: usize,
    /// Neighbours of the nearest-neighbour classifier.
    pub neighbours: usize,
    /// Inverse penalty of the logistic regression, as scikit-learn's `C`.
    pub c: f64,
}

impl Default for JointEvaluationParams {
    fn default() -> Self {
        JointEvaluationParams {
            splits: 3,
            test_fraction: 0.3,
            seed: 0,
            min_cells: 10,
            neighbours: 15,
            c: 1.0,
        }
    }
}

impl JointEvaluationParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Train/test splits (at least 1).
    pub fn splits(mut self, splits: usize) -> Self {
        self.splits = splits;
        self
    }

    /// Fraction of each class held out, in (0, 1).
    pub fn test_fraction(mut self, fraction: f64) -> Self {
        self.test_fraction = fraction;
        self
    }

    /// Seed of the first split.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Smallest class kept (at least 2: a class needs a training and a test cell).
    pub fn min_cells(mut self, min_cells: usize) -> Self {
        self.min_cells = min_cells;
        self
    }

    /// Neighbours of the nearest-neighbour classifier (at least 1).
    pub fn neighbours(mut self, k: usize) -> Self {
        self.neighbours = k;
        self
    }

    /// Inverse penalty of the logistic regression (positive).
    pub fn c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }

    /// Checks every value, naming the first bad one.
    pub fn check(&self) -> Result<ValidJointEvaluationParams> {
        if self.splits == 0 {
            return Err(MetricsError::invalid("splits", "must be at least 1, got 0"));
        }
        if !(self.test_fraction > 0.0 && self.test_fraction < 1.0) {
            return Err(MetricsError::invalid(
                "test_fraction",
                format!("must lie in (0, 1), got {}", self.test_fraction),
            ));
        }
        if self.min_cells < 2 {
            return Err(MetricsError::invalid(
                "min_cells",
                format!("must be at least 2, got {}", self.min_cells),
            ));
        }
        if self.neighbours == 0 {
            return Err(MetricsError::invalid(
                "neighbours",
                "must be at least 1, got 0",
            ));
        }
        if !(self.c > 0.0 && self.c.is_finite()) {
            return Err(MetricsError::invalid(
                "c",
                format!("must be positive and finite, got {}", self.c),
            ));
        }
        Ok(ValidJointEvaluationParams(self.clone()))
    }
}

/// [`JointEvaluationParams`] that passed [`JointEvaluationParams::check`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidJointEvaluationParams(JointEvaluationParams);

impl std::ops::Deref for ValidJointEvaluationParams {
    type Target = JointEvaluationParams;

    fn deref(&self) -> &JointEvaluationParams {
        &self.0
    }
}
