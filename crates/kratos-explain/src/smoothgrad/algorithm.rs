use kratos_model::host::{HostNetwork, MatrixView, Rows, matmul_into};
use kratos_model::{AutodiffBackend, TrainedModel};
use linfa_linalg::cholesky::Cholesky;
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::SmoothGradParams;
use crate::passes::{one_hot_rows, summed_input_gradient};
use crate::{CellBatch, ExplainError, Explainer, Result};

/// SmoothGrad: the mean gradient over `samples` noisy copies x + N(0, σ²), with σ a multiple
/// (`noise_level`, default 0.2) of each gene's standard deviation over the explained cells.
/// Build it with [`SmoothGradParams::check`]; `SmoothGrad::default()` has the defaults.
///
/// Only the first layer sees the noise directly, so it is drawn there: (σ⊙z)·W₁ is Gaussian
/// with covariance W₁ᵀ diag(σ²) W₁, and with more genes than first-layer units a sample costs
/// `units` normal draws per cell and a `units x units` product (the same distribution as
/// drawing per gene; seeded, one ChaCha stream per sample and cell).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SmoothGrad {
    params: SmoothGradParams,
}

impl SmoothGrad {
    pub(super) fn from_checked(params: SmoothGradParams) -> Self {
        SmoothGrad { params }
    }

    /// The parameters.
    pub fn params(&self) -> &SmoothGradParams {
        &self.params
    }
}

/// A matrix M (`rows x width`, row-major; returns the rows) such that z·M, with z a row of
/// independent standard normals, has the distribution of the first-layer noise (σ⊙ε)·W₁ (ε
/// standard normal over the genes): the covariance of that noise is C = W₁ᵀ diag(σ²) W₁
/// (`width x width`).
///
/// With more genes than first-layer units, M = Lᵀ for the Cholesky factor C = L·Lᵀ
/// (linfa-linalg), so a sample draws `width` normals per cell instead of one per gene and
/// multiplies by a `width x width` matrix instead of `genes x width`: the same distribution for
/// less work. Otherwise — or when C is not positive definite, e.g. fewer genes with σ > 0 than
/// units — M = diag(σ)·W₁ (`genes x width`), the noise drawn per gene.
pub(crate) fn first_layer_noise_map(
    weight: &[f32],
    genes: usize,
    width: usize,
    sigma: &[f32],
) -> (Vec<f32>, usize) {
    let scaled: Vec<f32> = weight
        .chunks_exact(width)
        .zip(sigma)
        .flat_map(|(row, &s)| row.iter().map(move |w| w * s))
        .collect();
    if genes <= width {
        return (scaled, genes);
    }
    let view = MatrixView::new(&scaled, genes, width);
    let mut covariance = vec![0f32; width * width];
    matmul_into(view.transposed(), view, 0.0, &mut covariance);
    let Ok(covariance) = Array2::from_shape_vec(
        (width, width),
        covariance.into_iter().map(f64::from).collect(),
    ) else {
        return (scaled, genes);
    };
    match covariance.cholesky() {
        Ok(lower) => (lower.t().iter().map(|&v| v as f32).collect(), width),
        Err(_) => (scaled, genes),
    }
}

impl<B: AutodiffBackend> Explainer<B> for SmoothGrad {
    fn name(&self) -> String {
        "smoothgrad".into()
    }

    fn attribute(&self, model: &TrainedModel<B>, batch: &CellBatch<'_>) -> Result<Vec<f32>> {
        batch.check(model.n_classes())?;
        let (n, g) = (batch.n_cells, batch.n_genes);
        if n == 0 {
            return Ok(Vec::new());
        }
        let p = &self.params;
        let upstream = one_hot_rows(batch.classes, model.n_classes());
        let sigma: Vec<f32> = batch
            .std_or_own()
            .iter()
            .map(|s| s * p.noise_level)
            .collect();
        let host: &HostNetwork = model.host_network();
        let width = host.width();
        let (noise_map, d) = first_layer_noise_map(host.first_layer_weights(), g, width, &sigma);
        // The first layer's pre-activation of x + σ⊙z is that of x plus a draw of the noise
        // (σ⊙z)·W₁ (`first_layer_noise_map`); the samples' gradients are summed in the first
        // layer (`summed_input_gradient`): no `cells x genes` product per sample.
        let mut z_x = Vec::new();
        host.first_layer_forward(Rows::dense(batch.values, g), &mut z_x);
        let noisy = (0..p.samples).map(|sample| {
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
            let mut noise = vec![0f32; n * width];
            matmul_into(
                MatrixView::new(&z, n, d),
                MatrixView::new(&noise_map, d, width),
                0.0,
                &mut noise,
            );
            noise.iter_mut().zip(&z_x).for_each(|(v, x)| *v += x);
            noise
        });
        let mut sum = summed_input_gradient(host, n, noisy, &upstream)
            .ok_or_else(|| ExplainError::invalid("samples", "must be at least 1"))?;
        let scale = 1.0 / p.samples as f32;
        sum.iter_mut().for_each(|v| *v *= scale);
        Ok(sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Mᵀ·M, the covariance of z·M for standard normal z, against W₁ᵀ diag(σ²) W₁.
    fn check_noise_map(genes: usize, width: usize, sigma: &[f32], expected_rows: usize) {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let w: Vec<f32> = (0..genes * width)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        let (map, rows) = first_layer_noise_map(&w, genes, width, sigma);
        assert_eq!(rows, expected_rows);
        let view = MatrixView::new(&map, rows, width);
        let mut got = vec![0f32; width * width];
        matmul_into(view.transposed(), view, 0.0, &mut got);
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
