use kratos_model::host::{HostNetwork, HostPass, Rows};
use kratos_model::{AutodiffBackend, TrainedModel};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{CwMode, CwParams};
use crate::{CellBatch, ExplainError, Explainer, Result};

/// Carlini–Wagner style explainer: for every cell, the smallest L1 perturbation d that moves the
/// cell out of its class (one-vs-rest) or towards a chosen class (one-vs-one); the attribution of
/// a gene is |d|. All cells of a batch are optimised together. The first layer's input
/// x + d is not multiplied out again at each iteration: its product with W₁ is updated by the
/// step (see `descend`), so an iteration costs one `cells x genes` product, the backward pass,
/// and only for the cells whose hinge is still positive (a cell that has left its class only
/// shrinks its perturbation).
///
/// Build one from checked parameters ([`CwParams::check`]):
///
/// ```
/// use kratos_explain::{CwExplainer, CwParams};
/// let paper = CwExplainer::default(); // λ 100, lr 1e-3, α 0, 500 iterations
/// let quick: CwExplainer = CwParams::new().max_iter(100).check()?;
/// let pairs = CwExplainer::one_vs_one();
/// assert!(CwParams::new().lambda(-1.0).check().is_err());
/// # Ok::<(), kratos_explain::ExplainError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CwExplainer {
    params: CwParams,
}

impl CwExplainer {
    /// The explainer of parameters that [`CwParams::check`] accepted.
    pub(super) fn from_checked(params: CwParams) -> Self {
        CwExplainer { params }
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
        Ok(descend(
            model.host_network(),
            batch.values,
            (n, g, k),
            batch.classes,
            versus,
            p,
            REFRESH_EVERY,
        ))
    }
}

/// Every this many iterations CW recomputes the first layer's pre-activation (and the
/// products of the sign pattern) exactly instead of updating them, so that rounding errors of
/// the updates cannot build up.
const REFRESH_EVERY: usize = 100;

/// Entries per block of the sign-pattern comparison.
const SIGN_BLOCK: usize = 16;

/// The sign of `v` as −1, 0 or 1 (0 for ±0 and NaN), without branches.
fn sign(v: f32) -> i8 {
    (v > 0.0) as i8 - (v < 0.0) as i8
}

/// The CW descent on the host network: d ← d − lr·(sign d + λ·∂hinge/∂d) for `p.max_iter`
/// iterations, from d = `p.initial`. The loop needs only ∂/∂d, which the host network's
/// backward pass gives without an autodiff graph.
///
/// The first layer's pre-activation z = (x + d)·W₁ + b₁ is kept up to date instead of being
/// recomputed: one step changes it by −lr·(sign d)·W₁ − lr·λ·δ₁·(W₁ᵀW₁), with δ₁ the
/// hinge's gradient at z (so the λ term costs a `width x width` product, not a
/// `genes x width` one). The sign term is not sparse — most entries of d have a small gradient
/// and flip sign every iteration under the L1 step — but it is nearly periodic: sign d equals
/// its value two iterations earlier for ~99% of entries (measured on the PBMC3k-shaped
/// benchmark), so (sign d)·W₁ is that of two iterations earlier plus a row of W₁ for each entry
/// that broke the pattern. What is left per iteration is the backward product δ₁·W₁ᵀ for the
/// cells still in their class (the update of d needs every entry of it).
#[allow(clippy::too_many_arguments)]
fn descend(
    host: &HostNetwork,
    x: &[f32],
    (n, g, k): (usize, usize, usize),
    classes: &[usize],
    versus: Option<&[usize]>,
    p: &CwParams,
    refresh_every: usize,
) -> Vec<f32> {
    let width = host.width();
    let weight_rows = host.first_layer_weights();
    let (mut gradient, mut curvature) = (Vec::<f32>::new(), Vec::<f32>::new());
    // d and everything updated per entry live in host memory: each update is one fused loop.
    let mut d = vec![p.initial; n * g];
    let mut z: Vec<f32> = Vec::new();
    let mut input: Vec<f32> = Vec::new();
    // Sign patterns of d and their products with W₁: slot 0 this iteration's, slot 1 the
    // previous one's, which the update overwrites with the next iteration's (swapped after).
    let mut signs = [vec![0i8; n * g], vec![0i8; n * g]];
    let mut sign_products = [vec![0f32; n * width], vec![0f32; n * width]];
    let mut upstream = Vec::with_capacity(n * k);
    let mut active: Vec<usize> = Vec::with_capacity(n);
    let mut pass = HostPass::default();
    let mut first_gradient = Vec::new();
    let mut gradient_row = vec![usize::MAX; n];
    for iteration in 0..p.max_iter {
        let refresh = iteration % refresh_every;
        if refresh == 0 {
            input.clear();
            input.extend(x.iter().zip(&d).map(|(x, d)| x + d));
            host.first_layer_forward(Rows::dense(&input, g), &mut z);
        }
        // This iteration's sign pattern and its product with W₁ are in slot 0 (written by the
        // previous iteration's update); for two iterations after each refresh they are
        // computed exactly instead.
        if refresh < 2 {
            let [current, _] = &mut signs;
            current
                .par_iter_mut()
                .zip(&d)
                .for_each(|(s, &v)| *s = sign(v));
            let values: Vec<f32> = current.iter().map(|&s| s as f32).collect();
            host.first_layer_product(&values, n, &mut sign_products[0]);
        }
        host.forward_from_first_layer(&z, n, &mut pass);
        let probabilities = pass.probabilities();
        // The hinge max(a_own − a_other + α, 0) of every cell; only cells where it is
        // positive (still in their class, or within α of leaving it) have a gradient, so
        // only they go through the backward pass — a cell that has left its class costs a
        // forward pass and the L1 step.
        upstream.clear();
        active.clear();
        for (i, row) in probabilities.chunks_exact(k).enumerate() {
            let own = classes[i];
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
                active.push(i);
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
        if !active.is_empty() {
            let m = active.len();
            host.first_layer_gradient(&mut pass, &active, &upstream, &mut first_gradient);
            host.input_gradient(&first_gradient, m, &mut gradient);
            curvature.resize(m * width, 0.0);
            host.times_first_layer_gram(&first_gradient, m, &mut curvature);
        }
        // d ← d − lr (sign d + λ ∂hinge/∂d), z by the same step, and the next iteration's
        // sign pattern written over the previous one (slot 1) with its product with W₁
        // updated by the entries that changed.
        let lr = p.learning_rate;
        let [current, previous] = &mut signs;
        let [current_product, previous_product] = &mut sign_products;
        d.par_chunks_mut(g)
            .zip(z.par_chunks_mut(width))
            .zip(current.par_chunks(g))
            .zip(current_product.par_chunks(width))
            .zip(previous.par_chunks_mut(g))
            .zip(previous_product.par_chunks_mut(width))
            .zip(gradient_row.par_iter())
            .for_each(|((((((d, z), signs), product), next), next_product), &r)| {
                let hinge = (r != usize::MAX).then(|| {
                    (
                        &gradient[r * g..(r + 1) * g],
                        &curvature[r * width..(r + 1) * width],
                    )
                });
                let cell = CellStep {
                    d,
                    z,
                    signs,
                    product,
                    next,
                    next_product,
                };
                step_cell(cell, hinge, lr, p.lambda, weight_rows);
            });
        signs.swap(0, 1);
        sign_products.swap(0, 1);
    }
    d
}

/// One cell's rows of the state `descend` updates per iteration.
struct CellStep<'a> {
    /// The perturbation d (`genes`).
    d: &'a mut [f32],
    /// The first layer's pre-activation (`width`).
    z: &'a mut [f32],
    /// This iteration's sign pattern of d.
    signs: &'a [i8],
    /// Its product with W₁.
    product: &'a [f32],
    /// The sign pattern of two iterations back, overwritten with the next iteration's.
    next: &'a mut [i8],
    /// Its product with W₁, updated with the entries that changed.
    next_product: &'a mut [f32],
}

/// One cell's step of `descend`: d ← d − lr (sign d + λ ∂hinge/∂d), z by the same step, and
/// the next iteration's sign pattern written over the one of two iterations back, with its
/// product with W₁ (`weight_rows`, `genes x width`) updated by a row of W₁ for each entry
/// that changed. `hinge` holds the cell's ∂hinge/∂d and its product with W₁ᵀW₁ (the
/// curvature term) when the hinge is positive.
///
/// Compiled for AVX2 as well as baseline x86-64 and chosen at run time (the release build
/// targets baseline x86-64, whose 4-wide SSE2 ran this loop at half the rate); no fused
/// multiply-add, so both builds give the same bits.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn step_cell<'a>(
    cell: CellStep<'a>,
    hinge: Option<(&'a [f32], &'a [f32])>,
    lr: f32,
    lambda: f32,
    weight_rows: &[f32],
) {
    let CellStep {
        d,
        z,
        signs,
        product,
        next,
        next_product,
    } = cell;
    let width = z.len();
    match hinge {
        None => {
            for (d, &s) in d.iter_mut().zip(signs) {
                *d -= lr * s as f32;
            }
            for (z, &a) in z.iter_mut().zip(product) {
                *z -= lr * a;
            }
        }
        Some((gradient, curvature)) => {
            for ((d, &s), &grad) in d.iter_mut().zip(signs).zip(gradient) {
                *d -= lr * (s as f32 + lambda * grad);
            }
            for ((z, &a), &c) in z.iter_mut().zip(product).zip(curvature) {
                *z -= lr * (a + lambda * c);
            }
        }
    }
    // In blocks, so that the signs are computed and compared in vector registers (a block
    // compares as one 128-bit value); only blocks with a change are looked at entry by entry.
    for (block, (next, d)) in next
        .chunks_mut(SIGN_BLOCK)
        .zip(d.chunks(SIGN_BLOCK))
        .enumerate()
    {
        let mut now = [0i8; SIGN_BLOCK];
        for (n, &v) in now.iter_mut().zip(d) {
            *n = sign(v);
        }
        let unchanged = match <&[i8; SIGN_BLOCK]>::try_from(&*next) {
            Ok(full) => *full == now,
            Err(_) => *next == now[..next.len()],
        };
        if unchanged {
            continue;
        }
        for (i, (s, &now)) in next.iter_mut().zip(now.iter()).enumerate() {
            if now != *s {
                let j = block * SIGN_BLOCK + i;
                let change = (now - *s) as f32;
                let w = &weight_rows[j * width..(j + 1) * width];
                next_product
                    .iter_mut()
                    .zip(w)
                    .for_each(|(a, w)| *a += change * w);
                *s = now;
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;
    use kratos_model::Classifier;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The textbook loop: x + d through the whole network at every iteration.
    fn reference(
        host: &HostNetwork,
        x: &[f32],
        (n, g, k): (usize, usize, usize),
        classes: &[usize],
        p: &CwParams,
    ) -> Vec<f32> {
        let mut d = vec![p.initial; n * g];
        let mut pass = HostPass::default();
        let all: Vec<usize> = (0..n).collect();
        let (mut first, mut gradient) = (Vec::new(), Vec::new());
        for _ in 0..p.max_iter {
            let input: Vec<f32> = x.iter().zip(&d).map(|(x, d)| x + d).collect();
            host.forward(Rows::dense(&input, g), &mut pass);
            let mut upstream = vec![0f32; n * k];
            for (i, row) in pass.probabilities().chunks_exact(k).enumerate() {
                let own = classes[i];
                let other = (0..k)
                    .filter(|&c| c != own)
                    .fold(None, |best: Option<usize>, c| match best {
                        Some(b) if row[b] >= row[c] => Some(b),
                        _ => Some(c),
                    })
                    .unwrap();
                if row[own] - row[other] + p.alpha > 0.0 {
                    upstream[i * k + own] = 1.0;
                    upstream[i * k + other] = -1.0;
                }
            }
            host.first_layer_gradient(&mut pass, &all, &upstream, &mut first);
            host.input_gradient(&first, n, &mut gradient);
            for (d, grad) in d.iter_mut().zip(&gradient) {
                *d -= p.learning_rate * (sign(*d) as f32 + p.lambda * grad);
            }
        }
        d
    }

    /// Keeping the first layer's pre-activation up to date (with the sign pattern's product
    /// updated by its changes) gives the perturbations of the textbook loop, whether it is
    /// refreshed often or never.
    #[test]
    fn updated_preactivation_gives_the_textbook_perturbations() {
        let (n, g, k) = (40, 60, 3);
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let network =
            Classifier::<NdArray<f32>>::init(g, &[16, 8], k, &mut rng, &Default::default());
        let host = HostNetwork::new(&network);
        let x: Vec<f32> = (0..n * g).map(|_| rng.random_range(0.0..1.0)).collect();
        let classes: Vec<usize> = (0..n).map(|i| i % k).collect();
        let p = CwParams::new().max_iter(120).lambda(20.0);
        let want = reference(&host, &x, (n, g, k), &classes, &p);
        let moved = want
            .iter()
            .filter(|v| v.abs() > 2.0 * p.learning_rate)
            .count();
        assert!(moved > n * g / 20, "a trivial run: {moved} entries moved");
        for refresh_every in [3, 100, 1000] {
            let got = descend(&host, &x, (n, g, k), &classes, None, &p, refresh_every);
            // A cell sitting on its class boundary can take the other side of the hinge in one
            // iteration because of rounding and then follow another path, so cells are
            // compared one by one and nearly all must agree.
            let agreeing = (0..n)
                .filter(|&i| (0..g).all(|j| (got[i * g + j] - want[i * g + j]).abs() <= 1e-4))
                .count();
            assert!(
                agreeing >= n * 9 / 10,
                "refresh every {refresh_every}: {agreeing} of {n} cells agree"
            );
        }
    }
}
