//! The plain gradient of the class probability (saliency) and gradient × input.

use kratos_model::{AutodiffBackend, TrainedModel};
use serde::{Deserialize, Serialize};

use crate::passes::{input_gradient, one_hot_rows};
use crate::{CellBatch, Explainer, Result};

/// The plain gradient ∂a_c/∂x of the class probability (saliency map).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Saliency;

impl<B: AutodiffBackend> Explainer<B> for Saliency {
    fn name(&self) -> String {
        "saliency".into()
    }

    fn attribute(&self, model: &TrainedModel<B>, batch: &CellBatch<'_>) -> Result<Vec<f32>> {
        batch.check(model.n_classes())?;
        let upstream = one_hot_rows(batch.classes, model.n_classes());
        Ok(input_gradient(
            model.host_network(),
            batch.values,
            &upstream,
        ))
    }
}

/// Gradient × input: x ⊙ ∂a_c/∂x.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct GradientTimesInput;

impl<B: AutodiffBackend> Explainer<B> for GradientTimesInput {
    fn name(&self) -> String {
        "gradient-x-input".into()
    }

    fn attribute(&self, model: &TrainedModel<B>, batch: &CellBatch<'_>) -> Result<Vec<f32>> {
        batch.check(model.n_classes())?;
        let upstream = one_hot_rows(batch.classes, model.n_classes());
        let mut g = input_gradient(model.host_network(), batch.values, &upstream);
        for (a, x) in g.iter_mut().zip(batch.values) {
            *a *= x;
        }
        Ok(g)
    }
}
