use burn::module::Module;
use burn::tensor::activation::relu;
use burn::tensor::{Tensor, TensorData};
use kratos_model::{AutodiffBackend, TrainedModel};
use serde::{Deserialize, Serialize};

use super::{CwMode, CwParams};
use crate::gradient::one_hot_rows;
use crate::{CellBatch, ExplainError, Explainer, Result};

/// Carlini–Wagner style explainer: for every cell, the smallest L1 perturbation d that moves the
/// cell out of its class (one-vs-rest) or towards a chosen class (one-vs-one); the attribution of
/// a gene is |d|. All cells of a batch are optimised together, one forward/backward pass per
/// iteration.
///
/// ```
/// use kratos_explain::{CwExplainer, CwParams};
/// let paper = CwExplainer::default(); // λ 100, lr 1e-3, α 0, 500 iterations
/// let quick = CwExplainer::new(CwParams::new().max_iter(100))?;
/// let pairs = CwExplainer::one_vs_one();
/// # Ok::<(), kratos_explain::ExplainError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CwExplainer {
    params: CwParams,
}

impl CwExplainer {
    /// An explainer with checked parameters.
    pub fn new(params: CwParams) -> Result<Self> {
        params.check()?;
        Ok(CwExplainer { params })
    }

    /// The one-vs-one variant with the paper's other defaults.
    pub fn one_vs_one() -> Self {
        CwExplainer {
            params: CwParams::default().mode(CwMode::OneVsOne),
        }
    }

    /// The parameters.
    pub fn params(&self) -> &CwParams {
        &self.params
    }

    /// The perturbations d (signed, `n_cells x n_genes`) found for the batch.
    pub fn perturbations<B: AutodiffBackend>(
        &self,
        model: &TrainedModel<B>,
        batch: &CellBatch<'_>,
    ) -> Result<Vec<f32>> {
        let p = &self.params;
        p.check()?;
        batch.check(model.n_classes())?;
        let versus = match (p.mode, batch.versus) {
            (CwMode::OneVsOne, None) => {
                return Err(ExplainError::InvalidInput(
                    "one-vs-one CW needs a contrast class for every cell".into(),
                ));
            }
            (CwMode::OneVsOne, Some(v)) => Some(v),
            (CwMode::OneVsRest, _) => None,
        };
        let (n, g, k) = (batch.n_cells, batch.n_genes, model.n_classes());
        if n == 0 {
            return Ok(Vec::new());
        }
        let device = model.device();
        // A copy whose weights do not require gradients: only ∂/∂d is needed, and skipping the
        // weight gradients saves a third of every backward pass.
        let network = model.network().clone().no_grad();
        let x = Tensor::<B::InnerBackend, 2>::from_data(
            TensorData::new(batch.values.to_vec(), [n, g]),
            device,
        );
        let own = Tensor::<B, 2>::from_data(
            TensorData::new(one_hot_rows(batch.classes, k), [n, k]),
            device,
        );
        let other = versus.map(|v| {
            Tensor::<B, 2>::from_data(TensorData::new(one_hot_rows(v, k), [n, k]), device)
        });
        let mut d = Tensor::<B::InnerBackend, 2>::full([n, g], p.initial, device);
        for _ in 0..p.max_iter {
            let dv = Tensor::<B, 2>::from_inner(d.clone()).require_grad();
            let input = Tensor::<B, 2>::from_inner(x.clone()) + dv.clone();
            let probabilities = network.probabilities(input);
            let a_own = (probabilities.clone() * own.clone()).sum_dim(1);
            let a_other = match &other {
                Some(mask) => (probabilities * mask.clone()).sum_dim(1),
                // Probabilities lie in [0, 1]: subtracting 2 at the own class excludes it.
                None => (probabilities - own.clone().mul_scalar(2.0)).max_dim(1),
            };
            let hinge = relu((a_own - a_other).add_scalar(p.alpha)).sum();
            let grads = hinge.backward();
            let step = match dv.grad(&grads) {
                Some(grad) => d.clone().sign() + grad.mul_scalar(p.lambda),
                None => d.clone().sign(),
            };
            d = d - step.mul_scalar(p.learning_rate);
        }
        Ok(d.into_data().iter::<f32>().collect())
    }
}

impl<B: AutodiffBackend> Explainer<B> for CwExplainer {
    fn name(&self) -> String {
        match self.params.mode {
            CwMode::OneVsRest => "cw".into(),
            CwMode::OneVsOne => "cw-ovo".into(),
        }
    }

    fn is_one_vs_one(&self) -> bool {
        self.params.mode == CwMode::OneVsOne
    }

    fn attribute(&self, model: &TrainedModel<B>, batch: &CellBatch<'_>) -> Result<Vec<f32>> {
        Ok(self
            .perturbations(model, batch)?
            .into_iter()
            .map(f32::abs)
            .collect())
    }
}
