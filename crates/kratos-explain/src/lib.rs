//! Explainers for the Kratos classifier and the gene panels built from them.
//!
//! An [`Explainer`] turns a trained model and a batch of cells into per-cell, per-gene
//! attributions; [`explain_panel`] runs one over the correctly classified cells of every class,
//! averages the attribution magnitudes per class and ranks the genes into a [`GenePanel`] —
//! the marker panel of each cell type. Provided explainers (all batched: one forward/backward
//! pass over a batch of cells per step, never a loop of single cells through the network):
//!
//! - [`CwExplainer`]: Carlini–Wagner style minimal L1 perturbation, one-vs-rest or one-vs-one
//!   (the paper's Algorithm 1);
//! - [`SmoothGrad`], [`IntegratedGradients`], [`Saliency`] and [`GradientTimesInput`].
//!
//! Users plug in their own method by implementing [`Explainer`]; panels, reports and evaluation
//! then work unchanged (see `examples/custom_explainer.rs`).
//!
//! ```
//! use kratos_data::{Dataset, Labels};
//! use kratos_explain::{CwExplainer, PanelOptions, explain_panel};
//! use kratos_model::{DefaultBackend, TrainingConfig, fit};
//!
//! // Gene 0 marks class A, gene 1 marks class B; genes 2-3 are noise.
//! let values: Vec<f32> = (0..60)
//!     .flat_map(|i| {
//!         let a = i % 2 == 0;
//!         [if a { 4.0 } else { 0.0 }, if a { 0.0 } else { 4.0 }, (i % 5) as f32, (i % 3) as f32]
//!     })
//!     .collect();
//! let labels: Vec<&str> = (0..60).map(|i| if i % 2 == 0 { "A" } else { "B" }).collect();
//! let data = Dataset::from_matrix(values, 60, 4)?.with_labels(Labels::from_names(&labels)?)?;
//! let config = TrainingConfig::new().with_epochs(60).with_learning_rate(1e-2);
//! let model = fit::<DefaultBackend>(&data, &config, &Default::default())?;
//!
//! let panel = explain_panel(&CwExplainer::default(), &model, &data, &PanelOptions::default())?;
//! assert_eq!(panel.top_genes(0, 1), ["gene0"]); // class A's best marker
//! assert_eq!(panel.top_genes(1, 1), ["gene1"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod baseline;
mod cw;
mod error;
mod explainer;
mod gradient;
mod panel;
mod preset;
mod redundancy;

pub use baseline::{
    MarkerDirection, MarkerTest, WelchParams, WilcoxonParams, welch_t_panel, welch_t_test,
    wilcoxon_panel, wilcoxon_test,
};
pub use cw::{CwExplainer, CwMode, CwParams};
pub use error::ExplainError;
pub use explainer::{CellBatch, Explainer};
pub use gradient::{GradientTimesInput, IgBaseline, IntegratedGradients, Saliency, SmoothGrad};
pub use panel::{
    Aggregation, GenePanel, PanelOptions, explain_pair, explain_panel, explain_panels,
};
pub use preset::{
    AttributionUnits, Combination, Preprocessing, Preset, PresetDescription, PresetRun,
    expression_change_panel, looks_like_counts, mean_difference_panel, mean_normalised,
    rank_product, rank_test_panel,
};
pub use redundancy::{RedundancyParams, decorrelate, decorrelate_with_relevance};

/// Result alias of this crate.
pub type Result<T, E = ExplainError> = std::result::Result<T, E>;
