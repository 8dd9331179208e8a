use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use kratos_data::Dataset;
use kratos_explain::{
    Explainer, GenePanel, GeneStatistics, GradientTimesInput, IntegratedGradients, Listing,
    MarkerTest, Preset, PresetDescription, Saliency, SmoothGrad, WelchParams, WilcoxonParams,
    welch_t_panel, wilcoxon_test,
};
use kratos_metrics::PanelEvaluation;
use kratos_model::DefaultBackend;
use serde::Serialize;

use super::maps::{self, Points, TsneParams};
use super::{Method, ValidAnalysisParams};
use crate::evaluation::{EmbeddingQuality, evaluate_panel};
use crate::{Pipeline, Progress, Result, TrainedPipeline};

/// Epochs of each t-SNE map ([`maps::tsne`]).
const TSNE_EPOCHS: u64 = 750;
/// Principal components of the input PCA baseline.
const PCA_COMPONENTS: usize = 64;

/// Seconds per stage, in the order they ran.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Timings {
    /// (stage, seconds).
    pub stages: Vec<(String, f64)>,
}

impl Timings {
    /// Runs `f` and records its time under `stage`.
    pub fn time<T>(&mut self, stage: &str, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.add(stage, start.elapsed().as_secs_f64());
        if std::env::var_os("KRATOS_MEM_TRACE").is_some() {
            eprintln!(
                "MEM after {stage}: {:?} MB",
                peak_memory_bytes().map(|b| b / 1_000_000)
            );
        }
        out
    }

    /// Records `seconds` under `stage`.
    pub fn add(&mut self, stage: &str, seconds: f64) {
        if std::env::var_os("KRATOS_MEM_TRACE").is_some() {
            eprintln!(
                "MEM at add {stage}: {:?} MB",
                peak_memory_bytes().map(|b| b / 1_000_000)
            );
        }
        self.stages.push((stage.to_string(), seconds));
    }

    /// As a map, e.g. for `report.json`.
    pub fn map(&self) -> BTreeMap<String, f64> {
        self.stages.iter().cloned().collect()
    }

    /// One line, e.g. `train 0.7s, explain_cw 2.1s`.
    pub fn line(&self) -> String {
        self.stages
            .iter()
            .map(|(k, v)| format!("{k} {v:.1}s"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The largest resident memory of this process so far, in bytes (`VmHWM` of
/// `/proc/self/status`; `None` where there is no such file, e.g. off Linux).
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The 2-D maps of an analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Maps {
    /// Cells drawn (indices into the data).
    pub cells: Vec<usize>,
    /// t-SNE of the kratos embedding.
    pub kratos: Vec<[f32; 2]>,
    /// t-SNE of PCA of the input.
    pub pca: Option<Vec<[f32; 2]>>,
    /// How they were made.
    pub params: TsneParams,
}

/// The results of [`analyse`].
pub struct Analysis {
    /// The trained default pipeline: its models, data and split.
    pub trained: TrainedPipeline<DefaultBackend>,
    /// Every panel: the default panel (`kratos`) first, then one per method in the order asked.
    /// One-vs-rest panels carry [`Analysis::statistics`] ([`GenePanel::summary`]) and are
    /// listed as [`super::AnalysisParams::direction`] asks (the marker tests in their own
    /// order).
    pub panels: Vec<GenePanel>,
    /// One-vs-rest statistics of every class and gene (direction, fold change, fractions of
    /// expressing cells) on [`TrainedPipeline::all_genes_input`], computed once for every
    /// panel.
    pub statistics: Arc<GeneStatistics>,
    /// The Wilcoxon test behind the `wilcoxon` panel, when the methods asked for one (its
    /// p-values go into the AnnData file, [`crate::anndata::analysis_extras`]).
    pub wilcoxon: Option<MarkerTest>,
    /// What the default panel is made of.
    pub kratos_default: PresetDescription,
    /// The embedding of all cells (row-major, cells x dims).
    pub embedding: Vec<f32>,
    /// Its quality.
    pub quality: EmbeddingQuality,
    /// Quality of PCA of the input, for comparison.
    pub input_pca: Option<EmbeddingQuality>,
    /// SVM evaluation per one-vs-rest panel (method, result).
    pub evaluations: Vec<(String, PanelEvaluation)>,
    /// The maps, if asked for.
    pub maps: Option<Maps>,
    /// Seconds per stage.
    pub timings: Timings,
    /// Notes for the user.
    pub warnings: Vec<String>,
}

fn explainer_for(method: Method) -> Option<Box<dyn Explainer<DefaultBackend>>> {
    match method {
        Method::SmoothGrad => Some(Box::new(SmoothGrad::default())),
        Method::Ig => Some(Box::new(IntegratedGradients::default())),
        Method::Saliency => Some(Box::new(Saliency)),
        Method::GradInput => Some(Box::new(GradientTimesInput)),
        Method::Paper | Method::Cw | Method::CwOvo | Method::Wilcoxon | Method::TTest => None,
    }
}

/// The published method on `data` (raw values): its own model, trained with the analysis's
/// training configuration and seed (so on the same training cells) for all its epochs (no
/// bound on mini-batches, as published), explained by CW.
fn paper_panel(
    data: Dataset,
    params: &ValidAnalysisParams,
    progress: &dyn Progress,
) -> Result<GenePanel> {
    let pipeline = Pipeline::paper()
        .dataset(data)
        .training(params.training().inner().clone().with_max_steps(None))
        .panel_options(params.panel_options().inner().clone())
        .seed(params.seed());
    let epochs = pipeline.total_epochs();
    let trained = pipeline
        .on_epoch(|_, r| {
            progress.detail(&format!("paper: epoch {}/{epochs}", r.epoch));
        })
        .train()?;
    trained.panel()
}

/// `panel` as the analysis lists it: `direction`'s genes first unless it is a marker test's
/// (which keeps scanpy's order, genes higher in the class first), with `statistics` attached.
fn present(
    panel: GenePanel,
    marker_test: bool,
    direction: Listing,
    statistics: &Arc<GeneStatistics>,
) -> Result<GenePanel> {
    let panel = if marker_test {
        panel
    } else {
        panel.listing(direction, statistics)?
    };
    Ok(panel.with_statistics(statistics.clone())?)
}

/// Trains the default pipeline on the labelled `data`, makes the default panel and the panels
/// of `params.methods` with the same models, embeds all cells, scores the embedding (and PCA of
/// the input), evaluates the panels if asked and computes the maps. `timings` may already hold
/// stages of the caller (e.g. reading); the analysis appends its own.
pub fn analyse(
    data: Dataset,
    params: &ValidAnalysisParams,
    progress: &dyn Progress,
) -> Result<Analysis> {
    analyse_timed(data, params, progress, Timings::default())
}

/// [`analyse`], appending to the caller's `timings`.
pub fn analyse_timed(
    data: Dataset,
    params: &ValidAnalysisParams,
    progress: &dyn Progress,
    mut timings: Timings,
) -> Result<Analysis> {
    let seed = params.seed();
    let mut warnings = Vec::new();
    // The paper's method trains its own model on the values as given.
    let mut raw = params
        .methods
        .contains(&Method::Paper)
        .then(|| data.clone());

    // Train once: the default panel's ensemble, which every method but the paper's uses.
    let pipeline = Pipeline::with_preset(Preset::default())
        .dataset(data)
        .preprocessing(params.preprocessing)
        .training(params.training().inner().clone())
        .panel_options(params.panel_options().inner().clone())
        .seed(seed);
    progress.start("training", pipeline.total_epochs() as u64);
    let trained = timings.time("train", || {
        pipeline
            .on_epoch(|member, r| {
                progress.detail(&format!("model {} loss {:.4}", member + 1, r.train_loss));
                progress.advance(1);
            })
            .train()
    })?;
    progress.finish();
    // What every one-vs-rest panel reports beside its genes, once for all of them.
    let statistics = Arc::new(timings.time("gene_statistics", || {
        GeneStatistics::of(trained.all_genes_input())
    })?);
    let direction = params.direction;

    // The default panel, then every method on the same models.
    progress.start("explaining", params.methods.len() as u64 + 1);
    progress.detail("kratos panel");
    let run = timings.time("explain_kratos", || trained.panel_run())?;
    progress.advance(1);
    let mut panels = vec![present(run.panel().clone(), false, direction, &statistics)?];
    let mut wilcoxon = None;
    for &m in &params.methods {
        progress.detail(m.name());
        // The marker tests see every gene, as a user's own would.
        let input = trained.all_genes_input();
        let panel = match m {
            Method::Paper => match raw.take() {
                Some(data) => {
                    timings.time("explain_paper", || paper_panel(data, params, progress))?
                }
                // Asked for twice: the first panel stands.
                None => continue,
            },
            Method::Cw => run.cw().clone(),
            Method::Wilcoxon => {
                let test = timings.time("baseline_wilcoxon", || {
                    wilcoxon_test(input, &WilcoxonParams::new())
                })?;
                let panel = test.panel().clone();
                wilcoxon.get_or_insert(test);
                panel
            }
            Method::TTest => timings.time("baseline_t-test", || {
                welch_t_panel(input, &WelchParams::new())
            })?,
            Method::CwOvo => timings.time("explain_cw-ovo", || {
                trained.explain_all_pairs(|done, total| {
                    progress.detail(&format!("cw-ovo pair {done}/{total}"))
                })
            })?,
            other => {
                let e = explainer_for(other).expect("an explainer");
                timings
                    .time(&format!("explain_{}", e.name()), || {
                        trained.explain_with(&[e.as_ref()])
                    })?
                    .remove(0)
            }
        };
        // One-vs-one panels rank genes for pairs of classes, which one-vs-rest statistics do
        // not describe: they stay as they are.
        let panel = match m {
            Method::CwOvo => panel,
            _ => present(panel, m.is_marker_test(), direction, &statistics)?,
        };
        panels.push(panel);
        progress.advance(1);
    }
    progress.finish();
    let kratos_default = run.description().clone();
    drop(run);
    for p in &panels {
        let bad = p.degenerate_classes();
        if !bad.is_empty() {
            let names: Vec<&str> = bad.iter().map(|&c| p.class_names()[c].as_str()).collect();
            warnings.push(format!(
                "panel `{}`: degenerate scores for {} (no cell explained or no gene stands out; more epochs may help)",
                p.method(),
                names.join(", ")
            ));
        }
    }

    // Embedding and its quality on all cells.
    let input = trained.model_input();
    let labels = input.require_labels()?.clone();
    let n = input.n_cells();
    let dims = trained.model().embedding_size();
    let embedding = timings.time("embed", || trained.embedding())?;
    let quality = timings.time("embedding_quality", || {
        EmbeddingQuality::of(&embedding, n, dims, &labels, seed)
    })?;

    // PCA of the input (fitted on at most `map_cells` cells), as a baseline and for its map.
    let map_rows = maps::stratified_subsample(labels.assignments(), params.map_cells, seed);
    let pca = timings.time("pca", || maps::pca_of(input, &map_rows, PCA_COMPONENTS));
    let input_pca = match &pca {
        Some(p) => Some(EmbeddingQuality::of(&p.values, n, p.dims, &labels, seed)?),
        None => {
            warnings.push("PCA of the input is not defined for this data; no baseline".into());
            None
        }
    };

    // SVM evaluation of every one-vs-rest panel, on every gene.
    let mut evaluations = Vec::new();
    if let Some(evaluation) = params.evaluation() {
        let input = trained.all_genes_input();
        let to_score: Vec<&GenePanel> = panels.iter().filter(|p| p.method() != "cw-ovo").collect();
        let tasks = evaluation.grid.ks(input.n_genes()).len() * labels.n_classes();
        progress.start("evaluating", (tasks * to_score.len()) as u64);
        let start = Instant::now();
        for p in to_score {
            progress.detail(p.method());
            let result = evaluate_panel(input, p, evaluation, |_, _| progress.advance(1))?;
            if evaluations.is_empty() {
                for (name, cells) in &result.skipped {
                    warnings.push(format!(
                        "class `{name}` ({cells} cells) is too small for 3-fold evaluation and is left out of the AUROC means"
                    ));
                }
            }
            evaluations.push((p.method().to_string(), result));
        }
        progress.finish();
        timings.add("evaluate", start.elapsed().as_secs_f64());
    }

    // 2-D maps.
    let mut map = None;
    if params.maps {
        if map_rows.len() < n {
            let text = format!(
                "the t-SNE maps show {} of {} cells (stratified by label, seeded)",
                map_rows.len(),
                n
            );
            progress.note(&text);
            warnings.push(text);
        }
        let jobs = if pca.is_some() { 2 } else { 1 };
        progress.start("t-SNE", TSNE_EPOCHS * jobs);
        let start = Instant::now();
        let points = Points {
            values: embedding.clone(),
            n,
            dims,
        }
        .select(&map_rows);
        // The two maps are independent and each runs on one thread (for reproducibility): on
        // two threads side by side.
        progress.detail("kratos embedding and PCA of the input");
        let (kratos_map, pca_map) = rayon::join(
            || maps::tsne(&points, |_| progress.advance(1)),
            || {
                pca.as_ref()
                    .and_then(|p| maps::tsne(&p.select(&map_rows), |_| progress.advance(1)))
            },
        );
        progress.finish();
        timings.add("tsne", start.elapsed().as_secs_f64());
        match kratos_map {
            Some((points, tsne)) => {
                map = Some(Maps {
                    cells: map_rows,
                    kratos: points,
                    pca: pca_map.map(|m| m.0),
                    params: tsne,
                })
            }
            None => warnings.push("too few cells for a t-SNE map".into()),
        }
    }
    Ok(Analysis {
        trained,
        panels,
        statistics,
        wilcoxon,
        kratos_default,
        embedding,
        quality,
        input_pca,
        evaluations,
        maps: map,
        timings,
        warnings,
    })
}
