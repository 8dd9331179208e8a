use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::{relu, softmax};
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
        self.hidden.first().unwrap_or(&self.output).weight.dims()[0]
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

    /// The embedding (activation of the last hidden layer) of a batch `[cells, genes]`.
    pub fn embed(&self, input: Tensor<B, 2>) -> Tensor<B, 2> {
        self.hidden
            .iter()
            .fold(input, |x, layer| relu(layer.forward(x)))
    }

    /// The logits (pre-softmax outputs) of a batch `[cells, genes]`.
    pub fn logits(&self, input: Tensor<B, 2>) -> Tensor<B, 2> {
        self.output.forward(self.embed(input))
    }

    /// The class probabilities (softmax outputs, `a(x)` in the paper) of a batch.
    pub fn probabilities(&self, input: Tensor<B, 2>) -> Tensor<B, 2> {
        softmax(self.logits(input), 1)
    }

    /// Logits with a multiplicative mask after every hidden layer (dropout during training).
    pub(crate) fn logits_masked(
        &self,
        input: Tensor<B, 2>,
        masks: &[Tensor<B, 2>],
    ) -> Tensor<B, 2> {
        let mut x = input;
        for (layer, mask) in self.hidden.iter().zip(masks) {
            x = relu(layer.forward(x)) * mask.clone();
        }
        self.output.forward(x)
    }
}
