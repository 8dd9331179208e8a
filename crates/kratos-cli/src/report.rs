//! `report.json` (the fields scripts rely on are kept stable) and `report.html` (one
//! self-contained page: summary, tables and the plots embedded as PNG data URIs).

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use kratos::{
    EmbeddingQuality, PanelEvaluationParams, PresetDescription, RoleCounts, TrainingConfig,
};
use serde::Serialize;

use crate::plots::colour_hex;
use crate::reduce::TsneParams;

/// Everything `report.json` holds. Stable fields: `version`, `data.cells`, `data.genes`,
/// `classes[].name`, `classes[].count`, `accuracy.train`, `accuracy.test`, `embedding.ari`,
/// `embedding.ami`, `embedding.silhouette`, `timings_s.<stage>`, `parameters`.
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
    /// Genes, best first.
    pub genes: Vec<String>,
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

/// An image for the HTML page: a caption and the PNG file.
pub struct Figure<'a> {
    /// Heading.
    pub title: &'a str,
    /// One sentence on how to read it.
    pub caption: String,
    /// The PNG file.
    pub png: &'a Path,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn fmt3(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        "–".into()
    }
}

const STYLE: &str = "body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:2em auto;max-width:1180px;color:#222;padding:0 1em}\
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}\
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}\
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#666;font-size:.9em}\
img{max-width:100%;border:1px solid #eee;margin:.5em 0}.dot{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin-right:.4em;vertical-align:middle}\
.cards{display:flex;flex-wrap:wrap;gap:.8em;margin:1em 0}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:9em}\
.card b{display:block;font-size:1.4em}.warn{background:#fff8e1;border:1px solid #f0d58a;padding:.5em 1em;border-radius:4px}code{background:#f4f4f4;padding:0 .2em}";

/// The self-contained HTML page.
pub fn html(report: &Report, figures: &[Figure<'_>], top_genes: usize) -> String {
    let mut h = String::with_capacity(1 << 20);
    let title = match &report.data.path {
        Some(p) => format!("kratos report: {}", escape(p)),
        None => "kratos demo report".to_string(),
    };
    h.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n"
    ));
    h.push_str(&format!(
        "<p class=\"muted\">kratos {} · {} cells × {} genes · {} classes · labels: {} · log1p {}</p>\n",
        escape(&report.version),
        report.data.cells,
        report.data.genes,
        report.classes.len(),
        escape(&report.data.labels),
        if report.data.log1p_applied { "applied (input looks like counts)" } else { "not applied" },
    ));
    // Summary cards.
    let e = &report.embedding;
    h.push_str("<div class=\"cards\">");
    for (name, value) in [
        ("train accuracy", fmt3(report.accuracy.train)),
        ("test accuracy", fmt3(report.accuracy.test)),
        ("embedding ARI", fmt3(e.ari)),
        ("embedding AMI", fmt3(e.ami)),
        ("silhouette", e.silhouette.map(fmt3).unwrap_or("–".into())),
        (
            "total time",
            format!(
                "{:.1} s",
                report.timings_s.get("total").copied().unwrap_or(0.0)
            ),
        ),
    ] {
        h.push_str(&format!("<div class=\"card\">{name}<b>{value}</b></div>"));
    }
    h.push_str("</div>\n");
    if !report.warnings.is_empty() {
        h.push_str("<div class=\"warn\"><b>Notes</b><ul>");
        for w in &report.warnings {
            h.push_str(&format!("<li>{}</li>", escape(w)));
        }
        h.push_str("</ul></div>\n");
    }

    // Embedding quality.
    h.push_str("<h2>Embedding</h2>\n<p>k-means with K = number of classes on the embedding of all cells, scored against the labels (ARI, AMI); silhouette of the true labels.</p>\n");
    h.push_str("<table><tr><th>embedding</th><th>dims</th><th>ARI</th><th>AMI</th><th>silhouette</th></tr>");
    let mut rows = vec![("kratos (64-d hidden layer)", e)];
    if let Some(p) = &report.input_pca {
        rows.push(("PCA of the input", p));
    }
    for (name, q) in rows {
        h.push_str(&format!(
            "<tr><td>{name}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            q.dims,
            fmt3(q.ari),
            fmt3(q.ami),
            q.silhouette.map(fmt3).unwrap_or("–".into())
        ));
    }
    h.push_str("</table>\n");
    for f in figures.iter().filter(|f| f.title.contains("map")) {
        push_figure(&mut h, f);
    }

    // Ground truth (demo).
    if let Some(sim) = &report.simulation {
        h.push_str(&format!(
            "<h2>Ground truth</h2>\n<p>Simulated data (preset <code>{}</code>): {} causal, {} dependent and {} noise genes. Roles among the top 20 genes of each class, summed over classes (a perfect panel has no noise genes).</p>\n",
            escape(&sim.preset), sim.genes.causal, sim.genes.dependent, sim.genes.noise
        ));
        h.push_str("<table><tr><th>method</th><th>causal</th><th>dependent</th><th>noise</th><th>AUROC, top 5%</th></tr>");
        for r in &sim.top20 {
            h.push_str(&format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&r.method),
                r.total.causal,
                r.total.dependent,
                r.total.noise,
                r.auroc_top5pct.map(fmt3).unwrap_or("–".into())
            ));
        }
        h.push_str("</table>\n");
    }

    // Evaluation.
    if !report.evaluation.is_empty() {
        h.push_str("<h2>Panel evaluation</h2>\n<p>For each class (one-vs-rest) and panel size k: RBF SVM with class-balanced weights on the class's top-k genes, tuned by random search, AUROC by 3-fold stratified CV; mean over classes. Redundancy: mean |Pearson correlation| among the top-k genes (lower is better).</p>\n");
        let first = &report.evaluation[0].result;
        h.push_str("<table><tr><th>method</th>");
        for (i, k) in first.ks.iter().enumerate() {
            let pct = first
                .percents
                .as_ref()
                .and_then(|p| p.get(i))
                .map(|p| format!("{p}% · "))
                .unwrap_or_default();
            h.push_str(&format!("<th>{pct}{k} genes</th>"));
        }
        h.push_str("</tr>");
        for m in &report.evaluation {
            h.push_str(&format!("<tr><td>{}</td>", escape(&m.method)));
            for (a, r) in m.result.mean_auroc.iter().zip(&m.result.mean_redundancy) {
                h.push_str(&format!(
                    "<td class=\"num\">{}<br><span class=\"muted\">|r| {}</span></td>",
                    fmt3(*a),
                    r.map(fmt3).unwrap_or("–".into())
                ));
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>\n");
        for f in figures.iter().filter(|f| f.title.contains("AUROC")) {
            push_figure(&mut h, f);
        }
    }

    // Marker genes.
    h.push_str(&format!(
        "<h2>Marker genes</h2>\n<p>Top {top_genes} genes of every class in each panel (files in <code>panels/</code>, every gene ranked).</p>\n"
    ));
    for f in figures.iter().filter(|f| f.title.contains("dot plot")) {
        push_figure(&mut h, f);
    }
    for p in &report.panels {
        h.push_str(&format!(
            "<h3>{} <span class=\"muted\">({})</span></h3><table><tr><th>class</th><th>cells explained</th><th>top genes</th></tr>",
            escape(&p.method),
            escape(&p.file)
        ));
        for (c, t) in p.top.iter().enumerate() {
            let degenerate = p.degenerate_classes.contains(&t.class);
            let dot = report
                .classes
                .iter()
                .position(|k| k.name == t.class)
                .map(|k| {
                    format!(
                        "<span class=\"dot\" style=\"background:{}\"></span>",
                        colour_hex(k)
                    )
                })
                .unwrap_or_default();
            h.push_str(&format!(
                "<tr><td>{dot}{}</td><td class=\"num\">{}</td><td>{}{}</td></tr>",
                escape(&t.class),
                p.cells_used.get(c).copied().unwrap_or(0),
                escape(&t.genes.join(", ")),
                if degenerate {
                    " <b>(degenerate scores)</b>"
                } else {
                    ""
                }
            ));
        }
        h.push_str("</table>\n");
    }

    // Classes, training, timing, parameters.
    h.push_str(
        "<h2>Classes</h2>\n<table><tr><th>class</th><th>cells</th><th>train</th><th>test</th></tr>",
    );
    for (k, c) in report.classes.iter().enumerate() {
        h.push_str(&format!(
            "<tr><td><span class=\"dot\" style=\"background:{}\"></span>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            colour_hex(k),
            escape(&c.name),
            c.count,
            c.train,
            c.test
        ));
    }
    h.push_str("</table>\n<h2>Training</h2>\n");
    h.push_str(&format!(
        "<p>{} epochs, learning rate {}, batch {}, hidden layers {:?}, seed {}; train accuracy {}, test accuracy {}.</p>\n",
        report.parameters.training.epochs,
        report.parameters.training.learning_rate,
        report.parameters.training.batch_size,
        report.parameters.training.hidden_sizes,
        report.parameters.seed,
        fmt3(report.accuracy.train),
        fmt3(report.accuracy.test)
    ));
    for f in figures.iter().filter(|f| f.title.contains("Training")) {
        push_figure(&mut h, f);
    }
    h.push_str("<h2>Time per stage</h2>\n<table><tr><th>stage</th><th>seconds</th></tr>");
    for (stage, s) in &report.timings_s {
        h.push_str(&format!(
            "<tr><td>{}</td><td class=\"num\">{s:.2}</td></tr>",
            escape(stage)
        ));
    }
    h.push_str("</table>\n");
    h.push_str(&format!(
        "<h2>Default kratos panel</h2>\n<p>{}</p>\n",
        escape(&report.parameters.kratos_default.summary)
    ));
    let params = serde_json::to_string_pretty(&report.parameters).unwrap_or_default();
    h.push_str(&format!(
        "<h2>Parameters</h2>\n<details><summary>all parameters (as in report.json)</summary><pre>{}</pre></details>\n",
        escape(&params)
    ));
    let versions: Vec<String> = report
        .versions
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    h.push_str(&format!(
        "<p class=\"muted\">Built with {}.</p>\n</body></html>\n",
        escape(&versions.join(", "))
    ));
    h
}

fn push_figure(h: &mut String, f: &Figure<'_>) {
    let Ok(bytes) = std::fs::read(f.png) else {
        return;
    };
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    h.push_str(&format!(
        "<h3>{}</h3><p class=\"muted\">{}</p><img alt=\"{}\" src=\"data:image/png;base64,{data}\">\n",
        escape(f.title),
        escape(&f.caption),
        escape(f.title)
    ));
}
