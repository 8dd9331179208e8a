//! kratos finds the marker genes of every cell type in single-cell RNA-seq data: it trains a
//! small neural classifier (genes → 256 → 64 → cell types) on labelled cells, explains it with
//! gradient methods (Carlini–Wagner perturbation, SmoothGrad, Integrated Gradients) to rank the
//! genes that drive each cell type, and gives a 64-d cell embedding on the way.
//!
//! This crate is the front door: the [`Pipeline`] (one configuration, one training), the
//! `kratos run` flow as a library call ([`analysis`]), and re-exports of the kratos crates.
//!
//! ```
//! use kratos::{Dataset, Labels, PanelEvaluationParams, Pipeline, SmoothGrad, TopKGrid};
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
//! // The kratos default: one training of its ensemble, then the default panel.
//! let trained = Pipeline::new().dataset(data).epochs(60).learning_rate(1e-2).seed(7).train()?;
//! let panel = trained.panel()?;
//! assert_eq!(panel.top_genes(0, 1), ["gene0"]); // type A's best marker
//!
//! // Any explainer on the same models; the paper's method is `Pipeline::paper()`.
//! let smooth = trained.explain(SmoothGrad::default())?;
//! assert_eq!(smooth.method(), "smoothgrad");
//!
//! assert_eq!(trained.embedding()?.len(), 60 * 64);
//! let quick = PanelEvaluationParams::new().grid(TopKGrid::Genes(vec![1])).n_iter(3).check()?;
//! let evaluation = trained.evaluate(&panel, &quick)?;
//! assert!(evaluation.mean_auroc[0] > 0.9); // the top gene alone separates the types
//! # Ok::<(), kratos::Error>(())
//! ```
//!
//! Your own attribution method plugs in by implementing [`Explainer`]; every panel, report and
//! evaluation then works with it unchanged. [`TrainedModel::input_gradient`] gives the
//! gradient of the class probabilities that gradient methods build on:
//!
//! ```
//! use kratos::{AutodiffBackend, CellBatch, Explainer, TrainedModel};
//!
//! /// |∂a_c/∂x| times the (scaled) value: a saliency of expressed genes.
//! struct ExpressedSaliency;
//!
//! impl<B: AutodiffBackend> Explainer<B> for ExpressedSaliency {
//!     fn name(&self) -> String {
//!         "expressed-saliency".into()
//!     }
//!     fn attribute(&self, model: &TrainedModel<B>, batch: &CellBatch<'_>) -> kratos::explain::Result<Vec<f32>> {
//!         let k = model.n_classes();
//!         let one_hot: Vec<f32> = batch.classes.iter()
//!             .flat_map(|&c| (0..k).map(move |j| if j == c { 1.0 } else { 0.0 }))
//!             .collect();
//!         let gradient = model.input_gradient(batch.values, batch.n_cells, &one_hot)?;
//!         Ok(gradient.iter().zip(batch.values).map(|(g, x)| g.abs() * x).collect())
//!     }
//! }
//! # let values: Vec<f32> = (0..40).flat_map(|i| [(i % 2) as f32 * 3.0, ((i + 1) % 2) as f32 * 3.0]).collect();
//! # let labels: Vec<&str> = (0..40).map(|i| if i % 2 == 0 { "A" } else { "B" }).collect();
//! # let data = kratos::Dataset::from_matrix(values, 40, 2)?.with_labels(kratos::Labels::from_names(&labels)?)?;
//! # let trained = kratos::Pipeline::paper().dataset(data).epochs(30).learning_rate(1e-2).train()?;
//! let panel = trained.explain(ExpressedSaliency)?;
//! assert_eq!(panel.method(), "expressed-saliency");
//! # Ok::<(), kratos::Error>(())
//! ```
//!
//! The `kratos` command (crate `kratos-cli`) is built on this crate: `kratos demo`, `kratos run`,
//! `kratos evaluate`, `kratos simulate`, `kratos reproduce`.

pub mod analysis;
pub mod anndata;
pub mod design;
mod evaluation;
mod pipeline;
mod progress;

pub use evaluation::{
    EMBEDDING_KMEANS_RUNS, EmbeddingQuality, QUALITY_MAX_CELLS, SILHOUETTE_MAX_CELLS,
    evaluate_panel, rankings_for_classes,
};
pub use kratos_data::{
    self as data, DataError, Dataset, GeneRole, Labels, MinMaxScaler, TrainTestSplit,
    stratified_k_fold, stratified_split,
};
pub use kratos_explain::{
    self as explain, Aggregation, AttributionUnits, CellBatch, ClassWeighting, Combination,
    CosgParams, CwExplainer, CwMode, CwParams, DesignParams, DesignScore, DesignedGene,
    DesignedPanel, Direction, ExplainError, Explainer, GenePanel, GeneStatistics, GeneSummary,
    GradientTimesInput, IgBaseline, IntegratedGradients, IntegratedGradientsParams, Listing,
    MarkerDirection, MarkerTest, PanelOptions, PanelRun, Preprocessing, Preset, PresetDescription,
    RedundancyParams, Saliency, SmoothGrad, SmoothGradParams, ThreeStepParams, ValidDesignParams,
    ValidPanelOptions, ValidPreset, WelchParams, WilcoxonParams, cosg_panel, decorrelate,
    decorrelate_with_relevance, design_candidates, design_panel, explain_ensemble, explain_pair,
    explain_panel, explain_panels, three_step_panel, welch_t_panel, welch_t_test, wilcoxon_panel,
    wilcoxon_test,
};
pub use kratos_metrics as metrics;
pub use kratos_metrics::{
    ClassEvaluation, ClassifierScores, JointEvaluation, JointEvaluationParams, KMeansParams,
    MetricsError, PanelEvaluation, PanelEvaluationParams, RoleCounts, TopKGrid,
    ValidJointEvaluationParams, ValidPanelEvaluationParams, evaluate_joint, pca, pca_of,
    round_robin,
};
pub use kratos_model::{
    self as model, AutodiffBackend, Backend, DefaultBackend, EarlyStoppingConfig, EpochRecord,
    LossKind, ModelError, TrainedModel, TrainingConfig, TrainingHistory, ValidTrainingConfig,
};
pub use kratos_sim as sim;
pub use kratos_sim::{SimError, Simulation, SimulationParams};
pub use pipeline::{Pipeline, TrainedPipeline};
pub use progress::{NoProgress, Progress};

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
    /// The pipeline was asked to train without data.
    #[error("no data set: call .dataset(...) before .train()")]
    NoData,
    /// A parameter of the pipeline or the analysis is out of range.
    #[error("invalid parameter `{name}`: {problem}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// A panel has no ranking for one of the data's classes.
    #[error(
        "the panel has no ranking for class `{class}` of the data (its classes: {panel_classes})"
    )]
    PanelClassMissing {
        /// The data's class.
        class: String,
        /// The panel's classes, comma-separated.
        panel_classes: String,
    },
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
