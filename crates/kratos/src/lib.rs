//! kratos finds the marker genes of every cell type in single-cell RNA-seq data: it trains a
//! small neural classifier (genes → 256 → 64 → cell types) on labelled cells, explains it with
//! gradient methods (Carlini–Wagner perturbation, SmoothGrad, Integrated Gradients) to rank the
//! genes that drive each cell type, and gives a 64-d cell embedding on the way.
//!
//! This crate is the front door: it re-exports the public types of the kratos crates and offers
//! the builder-style [`Pipeline`].
//!
//! ```
//! use kratos::{CwExplainer, Dataset, Labels, PanelEvaluationParams, Pipeline, SmoothGrad, TopKGrid};
//!
//! // 60 cells of two types; gene 0 marks type A, gene 1 marks type B, genes 2-3 are noise.
//! let values: Vec<f32> = (0..60)
//!     .flat_map(|i| {
//!         let a = i % 2 == 0;
//!         [if a { 4.0 } else { 0.0 }, if a { 0.0 } else { 4.0 }, (i % 5) as f32, (i % 3) as f32]
//!     })
//!     .collect();
//! let labels: Vec<&str> = (0..60).map(|i| if i % 2 == 0 { "A" } else { "B" }).collect();
//! let data = Dataset::from_matrix(values, 60, 4)?.with_labels(Labels::from_names(&labels)?)?;
//!
//! let trained = Pipeline::new().dataset(data).epochs(60).learning_rate(1e-2).seed(7).train()?;
//! assert!(trained.test_accuracy() > 0.9);
//!
//! let panel = trained.explain(CwExplainer::default())?;
//! assert_eq!(panel.top_genes(0, 1), ["gene0"]); // type A's best marker
//! let panels = trained.explain_with(&[&CwExplainer::default(), &SmoothGrad::default()])?;
//! assert_eq!(panels[1].method(), "smoothgrad");
//!
//! assert_eq!(trained.embedding()?.len(), 60 * 64);
//! let quick = PanelEvaluationParams::new().grid(TopKGrid::Genes(vec![1])).n_iter(3);
//! let evaluation = trained.evaluate(&panel, &quick)?;
//! assert!(evaluation.mean_auroc[0] > 0.9); // the top gene alone separates the types
//! # Ok::<(), kratos::Error>(())
//! ```
//!
//! Your own attribution method plugs in by implementing [`Explainer`]; every panel, report and
//! evaluation then works with it unchanged:
//!
//! ```
//! use kratos::{CellBatch, Explainer, TrainedModel, AutodiffBackend};
//!
//! /// Scores every gene by its (scaled) value: a baseline "explainer".
//! struct Expression;
//!
//! impl<B: AutodiffBackend> Explainer<B> for Expression {
//!     fn name(&self) -> String {
//!         "expression".into()
//!     }
//!     fn attribute(&self, _model: &TrainedModel<B>, batch: &CellBatch<'_>) -> kratos::explain::Result<Vec<f32>> {
//!         Ok(batch.values.to_vec())
//!     }
//! }
//! # let values: Vec<f32> = (0..40).flat_map(|i| [(i % 2) as f32 * 3.0, ((i + 1) % 2) as f32 * 3.0]).collect();
//! # let labels: Vec<&str> = (0..40).map(|i| if i % 2 == 0 { "A" } else { "B" }).collect();
//! # let data = kratos::Dataset::from_matrix(values, 40, 2)?.with_labels(kratos::Labels::from_names(&labels)?)?;
//! # let trained = kratos::Pipeline::new().dataset(data).epochs(30).learning_rate(1e-2).train()?;
//! let panel = trained.explain(Expression)?;
//! assert_eq!(panel.method(), "expression");
//! # Ok::<(), kratos::Error>(())
//! ```
//!
//! The `kratos` command (crate `kratos-cli`) is built on this crate: `kratos demo`, `kratos run`,
//! `kratos evaluate`, `kratos simulate`.

mod evaluation;
mod pca;
mod pipeline;
mod three_step;

pub use evaluation::{EmbeddingQuality, evaluate_panel_with_progress, rankings_for_classes};
pub use kratos_data::{
    self as data, DataError, Dataset, GeneRole, Labels, MinMaxScaler, TrainTestSplit,
    stratified_k_fold, stratified_split,
};
pub use kratos_explain::{
    self as explain, Aggregation, CellBatch, CwExplainer, CwMode, CwParams, ExplainError,
    Explainer, GenePanel, GradientTimesInput, IgBaseline, IntegratedGradients, MarkerDirection,
    MarkerTest, PanelOptions, Preprocessing, Preset, PresetDescription, PresetRun,
    RedundancyParams, Saliency, SmoothGrad, WelchParams, WilcoxonParams, decorrelate,
    decorrelate_with_relevance, explain_pair, explain_panel, explain_panels, welch_t_panel,
    welch_t_test, wilcoxon_panel, wilcoxon_test,
};
pub use kratos_metrics as metrics;
pub use kratos_metrics::{
    ClassEvaluation, MetricsError, PanelEvaluation, PanelEvaluationParams, RoleCounts, TopKGrid,
};
pub use kratos_model::{
    self as model, AutodiffBackend, Backend, DefaultBackend, EarlyStoppingConfig, EpochRecord,
    LossKind, ModelError, TrainedModel, TrainingConfig, TrainingHistory,
};
pub use kratos_sim as sim;
pub use kratos_sim::{SimError, Simulation, SimulationParams};
pub use pipeline::{Pipeline, TrainedPipeline};
pub use three_step::{ThreeStepParams, pca, three_step_panel};

/// Any error of the kratos crates.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or preparing data failed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Training or applying the model failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Explaining failed.
    #[error(transparent)]
    Explain(#[from] ExplainError),
    /// Evaluating a panel or an embedding failed.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// Simulating data failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The pipeline was configured wrongly.
    #[error("{0}")]
    Pipeline(String),
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The README's examples, compiled as doc tests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
