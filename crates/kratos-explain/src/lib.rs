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
//! - [`SmoothGrad`], [`IntegratedGradients`], [`Saliency`] and [`GradientTimesInput`];
//!
//! and the marker tests that need no model ([`markers`]: Wilcoxon, Welch, the rank test and
//! the three-step pipeline, COSG). [`design_panel`] chooses N genes together for telling every
//! type apart (a targeted panel), among candidates taken from a model's panel. Each algorithm's parameters are a builder (`CwParams`,
//! `SmoothGradParams`, ...) whose `check()` names the first bad value or gives the valid
//! explainer. The default panel's configuration is a [`Preset`]; the `kratos` facade's
//! `Pipeline` trains its models and [`ValidPreset::panel_from_models`] makes the panel.
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
//! let config = TrainingConfig::new().with_epochs(60).with_learning_rate(1e-2).check()?;
//! let model = fit::<DefaultBackend>(&data, &config, &Default::default())?;
//!
//! let options = PanelOptions::new().check()?;
//! let panel = explain_panel(&CwExplainer::default(), &model, &data, &options)?;
//! assert_eq!(panel.top_genes(0, 1), ["gene0"]); // class A's best marker
//! assert_eq!(panel.top_genes(1, 1), ["gene1"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod combine;
mod cw;
mod design;
mod error;
mod explainer;
mod integrated_gradients;
pub mod markers;
mod panel;
mod passes;
mod preset;
mod redundancy;
mod saliency;
mod smoothgrad;

pub use combine::{mean_normalised, rank_product};
pub use cw::{CwExplainer, CwMode, CwParams};
pub use design::{
    ClassWeighting, DesignParams, DesignScore, DesignedGene, DesignedPanel, ValidDesignParams,
    design_candidates, design_panel,
};
pub use error::ExplainError;
pub use explainer::{CellBatch, Explainer};
pub use integrated_gradients::{IgBaseline, IntegratedGradients, IntegratedGradientsParams};
pub use markers::{
    CosgParams, Direction, GeneStatistics, MarkerDirection, MarkerTest, ThreeStepParams,
    WelchParams, WilcoxonParams, cosg_panel, expression_change_panel, mean_difference_panel,
    rank_test_panel, three_step_panel, welch_t_panel, welch_t_test, wilcoxon_panel, wilcoxon_test,
};
pub use panel::{
    Aggregation, GenePanel, GeneSummary, Listing, PanelOptions, ValidPanelOptions,
    explain_ensemble, explain_pair, explain_panel, explain_panels,
};
pub use preset::{
    AttributionUnits, Combination, PanelRun, Preprocessing, Preset, PresetDescription, ValidPreset,
    extend_panel, looks_like_counts, screen_genes,
};
pub use redundancy::{RedundancyParams, decorrelate, decorrelate_with_relevance};
pub use saliency::{GradientTimesInput, Saliency};
pub use smoothgrad::{SmoothGrad, SmoothGradParams};

/// Result alias of this crate.
pub type Result<T, E = ExplainError> = std::result::Result<T, E>;
