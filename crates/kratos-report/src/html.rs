//! `report.html`: one self-contained page (summary, tables and the plots embedded as PNG data
//! URIs).

use std::path::Path;

use base64::Engine;

use kratos::Direction;

use crate::plots::colour_hex;
use crate::schema::{ClassTop, Report};

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
.card b{display:block;font-size:1.4em}.up{color:#b2182b}.down{color:#2166ac}.lfc{font-size:.85em;margin-left:.15em}.warn{background:#fff8e1;border:1px solid #f0d58a;padding:.5em 1em;border-radius:4px}code{background:#f4f4f4;padding:0 .2em}";

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
    h.push_str("<h2>Embedding</h2>\n<p>k-means with K = number of classes on the embedding of all cells (the best of 30 runs; inertia: its sum of squared distances), scored against the labels (ARI, AMI); silhouette of the true labels.</p>\n");
    h.push_str("<table><tr><th>embedding</th><th>dims</th><th>ARI</th><th>AMI</th><th>silhouette</th><th>k-means inertia</th></tr>");
    let mut rows = vec![("kratos (64-d hidden layer)", e)];
    if let Some(p) = &report.input_pca {
        rows.push(("PCA of the input", p));
    }
    for (name, q) in rows {
        h.push_str(&format!(
            "<tr><td>{name}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td></tr>",
            q.dims,
            fmt3(q.ari),
            fmt3(q.ami),
            q.silhouette.map(fmt3).unwrap_or("–".into()),
            q.kmeans_inertia
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
        "<h2>Marker genes</h2>\n<p>Top {top_genes} genes of every class in each panel (files in <code>panels/</code>, every gene ranked). Beside each gene: <span class=\"up\">↑</span> higher or <span class=\"down\">↓</span> lower in the class than in the other cells, and the log2 fold change (scanpy's); hover for the fractions of cells expressing it.</p>\n"
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
                top_genes_html(t),
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

/// A class's top genes, each with an arrow for its direction and its log2 fold change when
/// the panel has them, the fractions of expressing cells in a tooltip.
fn top_genes_html(top: &ClassTop) -> String {
    if top.markers.is_empty() {
        return escape(&top.genes.join(", "));
    }
    top.markers
        .iter()
        .map(|m| match &m.summary {
            None => escape(&m.gene),
            Some(s) => {
                let (class, arrow) = match s.direction {
                    Direction::Up => ("up", "↑"),
                    Direction::Down => ("down", "↓"),
                };
                let lfc = if s.log_fold_change.is_finite() {
                    // The arrow carries the sign.
                    format!("{:.1}", s.log_fold_change.abs())
                } else {
                    "–".into()
                };
                format!(
                    "<span title=\"log2 fold change {}; expressed in {:.0}% of the class's cells, {:.0}% of the others\">{}<span class=\"{class} lfc\">{arrow}{lfc}</span></span>",
                    fmt3(f64::from(s.log_fold_change)),
                    100.0 * s.fraction_in,
                    100.0 * s.fraction_rest,
                    escape(&m.gene),
                )
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
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
