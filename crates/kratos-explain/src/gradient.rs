//! Gradient-based explainers: saliency, gradient × input, SmoothGrad and Integrated Gradients.

use burn::tensor::{Tensor, TensorData};
use kratos_model::{AutodiffBackend, Backend, Classifier, TrainedModel, tensor_values};
use linfa_linalg::cholesky::Cholesky;
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{CellBatch, ExplainError, Explainer, Result};

/// One-hot rows (`n x k`) with a 1 at `classes[i]`.
pub(crate) fn one_hot_rows(classes: &[usize], k: usize) -> Vec<f32> {
    let mut y = vec![0f32; classes.len() * k];
    for (i, &c) in classes.iter().enumerate() {
        y[i * k + c] = 1.0;
    }
    y
}

/// ∂a_c(x)/∂x for every cell of a batch, where c is the cell's class and a the softmax output:
/// one forward and one backward pass over the whole batch, on the plain backend
/// ([`kratos_model::Classifier::input_gradient`], no autodiff graph).
pub(crate) fn class_gradient<B: AutodiffBackend>(
    model: &TrainedModel<B>,
    inputs: Vec<f32>,
    n_cells: usize,
    n_genes: usize,
    one_hot: &Tensor<B::InnerBackend, 2>,
) -> Vec<f32> {
    let device = model.device();
    let network = model.inference_network();
    let x = Tensor::<B::InnerBackend, 2>::from_data(
        TensorData::new(inputs, [n_cells, n_genes]),
        device,
    );
    let pass = network.forward_pass(x);
    tensor_values(network.input_gradient(&pass, one_hot.clone(), None))
}

/// Σₚ ∂a_c/∂x at the inputs whose first-layer pre-activations are `preactivations` (one
/// `[cells, width]` tensor per pass): the passes' first-layer gradients are summed and
/// multiplied by W₁ᵀ once — the input gradient is linear in them (see
/// `Classifier::first_layer_gradient`) — so the passes cost no `cells x genes` product on the
/// way back. `None` when there are no passes.
fn summed_input_gradient<Bk: Backend>(
    network: &Classifier<Bk>,
    preactivations: impl Iterator<Item = Tensor<Bk, 2>>,
    one_hot: &Tensor<Bk, 2>,
) -> Option<Tensor<Bk, 2>> {
    let sum = preactivations
        .map(|z| {
            let pass = network.forward_from_first_layer(z);
            network.first_layer_gradient(&pass, one_hot.clone(), None)
        })
        .reduce(|a, b| a + b)?;
    Some(sum.matmul(network.first_layer().weight.val().transpose()))
}

fn one_hot_tensor<B: AutodiffBackend>(
    model: &TrainedModel<B>,
    classes: &[usize],
) -> Tensor<B::InnerBackend, 2> {
    let k = model.n_classes();
    Tensor::from_data(
        TensorData::new(one_hot_rows(classes, k), [classes.len(), k]),
        model.device(),
    )
}

/// A matrix M such that z·M, with z a row of independent standard normals, has the
/// distribution of the first-layer noise (σ⊙ε)·W₁ (ε standard normal over the genes): the
/// covariance of that noise is C = W₁ᵀ diag(σ²) W₁ (`width x width`).
///
/// With more genes than first-layer units, M = Lᵀ for the Cholesky factor C = L·Lᵀ
/// (linfa-linalg), so a SmoothGrad sample draws `width` normals per cell instead of one per
/// gene and multiplies by a `width x width` matrix instead of `genes x width`: the same
/// distribution for less work. Otherwise — or when C is not positive definite, e.g. fewer
/// genes with σ > 0 than units — M = diag(σ)·W₁ (`genes x width`), the noise drawn per gene.
pub(crate) fn first_layer_noise_map<Bk: Backend>(
    weight: Tensor<Bk, 2>,
    sigma: &[f32],
) -> Tensor<Bk, 2> {
    let [g, width] = weight.dims();
    let device = weight.device();
    let sigma = Tensor::<Bk, 2>::from_data(TensorData::new(sigma.to_vec(), [g, 1]), &device);
    let scaled = weight * sigma;
    if g <= width {
        return scaled;
    }
    let covariance: Vec<f64> = tensor_values(scaled.clone().transpose().matmul(scaled.clone()))
        .into_iter()
        .map(f64::from)
        .collect();
    let Ok(covariance) = Array2::from_shape_vec((width, width), covariance) else {
        return scaled;
    };
    match covariance.cholesky() {
        Ok(lower) => {
            let upper: Vec<f32> = lower.t().iter().map(|&v| v as f32).collect();
            Tensor::from_data(TensorData::new(upper, [width, width]), &device)
        }
        Err(_) => scaled,
    }
}

/// The plain gradient ∂a_c/∂x of the class probability (saliency map).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Saliency;

impl<B: AutodiffBackend> Explainer<B> for Saliency {
    fn name(&self) -> String {
        "saliency".into()
    }

    fn attribute(&self, model: &TrainedModel<B>, batch: &CellBatch<'_>) -> Result<Vec<f32>> {
        batch.check(model.n_classes())?;
        let oh = one_hot_tensor(model, batch.classes);
        Ok(class_gradient(
            model,
            batch.values.to_vec(),
            batch.n_cells,
            batch.n_genes,
            &oh,
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
        let oh = one_hot_tensor(model, batch.classes);
        let mut g = class_gradient(
            model,
            batch.values.to_vec(),
            batch.n_cells,
            batch.n_genes,
            &oh,
        );
        for (a, x) in g.iter_mut().zip(batch.values) {
            *a *= x;
        }
        Ok(g)
    }
}

/// SmoothGrad: the mean gradient over `samples` noisy copies x + N(0, σ²), with σ a multiple
/// (`noise_level`, default 0.2) of each gene's standard deviation over the explained cells.
///
/// Only the first layer sees the noise directly, so it is drawn there: (σ⊙z)·W₁ is Gaussian
/// with covariance W₁ᵀ diag(σ²) W₁, and with more genes than first-layer units a sample costs
/// `units` normal draws per cell and a `units x units` product (the same distribution as
/// drawing per gene; seeded, one ChaCha stream per sample and cell).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SmoothGrad {
    /// Noisy copies per cell (default 20).
    pub samples: usize,
    /// Noise standard deviation as a fraction of each gene's standard deviation (default 0.2).
    pub noise_level: f32,
}

impl Default for SmoothGrad {
    fn default() -> Self {
        SmoothGrad {
            samples: 20,
            noise_level: 0.2,
        }
    }
}

impl SmoothGrad {
    /// Sets the number of noisy copies.
    pub fn with_samples(mut self, samples: usize) -> Self {
        self.samples = samples;
        self
    }

    /// Sets σ as a fraction of each gene's standard deviation.
    pub fn with_noise_level(mut self, noise_level: f32) -> Self {
        self.noise_level = noise_level;
        self
    }

    fn check(&self) -> Result<()> {
        if self.samples == 0 {
            return Err(ExplainError::invalid("samples", "must be at least 1"));
        }
        if !(self.noise_level.is_finite() && self.noise_level >= 0.0) {
            return Err(ExplainError::invalid(
                "noise_level",
                format!("must be a non-negative number, got {}", self.noise_level),
            ));
        }
        Ok(())
    }
}

impl<B: AutodiffBackend> Explainer<B> for SmoothGrad {
    fn name(&self) -> String {
        "smoothgrad".into()
    }

    fn attribute(&self, model: &TrainedModel<B>, batch: &CellBatch<'_>) -> Result<Vec<f32>> {
        self.check()?;
        batch.check(model.n_classes())?;
        let oh = one_hot_tensor(model, batch.classes);
        let sigma: Vec<f32> = batch
            .gene_std
            .iter()
            .map(|s| s * self.noise_level)
            .collect();
        let (n, g) = (batch.n_cells, batch.n_genes);
        if n == 0 {
            return Ok(Vec::new());
        }
        let device = model.device();
        let network = model.inference_network();
        let first = network.first_layer();
        let noise_map = first_layer_noise_map(first.weight.val(), &sigma);
        let d = noise_map.dims()[0];
        // The first layer's pre-activation of x + σ⊙z is that of x plus a draw of the noise
        // (σ⊙z)·W₁ (`first_layer_noise_map`); the samples' gradients are summed in the first
        // layer (`summed_input_gradient`): no `cells x genes` product per sample.
        let z_x = first.forward(Tensor::<B::InnerBackend, 2>::from_data(
            TensorData::new(batch.values.to_vec(), [n, g]),
            device,
        ));
        let noisy = (0..self.samples).map(|sample| {
            let mut z = vec![0f32; n * d];
            // One ChaCha stream per (sample, cell), so the draws are made on all cores and do
            // not depend on how the work is split between them.
            z.par_chunks_mut(d).enumerate().for_each(|(cell, row)| {
                let mut rng = ChaCha8Rng::seed_from_u64(batch.seed);
                rng.set_stream((sample * n + cell) as u64);
                for v in row.iter_mut() {
                    *v = StandardNormal.sample(&mut rng);
                }
            });
            let z = Tensor::<B::InnerBackend, 2>::from_data(TensorData::new(z, [n, d]), device);
            z_x.clone() + z.matmul(noise_map.clone())
        });
        let sum = summed_input_gradient(network, noisy, &oh)
            .ok_or_else(|| ExplainError::invalid("samples", "must be at least 1"))?;
        Ok(tensor_values(sum.mul_scalar(1.0 / self.samples as f32)))
    }
}

/// The reference point Integrated Gradients integrates from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IgBaseline {
    /// All genes at zero (the paper's choice).
    Zero,
    /// Each gene at its mean over the explained cells.
    GeneMean,
}

/// Integrated Gradients: (x − x₀) ⊙ mean over k = 1..m of ∂a_c/∂x at x₀ + (k/m)(x − x₀)
/// (right Riemann sum; defaults: m = 20, zero baseline x₀ as in the paper).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntegratedGradients {
    /// Steps of the Riemann sum (default 20).
    pub steps: usize,
    /// Baseline (default zero).
    pub baseline: IgBaseline,
}

impl Default for IntegratedGradients {
    fn default() -> Self {
        IntegratedGradients {
            steps: 20,
            baseline: IgBaseline::Zero,
        }
    }
}

impl IntegratedGradients {
    /// Sets the number of steps.
    pub fn with_steps(mut self, steps: usize) -> Self {
        self.steps = steps;
        self
    }

    /// Sets the baseline.
    pub fn with_baseline(mut self, baseline: IgBaseline) -> Self {
        self.baseline = baseline;
        self
    }
}

impl<B: AutodiffBackend> Explainer<B> for IntegratedGradients {
    fn name(&self) -> String {
        match self.baseline {
            IgBaseline::Zero => "ig".into(),
            IgBaseline::GeneMean => "ig-mean".into(),
        }
    }

    fn attribute(&self, model: &TrainedModel<B>, batch: &CellBatch<'_>) -> Result<Vec<f32>> {
        if self.steps == 0 {
            return Err(ExplainError::invalid("steps", "must be at least 1"));
        }
        batch.check(model.n_classes())?;
        let oh = one_hot_tensor(model, batch.classes);
        let g = batch.n_genes;
        let baseline: Vec<f32> = match self.baseline {
            IgBaseline::Zero => vec![0.0; g],
            IgBaseline::GeneMean => batch.gene_mean.to_vec(),
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
        let device = model.device();
        let network = model.inference_network();
        let first = network.first_layer();
        let weight = first.weight.val();
        // The path x₀ + t(x − x₀) is linear in t, so the first layer's pre-activation along it
        // is x₀·W₁ + b₁ + t·(x − x₀)·W₁: two products for all steps instead of one per step;
        // the steps' gradients are summed in the first layer (`summed_input_gradient`).
        let z_baseline = first.forward(Tensor::<B::InnerBackend, 2>::from_data(
            TensorData::new(baseline, [1, g]),
            device,
        ));
        let z_difference = Tensor::<B::InnerBackend, 2>::from_data(
            TensorData::new(difference.clone(), [n, g]),
            device,
        )
        .matmul(weight);
        let path = (1..=self.steps).map(|k| {
            let t = k as f32 / self.steps as f32;
            z_difference.clone().mul_scalar(t) + z_baseline.clone()
        });
        let sum = summed_input_gradient(network, path, &oh)
            .ok_or_else(|| ExplainError::invalid("steps", "must be at least 1"))?;
        let gradient_sum = tensor_values(sum);
        let m = self.steps as f32;
        Ok(difference
            .into_iter()
            .zip(gradient_sum)
            .map(|(d, s)| d * s / m)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;
    use rand::Rng;

    type Plain = NdArray<f32>;

    /// Mᵀ·M, the covariance of z·M for standard normal z, against W₁ᵀ diag(σ²) W₁.
    fn check_noise_map(genes: usize, width: usize, sigma: &[f32], expected_rows: usize) {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let w: Vec<f32> = (0..genes * width)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        let device = Default::default();
        let weight =
            Tensor::<Plain, 2>::from_data(TensorData::new(w.clone(), [genes, width]), &device);
        let map = first_layer_noise_map(weight, sigma);
        assert_eq!(map.dims(), [expected_rows, width]);
        let got = tensor_values(map.clone().transpose().matmul(map));
        for a in 0..width {
            for b in 0..width {
                let want: f64 = (0..genes)
                    .map(|j| {
                        let s = sigma[j] as f64;
                        s * s * w[j * width + a] as f64 * w[j * width + b] as f64
                    })
                    .sum();
                let tolerance = 1e-4 * (1.0 + want.abs());
                let value = got[a * width + b] as f64;
                assert!(
                    (value - want).abs() <= tolerance,
                    "({a}, {b}): {value} vs {want}"
                );
            }
        }
    }

    #[test]
    fn first_layer_noise_has_the_covariance_of_gene_noise() {
        // More genes than units: the Cholesky route, `width` normals per cell.
        let sigma: Vec<f32> = (0..40).map(|j| 0.05 + 0.01 * j as f32).collect();
        check_noise_map(40, 8, &sigma, 8);
        // Fewer genes than units: noise drawn per gene.
        check_noise_map(6, 8, &sigma[..6], 6);
        // Only three genes vary: the covariance is singular, so noise is drawn per gene.
        let mut sparse = vec![0f32; 40];
        sparse[..3].copy_from_slice(&[0.1, 0.2, 0.3]);
        check_noise_map(40, 8, &sparse, 40);
    }
}
