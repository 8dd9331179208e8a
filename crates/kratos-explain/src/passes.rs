//! The host passes the gradient explainers share: ∂a_c/∂x of every cell's class, summed over
//! passes in the first layer.

use kratos_model::host::{HostNetwork, HostPass, Rows};

/// One-hot rows (`n x k`) with a 1 at `classes[i]`.
pub(crate) fn one_hot_rows(classes: &[usize], k: usize) -> Vec<f32> {
    let mut y = vec![0f32; classes.len() * k];
    for (i, &c) in classes.iter().enumerate() {
        y[i * k + c] = 1.0;
    }
    y
}

/// ∂⟨upstream, a(x)⟩/∂x for every cell of the dense rows `values` (`n x genes`): one forward
/// and one backward pass over the batch.
pub(crate) fn input_gradient(host: &HostNetwork, values: &[f32], upstream: &[f32]) -> Vec<f32> {
    let g = host.n_genes();
    let n = values.len() / g.max(1);
    let mut pass = HostPass::default();
    host.forward(Rows::dense(values, g), &mut pass);
    let rows: Vec<usize> = (0..n).collect();
    let (mut first, mut out) = (Vec::new(), Vec::new());
    host.first_layer_gradient(&mut pass, &rows, upstream, &mut first);
    host.input_gradient(&first, n, &mut out);
    out
}

/// Σₚ ∂⟨upstream, a⟩/∂x at the inputs whose first-layer pre-activations are `preactivations`
/// (one `n x width` buffer per pass): the passes' first-layer gradients are summed and
/// multiplied by W₁ᵀ once — the input gradient is linear in them — so the passes cost no
/// `cells x genes` product on the way back. `None` when there are no passes.
pub(crate) fn summed_input_gradient(
    host: &HostNetwork,
    n: usize,
    preactivations: impl Iterator<Item = Vec<f32>>,
    upstream: &[f32],
) -> Option<Vec<f32>> {
    let rows: Vec<usize> = (0..n).collect();
    let mut pass = HostPass::default();
    let mut first = Vec::new();
    let mut sum: Option<Vec<f32>> = None;
    for z in preactivations {
        host.forward_from_first_layer(&z, n, &mut pass);
        host.first_layer_gradient(&mut pass, &rows, upstream, &mut first);
        match sum.as_mut() {
            None => sum = Some(first.clone()),
            Some(s) => s.iter_mut().zip(&first).for_each(|(s, v)| *s += v),
        }
    }
    let mut out = Vec::new();
    host.input_gradient(&sum?, n, &mut out);
    Some(out)
}
