//! Preprocessing of expression matrices, following scanpy's conventions so that results can
//! be checked against it: library-size normalisation ([`normalize_total`]), [`log1p`],
//! dropping genes without variance ([`drop_zero_variance_genes`]) and highly variable gene
//! selection ([`highly_variable_genes`], scanpy's `flavor="seurat"`). Min-max scaling is
//! [`crate::MinMaxScaler`].
//!
//! ```
//! use kratos_data::Dataset;
//! use kratos_data::preprocess::{log1p, normalize_total, DEFAULT_TARGET_SUM};
//! let mut ds = Dataset::from_matrix(vec![1.0, 3.0, 0.0, 2.0], 2, 2)?;
//! normalize_total(&mut ds, DEFAULT_TARGET_SUM)?;
//! assert_eq!(ds.row(0).to_vec(), [2500.0, 7500.0]);
//! log1p(&mut ds)?;
//! assert!((ds.get(1, 1) - 10_001f32.ln()).abs() < 1e-4);
//! # Ok::<(), kratos_data::DataError>(())
//! ```

mod hvg;
mod normalize;

pub use hvg::{HighlyVariableGenes, HvgParams, highly_variable_genes};
pub use normalize::{DEFAULT_TARGET_SUM, drop_zero_variance_genes, log1p, normalize_total};
