//! The Kratos classifier: a small fully connected network (genes → 256 → 64 → K, ReLU, softmax)
//! trained on labelled cells with Burn, whose 64-d hidden activation is the cell embedding and
//! whose gradients the explainers in `kratos-explain` read.
//!
//! The network and the training loop are generic over any Burn [`AutodiffBackend`]; the default
//! used by the CLI and the tests is [`DefaultBackend`] (`Autodiff<NdArray<f32>>`, pure Rust, CPU).
//! Training is seeded: weights are drawn from our own ChaCha RNG (Glorot-uniform like Keras) and
//! batches are shuffled with it, so the same data and seed give the same model bit for bit.
//!
//! ```
//! use kratos_data::{Dataset, Labels};
//! use kratos_model::{DefaultBackend, TrainingConfig, fit};
//!
//! // Two well separated classes, 40 cells x 5 genes.
//! let values: Vec<f32> = (0..40)
//!     .flat_map(|i| (0..5).map(move |g| if (i % 2 == 0) == (g < 2) { 5.0 } else { 0.0 }))
//!     .collect();
//! let labels: Vec<&str> = (0..40).map(|i| if i % 2 == 0 { "A" } else { "B" }).collect();
//! let data = Dataset::from_matrix(values, 40, 5)?.with_labels(Labels::from_names(&labels)?)?;
//!
//! let config = TrainingConfig::new()
//!     .with_epochs(50)
//!     .with_learning_rate(1e-2)
//!     .with_hidden_sizes(vec![16, 8])
//!     .check()?;
//! let model = fit::<DefaultBackend>(&data, &config, &Default::default())?;
//! assert_eq!(model.predict(&data)?, data.labels().unwrap().assignments());
//! assert_eq!(model.embedding(&data)?.len(), 40 * 8);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod adam;
mod config;
mod error;
#[doc(hidden)]
pub mod host;
mod network;
mod train;
mod trained;

pub use burn;
pub use burn::tensor::backend::{AutodiffBackend, Backend};
pub use config::{EarlyStoppingConfig, LossKind, TrainingConfig, ValidTrainingConfig};
pub use error::ModelError;
pub use network::Classifier;
pub use train::{EpochRecord, fit, fit_cells_with_progress, fit_with_progress};
pub use trained::{MAX_BATCH_VALUES, TrainedModel, TrainingHistory};

/// The backend used unless a caller picks another: Burn's pure-Rust CPU backend with autodiff.
pub type DefaultBackend = burn::backend::Autodiff<burn::backend::NdArray<f32>>;

/// The matrix multiply behind [`DefaultBackend`]: `"openblas"` when the crate is built with its
/// `blas` feature (the system OpenBLAS through ndarray), `"matrixmultiply"` (pure Rust) otherwise.
/// `kratos run` records it in report.json. The host-side passes (training's first layer,
/// prediction, the explainers) call matrixmultiply directly either way.
pub const MATRIX_MULTIPLY: &str = if cfg!(feature = "blas") {
    "openblas"
} else {
    "matrixmultiply"
};

/// Result alias of this crate.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;
