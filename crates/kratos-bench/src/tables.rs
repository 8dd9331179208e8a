//! Table 1 (gene roles in the simulation's top-20 lists), Table 2 (the embedding against PCA-64
//! and the raw input) and the AUROC / redundancy curves of every method on a real data set.

use std::path::Path;
use std::time::Instant;

use kratos::analysis::stratified_subsample;
use kratos::metrics::role_counts;
use kratos::{
    Dataset, EmbeddingQuality, PanelEvaluation, Pipeline, Preprocessing, Preset, Progress,
    evaluate_panel,
};
use serde::Serialize;

use crate::registry::{DataSet, Prep, simulation_copy};
use crate::roster::all_panels;
use crate::{Result, ValidReproduceParams};

/// Genes per class in the simulation and stability tables.
pub const TOP: usize = 20;

/// The paper's simulation result (Kratos CW, top-20 per type: causal, dependent, noise).
pub const PAPER_TABLE1: [[usize; 3]; 5] =
    [[8, 12, 0], [8, 11, 1], [10, 10, 0], [10, 10, 0], [9, 11, 0]];
/// The paper's PBMC3k embedding (silhouette, ARI, AMI).
pub const PAPER_TABLE2: [f64; 3] = [0.3745, 0.8495, 0.8547];

/// One method's row of Table 1.
#[derive(Debug, Clone, Serialize)]
pub struct SimulationRow {
    /// Method.
    pub method: String,
    /// Per class: causal, dependent, noise genes among the top 20.
    pub counts: Vec<[usize; 3]>,
    /// Seconds to make the panel.
    pub seconds: f64,
}

impl SimulationRow {
    /// Noise genes over all classes' top-20 lists.
    pub fn noise(&self) -> usize {
        self.counts.iter().map(|c| c[2]).sum()
    }
}

/// Table 1 on one simulation file.
#[derive(Debug, Clone, Serialize)]
pub struct SimulationResult {
    /// File name.
    pub file: String,
    /// Cells.
    pub cells: usize,
    /// Genes.
    pub genes: usize,
    /// Test accuracy of the paper-preset classifier.
    pub test_accuracy: f64,
    /// One row per method.
    pub rows: Vec<SimulationRow>,
}

impl SimulationResult {
    /// The row of `method`.
    pub fn row(&self, method: &str) -> Option<&SimulationRow> {
        self.rows.iter().find(|r| r.method == method)
    }
}

/// Table 1 on the published simulation CSV `path` (an evaluation copy: columns shuffled with
/// seed 1, neutral names), every method trained with `seed`.
pub fn simulation_table(path: &Path, seed: u64) -> Result<SimulationResult> {
    let (data, roles) = simulation_copy(path, 1)?;
    let (trained, panels) = all_panels(&data, seed, Preset::paper().preprocessing)?;
    let mut rows = Vec::new();
    for t in &panels {
        let counts = role_counts(t.panel.rankings(), &roles, TOP)?
            .iter()
            .map(|c| [c.causal, c.dependent, c.noise])
            .collect();
        rows.push(SimulationRow {
            method: t.panel.method().to_string(),
            counts,
            seconds: t.seconds,
        });
    }
    Ok(SimulationResult {
        file: path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        cells: data.n_cells(),
        genes: data.n_genes(),
        test_accuracy: trained.test_accuracy(),
        rows,
    })
}

/// ARI, AMI and silhouette of one embedding.
#[derive(Debug, Clone, Serialize)]
pub struct Quality {
    /// Silhouette of the true labels.
    pub silhouette: Option<f64>,
    /// Adjusted Rand index of k-means.
    pub ari: f64,
    /// Adjusted mutual information of k-means.
    pub ami: f64,
    /// Inertia of the k-means clustering.
    pub kmeans_inertia: f64,
}

impl From<&EmbeddingQuality> for Quality {
    fn from(q: &EmbeddingQuality) -> Self {
        Quality {
            silhouette: q.silhouette,
            ari: q.ari,
            ami: q.ami,
            kmeans_inertia: q.kmeans_inertia,
        }
    }
}

/// One method's AUROC / redundancy curve.
#[derive(Debug, Clone, Serialize)]
pub struct CurveResult {
    /// Method.
    pub method: String,
    /// Seconds to make the panel.
    pub explain_seconds: f64,
    /// The SVM protocol's result.
    pub evaluation: PanelEvaluation,
}

impl CurveResult {
    /// Mean AUROC and redundancy at the grid value closest to `percent` of the genes.
    pub fn at_percent(&self, percent: f64) -> (f64, Option<f64>) {
        let e = &self.evaluation;
        let Some(p) = e.percents.as_ref() else {
            return (f64::NAN, None);
        };
        let Some(i) =
            (0..p.len()).min_by(|&a, &b| (p[a] - percent).abs().total_cmp(&(p[b] - percent).abs()))
        else {
            return (f64::NAN, None);
        };
        (e.mean_auroc[i], e.mean_redundancy[i])
    }
}

/// Table 2 and the curves on one real data set.
#[derive(Debug, Clone, Serialize)]
pub struct RealResult {
    /// The data set's title.
    pub key: String,
    /// Cells.
    pub cells: usize,
    /// Genes.
    pub genes: usize,
    /// Classes.
    pub classes: usize,
    /// Preparation before training.
    pub preparation: Prep,
    /// Test accuracy of the paper-preset classifier.
    pub test_accuracy: f64,
    /// Seconds of its training.
    pub train_seconds: f64,
    /// Cells the embedding table was computed on.
    pub table2_cells: usize,
    /// The 64-d embedding.
    pub embedding: Quality,
    /// PCA-64 of the standardised input.
    pub pca64: Option<Quality>,
    /// The raw (min-max scaled) input.
    pub raw: Quality,
    /// Cells of the SVM evaluation.
    pub eval_cells: usize,
    /// One curve per method (none when the set has no curves).
    pub curves: Vec<CurveResult>,
}

impl RealResult {
    /// The curve of `method`.
    pub fn curve(&self, method: &str) -> Option<&CurveResult> {
        self.curves.iter().find(|c| c.method == method)
    }
}

/// Table 2 and (for sets with curves) every method's curves on the prepared data `ds` of
/// `set`.
pub fn real_data(
    ds: Dataset,
    set: &DataSet,
    params: &ValidReproduceParams,
    progress: &dyn Progress,
) -> Result<RealResult> {
    let seed = params.seed;
    let (n, g) = ds.shape();
    let classes = ds.require_labels()?.n_classes();
    let start = Instant::now();
    let (trained, panels) = if set.curves {
        all_panels(&ds, seed, Preprocessing::AsIs)?
    } else {
        let t = Pipeline::paper().dataset(ds.clone()).seed(seed).train()?;
        (t, Vec::new())
    };
    let train_seconds =
        start.elapsed().as_secs_f64() - panels.iter().map(|p| p.seconds).sum::<f64>();
    let input = trained.model_input();
    let labels = input.require_labels()?.clone();

    // Table 2 on at most `table2_cells` cells (stratified).
    let rows = stratified_subsample(labels.assignments(), params.table2_cells(), seed);
    let sub_labels = labels.select(&rows);
    let m = rows.len();
    let embedding = trained.embedding()?;
    let dims = trained.model().embedding_size();
    let pick = |values: &[f32], d: usize| -> Vec<f32> {
        rows.iter()
            .flat_map(|&i| values[i * d..(i + 1) * d].iter().copied())
            .collect()
    };
    let q_embedding = EmbeddingQuality::of(&pick(&embedding, dims), m, dims, &sub_labels, seed)?;
    let scaled = trained.model().scaled_values(input)?;
    let q_pca = match kratos::pca(&scaled, n, g, &rows, 64) {
        Some((values, d)) => Some(EmbeddingQuality::of(
            &pick(&values, d),
            m,
            d,
            &sub_labels,
            seed,
        )?),
        None => None,
    };
    let q_raw = EmbeddingQuality::of(&pick(&scaled, g), m, g, &sub_labels, seed)?;

    // Curves on at most `eval_cells` cells.
    let mut curves = Vec::new();
    if set.curves {
        let eval_rows = stratified_subsample(labels.assignments(), params.eval_cells, seed);
        let eval_data = input.select_cells(&eval_rows);
        let evaluation = params.evaluation();
        let tasks = evaluation.grid.ks(g).len() * classes * panels.len();
        progress.start("evaluating", tasks as u64);
        for t in &panels {
            progress.detail(&format!("{} {}", set.title, t.panel.method()));
            let result =
                evaluate_panel(&eval_data, &t.panel, evaluation, |_, _| progress.advance(1))?;
            curves.push(CurveResult {
                method: t.panel.method().to_string(),
                explain_seconds: t.seconds,
                evaluation: result,
            });
        }
        progress.finish();
    }
    Ok(RealResult {
        key: set.title.to_string(),
        cells: n,
        genes: g,
        classes,
        preparation: set.prep,
        test_accuracy: trained.test_accuracy(),
        train_seconds,
        table2_cells: m,
        embedding: (&q_embedding).into(),
        pca64: q_pca.as_ref().map(Quality::from),
        raw: (&q_raw).into(),
        eval_cells: curves.first().map_or(0, |_| params.eval_cells.min(n)),
        curves,
    })
}
