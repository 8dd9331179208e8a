//! [`HostNetwork`]: every layer of a [`Classifier`] as plain row-major weights, with the forward
//! pass from dense or sparse input and the backward pass to the first layer's pre-activation
//! and to the input. Buffers live in a [`HostPass`] kept across calls.

use std::sync::OnceLock;

use burn::nn::Linear;
use burn::tensor::backend::Backend;

use super::first_layer::{BiasOrder, Rows, first_layer_forward};
use super::matmul::{MatrixView, matmul_into};
use crate::network::{Classifier, tensor_values};

/// One dense layer: `weight` is `inputs x outputs`, row-major.
#[derive(Debug, Clone)]
struct Dense {
    weight: Vec<f32>,
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl Dense {
    fn of<B: Backend>(layer: &Linear<B>) -> Self {
        let [inputs, outputs] = layer.weight.dims();
        let weight = tensor_values(layer.weight.val());
        let bias = match &layer.bias {
            Some(b) => tensor_values(b.val()),
            None => vec![0.0; outputs],
        };
        Dense {
            weight,
            bias,
            inputs,
            outputs,
        }
    }

    /// `out = input · W + b` for `n` dense rows: the product first, then the bias, as Burn's
    /// `Linear` (so a dense pass gives Burn's values).
    fn forward(&self, input: &[f32], n: usize, out: &mut Vec<f32>) {
        out.resize(n * self.outputs, 0.0);
        matmul_into(
            MatrixView::new(input, n, self.inputs),
            MatrixView::new(&self.weight, self.inputs, self.outputs),
            0.0,
            out,
        );
        for row in out.chunks_exact_mut(self.outputs) {
            row.iter_mut().zip(&self.bias).for_each(|(v, b)| *v += b);
        }
    }
}

/// A [`Classifier`] as plain weights: the fast path of every forward and backward pass outside
/// training's autodiff (prediction, embedding, CW, SmoothGrad, Integrated Gradients, saliency).
///
/// The input goes through the first layer as dense rows or as their non-zero entries
/// ([`Rows`]); the layers above run on [`matmul_into`]. Burn keeps the model's definition,
/// save/load and autodiff; this is tested against Burn's autodiff on random networks.
///
/// ```
/// use burn::backend::NdArray;
/// use kratos_model::Classifier;
/// use kratos_model::host::{HostNetwork, HostPass, Rows};
/// use rand::SeedableRng;
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// // 10 genes → 8 → 4 → 3 classes.
/// let network = Classifier::<NdArray>::init(10, &[8, 4], 3, &mut rng, &Default::default());
/// let host = HostNetwork::new(&network);
/// let x = vec![0.5f32; 2 * 10]; // two cells
/// let mut pass = HostPass::default();
/// host.forward(Rows::dense(&x, 10), &mut pass);
/// assert!((pass.probabilities()[..3].iter().sum::<f32>() - 1.0).abs() < 1e-6);
/// assert_eq!(pass.embedding().len(), 2 * 4);
/// // ∂(a₀ − a₁)/∂x for the second cell only.
/// let mut first = Vec::new();
/// host.first_layer_gradient(&mut pass, &[1], &[1.0, -1.0, 0.0], &mut first);
/// let mut gradient = Vec::new();
/// host.input_gradient(&first, 1, &mut gradient);
/// assert_eq!(gradient.len(), 10);
/// ```
#[derive(Debug)]
pub struct HostNetwork {
    /// Every layer, input side first; all but the last are followed by a ReLU.
    layers: Vec<Dense>,
    /// W₁ᵀ (`width x genes`, row-major), made on first use: the backward product to the input
    /// reads it by rows (the GEMM packs its right operand by consecutive columns, which a
    /// transposed view of W₁ would make a strided gather).
    first_transposed: OnceLock<Vec<f32>>,
    /// W₁ᵀ·W₁ (`width x width`), made on first use.
    first_gram: OnceLock<Vec<f32>>,
}

impl Clone for HostNetwork {
    fn clone(&self) -> Self {
        HostNetwork {
            layers: self.layers.clone(),
            first_transposed: OnceLock::new(),
            first_gram: OnceLock::new(),
        }
    }
}

/// The activations of one pass of a [`HostNetwork`], kept for the backward pass; reuse one
/// across calls to keep its buffers.
#[derive(Debug, Clone, Default)]
pub struct HostPass {
    n: usize,
    /// The first layer's pre-activation (`n x width`) of [`HostNetwork::forward`].
    first: Vec<f32>,
    /// Post-ReLU activations of every hidden layer, input side first.
    hidden: Vec<Vec<f32>>,
    probabilities: Vec<f32>,
    /// Scratch of the backward pass.
    scratch: [Vec<f32>; 2],
}

impl HostPass {
    /// Cells of the last pass.
    pub fn n_cells(&self) -> usize {
        self.n
    }

    /// The class probabilities, `cells x classes` row-major.
    pub fn probabilities(&self) -> &[f32] {
        &self.probabilities
    }

    /// The first layer's pre-activation (`cells x width`) of the last
    /// [`HostNetwork::forward`] (empty after [`HostNetwork::forward_from_first_layer`]).
    pub fn first_layer(&self) -> &[f32] {
        &self.first
    }

    /// The embedding: the activation of the last hidden layer (`cells x width of that
    /// layer`); empty for a network without hidden layers.
    pub fn embedding(&self) -> &[f32] {
        self.hidden.last().map_or(&[], |h| h.as_slice())
    }
}

impl HostNetwork {
    /// The weights of `network`, copied out of Burn.
    pub fn new<B: Backend>(network: &Classifier<B>) -> Self {
        let layers = network
            .hidden_layers()
            .iter()
            .chain(std::iter::once(network.output_layer()))
            .map(Dense::of)
            .collect();
        HostNetwork {
            layers,
            first_transposed: OnceLock::new(),
            first_gram: OnceLock::new(),
        }
    }

    fn first(&self) -> &Dense {
        &self.layers[0]
    }

    /// Number of input genes.
    pub fn n_genes(&self) -> usize {
        self.first().inputs
    }

    /// Width of the first layer's output (its pre-activation).
    pub fn width(&self) -> usize {
        self.first().outputs
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.layers[self.layers.len() - 1].outputs
    }

    /// Width of the embedding (the last hidden layer; 0 without hidden layers).
    pub fn embedding_size(&self) -> usize {
        match self.layers.len() {
            1 => 0,
            n => self.layers[n - 1].inputs,
        }
    }

    /// The first layer's weights, `genes x width` row-major: row `j` is what gene `j` adds to
    /// the pre-activation per unit of input.
    pub fn first_layer_weights(&self) -> &[f32] {
        &self.first().weight
    }

    /// W₁ᵀ·W₁ (`width x width`, row-major).
    pub fn first_layer_gram(&self) -> &[f32] {
        self.first_gram.get_or_init(|| {
            let (g, w) = (self.n_genes(), self.width());
            let w1 = MatrixView::new(self.first_layer_weights(), g, w);
            let mut gram = vec![0f32; w * w];
            matmul_into(w1.transposed(), w1, 0.0, &mut gram);
            gram
        })
    }

    fn first_layer_transposed(&self) -> &[f32] {
        self.first_transposed.get_or_init(|| {
            let (g, w) = (self.n_genes(), self.width());
            let weight = self.first_layer_weights();
            let mut t = vec![0f32; w * g];
            for (j, row) in weight.chunks_exact(w).enumerate() {
                for (k, &v) in row.iter().enumerate() {
                    t[k * g + j] = v;
                }
            }
            t
        })
    }

    /// The first layer's pre-activation `x·W₁ + b₁` of `input` into `out` (`cells x width`).
    /// Dense rows take one product, then the bias (as Burn's `Linear`, so the values are the
    /// saved Burn module's); sparse rows add up the weight rows of each cell's non-zero genes,
    /// starting from the bias.
    pub fn first_layer_forward(&self, input: Rows<'_>, out: &mut Vec<f32>) {
        let first = self.first();
        first_layer_forward(&first.weight, &first.bias, input, BiasOrder::Last, out);
    }

    /// `out = values · W₁` (no bias) for `n` dense rows of genes (`out`: `n x width`).
    pub fn first_layer_product(&self, values: &[f32], n: usize, out: &mut [f32]) {
        matmul_into(
            MatrixView::new(values, n, self.n_genes()),
            MatrixView::new(self.first_layer_weights(), self.n_genes(), self.width()),
            0.0,
            out,
        );
    }

    /// `out = a · W₁ᵀW₁` for `m` rows `a` of first-layer width (`out`: `m x width`).
    pub fn times_first_layer_gram(&self, a: &[f32], m: usize, out: &mut [f32]) {
        let w = self.width();
        matmul_into(
            MatrixView::new(a, m, w),
            MatrixView::new(self.first_layer_gram(), w, w),
            0.0,
            out,
        );
    }

    /// The forward pass of `input` into `pass`.
    pub fn forward(&self, input: Rows<'_>, pass: &mut HostPass) {
        let mut first = std::mem::take(&mut pass.first);
        self.first_layer_forward(input, &mut first);
        self.forward_from_first_layer(&first, input.n_cells(), pass);
        pass.first = first;
    }

    /// The forward pass of `n` cells from the first layer's pre-activation `z` (`n x width`,
    /// row-major) into `pass`. Explainers whose inputs are linear in a parameter (Integrated
    /// Gradients' path, SmoothGrad's noise) or change by small steps (CW) keep `z` themselves
    /// instead of one `cells x genes` product per pass.
    ///
    /// # Panics
    /// If `z` does not hold `n x width` values.
    pub fn forward_from_first_layer(&self, z: &[f32], n: usize, pass: &mut HostPass) {
        assert_eq!(z.len(), n * self.width(), "z must be cells x width");
        pass.n = n;
        pass.first.clear();
        let levels = self.layers.len() - 1;
        pass.hidden.resize_with(levels, Vec::new);
        let mut logits = std::mem::take(&mut pass.probabilities);
        if levels > 0 {
            let first = &mut pass.hidden[0];
            first.clear();
            first.extend(z.iter().map(|&v| v.max(0.0)));
            for i in 1..levels {
                let (below, above) = pass.hidden.split_at_mut(i);
                let out = &mut above[0];
                self.layers[i].forward(&below[i - 1], n, out);
                out.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            self.layers[levels].forward(&pass.hidden[levels - 1], n, &mut logits);
        } else {
            logits.clear();
            logits.extend_from_slice(z);
        }
        // Softmax per row, shifted by the row's maximum as Burn's.
        for row in logits.chunks_exact_mut(self.n_classes()) {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0;
            for v in row.iter_mut() {
                *v = (*v - max).exp();
                sum += *v;
            }
            row.iter_mut().for_each(|v| *v /= sum);
        }
        pass.probabilities = logits;
    }

    /// The gradient with respect to the first layer's pre-activation of Σᵢ ⟨upstreamᵢ, a(xᵢ)⟩
    /// (a vector–Jacobian product of the class probabilities) for the cells `rows` of `pass`
    /// (`upstream`: one row of `n_classes` values per selected cell), written to `out`
    /// (`rows.len() x width`). The input gradient is linear in it ([`HostNetwork::input_gradient`]),
    /// so a sum over many passes (SmoothGrad's samples, Integrated Gradients' steps) needs one
    /// `cells x genes` product in all.
    ///
    /// # Panics
    /// If `upstream` does not hold one row per selected cell, or a row is out of range.
    pub fn first_layer_gradient(
        &self,
        pass: &mut HostPass,
        rows: &[usize],
        upstream: &[f32],
        out: &mut Vec<f32>,
    ) {
        let k = self.n_classes();
        let m = rows.len();
        assert_eq!(
            upstream.len(),
            m * k,
            "upstream must be selected cells x classes"
        );
        // Softmax: ∂/∂logits of ⟨u, softmax⟩ = p ⊙ (u − ⟨u, p⟩).
        let [mut g, mut next] = std::mem::take(&mut pass.scratch);
        g.clear();
        for (&r, u) in rows.iter().zip(upstream.chunks_exact(k)) {
            assert!(r < pass.n, "row {r} of a pass over {} cells", pass.n);
            let p = &pass.probabilities[r * k..(r + 1) * k];
            let dot: f32 = u.iter().zip(p).map(|(u, p)| u * p).sum();
            g.extend(p.iter().zip(u).map(|(p, u)| p * (u - dot)));
        }
        // Down the hidden layers: the transposed weights of the layer above, then the ReLU
        // mask of the layer's own activation. `layers[level + 1]` maps activation `level` on.
        for level in (0..pass.hidden.len()).rev() {
            let above = &self.layers[level + 1];
            let width = above.inputs;
            next.resize(m * width, 0.0);
            matmul_into(
                MatrixView::new(&g, m, above.outputs),
                MatrixView::new(&above.weight, above.inputs, above.outputs).transposed(),
                0.0,
                &mut next,
            );
            let activation = &pass.hidden[level];
            for (&r, row) in rows.iter().zip(next.chunks_exact_mut(width)) {
                let h = &activation[r * width..(r + 1) * width];
                for (v, &h) in row.iter_mut().zip(h) {
                    if h <= 0.0 {
                        *v = 0.0;
                    }
                }
            }
            std::mem::swap(&mut g, &mut next);
        }
        out.clear();
        out.extend_from_slice(&g);
        pass.scratch = [g, next];
    }

    /// The input gradient from first-layer gradients: `out = first · W₁ᵀ` (`m x genes`) for
    /// `m` rows of [`HostNetwork::first_layer_gradient`] (or a sum of them).
    pub fn input_gradient(&self, first: &[f32], m: usize, out: &mut Vec<f32>) {
        let (g, w) = (self.n_genes(), self.width());
        out.resize(m * g, 0.0);
        matmul_into(
            MatrixView::new(first, m, w),
            MatrixView::new(self.first_layer_transposed(), w, g),
            0.0,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DefaultBackend;
    use crate::host::SparseRows;
    use burn::tensor::{Tensor, TensorData, activation::softmax};
    use rand::{Rng, SeedableRng};

    type A = DefaultBackend;

    /// Forward and backward of the host network agree with Burn's forward and autodiff on
    /// random networks with two, one and no hidden layers, from dense and sparse input, for all
    /// rows and a subset: the one fast path held to Burn.
    #[test]
    fn host_passes_match_burn_autodiff() {
        let device = Default::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for hidden in [vec![16, 8], vec![12], vec![]] {
            let (n, g, k) = (23, 30, 4);
            let network = Classifier::<A>::init(g, &hidden, k, &mut rng, &device);
            // Half-empty input of both signs, so that sparse rows and ReLU masks matter.
            let x: Vec<f32> = (0..n * g)
                .map(|_| {
                    if rng.random::<f32>() < 0.5 {
                        0.0
                    } else {
                        rng.random_range(-2.0..2.0)
                    }
                })
                .collect();
            let u: Vec<f32> = (0..n * k).map(|_| rng.random_range(-1.0..1.0)).collect();
            let xa = Tensor::<A, 2>::from_data(TensorData::new(x.clone(), [n, g]), &device)
                .require_grad();
            let ua = Tensor::<A, 2>::from_data(TensorData::new(u.clone(), [n, k]), &device);
            let probabilities = softmax(network.logits(xa.clone()), 1);
            let want_p = tensor_values(probabilities.clone().inner());
            let want_grad = tensor_values(
                xa.grad(&(probabilities * ua).sum().backward())
                    .expect("x is tracked"),
            );
            assert!(
                want_grad.iter().any(|v| v.abs() > 1e-4),
                "{hidden:?}: trivial"
            );

            let host = HostNetwork::new(&network);
            let sparse = SparseRows::from_dense(&x, g);
            for input in [Rows::dense(&x, g), Rows::Sparse(&sparse)] {
                let mut pass = HostPass::default();
                host.forward(input, &mut pass);
                for (a, b) in pass.probabilities().iter().zip(&want_p) {
                    assert!((a - b).abs() < 1e-6, "{hidden:?}: probability {a} vs {b}");
                }
                for rows in [(0..n).collect::<Vec<_>>(), vec![2, 5, 6, 19]] {
                    let upstream: Vec<f32> = rows
                        .iter()
                        .flat_map(|&r| u[r * k..(r + 1) * k].iter().copied())
                        .collect();
                    let (mut first, mut got) = (Vec::new(), Vec::new());
                    host.first_layer_gradient(&mut pass, &rows, &upstream, &mut first);
                    host.input_gradient(&first, rows.len(), &mut got);
                    for (i, &r) in rows.iter().enumerate() {
                        for j in 0..g {
                            let (a, b) = (got[i * g + j], want_grad[r * g + j]);
                            assert!(
                                (a - b).abs() <= 1e-5 + 1e-4 * b.abs(),
                                "{hidden:?} row {r}: {a} vs {b}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn first_layer_products_match_the_weights() {
        let device = Default::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let network = Classifier::<A>::init(7, &[5, 3], 2, &mut rng, &device);
        let host = HostNetwork::new(&network);
        let w = host.first_layer_weights().to_vec();
        let x: Vec<f32> = (0..2 * 7).map(|_| rng.random_range(-1.0..1.0)).collect();
        let mut product = vec![0f32; 2 * 5];
        host.first_layer_product(&x, 2, &mut product);
        let mut gram_row = vec![0f32; 5];
        host.times_first_layer_gram(&[1.0, 0.0, 0.0, 0.0, 0.0], 1, &mut gram_row);
        for k in 0..5 {
            for i in 0..2 {
                let want: f32 = (0..7).map(|j| x[i * 7 + j] * w[j * 5 + k]).sum();
                assert!((product[i * 5 + k] - want).abs() < 1e-5);
            }
            let want: f32 = (0..7).map(|j| w[j * 5] * w[j * 5 + k]).sum();
            assert!((gram_row[k] - want).abs() < 1e-5);
        }
        assert_eq!((host.n_genes(), host.width(), host.n_classes()), (7, 5, 2));
        assert_eq!(host.embedding_size(), 3);
    }
}
