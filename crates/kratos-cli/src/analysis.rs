//! The work `run` and `demo` share: train, explain with every method and the default kratos
//! preset, embed, score the embedding, evaluate the panels, draw the maps; then write the
//! output folder.

use std::collections::BTreeMap;
use std::time::Instant;

use kratos::explain::looks_like_counts;
use kratos::{
    CwExplainer, Dataset, DefaultBackend, EmbeddingQuality, Explainer, GenePanel,
    GradientTimesInput, IntegratedGradients, PanelEvaluation, PanelEvaluationParams, PanelOptions,
    Pipeline, Preprocessing, Preset, PresetDescription, Saliency, SmoothGrad, TrainedPipeline,
    TrainingConfig, WelchParams, WilcoxonParams, evaluate_panel_with_progress, welch_t_panel,
    wilcoxon_panel,
};

use crate::CliError;
use crate::args::{Method, PreprocessingArg};
use crate::output::{OutputDir, embedding_tsv, note};
use crate::plots::{self, Curve, DotPlot, Map, Series};
use crate::progress::Progress;
use crate::reduce::{self, Points, TsneParams};
use crate::report::{
    Accuracy, ClassSection, ClassTop, DataSection, Figure, MapSection, MethodEvaluation,
    PanelSection, Parameters, Report, versions,
};

/// What to do.
#[derive(Debug, Clone)]
pub struct AnalysisOptions {
    /// Explainers, besides the kratos panel.
    pub methods: Vec<Method>,
    /// Classifier and training (its seed is the run's seed).
    pub training: TrainingConfig,
    /// Preprocessing before min-max scaling.
    pub preprocessing: PreprocessingArg,
    /// At most this many cells per class are explained (`None`: all), by every explainer and
    /// the kratos panel.
    pub cells_per_class: Option<usize>,
    /// SVM evaluation of the panels, if any.
    pub evaluation: Option<PanelEvaluationParams>,
    /// Genes per class in the summaries.
    pub top: usize,
    /// At most this many cells in the t-SNE maps.
    pub map_cells: usize,
    /// Draw plots (and compute the maps).
    pub plots: bool,
}

impl AnalysisOptions {
    fn seed(&self) -> u64 {
        self.training.seed
    }

    fn preprocessing(&self) -> Preprocessing {
        match self.preprocessing {
            PreprocessingArg::Auto => Preprocessing::Log1pIfCounts,
            PreprocessingArg::Log1p => Preprocessing::Log1p,
            PreprocessingArg::None => Preprocessing::AsIs,
        }
    }
}

/// Seconds per stage, in the order they ran.
#[derive(Debug, Default, Clone)]
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
        out
    }

    /// Records `seconds` under `stage`.
    pub fn add(&mut self, stage: &str, seconds: f64) {
        self.stages.push((stage.to_string(), seconds));
    }

    /// As a map for `report.json`.
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

/// The 2-D maps of the report.
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
    /// The trained classifier, its data and split.
    pub trained: TrainedPipeline<DefaultBackend>,
    /// Every panel: the kratos panel first, then one per method.
    pub panels: Vec<GenePanel>,
    /// What the kratos panel is made of.
    pub kratos_default: PresetDescription,
    /// The embedding of all cells (row-major, cells x dims).
    pub embedding: Vec<f32>,
    /// Its quality.
    pub quality: EmbeddingQuality,
    /// Quality of PCA of the input, for comparison.
    pub input_pca: Option<EmbeddingQuality>,
    /// SVM evaluation per panel (one-vs-rest panels only).
    pub evaluations: Vec<(String, PanelEvaluation)>,
    /// The maps, with plots.
    pub maps: Option<Maps>,
    /// Seconds per stage.
    pub timings: Timings,
    /// Notes for the user.
    pub warnings: Vec<String>,
}

fn explainer_for(method: Method) -> Box<dyn Explainer<DefaultBackend>> {
    match method {
        Method::Cw | Method::CwOvo => Box::new(CwExplainer::default()),
        Method::Smoothgrad => Box::new(SmoothGrad::default()),
        Method::Ig => Box::new(IntegratedGradients::default()),
        Method::Saliency => Box::new(Saliency),
        Method::GradInput => Box::new(GradientTimesInput),
        Method::Wilcoxon | Method::TTest => unreachable!("baselines are not explainers"),
    }
}

/// Trains, explains, embeds, evaluates and maps `data` (labelled).
pub fn analyse(
    data: Dataset,
    options: &AnalysisOptions,
    progress: Progress,
    mut timings: Timings,
) -> Result<Analysis, CliError> {
    let seed = options.seed();
    let mut warnings = Vec::new();
    let panel_options = PanelOptions {
        max_cells_per_class: options.cells_per_class,
        seed,
        ..PanelOptions::default()
    };

    // Train.
    let bar = progress.bar(options.training.epochs as u64, "training");
    let trained = timings.time("train", || {
        Pipeline::new()
            .dataset(data)
            .preprocessing(options.preprocessing())
            .training_config(options.training.clone())
            .panel_options(panel_options.clone())
            .on_epoch(|r| {
                bar.set_prefix(format!("loss {:.4}", r.train_loss));
                bar.inc(1);
            })
            .train()
    })?;
    bar.finish_and_clear();

    // Explain: every requested method, then the default kratos panel.
    let mut methods: Vec<Method> = Vec::new();
    for &m in &options.methods {
        if !methods.contains(&m) {
            methods.push(m);
        }
    }
    let bar = progress.bar(methods.len() as u64 + 1, "explaining");
    let mut panels = Vec::new();
    let preset = Preset::default()
        .with_preprocessing(options.preprocessing())
        .with_training(options.training.clone())
        .with_seed(seed)
        .with_panel_options(panel_options);
    bar.set_prefix(format!("kratos (ensemble of {})", preset.ensemble_size));
    let run = timings.time("explain_kratos", || trained.run_preset(&preset))?;
    panels.push(run.panel().clone());
    let kratos_default = run.description().clone();
    drop(run);
    bar.inc(1);
    for m in methods {
        bar.set_prefix(m.name());
        let panel = if m == Method::Wilcoxon {
            timings.time("baseline_wilcoxon", || {
                wilcoxon_panel(trained.model_input(), &WilcoxonParams::new())
            })?
        } else if m == Method::TTest {
            timings.time("baseline_t-test", || {
                welch_t_panel(trained.model_input(), &WelchParams::new())
            })?
        } else if m == Method::CwOvo {
            timings.time("explain_cw-ovo", || {
                trained.explain_all_pairs(|done, total| {
                    bar.set_prefix(format!("cw-ovo pair {done}/{total}"))
                })
            })?
        } else {
            let e = explainer_for(m);
            timings
                .time(&format!("explain_{}", e.name()), || {
                    trained.explain_with(&[e.as_ref()])
                })?
                .remove(0)
        };
        panels.push(panel);
        bar.inc(1);
    }
    bar.finish_and_clear();
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
    let labels = trained.dataset().require_labels()?.clone();
    let n = trained.dataset().n_cells();
    let dims = trained.model().embedding_size();
    let embedding = timings.time("embed", || trained.embedding())?;
    let quality = timings.time("embedding_quality", || {
        EmbeddingQuality::of(&embedding, n, dims, &labels, seed)
    })?;

    // PCA of the input (fitted on at most `map_cells` cells), as a baseline and for its map.
    let map_rows = reduce::stratified_subsample(labels.assignments(), options.map_cells, seed);
    let input = trained.model_input();
    let pca = timings.time("pca", || {
        reduce::pca(input.values(), n, input.n_genes(), &map_rows, 64)
    });
    let input_pca = match &pca {
        Some(p) => Some(EmbeddingQuality::of(&p.values, n, p.dims, &labels, seed)?),
        None => {
            warnings.push("PCA of the input is not defined for this data; no baseline".into());
            None
        }
    };

    // SVM evaluation of every one-vs-rest panel.
    let mut evaluations = Vec::new();
    if let Some(params) = &options.evaluation {
        let panels_to_score: Vec<&GenePanel> =
            panels.iter().filter(|p| p.method() != "cw-ovo").collect();
        let steps = params.grid.ks(trained.dataset().n_genes()).len() * panels_to_score.len();
        let bar = progress.bar(steps as u64, "evaluating");
        let start = Instant::now();
        for p in panels_to_score {
            bar.set_prefix(p.method().to_string());
            let result =
                evaluate_panel_with_progress(trained.dataset(), p, params, |_, _| bar.inc(1))?;
            if evaluations.is_empty() {
                for (name, cells) in &result.skipped {
                    warnings.push(format!(
                        "class `{name}` ({cells} cells) is too small for 3-fold evaluation and is left out of the AUROC means"
                    ));
                }
            }
            evaluations.push((p.method().to_string(), result));
        }
        bar.finish_and_clear();
        timings.add("evaluate", start.elapsed().as_secs_f64());
    }

    // 2-D maps.
    let mut maps = None;
    if options.plots {
        if map_rows.len() < n {
            let text = format!(
                "the t-SNE maps show {} of {} cells (stratified by label, seeded; --map-cells to change)",
                map_rows.len(),
                n
            );
            note(&text);
            warnings.push(text);
        }
        let epochs_each = 750u64;
        let jobs = if pca.is_some() { 2 } else { 1 };
        let bar = progress.bar(epochs_each * jobs, "t-SNE");
        let start = Instant::now();
        let emb = Points {
            values: embedding.clone(),
            n,
            dims,
        }
        .select(&map_rows);
        bar.set_prefix("kratos embedding");
        let kratos_map = reduce::tsne(&emb, |_| bar.inc(1));
        bar.set_prefix("PCA of the input");
        let pca_map = pca
            .as_ref()
            .and_then(|p| reduce::tsne(&p.select(&map_rows), |_| bar.inc(1)));
        bar.finish_and_clear();
        timings.add("tsne", start.elapsed().as_secs_f64());
        match kratos_map {
            Some((points, params)) => {
                maps = Some(Maps {
                    cells: map_rows,
                    kratos: points,
                    pca: pca_map.map(|m| m.0),
                    params,
                })
            }
            None => warnings.push("too few cells for a t-SNE map".into()),
        }
    }
    Ok(Analysis {
        trained,
        panels,
        kratos_default,
        embedding,
        quality,
        input_pca,
        evaluations,
        maps,
        timings,
        warnings,
    })
}

/// The dot plot of the top `per_class` genes of every class of `panel`, on `data` (the
/// model's input).
fn dot_plot_of(panel: &GenePanel, data: &Dataset, per_class: usize) -> Option<DotPlot> {
    let labels = data.labels()?;
    let mut genes: Vec<usize> = Vec::new();
    let mut gene_class = Vec::new();
    for c in 0..panel.n_classes() {
        for &g in panel.top_indices(c, per_class) {
            let column = data.gene_index(&panel.gene_names()[g])?;
            if !genes.contains(&column) {
                genes.push(column);
                gene_class.push(c);
            }
        }
    }
    let k = labels.n_classes();
    let mut fraction = vec![vec![0f32; genes.len()]; k];
    let mut mean = vec![vec![0f32; genes.len()]; k];
    let counts = labels.class_counts();
    for (i, &c) in labels.assignments().iter().enumerate() {
        let row = data.row(i);
        for (j, &g) in genes.iter().enumerate() {
            let v = row[g];
            if v > 0.0 {
                fraction[c][j] += 1.0;
            }
            mean[c][j] += v;
        }
    }
    for c in 0..k {
        for j in 0..genes.len() {
            let n = counts[c].max(1) as f32;
            fraction[c][j] /= n;
            mean[c][j] /= n;
        }
    }
    let mut scaled = mean.clone();
    for j in 0..genes.len() {
        let (lo, hi) = (0..k).fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), c| {
            (a.min(mean[c][j]), b.max(mean[c][j]))
        });
        for row in scaled.iter_mut() {
            row[j] = if hi > lo {
                (row[j] - lo) / (hi - lo)
            } else {
                0.0
            };
        }
    }
    Some(DotPlot {
        classes: labels.class_names().to_vec(),
        genes: genes
            .iter()
            .map(|&g| data.gene_names()[g].clone())
            .collect(),
        gene_class,
        fraction,
        scaled_mean: scaled,
        title: format!(
            "Top {per_class} genes of every class ({} panel) across classes",
            panel.method()
        ),
    })
}

/// Facts about the run that are not in the analysis.
pub struct RunInfo {
    /// `run` or `demo`.
    pub command: String,
    /// The data path, if any.
    pub data_path: Option<String>,
    /// Where the labels came from.
    pub label_source: String,
    /// Started at.
    pub start: Instant,
}

/// Writes the output folder (panels, embedding, model, plots, report.json, report.html) and
/// returns the report. `extend` adds command-specific parts to the report before it is
/// written.
pub fn write_outputs(
    out: &OutputDir,
    analysis: &mut Analysis,
    options: &AnalysisOptions,
    info: &RunInfo,
    extend: impl FnOnce(&mut Report),
) -> Result<Report, CliError> {
    let start = Instant::now();
    let trained = &analysis.trained;
    let ds = trained.dataset();
    let labels = ds.require_labels()?;
    let n = ds.n_cells();
    let dims = trained.model().embedding_size();
    let mut files: Vec<String> = Vec::new();

    // Panels.
    let mut panel_sections = Vec::new();
    for p in &analysis.panels {
        let file = format!("panels/{}.tsv", p.method());
        p.write_tsv(out.path(&file)?)?;
        panel_sections.push(PanelSection {
            method: p.method().to_string(),
            file: file.clone(),
            cells_used: p.cells_used().to_vec(),
            degenerate_classes: p
                .degenerate_classes()
                .iter()
                .map(|&c| p.class_names()[c].clone())
                .collect(),
            top: (0..p.n_classes())
                .map(|c| ClassTop {
                    class: p.class_names()[c].clone(),
                    genes: p
                        .top_genes(c, options.top)
                        .iter()
                        .map(|g| g.to_string())
                        .collect(),
                })
                .collect(),
        });
        files.push(file);
    }

    // Embedding and model.
    let names: Vec<String> = (0..n).map(|i| labels.name_of(i).to_string()).collect();
    out.write(
        "embedding.tsv",
        &embedding_tsv(ds.cell_ids(), &names, &analysis.embedding, dims),
    )?;
    files.push("embedding.tsv".into());
    trained.model().save(out.path("model")?)?;
    out.write(
        "model/preprocessing.json",
        &serde_json::to_string_pretty(&serde_json::json!({
            "log1p": trained.log1p_applied(),
            "note": "the model expects raw values of its genes, log1p-transformed when `log1p` is true (it min-max scales them itself)",
        }))
        .unwrap_or_default(),
    )?;
    files.push("model/".into());

    // Plots.
    let mut figures: Vec<(String, String, std::path::PathBuf)> = Vec::new();
    if options.plots {
        let plot_dir = out.path("plots")?;
        std::fs::create_dir_all(&plot_dir).map_err(|e| CliError::io(&plot_dir, e))?;
        if let Some(maps) = &analysis.maps {
            let map_labels: Vec<usize> = maps
                .cells
                .iter()
                .map(|&i| labels.assignments()[i])
                .collect();
            let mut panels = vec![Map {
                title: format!("kratos embedding ({dims}-d) → t-SNE"),
                points: &maps.kratos,
            }];
            if let Some(p) = &maps.pca {
                panels.push(Map {
                    title: "PCA of the input (64 PCs) → t-SNE".into(),
                    points: p,
                });
            }
            let written = plots::embedding_maps(
                &plot_dir.join("embedding_map"),
                &panels,
                &map_labels,
                labels.class_names(),
            )?;
            figures.push((
                "Embedding map".into(),
                format!(
                    "t-SNE of {} cells coloured by label: the classifier's embedding (left) next to PCA of the input (right). Tight, separate groups mean the embedding separates the classes.",
                    maps.cells.len()
                ),
                written[0].clone(),
            ));
        }
        if !analysis.evaluations.is_empty() {
            let curves: Vec<Curve> = analysis
                .evaluations
                .iter()
                .map(|(m, e)| Curve {
                    name: m.clone(),
                    points: match &e.percents {
                        Some(p) => p
                            .iter()
                            .copied()
                            .zip(e.mean_auroc.iter().copied())
                            .collect(),
                        None => {
                            e.ks.iter()
                                .map(|&k| k as f64)
                                .zip(e.mean_auroc.iter().copied())
                                .collect()
                        }
                    },
                })
                .collect();
            let x_desc = if analysis.evaluations[0].1.percents.is_some() {
                "top-k genes (% of all genes)"
            } else {
                "top-k genes"
            };
            let written = plots::auroc_curves(&plot_dir.join("auroc"), &curves, x_desc)?;
            figures.push((
                "AUROC vs panel size".into(),
                "Mean one-vs-rest AUROC of an RBF SVM on each class's top-k genes, one line per method; higher at small k means better markers.".into(),
                written[0].clone(),
            ));
        }
        if let Some(dots) = dot_plot_of(&analysis.panels[0], trained.model_input(), 5) {
            let written = plots::dot_plot(&plot_dir.join("dotplot"), &dots)?;
            figures.push((
                "Marker dot plot".into(),
                "Top 5 genes of each class (kratos panel), gene names coloured by the class they mark. Dot size: fraction of the class's cells with the gene above 0; colour: mean value, scaled per gene across classes.".into(),
                written[0].clone(),
            ));
        }
        let history = trained.history();
        let mut loss = vec![Series {
            name: "training".into(),
            values: history.epochs.iter().map(|e| e.train_loss).collect(),
        }];
        let mut accuracy = vec![Series {
            name: "training".into(),
            values: history.epochs.iter().map(|e| e.train_accuracy).collect(),
        }];
        if history.epochs.iter().all(|e| e.validation_loss.is_some()) {
            loss.push(Series {
                name: "validation".into(),
                values: history
                    .epochs
                    .iter()
                    .map(|e| e.validation_loss.unwrap_or(f64::NAN))
                    .collect(),
            });
            accuracy.push(Series {
                name: "validation".into(),
                values: history
                    .epochs
                    .iter()
                    .map(|e| e.validation_accuracy.unwrap_or(f64::NAN))
                    .collect(),
            });
        }
        let written = plots::training_curves(&plot_dir.join("training"), &loss, &accuracy)?;
        figures.push((
            "Training curves".into(),
            "Loss and accuracy per epoch on the training cells and on the 10% held out for validation.".into(),
            written[0].clone(),
        ));
        for (_, _, png) in &figures {
            for ext in ["png", "svg"] {
                if let Some(name) = png.with_extension(ext).file_name() {
                    files.push(format!("plots/{}", name.to_string_lossy()));
                }
            }
        }
    }

    // Report.
    let split = trained.split();
    let mut train_counts = vec![0usize; labels.n_classes()];
    for &i in &split.train {
        train_counts[labels.assignments()[i]] += 1;
    }
    let classes = labels
        .class_names()
        .iter()
        .zip(labels.class_counts())
        .zip(&train_counts)
        .map(|((name, count), &train)| ClassSection {
            name: name.clone(),
            count,
            train,
            test: count - train,
        })
        .collect();
    analysis.timings.add("write", start.elapsed().as_secs_f64());
    let mut timings = analysis.timings.map();
    timings.insert("total".into(), info.start.elapsed().as_secs_f64());
    files.push("report.json".into());
    files.push("report.html".into());
    let mut report = Report {
        version: env!("CARGO_PKG_VERSION").to_string(),
        versions: versions(),
        command: info.command.clone(),
        data: DataSection {
            path: info.data_path.clone(),
            cells: n,
            genes: ds.n_genes(),
            labels: info.label_source.clone(),
            looks_like_counts: looks_like_counts(ds),
            log1p_applied: trained.log1p_applied(),
        },
        classes,
        accuracy: Accuracy {
            train: trained.train_accuracy(),
            test: trained.test_accuracy(),
        },
        embedding: analysis.quality.clone(),
        input_pca: analysis.input_pca.clone(),
        timings_s: timings,
        parameters: Parameters {
            seed: options.seed(),
            test_fraction: 0.3,
            preprocessing: format!("{:?}", options.preprocessing).to_lowercase(),
            methods: analysis
                .panels
                .iter()
                .map(|p| p.method().to_string())
                .collect(),
            training: options.training.clone(),
            panel_options: trained.panel_options().clone(),
            kratos_default: analysis.kratos_default.clone(),
            evaluation: options.evaluation.clone(),
            map: analysis.maps.as_ref().map(|m| MapSection {
                tsne: m.params.clone(),
                cells: m.cells.len(),
                subsampled: m.cells.len() < n,
            }),
        },
        panels: panel_sections,
        evaluation: analysis
            .evaluations
            .iter()
            .map(|(m, e)| MethodEvaluation {
                method: m.clone(),
                result: e.clone(),
            })
            .collect(),
        simulation: None,
        files,
        warnings: analysis.warnings.clone(),
    };
    extend(&mut report);
    let json = serde_json::to_string_pretty(&report)
        .map_err(|e| CliError::Failure(format!("report.json: {e}")))?;
    out.write("report.json", &json)?;
    let figs: Vec<Figure<'_>> = figures
        .iter()
        .map(|(title, caption, png)| Figure {
            title: title.as_str(),
            caption: caption.clone(),
            png: png.as_path(),
        })
        .collect();
    out.write(
        "report.html",
        &crate::report::html(&report, &figs, options.top),
    )?;
    Ok(report)
}
