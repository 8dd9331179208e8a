use kratos_model::host::Rows;
use kratos_model::{AutodiffBackend, TrainedModel};
use serde::{Deserialize, Serialize};

use super::{IgBaseline, IntegratedGradientsParams};
use crate::passes::{one_hot_rows, summed_input_gradient};
use crate::{CellBatch, ExplainError, Explainer, Result};

/// Integrated Gradients: (x − x₀) ⊙ mean over k = 1..m of ∂a_c/∂x at x₀ + (k/m)(x − x₀)
/// (right Riemann sum; defaults: m = 20, zero baseline x₀ as in the paper). Build it with
/// [`IntegratedGradientsParams::check`]; `IntegratedGradients::default()` has the defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct IntegratedGradients {
    params: IntegratedGradientsParams,
}

impl IntegratedGradients {
    pub(super) fn from_checked(params: IntegratedGradientsParams) -> Self {
        IntegratedGradients { params }
    }

    /// The parameters.
    pub fn params(&self) -> &IntegratedGradientsParams {
        &self.params
    }
}

impl<B: AutodiffBackend> Explainer<B> for IntegratedGradients {
    fn name(&self) -> String {
        match self.params.baseline {
            IgBaseline::Zero => "ig".into(),
            IgBaseline::GeneMean => "ig-mean".into(),
        }
    }

    fn attribute(&self, model: &TrainedModel<B>, batch: &CellBatch<'_>) -> Result<Vec<f32>> {
        batch.check(model.n_classes())?;
        let upstream = one_hot_rows(batch.classes, model.n_classes());
        let g = batch.n_genes;
        let baseline: Vec<f32> = match self.params.baseline {
            IgBaseline::Zero => vec![0.0; g],
            IgBaseline::GeneMean => batch.mean_or_own().into_owned(),
        };
        let n = batch.n_cells;
        if n == 0 {
            return Ok(Vec::new());
        }
        let difference: Vec<f32> = batch
            .values
            .iter()
            .enumerate()
            .map(|(i, x)| x - baseline[i % g])
            .collect();
        let host = model.host_network();
        let width = host.width();
        // The path x₀ + t(x − x₀) is linear in t, so the first layer's pre-activation along it
        // is x₀·W₁ + b₁ + t·(x − x₀)·W₁: two products for all steps instead of one per step;
        // the steps' gradients are summed in the first layer (`summed_input_gradient`).
        let mut z_baseline = Vec::new();
        host.first_layer_forward(Rows::dense(&baseline, g), &mut z_baseline);
        let mut z_difference = vec![0f32; n * width];
        host.first_layer_product(&difference, n, &mut z_difference);
        let steps = self.params.steps;
        let path = (1..=steps).map(|k| {
            let t = k as f32 / steps as f32;
            z_difference
                .chunks_exact(width)
                .flat_map(|row| row.iter().zip(&z_baseline).map(|(d, b)| d * t + b))
                .collect()
        });
        let gradient_sum = summed_input_gradient(host, n, path, &upstream)
            .ok_or_else(|| ExplainError::invalid("steps", "must be at least 1"))?;
        let m = steps as f32;
        Ok(difference
            .into_iter()
            .zip(gradient_sum)
            .map(|(d, s)| d * s / m)
            .collect())
    }
}
