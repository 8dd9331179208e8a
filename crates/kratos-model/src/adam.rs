//! A fused Adam update.
//!
//! Written by hand on purpose: Burn's `Adam` runs about ten separate tensor operations per
//! parameter and step, each allocating a new buffer; on the CPU backend that made the optimizer
//! step cost more than the forward and backward passes of this small network. This version reads
//! each parameter and its gradient once and updates weights and both moments in one loop, with
//! the exact formula of Keras' Adam (bias-corrected learning rate, epsilon added to √v), so the
//! training matches the published reference.

use std::collections::HashMap;

use burn::module::{ModuleMapper, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};
use rayon::prelude::*;

/// Moments smaller than this are set to zero (see the update loop).
const SUBNORMAL_FLUSH: f32 = 1e-30;

/// Entries per parallel piece of the update loop.
const UPDATE_CHUNK: usize = 1 << 14;

/// Adam state: step count and first and second moments per parameter.
pub(crate) struct FusedAdam {
    learning_rate: f64,
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    step: i32,
    moments: HashMap<ParamId, (Vec<f32>, Vec<f32>)>,
}

impl FusedAdam {
    /// Keras defaults: β₁ 0.9, β₂ 0.999, ε 1e-7.
    pub(crate) fn new(learning_rate: f64) -> Self {
        FusedAdam {
            learning_rate,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            step: 0,
            moments: HashMap::new(),
        }
    }

    /// The constants of the current step (the last [`FusedAdam::step`]'s), for parameters
    /// updated outside the module (the first layer during training).
    pub(crate) fn constants(&self) -> AdamConstants {
        let t = self.step;
        AdamConstants {
            beta_1: self.beta_1 as f32,
            beta_2: self.beta_2 as f32,
            epsilon: self.epsilon as f32,
            learning_rate: (self.learning_rate * (1.0 - self.beta_2.powi(t)).sqrt()
                / (1.0 - self.beta_1.powi(t))) as f32,
        }
    }

    /// Applies one update to every parameter of `module` that has a gradient in `grads`.
    pub(crate) fn step<B: AutodiffBackend, M: burn::module::AutodiffModule<B>>(
        &mut self,
        module: M,
        mut grads: GradientsParams,
    ) -> M {
        self.step += 1;
        let mut mapper = AdamMapper::<B> {
            adam: self,
            grads: &mut grads,
            _backend: std::marker::PhantomData,
        };
        module.map(&mut mapper)
    }
}

/// The numbers one Adam step needs: Keras' β₁, β₂ and ε, and the step's bias-corrected
/// learning rate `lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AdamConstants {
    pub(crate) beta_1: f32,
    pub(crate) beta_2: f32,
    pub(crate) epsilon: f32,
    pub(crate) learning_rate: f32,
}

/// One Adam step on a chunk of weights `w` with gradients `g` and moments `m`, `v` (equal
/// lengths).
///
/// Written with indices and selects rather than conditional stores so that the compiler
/// vectorises it (the loop with `if … { *m = 0.0 }` compiled to scalar code; docs/performance.md,
/// "What each design choice gains"); the arithmetic is the same, so are the values. Compiled for AVX2 as well as baseline x86-64 and
/// chosen at run time (`multiversion`; the release build targets baseline x86-64); no fused
/// multiply-add, and square root and division are exact in both, so both builds give the same
/// bits.
#[multiversion::multiversion(targets("x86_64+avx2"))]
pub(crate) fn update_chunk(
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    c: AdamConstants,
) {
    let AdamConstants {
        beta_1: b1,
        beta_2: b2,
        epsilon: eps,
        learning_rate: lr_t,
    } = c;
    let n = w.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    for i in 0..n {
        let gi = g[i];
        let mi = b1 * m[i] + (1.0 - b1) * gi;
        let vi = b2 * v[i] + (1.0 - b2) * gi * gi;
        // Moments of weights whose gradient stays zero (e.g. behind a dead ReLU) decay
        // geometrically into subnormal floats, and arithmetic on subnormals is many times
        // slower on x86: late epochs ran several times slower than early ones. Moments below
        // 1e-30 are flushed to zero, which changes no update measurably (they are divided by
        // √v + ε ≥ 1e-7).
        let mi = if mi.abs() < SUBNORMAL_FLUSH { 0.0 } else { mi };
        let vi = if vi < SUBNORMAL_FLUSH { 0.0 } else { vi };
        m[i] = mi;
        v[i] = vi;
        w[i] -= lr_t * mi / (vi.sqrt() + eps);
    }
}

struct AdamMapper<'a, B: AutodiffBackend> {
    adam: &'a mut FusedAdam,
    grads: &'a mut GradientsParams,
    _backend: std::marker::PhantomData<B>,
}

impl<B: AutodiffBackend> ModuleMapper<B> for AdamMapper<'_, B> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(grad) = self.grads.remove::<B::InnerBackend, D>(id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let shape = tensor.shape();
        let device = tensor.device();
        let mut weights: Vec<f32> = tensor
            .inner()
            .into_data()
            .convert::<f32>()
            .into_vec()
            .expect("converted to f32");
        let grad: Vec<f32> = grad
            .into_data()
            .convert::<f32>()
            .into_vec()
            .expect("converted to f32");
        let adam = &mut *self.adam;
        let constants = adam.constants();
        let (m, v) = adam
            .moments
            .entry(id)
            .or_insert_with(|| (vec![0.0; weights.len()], vec![0.0; weights.len()]));
        // Every entry is updated on its own, so the loop is split over the cores in chunks
        // (the same values as one loop).
        weights
            .par_chunks_mut(UPDATE_CHUNK)
            .zip(grad.par_chunks(UPDATE_CHUNK))
            .zip(m.par_chunks_mut(UPDATE_CHUNK))
            .zip(v.par_chunks_mut(UPDATE_CHUNK))
            .for_each(|(((w, g), m), v)| update_chunk(w, g, m, v, constants));
        let inner =
            Tensor::<B::InnerBackend, D>::from_data(TensorData::new(weights, shape), &device);
        Param::from_mapped_value(id, Tensor::from_inner(inner).require_grad(), mapper)
    }
}
