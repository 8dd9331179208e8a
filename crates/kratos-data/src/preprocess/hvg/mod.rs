//! Highly variable gene selection, scanpy's `highly_variable_genes(flavor="seurat")`.

mod algorithm;
mod hyperparams;

pub use algorithm::{HighlyVariableGenes, highly_variable_genes};
pub use hyperparams::HvgParams;
