//! `report.json`: what a run or the demo did, for scripts (the fields they rely on are kept
//! stable).

use std::collections::BTreeMap;

use kratos::analysis::TsneParams;
use kratos::{
    EmbeddingQuality, GeneSummary, PanelEvaluationParams, PresetDescription, RoleCounts,
    TrainingConfig,
};
use serde::Serialize;

/// Everything `report.json` holds. Stable fields: `version`, `data.cells`, `data.genes`,
/// `classes[].name`, `classes[].count`, `accuracy.train`, `accuracy.test`, `embedding.ari`,
/// `embedding.ami`, `embedding.silhouette`, `embedding.kmeans_inertia`, `timings_s.<stage>`,
/// `parameters`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Version of kratos that wrote the report.
    pub version: String,
    /// Versions of kratos and of the main libraries it was built with.
    pub versions: BTreeMap<String, String>,
    /// `run` or `demo`.
    pub command: String,
    /// The input.
    pub data: DataSection,
    /// Classes in label order, with their cell counts.
    pub classes: Vec<ClassSection>,
    /// Classifier accuracy.
    pub accuracy: Accuracy,
    /// Quality of the model's 64-d embedding of all cells.
    pub embedding: EmbeddingQuality,
    /// The same measures for PCA (64 components) of the input, for comparison.
    pub input_pca: Option<EmbeddingQuality>,
    /// Seconds per stage.
    pub timings_s: BTreeMap<String, f64>,
    /// The largest resident memory of the run, in MB (10^6 bytes), when the system says
    /// (Linux).
    pub peak_memory_mb: Option<f64>,
    /// Every parameter.
    pub parameters: Parameters,
    /// One entry per panel written.
    pub panels: Vec<PanelSection>,
    /// SVM top-k evaluation per panel (empty when not evaluated).
    pub evaluation: Vec<MethodEvaluation>,
    /// Demo only: ground-truth gene roles among each panel's top 20.
    pub simulation: Option<SimulationSection>,
    /// Files written, relative to the output folder.
    pub files: Vec<String>,
    /// Things the user should know (skipped classes, degenerate panels, subsampling).
    pub warnings: Vec<String>,
}

/// The input data.
#[derive(Debug, Clone, Serialize)]
pub struct DataSection {
    /// Path given (absent for the demo).
    pub path: Option<String>,
    /// Cells.
    pub cells: usize,
    /// Genes.
    pub genes: usize,
    /// Genes the models saw: all of them, or those of the default's screen.
    pub model_genes: usize,
    /// Where the labels came from.
    pub labels: String,
    /// Whether the values look like counts (non-negative integers).
    pub looks_like_counts: bool,
    /// Whether log1p was applied before the model's min-max scaling.
    pub log1p_applied: bool,
}

/// A class and its cells.
#[derive(Debug, Clone, Serialize)]
pub struct ClassSection {
    /// Class name.
    pub name: String,
    /// Cells.
    pub count: usize,
    /// Training cells.
    pub train: usize,
    /// Test cells.
    pub test: usize,
}

/// Classifier accuracy.
#[derive(Debug, Clone, Serialize)]
pub struct Accuracy {
    /// On the training split.
    pub train: f64,
    /// On the held-out test split.
    pub test: f64,
}

/// Every parameter of the run.
#[derive(Debug, Clone, Serialize)]
pub struct Parameters {
    /// Seed of the split, training, explainers, k-means and maps.
    pub seed: u64,
    /// Fraction of cells held out for testing.
    pub test_fraction: f64,
    /// `auto`, `log1p` or `none`.
    pub preprocessing: String,
    /// The panels written, in order.
    pub methods: Vec<String>,
    /// Which genes the one-vs-rest panels list first (`both`: the ranking as it is, `up` or
    /// `down`); the marker tests keep their own order.
    pub direction: kratos::Listing,
    /// The classifier and its training.
    pub training: TrainingConfig,
    /// Cells explained and aggregation of the per-method panels.
    pub panel_options: kratos::PanelOptions,
    /// What the `kratos` panel is made of.
    pub kratos_default: PresetDescription,
    /// SVM evaluation parameters (absent when not evaluated).
    pub evaluation: Option<PanelEvaluationParams>,
    /// The 2-D maps (absent without plots).
    pub map: Option<MapSection>,
}

/// How the 2-D maps were made.
#[derive(Debug, Clone, Serialize)]
pub struct MapSection {
    /// t-SNE parameters.
    pub tsne: TsneParams,
    /// Cells drawn.
    pub cells: usize,
    /// Whether the cells were subsampled (stratified by label, seeded).
    pub subsampled: bool,
}

/// One panel file.
#[derive(Debug, Clone, Serialize)]
pub struct PanelSection {
    /// Method name (file `panels/<method>.tsv`).
    pub method: String,
    /// File, relative to the output folder.
    pub file: String,
    /// Cells explained per class.
    pub cells_used: Vec<usize>,
    /// Classes whose scores are degenerate (no usable ranking).
    pub degenerate_classes: Vec<String>,
    /// The top genes of every class.
    pub top: Vec<ClassTop>,
}

/// The top genes of one class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassTop {
    /// Class name.
    pub class: String,
    /// Genes, in the panel's order (best first).
    pub genes: Vec<String>,
    /// The same genes with their score and, for one-vs-rest panels, what the data say about
    /// them in the class.
    pub markers: Vec<TopGene>,
}

/// One of a class's top genes.
#[derive(Debug, Clone, Serialize)]
pub struct TopGene {
    /// Gene name.
    pub gene: String,
    /// The panel's score (what it means depends on the method: docs/data-formats.md).
    pub score: f32,
    /// `direction` (`up`/`down`), `log_fold_change`, `fraction_in`, `fraction_rest`; absent
    /// for one-vs-one panels.
    #[serde(flatten)]
    pub summary: Option<GeneSummary>,
}

/// The SVM evaluation of one panel.
#[derive(Debug, Clone, Serialize)]
pub struct MethodEvaluation {
    /// Method name.
    pub method: String,
    /// The evaluation (panel sizes, per-class and mean AUROC and redundancy).
    #[serde(flatten)]
    pub result: kratos::PanelEvaluation,
}

/// Demo: ground truth of the simulation.
#[derive(Debug, Clone, Serialize)]
pub struct SimulationSection {
    /// Simulation preset.
    pub preset: String,
    /// Genes per role.
    pub genes: RoleCounts,
    /// Roles among each panel's top 20 per class.
    pub top20: Vec<RoleRow>,
}

/// Roles among one panel's top genes.
#[derive(Debug, Clone, Serialize)]
pub struct RoleRow {
    /// Method name.
    pub method: String,
    /// Summed over classes.
    pub total: RoleCounts,
    /// Per class.
    pub per_class: Vec<RoleCounts>,
    /// Mean AUROC at 5% of the genes, if evaluated.
    pub auroc_top5pct: Option<f64>,
}

/// Versions of kratos and of the libraries it was built with (read from Cargo.lock at build
/// time by build.rs), and which matrix multiply the backend uses (`blas` feature or not).
pub fn versions() -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    v.insert("kratos".to_string(), env!("CARGO_PKG_VERSION").to_string());
    v.insert(
        "matrix multiply".to_string(),
        kratos::model::MATRIX_MULTIPLY.to_string(),
    );
    for pair in env!("KRATOS_DEPENDENCY_VERSIONS").split(',') {
        if let Some((name, version)) = pair.split_once('=') {
            v.insert(name.to_string(), version.to_string());
        }
    }
    v
}
