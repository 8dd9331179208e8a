use serde::{Deserialize, Serialize};

use super::IntegratedGradients;
use crate::{ExplainError, Result};

/// The reference point Integrated Gradients integrates from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IgBaseline {
    /// All genes at zero (the paper's choice).
    Zero,
    /// Each gene at its mean over the explained cells.
    GeneMean,
}

/// Parameters of [`IntegratedGradients`] (defaults: 20 steps, zero baseline as in the paper);
/// [`IntegratedGradientsParams::check`] names the first bad value or gives the explainer.
///
/// ```
/// use kratos_explain::{IgBaseline, IntegratedGradientsParams};
/// let ig = IntegratedGradientsParams::new().steps(50).baseline(IgBaseline::GeneMean).check()?;
/// assert_eq!(ig.params().steps, 50);
/// assert!(IntegratedGradientsParams::new().steps(0).check().is_err());
/// # Ok::<(), kratos_explain::ExplainError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntegratedGradientsParams {
    /// Steps of the Riemann sum (default 20).
    pub steps: usize,
    /// Baseline (default zero).
    pub baseline: IgBaseline,
}

impl Default for IntegratedGradientsParams {
    fn default() -> Self {
        IntegratedGradientsParams {
            steps: 20,
            baseline: IgBaseline::Zero,
        }
    }
}

impl IntegratedGradientsParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the number of steps.
    pub fn steps(mut self, steps: usize) -> Self {
        self.steps = steps;
        self
    }

    /// Sets the baseline.
    pub fn baseline(mut self, baseline: IgBaseline) -> Self {
        self.baseline = baseline;
        self
    }

    /// Checks every value, naming the first bad one, and gives the explainer.
    pub fn check(&self) -> Result<IntegratedGradients> {
        if self.steps == 0 {
            return Err(ExplainError::invalid("steps", "must be at least 1"));
        }
        Ok(IntegratedGradients::from_checked(*self))
    }
}
