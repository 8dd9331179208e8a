use serde::{Deserialize, Serialize};

use super::SmoothGrad;
use crate::{ExplainError, Result};

/// Parameters of [`SmoothGrad`] (defaults: 20 noisy copies, σ = 0.2 × each gene's standard
/// deviation); [`SmoothGradParams::check`] names the first bad value or gives the explainer.
///
/// ```
/// use kratos_explain::{SmoothGrad, SmoothGradParams};
/// let smooth: SmoothGrad = SmoothGradParams::new().samples(50).noise_level(0.1).check()?;
/// assert_eq!(smooth.params().samples, 50);
/// assert!(SmoothGradParams::new().samples(0).check().is_err());
/// # Ok::<(), kratos_explain::ExplainError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SmoothGradParams {
    /// Noisy copies per cell (default 20).
    pub samples: usize,
    /// Noise standard deviation as a fraction of each gene's standard deviation (default 0.2).
    pub noise_level: f32,
}

impl Default for SmoothGradParams {
    fn default() -> Self {
        SmoothGradParams {
            samples: 20,
            noise_level: 0.2,
        }
    }
}

impl SmoothGradParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the number of noisy copies.
    pub fn samples(mut self, samples: usize) -> Self {
        self.samples = samples;
        self
    }

    /// Sets σ as a fraction of each gene's standard deviation.
    pub fn noise_level(mut self, noise_level: f32) -> Self {
        self.noise_level = noise_level;
        self
    }

    /// Checks every value, naming the first bad one, and gives the explainer.
    pub fn check(&self) -> Result<SmoothGrad> {
        if self.samples == 0 {
            return Err(ExplainError::invalid("samples", "must be at least 1"));
        }
        if !(self.noise_level.is_finite() && self.noise_level >= 0.0) {
            return Err(ExplainError::invalid(
                "noise_level",
                format!("must be a non-negative number, got {}", self.noise_level),
            ));
        }
        Ok(SmoothGrad::from_checked(*self))
    }
}
