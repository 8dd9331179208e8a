use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::relu;
use burn::tensor::{Tensor, TensorData, backend::Backend};
use rand::Rng;

/// The Kratos network: fully connected hidden layers with ReLU (default 256 and 64 wide) and a
/// linear output layer whose softmax gives the class probabilities. The activation of the last
/// hidden layer is the cell embedding.
#[derive(Module, Debug)]
pub struct Classifier<B: Backend> {
    hidden: Vec<Linear<B>>,
    output: Linear<B>,
}

/// The values of a float tensor (row-major), moved out without a per-element conversion when
/// they are `f32` already.
pub(crate) fn tensor_values<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    let data = t.into_data();
    if data.as_slice::<f32>().is_ok() {
        data.into_vec::<f32>().unwrap_or_default()
    } else {
        data.iter::<f32>().collect()
    }
}

/// Glorot-uniform weights (Keras' default for Dense layers) and zero biases, drawn from `rng`
/// so that initialisation does not depend on the backend's global RNG.
fn glorot_linear<B: Backend, R: Rng>(
    n_in: usize,
    n_out: usize,
    rng: &mut R,
    device: &B::Device,
) -> Linear<B> {
    let limit = (6.0 / (n_in + n_out) as f64).sqrt() as f32;
    let weights: Vec<f32> = (0..n_in * n_out)
        .map(|_| rng.random_range(-limit..limit))
        .collect();
    let weight = Tensor::<B, 2>::from_data(TensorData::new(weights, [n_in, n_out]), device);
    let bias = Tensor::<B, 1>::zeros([n_out], device);
    Linear {
        weight: Param::from_tensor(weight),
        bias: Some(Param::from_tensor(bias)),
    }
}

impl<B: Backend> Classifier<B> {
    /// A freshly initialised network for `n_genes` inputs and `n_classes` outputs.
    pub fn init<R: Rng>(
        n_genes: usize,
        hidden_sizes: &[usize],
        n_classes: usize,
        rng: &mut R,
        device: &B::Device,
    ) -> Self {
        let mut hidden = Vec::with_capacity(hidden_sizes.len());
        let mut n_in = n_genes;
        for &n_out in hidden_sizes {
            hidden.push(glorot_linear(n_in, n_out, rng, device));
            n_in = n_out;
        }
        let output = glorot_linear(n_in, n_classes, rng, device);
        Classifier { hidden, output }
    }

    /// Number of input genes.
    pub fn n_genes(&self) -> usize {
        self.first_layer().weight.dims()[0]
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.output.weight.dims()[1]
    }

    /// Width of the embedding (the last hidden layer).
    pub fn embedding_size(&self) -> usize {
        self.output.weight.dims()[0]
    }

    /// The hidden layers, input side first.
    pub fn hidden_layers(&self) -> &[Linear<B>] {
        &self.hidden
    }

    /// The output layer.
    pub fn output_layer(&self) -> &Linear<B> {
        &self.output
    }

    /// The logits (pre-softmax outputs) of a batch `[cells, genes]`, through Burn (so on an
    /// autodiff backend they can be differentiated). Prediction, embedding and the explainers
    /// use the host-side pass of [`crate::host::HostNetwork`], which gives the same values.
    pub fn logits(&self, input: Tensor<B, 2>) -> Tensor<B, 2> {
        self.logits_from_first_layer(self.first_layer().forward(input), &[])
    }

    /// The first layer (the first hidden layer, or the output layer of a network without
    /// hidden layers): the only one that sees the genes.
    pub fn first_layer(&self) -> &Linear<B> {
        self.hidden.first().unwrap_or(&self.output)
    }

    /// The logits from the first layer's pre-activation (`[cells, width]`), with a
    /// multiplicative mask after each hidden layer when `masks` has one per layer (dropout
    /// during training) and none when it is empty. Training computes the first layer itself
    /// (see `first_layer.rs`) and runs the rest of the network through this.
    pub(crate) fn logits_from_first_layer(
        &self,
        preactivation: Tensor<B, 2>,
        masks: &[Tensor<B, 2>],
    ) -> Tensor<B, 2> {
        let Some((_, rest)) = self.hidden.split_first() else {
            return preactivation;
        };
        let mask = |x: Tensor<B, 2>, layer: usize| match masks.get(layer) {
            Some(m) => x * m.clone(),
            None => x,
        };
        let mut x = mask(relu(preactivation), 0);
        for (i, layer) in rest.iter().enumerate() {
            x = mask(relu(layer.forward(x)), i + 1);
        }
        self.output.forward(x)
    }

    /// The first layer's weights (`[genes, width]`, row-major) and bias (zeros if it has none).
    pub(crate) fn first_layer_values(&self) -> (Vec<f32>, Vec<f32>) {
        let layer = self.first_layer();
        let weight = tensor_values(layer.weight.val());
        let bias = match &layer.bias {
            Some(b) => tensor_values(b.val()),
            None => vec![0.0; layer.weight.dims()[1]],
        };
        (weight, bias)
    }

    /// The same network with the first layer's weights and bias replaced (same shapes, same
    /// parameter ids).
    pub(crate) fn with_first_layer_values(mut self, weight: &[f32], bias: &[f32]) -> Self {
        let layer = match self.hidden.first_mut() {
            Some(layer) => layer,
            None => &mut self.output,
        };
        let dims = layer.weight.dims();
        let device = layer.weight.device();
        let tensor = Tensor::<B, 2>::from_data(TensorData::new(weight.to_vec(), dims), &device);
        layer.weight = Param::initialized(layer.weight.id, tensor.require_grad());
        if let Some(b) = &mut layer.bias {
            let tensor =
                Tensor::<B, 1>::from_data(TensorData::new(bias.to_vec(), [bias.len()]), &device);
            *b = Param::initialized(b.id, tensor.require_grad());
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DefaultBackend;
    use rand::SeedableRng;

    type A = DefaultBackend;

    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
    }

    /// The backend's matrix multiply (matrixmultiply, or OpenBLAS with the `blas` feature)
    /// equals a plain triple loop, for a plain and a transposed right-hand side — the two
    /// layouts the forward and backward passes use. Shapes above BLAS's small-matrix cut-off.
    #[test]
    fn matmul_matches_a_triple_loop() {
        let (m, k, n) = (37, 129, 70);
        let device = Default::default();
        let a = values(m * k, 4);
        let b = values(k * n, 5);
        let ta = Tensor::<A, 2>::from_data(TensorData::new(a.clone(), [m, k]), &device);
        let tb = Tensor::<A, 2>::from_data(TensorData::new(b.clone(), [k, n]), &device);
        // bᵀ stored row-major as [n, k], transposed back to [k, n] (a column-major view).
        let bt: Vec<f32> = (0..n)
            .flat_map(|j| (0..k).map(move |l| (j, l)))
            .map(|(j, l)| b[l * n + j])
            .collect();
        let tbt = Tensor::<A, 2>::from_data(TensorData::new(bt, [n, k]), &device).transpose();
        for product in [ta.clone().matmul(tb), ta.matmul(tbt)] {
            let got = tensor_values(product);
            assert_eq!(got.len(), m * n);
            for i in 0..m {
                for j in 0..n {
                    let want: f32 = (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum();
                    let v = got[i * n + j];
                    assert!(
                        (v - want).abs() <= 1e-4 * (1.0 + want.abs()),
                        "{v} vs {want}"
                    );
                }
            }
        }
    }
}
