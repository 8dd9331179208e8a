//! The network above its first layer as plain row-major weights, for explainers that run
//! hundreds of small passes (the Carlini–Wagner loop: 500 forward passes of all cells and
//! backward passes of the active ones). Through Burn each of those passes copied its operands
//! and allocated fresh outputs: ≈ 6 ms per iteration for ≈ 0.2 GFLOP of work on the
//! PBMC3k-shaped benchmark (docs/performance.md, round 7). Here the products go to
//! [`matmul_into`] and every buffer is kept in an [`UpperPass`] across calls.

use burn::tensor::backend::Backend;

use crate::network::{Classifier, linear_values};
use crate::{MatrixView, matmul_into};

/// One dense layer: `weight` is `inputs x outputs`, row-major.
#[derive(Debug, Clone)]
struct Dense {
    weight: Vec<f32>,
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl Dense {
    /// `out = input · W + b` for `n` rows (the product first, then the bias, as Burn's
    /// `Linear`).
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

/// The layers of a [`Classifier`] above the first one, with the ReLU of the first layer's
/// output: from the first layer's pre-activation `z` (`cells x width`) to the class
/// probabilities, and back from an upstream gradient on the probabilities to `z`. Same
/// arithmetic as [`Classifier::forward_from_first_layer`] and
/// [`Classifier::first_layer_gradient`] (tested against them), without Burn.
///
/// ```
/// use burn::backend::NdArray;
/// use kratos_model::{Classifier, UpperPass};
/// use rand::SeedableRng;
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// // 10 genes → 8 → 4 → 3 classes.
/// let network = Classifier::<NdArray>::init(10, &[8, 4], 3, &mut rng, &Default::default());
/// let upper = network.upper_layers();
/// let z = vec![0.5f32; 2 * upper.width()]; // two cells' first-layer pre-activations
/// let mut pass = UpperPass::default();
/// upper.forward(&z, 2, &mut pass);
/// assert!((pass.probabilities()[..3].iter().sum::<f32>() - 1.0).abs() < 1e-6);
/// // ∂(a₀ − a₁)/∂z for the second cell only.
/// let mut gradient = Vec::new();
/// upper.first_layer_gradient(&mut pass, &[1], &[1.0, -1.0, 0.0], &mut gradient);
/// assert_eq!(gradient.len(), upper.width());
/// ```
#[derive(Debug, Clone)]
pub struct UpperLayers {
    /// Hidden layers after the first, input side first.
    hidden: Vec<Dense>,
    output: Dense,
    /// Whether the first layer is a hidden layer (ReLU on `z`); false for a network without
    /// hidden layers, whose first layer is the output.
    relu_on_input: bool,
}

/// The activations of one [`UpperLayers::forward`] pass, kept for the backward pass; reuse one
/// across calls to keep its buffers.
#[derive(Debug, Clone, Default)]
pub struct UpperPass {
    n: usize,
    /// Post-ReLU activations of every hidden layer (the first layer's included), input side
    /// first.
    hidden: Vec<Vec<f32>>,
    probabilities: Vec<f32>,
    /// Scratch for the backward pass.
    scratch: [Vec<f32>; 2],
}

impl UpperPass {
    /// The class probabilities, `cells x classes` row-major.
    pub fn probabilities(&self) -> &[f32] {
        &self.probabilities
    }
}

impl<B: Backend> Classifier<B> {
    /// The layers above the first one as plain weights ([`UpperLayers`]).
    pub fn upper_layers(&self) -> UpperLayers {
        let dense = |layer: &burn::nn::Linear<B>| {
            let [inputs, outputs] = layer.weight.dims();
            let (weight, bias) = linear_values(layer);
            Dense {
                weight,
                bias,
                inputs,
                outputs,
            }
        };
        let layers = self.hidden_layers();
        UpperLayers {
            hidden: layers.iter().skip(1).map(dense).collect(),
            output: dense(self.output_layer()),
            relu_on_input: !layers.is_empty(),
        }
    }
}

impl UpperLayers {
    /// Width of the first layer's output (the pre-activation `z`).
    pub fn width(&self) -> usize {
        match self.hidden.first() {
            Some(layer) => layer.inputs,
            None if self.relu_on_input => self.output.inputs,
            // No hidden layers: the first layer is the output, z its logits.
            None => self.output.outputs,
        }
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.output.outputs
    }

    /// The forward pass of `n` cells from the first layer's pre-activation `z` (`n x width`,
    /// row-major) into `pass`.
    ///
    /// # Panics
    /// If `z` does not hold `n x width` values.
    pub fn forward(&self, z: &[f32], n: usize, pass: &mut UpperPass) {
        assert_eq!(z.len(), n * self.width(), "z must be cells x width");
        pass.n = n;
        let levels = usize::from(self.relu_on_input) + self.hidden.len();
        pass.hidden.resize_with(levels, Vec::new);
        let mut logits = std::mem::take(&mut pass.probabilities);
        if self.relu_on_input {
            let first = &mut pass.hidden[0];
            first.clear();
            first.extend(z.iter().map(|&v| v.max(0.0)));
            for (i, layer) in self.hidden.iter().enumerate() {
                let (below, above) = pass.hidden.split_at_mut(i + 1);
                let out = &mut above[0];
                layer.forward(&below[i], n, out);
                out.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            self.output
                .forward(&pass.hidden[levels - 1], n, &mut logits);
        } else {
            logits.clear();
            logits.extend_from_slice(z);
        }
        // Softmax per row, shifted by the row's maximum as Burn's.
        for row in logits.chunks_exact_mut(self.output.outputs) {
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

    /// The gradient with respect to `z` of Σᵢ ⟨upstreamᵢ, a(xᵢ)⟩ for the cells `rows` of
    /// `pass` (`upstream`: one row of `n_classes` values per selected cell), written to `out`
    /// (`rows.len() x width`) — [`Classifier::first_layer_gradient`] without Burn.
    ///
    /// # Panics
    /// If `upstream` does not hold one row per selected cell, or a row is out of range.
    pub fn first_layer_gradient(
        &self,
        pass: &mut UpperPass,
        rows: &[usize],
        upstream: &[f32],
        out: &mut Vec<f32>,
    ) {
        let k = self.output.outputs;
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
        // Down the hidden layers: the layer above's transposed weights, then the ReLU mask of
        // the layer's own activation. `self.hidden[level]` maps activation `level` to the next
        // one; above the last activation is the output layer.
        for level in (0..pass.hidden.len()).rev() {
            let above = self.hidden.get(level).unwrap_or(&self.output);
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor_values;
    use burn::backend::NdArray;
    use burn::tensor::{Int, Tensor, TensorData};
    use rand::{Rng, SeedableRng};

    type Plain = NdArray<f32>;

    /// Forward and backward agree with the Burn network's for networks with two, one and no
    /// hidden layers, on all rows and on a subset.
    #[test]
    fn matches_the_burn_passes() {
        let device = Default::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for hidden in [vec![16, 8], vec![12], vec![]] {
            let (n, g, k) = (23, 30, 4);
            let network = Classifier::<Plain>::init(g, &hidden, k, &mut rng, &device);
            let width = network.first_layer().weight.dims()[1];
            // Pre-activations of both signs, so that ReLU masks matter.
            let z: Vec<f32> = (0..n * width)
                .map(|_| rng.random_range(-2.0..2.0))
                .collect();
            let upper = network.upper_layers();
            assert_eq!(upper.width(), width);
            assert_eq!(upper.n_classes(), k);
            let mut pass = UpperPass::default();
            upper.forward(&z, n, &mut pass);
            let burn_pass = network.forward_from_first_layer(Tensor::from_data(
                TensorData::new(z.clone(), [n, width]),
                &device,
            ));
            let want = tensor_values(burn_pass.probabilities.clone());
            for (a, b) in pass.probabilities().iter().zip(&want) {
                assert!((a - b).abs() < 1e-6, "{hidden:?}: probability {a} vs {b}");
            }
            for rows in [(0..n).collect::<Vec<_>>(), vec![2, 5, 6, 19]] {
                let upstream: Vec<f32> = (0..rows.len() * k)
                    .map(|_| rng.random_range(-1.0..1.0))
                    .collect();
                let mut got = Vec::new();
                upper.first_layer_gradient(&mut pass, &rows, &upstream, &mut got);
                let index: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
                let index = Tensor::<Plain, 1, Int>::from_data(
                    TensorData::new(index, [rows.len()]),
                    &device,
                );
                let want = tensor_values(network.first_layer_gradient(
                    &burn_pass,
                    Tensor::from_data(TensorData::new(upstream, [rows.len(), k]), &device),
                    Some(&index),
                ));
                assert_eq!(got.len(), rows.len() * width);
                for (a, b) in got.iter().zip(&want) {
                    assert!((a - b).abs() < 1e-6, "{hidden:?}: gradient {a} vs {b}");
                }
            }
        }
    }
}
