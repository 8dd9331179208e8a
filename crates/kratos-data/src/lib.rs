//! Data for kratos-rs: the [`Dataset`] type (a cells x genes `f32` matrix with cell ids, gene
//! names and optional labels, held dense or sparse), readers for the formats single-cell data
//! comes in (dense CSV/TSV, optionally gzipped; 10x Genomics matrix folders; AnnData `.h5ad`,
//! its layers and `obsm`) in [`read`], writers in [`write`](mod@write) (lossless CSV; `.h5ad`
//! for anndata and scanpy, with embeddings and marker-gene rankings, or as a copy of the input
//! file), preprocessing in [`preprocess`] (log1p, library-size normalisation, dropping
//! constant genes, highly variable genes) and [`scale`] (min-max scaling fitted on a training
//! subset), and seeded, stratified splits in [`split`].
//!
//! Sparse inputs (10x folders, sparse `.h5ad`) stay sparse ([`SparseMatrix`], CSR) through
//! reading, subsetting and preprocessing.
//!
//! Every other kratos crate passes data around as a [`Dataset`] or as plain slices, so this crate
//! has no numerical dependencies of its own.
//!
//! ```
//! use kratos_data::{Dataset, Labels};
//! let ds = Dataset::new(
//!     vec![1.0, 0.0, 0.0, 2.0, 3.0, 1.0],
//!     vec!["c1".into(), "c2".into(), "c3".into()],
//!     vec!["g1".into(), "g2".into()],
//! )?
//! .with_labels(Labels::from_names(&["T", "B", "T"])?)?;
//! assert_eq!(ds.shape(), (3, 2));
//! assert_eq!(ds.labels().unwrap().class_counts(), vec![1, 2]); // classes sorted: B, T
//! # Ok::<(), kratos_data::DataError>(())
//! ```

#![warn(missing_docs)]

mod dataset;
mod error;
mod labels;
pub mod preprocess;
pub mod read;
mod roles;
mod row;
pub mod scale;
mod sparse;
pub mod split;
pub mod write;

pub use dataset::{Dataset, GeneColumns};
pub use error::DataError;
pub use labels::Labels;
pub use roles::GeneRole;
pub use row::{Nonzeros, Row, Values};
pub use scale::MinMaxScaler;
pub use sparse::SparseMatrix;
pub use split::{TrainTestSplit, stratified_k_fold, stratified_split};

/// Result alias of this crate.
pub type Result<T, E = DataError> = std::result::Result<T, E>;
