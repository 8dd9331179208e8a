//! The first layer: its product from dense rows or from their non-zero entries, and, during
//! training, its Adam step outside Burn's autodiff.
//!
//! Written by hand because no maintained crate does what this needs. Single-cell input is mostly
//! zeros (94% of PBMC3k's counts; min-max scaling keeps zeros at zero), and Burn's NdArray
//! backend has only dense products, which also copy both operands on every call. The first
//! layer holds nearly all of the network's weights (1,838 x 256 of ~490,000 on PBMC3k) and all of
//! its genes-wide products, so they are kept here as plain vectors: the forward product runs
//! over each cell's non-zero genes only, and during training each gene's row of the weight
//! gradient — that gene's non-zero entries in the batch times the error back-propagated to the
//! layer's output — is formed and applied (Adam) in one pass over the weights. The rest of the
//! network is trained as a Burn module with autodiff; the gradient with respect to this layer's
//! output (pre-activation) is where the two meet. Batches with many non-zeros (more than
//! [`DENSE_ABOVE`] of their entries) take dense products instead ([`super::matmul_into`]).
//! docs/performance.md has the measurements.

use rayon::prelude::*;

use super::matmul::{MatrixView, matmul_into};
use crate::adam::{AdamConstants, update_chunk};

/// Fraction of non-zero entries above which a batch is multiplied as a dense matrix: sparse
/// products cost per non-zero and read a weight row each, a dense GEMM reuses each row for many
/// cells (measured crossover, docs/performance.md, "What each design choice gains").
pub(crate) const DENSE_ABOVE: f64 = 0.3;

/// Cells per parallel piece of the forward product.
const CELLS_PER_TASK: usize = 8;
/// Genes (weight rows) per parallel piece of the update.
const GENES_PER_TASK: usize = 64;

/// The non-zero entries of a row-major matrix, row by row (compressed sparse rows). A batch's
/// cells are stored this way for the forward product, and its transpose (rows = genes) for the
/// weight gradient.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseRows {
    /// Entry `r` to `r + 1` bound row `r`'s entries in `columns` and `values`.
    starts: Vec<usize>,
    columns: Vec<u32>,
    values: Vec<f32>,
}

impl SparseRows {
    /// The non-zero entries of `values` (row-major, `n_columns` per row).
    pub fn from_dense(values: &[f32], n_columns: usize) -> Self {
        let n_rows = values.len().checked_div(n_columns).unwrap_or(0);
        let mut starts = Vec::with_capacity(n_rows + 1);
        // Written for every entry and kept only for non-zeros (the cursor moves on by
        // `v != 0`): without a branch per entry, which mispredicted on every other entry of
        // half-empty data.
        let mut columns = vec![0u32; values.len() + 1];
        let mut entries = vec![0f32; values.len() + 1];
        let mut n = 0usize;
        starts.push(0);
        for row in values.chunks_exact(n_columns.max(1)) {
            for (j, &v) in row.iter().enumerate() {
                columns[n] = j as u32;
                entries[n] = v;
                n += (v != 0.0) as usize;
            }
            starts.push(n);
        }
        columns.truncate(n);
        entries.truncate(n);
        SparseRows {
            starts,
            columns,
            values: entries,
        }
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.starts.len() - 1
    }

    /// Number of stored (non-zero) entries.
    pub fn n_entries(&self) -> usize {
        self.values.len()
    }

    /// Columns and values of row `r`.
    pub(crate) fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let range = self.starts[r]..self.starts[r + 1];
        (&self.columns[range.clone()], &self.values[range])
    }

    /// The transpose (rows become columns), for a matrix with `n_columns` columns; within each
    /// new row the entries keep the order of the old rows.
    pub(crate) fn transpose(&self, n_columns: usize) -> Self {
        let mut counts = vec![0usize; n_columns + 1];
        for &c in &self.columns {
            counts[c as usize + 1] += 1;
        }
        for j in 0..n_columns {
            counts[j + 1] += counts[j];
        }
        let starts = counts.clone();
        let mut next = counts;
        let mut columns = vec![0u32; self.n_entries()];
        let mut values = vec![0f32; self.n_entries()];
        for r in 0..self.n_rows() {
            let (cs, vs) = self.row(r);
            for (&c, &v) in cs.iter().zip(vs) {
                let at = &mut next[c as usize];
                columns[*at] = r as u32;
                values[*at] = v;
                *at += 1;
            }
        }
        SparseRows {
            starts,
            columns,
            values,
        }
    }
}

/// A batch of cells as the first layer takes it: its non-zero entries, or all of them when most
/// are non-zero ([`DENSE_ABOVE`]).
pub(crate) enum BatchInput {
    /// Mostly zeros: the non-zero entries by cell.
    Sparse(SparseRows),
    /// Row-major values `[cells, genes]`.
    Dense { values: Vec<f32>, n_genes: usize },
}

impl BatchInput {
    /// The batch `values` (`[cells, n_genes]`, row-major), stored the cheaper way.
    pub(crate) fn new(values: Vec<f32>, n_genes: usize) -> Self {
        let non_zero = values.iter().filter(|&&v| v != 0.0).count();
        if non_zero as f64 > DENSE_ABOVE * values.len() as f64 {
            BatchInput::Dense { values, n_genes }
        } else {
            BatchInput::Sparse(SparseRows::from_dense(&values, n_genes))
        }
    }

    /// The batch as rows for a first-layer product.
    pub(crate) fn rows(&self) -> Rows<'_> {
        match self {
            BatchInput::Sparse(rows) => Rows::Sparse(rows),
            BatchInput::Dense { values, n_genes } => Rows::dense(values, *n_genes),
        }
    }

    /// Number of cells.
    pub(crate) fn n_cells(&self) -> usize {
        self.rows().n_cells()
    }
}

/// Cells as the first layer takes them: dense rows, or their non-zero entries.
#[derive(Debug, Clone, Copy)]
pub enum Rows<'a> {
    /// Row-major values, `cells x n_genes`.
    Dense {
        /// The values.
        values: &'a [f32],
        /// Genes per row.
        n_genes: usize,
    },
    /// The non-zero entries by cell.
    Sparse(&'a SparseRows),
}

impl<'a> Rows<'a> {
    /// Dense rows of `n_genes` values.
    pub fn dense(values: &'a [f32], n_genes: usize) -> Self {
        Rows::Dense { values, n_genes }
    }

    /// Number of cells.
    pub fn n_cells(&self) -> usize {
        match self {
            Rows::Dense { values, n_genes } => values.len().checked_div(*n_genes).unwrap_or(0),
            Rows::Sparse(rows) => rows.n_rows(),
        }
    }
}

/// The first layer's weights (`[genes, width]`, row-major), bias and Adam moments.
pub(crate) struct FirstLayer {
    width: usize,
    weight: Vec<f32>,
    bias: Vec<f32>,
    weight_moments: (Vec<f32>, Vec<f32>),
    bias_moments: (Vec<f32>, Vec<f32>),
    /// L1 penalty on the weights (its subgradient `l1 · sign(w)` is added to the gradient).
    l1: f32,
    /// The weight gradient of a dense batch (`[genes, width]`; empty until one comes).
    dense_gradient: Vec<f32>,
}

impl FirstLayer {
    /// A layer with these weights (`[genes, width]`, row-major) and bias (`width` values).
    pub(crate) fn new(weight: Vec<f32>, bias: Vec<f32>, l1: f32) -> Self {
        let width = bias.len();
        debug_assert!(width > 0 && weight.len().is_multiple_of(width));
        FirstLayer {
            width,
            weight_moments: (vec![0.0; weight.len()], vec![0.0; weight.len()]),
            bias_moments: (vec![0.0; width], vec![0.0; width]),
            weight,
            bias,
            l1,
            dense_gradient: Vec::new(),
        }
    }

    /// Width of the layer's output.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// The weights, `[genes, width]` row-major.
    pub(crate) fn weight(&self) -> &[f32] {
        &self.weight
    }

    /// The bias.
    pub(crate) fn bias(&self) -> &[f32] {
        &self.bias
    }

    /// The pre-activation `x·W + b` of the batch (`[cells, width]`, row-major).
    pub(crate) fn forward(&self, input: &BatchInput) -> Vec<f32> {
        let mut out = Vec::new();
        first_layer_forward(
            &self.weight,
            &self.bias,
            input.rows(),
            BiasOrder::First,
            &mut out,
        );
        out
    }

    /// One Adam step with the gradient of the batch `input`, given the gradient of the loss
    /// with respect to the pre-activation (`error`, `[cells, width]`, row-major).
    pub(crate) fn step(&mut self, input: &BatchInput, error: &[f32], adam: AdamConstants) {
        let w = self.width;
        let l1 = self.l1;
        let n_genes = self.weight.len() / w;
        let add_l1 = move |gradient: &mut [f32], weights: &[f32]| {
            if l1 > 0.0 {
                for (g, &x) in gradient.iter_mut().zip(weights) {
                    *g += l1 * x.signum() * (x != 0.0) as u8 as f32;
                }
            }
        };
        let (m, v) = &mut self.weight_moments;
        let pieces = self
            .weight
            .par_chunks_mut(GENES_PER_TASK * w)
            .zip(m.par_chunks_mut(GENES_PER_TASK * w))
            .zip(v.par_chunks_mut(GENES_PER_TASK * w))
            .enumerate();
        match input {
            BatchInput::Sparse(cells) => {
                // One row per gene, entries indexed by cell: each gene's gradient row is formed
                // from its own entries and applied at once.
                let genes = cells.transpose(n_genes);
                pieces.for_each(|(task, ((weights, m), v))| {
                    let mut gradient = vec![0f32; w];
                    let zero = vec![0f32; w];
                    let rows = weights
                        .chunks_exact_mut(w)
                        .zip(m.chunks_exact_mut(w))
                        .zip(v.chunks_exact_mut(w));
                    for (i, ((weights, m), v)) in rows.enumerate() {
                        let (cells, values) = genes.row(task * GENES_PER_TASK + i);
                        accumulate_rows(&mut gradient, &zero, cells, values, error, w);
                        add_l1(&mut gradient, weights);
                        update_chunk(weights, &gradient, m, v, adam);
                    }
                });
            }
            BatchInput::Dense { values, .. } => {
                let gradient = &mut self.dense_gradient;
                gradient.resize(n_genes * w, 0.0);
                let n = input.n_cells();
                matmul_into(
                    MatrixView::new(values, n, n_genes).transposed(),
                    MatrixView::new(error, n, w),
                    0.0,
                    gradient,
                );
                // The L1 term is added in place: the buffer is scratch, rewritten every batch.
                pieces
                    .zip(gradient.par_chunks_mut(GENES_PER_TASK * w))
                    .for_each(|((_, ((weights, m), v)), g)| {
                        add_l1(g, weights);
                        update_chunk(weights, g, m, v, adam);
                    });
            }
        }
        let mut gradient = vec![0f32; w];
        for e in error.chunks_exact(w) {
            for (g, &x) in gradient.iter_mut().zip(e) {
                *g += x;
            }
        }
        let (m, v) = &mut self.bias_moments;
        update_chunk(&mut self.bias, &gradient, m, v, adam);
    }
}

/// Where the bias enters a dense first-layer product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BiasOrder {
    /// The sum starts from the bias, as the sparse route's does (training).
    First,
    /// The bias is added to the finished product, as Burn's `Linear` does, so that
    /// predictions and explanations see the values the saved Burn module gives.
    Last,
}

/// The pre-activation `x·W + b` of `input` into `out` (`cells x width`), with `weight`
/// `genes x width` row-major. Sparse rows add up the weight rows of each cell's non-zero genes,
/// starting from the bias; dense rows take one product, with the bias where `order` says.
pub(crate) fn first_layer_forward(
    weight: &[f32],
    bias: &[f32],
    input: Rows<'_>,
    order: BiasOrder,
    out: &mut Vec<f32>,
) {
    let w = bias.len();
    let n = input.n_cells();
    out.clear();
    out.resize(n * w, 0.0);
    match input {
        Rows::Sparse(cells) => {
            out.par_chunks_mut(CELLS_PER_TASK * w)
                .enumerate()
                .for_each(|(task, rows)| {
                    for (i, z) in rows.chunks_exact_mut(w).enumerate() {
                        let (genes, values) = cells.row(task * CELLS_PER_TASK + i);
                        accumulate_rows(z, bias, genes, values, weight, w);
                    }
                });
        }
        Rows::Dense { values, n_genes } => {
            let (x, weights) = (
                MatrixView::new(values, n, n_genes),
                MatrixView::new(weight, n_genes, w),
            );
            match order {
                BiasOrder::First => {
                    for z in out.chunks_exact_mut(w) {
                        z.copy_from_slice(bias);
                    }
                    matmul_into(x, weights, 1.0, out);
                }
                BiasOrder::Last => {
                    matmul_into(x, weights, 0.0, out);
                    for z in out.chunks_exact_mut(w) {
                        z.iter_mut().zip(bias).for_each(|(v, b)| *v += b);
                    }
                }
            }
        }
    }
}

/// `out = start + Σₖ values[k] · rows[indices[k]]`, where `rows` holds rows of `width` values.
/// Compiled for AVX2 as well as baseline x86-64 and chosen at run time (`multiversion`; the
/// release build targets baseline x86-64, whose 4-wide SSE2 would halve the rate). No fused
/// multiply-add, so both builds give the same bits.
#[multiversion::multiversion(targets("x86_64+avx2"))]
pub(crate) fn accumulate_rows(
    out: &mut [f32],
    start: &[f32],
    indices: &[u32],
    values: &[f32],
    rows: &[f32],
    width: usize,
) {
    out.copy_from_slice(start);
    for (&r, &a) in indices.iter().zip(values) {
        let row = &rows[r as usize * width..(r as usize + 1) * width];
        for (o, &x) in out.iter_mut().zip(row) {
            *o += a * x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn sparse_matrix(n_rows: usize, n_columns: usize, seed: u64) -> Vec<f32> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n_rows * n_columns)
            .map(|_| {
                if rng.random::<f32>() < 0.8 {
                    0.0
                } else {
                    rng.random_range(-1.0f32..1.0)
                }
            })
            .collect()
    }

    #[test]
    fn sparse_rows_and_transpose_hold_the_matrix() {
        let (n, p) = (13, 29);
        let dense = sparse_matrix(n, p, 1);
        let rows = SparseRows::from_dense(&dense, p);
        assert_eq!(rows.n_rows(), n);
        assert_eq!(
            rows.n_entries(),
            dense.iter().filter(|&&v| v != 0.0).count()
        );
        let columns = rows.transpose(p);
        assert_eq!(columns.n_rows(), p);
        let mut rebuilt = vec![0f32; n * p];
        for j in 0..p {
            let (cells, values) = columns.row(j);
            assert!(cells.windows(2).all(|w| w[0] < w[1]), "cells in order");
            for (&i, &v) in cells.iter().zip(values) {
                rebuilt[i as usize * p + j] = v;
            }
        }
        assert_eq!(rebuilt, dense);
        assert_eq!(columns.transpose(n), rows);
    }

    /// The forward product equals `x·W + b` written as a triple loop, and one step equals Keras'
    /// Adam on the gradient `xᵀ·error` (+ the L1 subgradient) written out, for the sparse and
    /// the dense route, a width that is not a multiple of the vector width and more genes than
    /// one parallel piece.
    #[test]
    fn forward_and_step_match_the_dense_formulas() {
        let (n, p, w) = (11, 150, 13);
        let x = sparse_matrix(n, p, 2);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let weight: Vec<f32> = (0..p * w).map(|_| rng.random_range(-1.0..1.0)).collect();
        let bias: Vec<f32> = (0..w).map(|_| rng.random_range(-1.0..1.0)).collect();
        let error: Vec<f32> = (0..n * w).map(|_| rng.random_range(-1.0..1.0)).collect();
        let l1 = 0.01f32;
        let routes = [
            BatchInput::Sparse(SparseRows::from_dense(&x, p)),
            BatchInput::Dense {
                values: x.clone(),
                n_genes: p,
            },
        ];
        assert!(matches!(
            BatchInput::new(x.clone(), p),
            BatchInput::Sparse(_)
        ));
        assert!(matches!(
            BatchInput::new(vec![1.0; n * p], p),
            BatchInput::Dense { .. }
        ));
        for input in &routes {
            let mut layer = FirstLayer::new(weight.clone(), bias.clone(), l1);
            assert_eq!(input.n_cells(), n);
            let z = layer.forward(input);
            for i in 0..n {
                for k in 0..w {
                    let want = bias[k]
                        + (0..p)
                            .map(|g| x[i * p + g] * weight[g * w + k])
                            .sum::<f32>();
                    assert!((z[i * w + k] - want).abs() < 1e-5, "z[{i},{k}]");
                }
            }

            let adam = AdamConstants {
                beta_1: 0.9,
                beta_2: 0.999,
                epsilon: 1e-7,
                learning_rate: 0.01,
            };
            layer.step(input, &error, adam);
            for g in 0..p {
                for k in 0..w {
                    let old = weight[g * w + k];
                    let grad = (0..n).map(|i| x[i * p + g] * error[i * w + k]).sum::<f32>()
                        + l1 * old.signum() * (old != 0.0) as u8 as f32;
                    let (m, v) = (0.1 * grad, 0.001 * grad * grad);
                    let want = old - 0.01 * m / (v.sqrt() + 1e-7);
                    let got = layer.weight()[g * w + k];
                    assert!((got - want).abs() < 1e-4, "w[{g},{k}]: {got} vs {want}");
                }
            }
            for k in 0..w {
                let grad: f32 = (0..n).map(|i| error[i * w + k]).sum();
                let want = bias[k] - 0.01 * (0.1 * grad) / ((0.001 * grad * grad).sqrt() + 1e-7);
                assert!((layer.bias()[k] - want).abs() < 1e-4, "b[{k}]");
            }
        }
    }
}
