use burn::tensor::{Int, Tensor, TensorData};
use kratos_model::{AutodiffBackend, TrainedModel, tensor_values};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{CwMode, CwParams};
use crate::{CellBatch, ExplainError, Explainer, Result};

/// Carlini–Wagner style explainer: for every cell, the smallest L1 perturbation d that moves the
/// cell out of its class (one-vs-rest) or towards a chosen class (one-vs-one); the attribution of
/// a gene is |d|. All cells of a batch are optimised together: one forward pass per iteration,
/// and a backward pass only for the cells whose hinge is still positive (a cell that has left
/// its class only shrinks its perturbation), so the cost falls as cells leave their class.
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
        // The network on the plain backend: the loop needs only ∂/∂d, which
        // `Classifier::input_gradient` computes without an autodiff graph.
        let network = model.inference_network();
        let x = batch.values;
        // d and x + d live in host memory: the update of every entry is one fused loop instead
        // of four whole-matrix tensor operations.
        let mut d = vec![p.initial; n * g];
        let mut input: Vec<f32> = x.iter().map(|v| v + p.initial).collect();
        let mut upstream = Vec::with_capacity(n * k);
        let mut active: Vec<i64> = Vec::with_capacity(n);
        let mut gradient_row = vec![usize::MAX; n];
        for _ in 0..p.max_iter {
            let pass = network.forward_pass(Tensor::<B::InnerBackend, 2>::from_data(
                TensorData::new(std::mem::take(&mut input), [n, g]),
                device,
            ));
            let probabilities = tensor_values(pass.probabilities.clone());
            // The hinge max(a_own − a_other + α, 0) of every cell; only cells where it is
            // positive (still in their class, or within α of leaving it) have a gradient, so
            // only they go through the backward pass — a cell that has left its class costs a
            // forward pass and the L1 step.
            upstream.clear();
            active.clear();
            for (i, row) in probabilities.chunks_exact(k).enumerate() {
                let own = batch.classes[i];
                let other = match versus {
                    Some(v) => v[i],
                    // The most probable other class (the first on ties).
                    None => (0..k)
                        .filter(|&c| c != own)
                        .fold(None, |best: Option<usize>, c| match best {
                            Some(b) if row[b] >= row[c] => Some(b),
                            _ => Some(c),
                        })
                        .unwrap_or(own),
                };
                gradient_row[i] = usize::MAX;
                if other != own && row[own] - row[other] + p.alpha > 0.0 {
                    gradient_row[i] = active.len();
                    active.push(i as i64);
                    upstream.extend((0..k).map(|c| {
                        if c == own {
                            1.0
                        } else if c == other {
                            -1.0
                        } else {
                            0.0
                        }
                    }));
                }
            }
            let gradient: Vec<f32> = if active.is_empty() {
                Vec::new()
            } else {
                let m = active.len();
                let rows = Tensor::<B::InnerBackend, 1, Int>::from_data(
                    TensorData::new(active.clone(), [m]),
                    device,
                );
                tensor_values(network.input_gradient(
                    &pass,
                    Tensor::from_data(TensorData::new(upstream.clone(), [m, k]), device),
                    Some(&rows),
                ))
            };
            // d ← d − lr (sign d + λ ∂hinge/∂d), and the next input x + d.
            input = vec![0.0; n * g];
            d.par_chunks_mut(g)
                .zip(input.par_chunks_mut(g))
                .zip(x.par_chunks(g))
                .zip(gradient_row.par_iter())
                .for_each(|(((d, input), x), &r)| {
                    let grad = (r != usize::MAX).then(|| &gradient[r * g..(r + 1) * g]);
                    for j in 0..g {
                        let sign = if d[j] > 0.0 {
                            1.0
                        } else if d[j] < 0.0 {
                            -1.0
                        } else {
                            0.0
                        };
                        let step = match grad {
                            Some(grad) => sign + p.lambda * grad[j],
                            None => sign,
                        };
                        d[j] -= p.learning_rate * step;
                        input[j] = x[j] + d[j];
                    }
                });
        }
        Ok(d)
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
