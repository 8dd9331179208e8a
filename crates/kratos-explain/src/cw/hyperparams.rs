use serde::{Deserialize, Serialize};

use crate::{ExplainError, Result};

/// Whether CW moves a cell out of its class towards any other class or towards one chosen class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CwMode {
    /// Hinge α + a_i(x+d) − max_{j≠i} a_j(x+d): the genes that define class i.
    OneVsRest,
    /// Hinge α + a_i(x+d) − a_j(x+d) for the cell's contrast class j: the genes separating i
    /// from j.
    OneVsOne,
}

/// Parameters of [`super::CwExplainer`] (defaults: the paper's); [`CwParams::check`] names
/// the first bad value or gives the explainer.
///
/// Minimise ‖d‖₁ + λ·max(0, α + a_i(x+d) − a_other(x+d)) by
/// d ← d − lr·(sign(d) + λ·∂hinge/∂d), starting from d = `initial` in every gene.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CwParams {
    /// λ, the weight of the hinge against the L1 norm (default 100).
    pub lambda: f32,
    /// Step size (default 1e-3).
    pub learning_rate: f32,
    /// Margin α (default 0).
    pub alpha: f32,
    /// Iterations (default 500; the published code allows 5000).
    pub max_iter: usize,
    /// Starting perturbation in every gene (default 0.001).
    pub initial: f32,
    /// One-vs-rest (default) or one-vs-one.
    pub mode: CwMode,
}

impl Default for CwParams {
    fn default() -> Self {
        CwParams {
            lambda: 100.0,
            learning_rate: 1e-3,
            alpha: 0.0,
            max_iter: 500,
            initial: 1e-3,
            mode: CwMode::OneVsRest,
        }
    }
}

impl CwParams {
    /// The paper's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets λ.
    pub fn lambda(mut self, lambda: f32) -> Self {
        self.lambda = lambda;
        self
    }

    /// Sets the step size.
    pub fn learning_rate(mut self, learning_rate: f32) -> Self {
        self.learning_rate = learning_rate;
        self
    }

    /// Sets the margin α.
    pub fn alpha(mut self, alpha: f32) -> Self {
        self.alpha = alpha;
        self
    }

    /// Sets the number of iterations.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Sets the starting perturbation.
    pub fn initial(mut self, initial: f32) -> Self {
        self.initial = initial;
        self
    }

    /// Sets the mode.
    pub fn mode(mut self, mode: CwMode) -> Self {
        self.mode = mode;
        self
    }

    /// Checks every value, naming the first bad one, and gives the explainer.
    pub fn check(&self) -> Result<super::CwExplainer> {
        let positive = |name: &'static str, v: f32| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(ExplainError::invalid(
                    name,
                    format!("must be a positive number, got {v}"),
                ))
            }
        };
        positive("lambda", self.lambda)?;
        positive("learning_rate", self.learning_rate)?;
        if !self.alpha.is_finite() {
            return Err(ExplainError::invalid("alpha", "must be finite"));
        }
        if !self.initial.is_finite() {
            return Err(ExplainError::invalid("initial", "must be finite"));
        }
        if self.max_iter == 0 {
            return Err(ExplainError::invalid("max_iter", "must be at least 1"));
        }
        Ok(super::CwExplainer::from_checked(*self))
    }
}
