//! The paper's protocol and the reproduction of its results, as a library: the registry of
//! the shared data sets and how each is prepared ([`registry`]), the roster of methods compared
//! ([`roster`]), Table 1 (gene roles in the simulation's top-20 lists), Table 2 (embedding
//! quality) with the AUROC and redundancy curves ([`tables`]), the digit pixel maps
//! ([`pixels`]), the stability over seeds ([`stability`]) and the whole [`reproduce`] run.
//! Everything returns typed, serialisable results; `kratos-report` renders them and the
//! `kratos reproduce` command writes them. The measurement programs in `examples/` (levers of
//! the default panel, the simulation ablation) use the same registry and roster.

pub mod pixels;
pub mod registry;
mod reproduce;
pub mod roster;
pub mod stability;
pub mod tables;

pub use reproduce::{ReproduceParams, Reproduction, ValidReproduceParams, reproduce};

use std::path::PathBuf;

/// Errors of the reproduction.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// A kratos step failed.
    #[error(transparent)]
    Kratos(#[from] kratos::Error),
    /// The data folder does not exist.
    #[error(
        "{0}: no such folder; the data folder holds simulation/, pbmc3k/, pbmc68k_reduced/, ..."
    )]
    NoDataFolder(PathBuf),
    /// A pixel data set is not square images.
    #[error("{path}: {pixels} pixels is not a square image")]
    NotSquare {
        /// The data set's folder.
        path: PathBuf,
        /// Pixels per image.
        pixels: usize,
    },
    /// A reproduction parameter is out of range.
    #[error("invalid parameter `{name}`: {problem}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// What is wrong.
        problem: String,
    },
}

impl From<kratos::DataError> for BenchError {
    fn from(e: kratos::DataError) -> Self {
        BenchError::Kratos(e.into())
    }
}

impl From<kratos::ExplainError> for BenchError {
    fn from(e: kratos::ExplainError) -> Self {
        BenchError::Kratos(e.into())
    }
}

impl From<kratos::MetricsError> for BenchError {
    fn from(e: kratos::MetricsError) -> Self {
        BenchError::Kratos(e.into())
    }
}

impl From<kratos::ModelError> for BenchError {
    fn from(e: kratos::ModelError) -> Self {
        BenchError::Kratos(e.into())
    }
}

impl From<kratos::SimError> for BenchError {
    fn from(e: kratos::SimError) -> Self {
        BenchError::Kratos(e.into())
    }
}

/// Result alias of this crate.
pub type Result<T, E = BenchError> = std::result::Result<T, E>;
