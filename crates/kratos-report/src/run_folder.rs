//! A run's output folder: panels, embedding, model, plots, `report.json` and `report.html`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kratos::Preprocessing;
use kratos::analysis::{Analysis, ValidAnalysisParams, marker_dots};
use kratos::explain::looks_like_counts;

use crate::plots::{self, Curve, DotPlot, Map, Series};
use crate::schema::{
    Accuracy, ClassSection, ClassTop, DataSection, MapSection, MethodEvaluation, PanelSection,
    Parameters, Report, TopGene, versions,
};
use crate::{Figure, ReportError};

/// `embedding.tsv`: cell, label, e1..eD.
pub fn embedding_tsv(cells: &[String], labels: &[String], values: &[f32], dims: usize) -> String {
    let mut s = String::from("cell\tlabel");
    for d in 1..=dims {
        s.push_str(&format!("\te{d}"));
    }
    s.push('\n');
    for (i, (c, l)) in cells.iter().zip(labels).enumerate() {
        s.push_str(c);
        s.push('\t');
        s.push_str(l);
        for v in &values[i * dims..(i + 1) * dims] {
            s.push_str(&format!("\t{v}"));
        }
        s.push('\n');
    }
    s
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
    /// Genes per class in the report's summaries.
    pub top: usize,
}

/// Writes a run's output folder `dir` (panels, embedding, model, plots, report.json,
/// report.html) and returns the report. `extend` adds command-specific parts to the report
/// before it is written.
pub fn write_run(
    dir: &Path,
    analysis: &mut Analysis,
    params: &ValidAnalysisParams,
    info: &RunInfo,
    extend: impl FnOnce(&mut Report),
) -> Result<Report, ReportError> {
    let out = Folder(dir);
    let start = Instant::now();
    let trained = &analysis.trained;
    let ds = trained.all_genes_input();
    let labels = ds
        .require_labels()
        .map_err(|e| ReportError::Kratos(e.into()))?;
    let n = ds.n_cells();
    let dims = trained.model().embedding_size();
    let mut files: Vec<String> = Vec::new();

    // Panels.
    let mut panel_sections = Vec::new();
    for p in &analysis.panels {
        let file = format!("panels/{}.tsv", p.method());
        p.write_tsv(out.path(&file)?)
            .map_err(|e| ReportError::Kratos(e.into()))?;
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
                        .top_genes(c, info.top)
                        .iter()
                        .map(|g| g.to_string())
                        .collect(),
                    markers: p
                        .top_indices(c, info.top)
                        .iter()
                        .map(|&g| TopGene {
                            gene: p.gene_names()[g].clone(),
                            score: p.scores(c)[g],
                            summary: p.summary(c, g),
                        })
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
    trained
        .model()
        .save(out.path("model")?)
        .map_err(|e| ReportError::Kratos(e.into()))?;
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
    if params.maps {
        let plot_dir = out.path("plots")?;
        std::fs::create_dir_all(&plot_dir).map_err(|e| ReportError::io(&plot_dir, e))?;
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
        if let Some(dots) = marker_dots(&analysis.panels[0], trained.model_input(), 5) {
            let plot = DotPlot {
                title: format!(
                    "Top 5 genes of every class ({} panel) across classes",
                    analysis.panels[0].method()
                ),
                dots,
            };
            let written = plots::dot_plot(&plot_dir.join("dotplot"), &plot)?;
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
            model_genes: trained.model_input().n_genes(),
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
        peak_memory_mb: kratos::analysis::peak_memory_bytes().map(|b| b as f64 / 1e6),
        parameters: Parameters {
            seed: params.seed(),
            test_fraction: 0.3,
            preprocessing: match params.preprocessing {
                Preprocessing::Log1pIfCounts => "auto",
                Preprocessing::Log1p => "log1p",
                Preprocessing::AsIs => "none",
            }
            .into(),
            methods: analysis
                .panels
                .iter()
                .map(|p| p.method().to_string())
                .collect(),
            direction: params.direction,
            training: params.training.clone(),
            panel_options: trained.panel_options().inner().clone(),
            kratos_default: analysis.kratos_default.clone(),
            evaluation: params.evaluation.clone(),
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
    let json = serde_json::to_string_pretty(&report).map_err(ReportError::Json)?;
    out.write("report.json", &json)?;
    let figs: Vec<Figure<'_>> = figures
        .iter()
        .map(|(title, caption, png)| Figure {
            title: title.as_str(),
            caption: caption.clone(),
            png: png.as_path(),
        })
        .collect();
    out.write("report.html", &crate::html::html(&report, &figs, info.top))?;
    Ok(report)
}

/// The output folder being written.
struct Folder<'a>(&'a Path);

impl Folder<'_> {
    /// The path of `relative` in the folder, its parent folders created.
    fn path(&self, relative: &str) -> Result<PathBuf, ReportError> {
        let path = self.0.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ReportError::io(parent, e))?;
        }
        Ok(path)
    }

    /// Writes `text` to `relative`.
    fn write(&self, relative: &str, text: &str) -> Result<(), ReportError> {
        let path = self.path(relative)?;
        std::fs::write(&path, text).map_err(|e| ReportError::io(&path, e))
    }
}
