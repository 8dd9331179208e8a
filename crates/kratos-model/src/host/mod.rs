//! The network on the host: every layer as plain row-major weights, with the one fast forward
//! and backward pass that prediction, embedding, CW and the gradient explainers use, and the
//! first layer's dense or sparse product and Adam step that training uses.
//!
//! Through Burn each of the explainers' hundreds of small passes copied its operands and
//! allocated fresh outputs (≈ 6 ms per CW iteration for ≈ 0.2 GFLOP of work on the
//! PBMC3k-shaped benchmark, docs/performance.md); here the products go to [`matmul_into`]
//! (matrixmultiply, the GEMM under Burn's NdArray backend, called directly) and every buffer is
//! kept across calls. Burn keeps the model's definition, save/load and training's autodiff.
//!
//! This module is plumbing for the kratos crates, not a stable API; custom explainers use
//! [`crate::TrainedModel::input_gradient`].

mod first_layer;
mod matmul;
mod network;

pub(crate) use first_layer::{BatchInput, FirstLayer};
pub use first_layer::{Rows, SparseRows};
pub use matmul::{MatrixView, matmul_into};
pub use network::{HostNetwork, HostPass};
