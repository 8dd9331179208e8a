//! What `kratos panel` writes: the designed panels (`panel.tsv` or `panel-<N>.tsv`),
//! `report.json`, the accuracy-versus-size curves and `report.html`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use kratos::design::DesignStudy;
use serde::Serialize;

use crate::ReportError;
use crate::plots::{ChartText, Curve, line_chart};

/// Where the data came from and how the design was run, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct DesignInfo {
    /// The data file or folder.
    pub data: String,
    /// Cells and genes after reading.
    pub cells: usize,
    /// Genes of the data.
    pub genes: usize,
    /// Whether log1p was applied (counts).
    pub log1p: bool,
    /// The seed of the split, the models and the random panel.
    pub seed: u64,
    /// Genes forced in.
    pub include: Vec<String>,
    /// Genes kept out.
    pub exclude: Vec<String>,
    /// Seconds the models took to train.
    pub training_seconds: f64,
}

/// `report.json`.
#[derive(Debug, Clone, Serialize)]
struct DesignReport<'a> {
    version: &'static str,
    versions: BTreeMap<String, String>,
    info: &'a DesignInfo,
    protocol: &'static str,
    study: &'a DesignStudy,
}

const PROTOCOL: &str = "multinomial logistic regression (C 1) and 15 nearest neighbours on the panel's genes, standardised on the training cells; 3 seeded stratified 70/30 splits; balanced accuracy and macro-F1 on the held-out cells, mean over the splits; classes under 10 cells left out";

/// The panel file of each size: `panel.tsv` for one size, else `panel-<N>.tsv`.
pub fn panel_file_name(sizes: &[usize], size: usize) -> String {
    if sizes.len() == 1 {
        "panel.tsv".into()
    } else {
        format!("panel-{size}.tsv")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Writes the panels, `report.json`, `accuracy.png` / `.svg` (with scores) and `report.html`
/// into `dir`; returns the files written.
pub fn write_design(
    dir: &Path,
    study: &DesignStudy,
    info: &DesignInfo,
) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    let write = |path: PathBuf, text: &str, written: &mut Vec<PathBuf>| {
        std::fs::write(&path, text).map_err(|e| ReportError::io(&path, e))?;
        written.push(path);
        Ok::<(), ReportError>(())
    };
    for (size, panel) in study.sizes.iter().zip(&study.panels) {
        write(
            dir.join(panel_file_name(&study.sizes, *size)),
            &panel.to_tsv(),
            &mut written,
        )?;
    }
    let report = DesignReport {
        version: env!("CARGO_PKG_VERSION"),
        versions: crate::versions(),
        info,
        protocol: PROTOCOL,
        study,
    };
    let json = serde_json::to_string_pretty(&report).map_err(ReportError::Json)?;
    write(dir.join("report.json"), &json, &mut written)?;
    let mut figure = None;
    if !study.curves.is_empty() {
        let mut curves: Vec<Curve> = study
            .curves
            .iter()
            .map(|c| Curve {
                name: c.method.clone(),
                points: study
                    .sizes
                    .iter()
                    .zip(&c.points)
                    .map(|(&n, e)| (n as f64, e.logistic.balanced_accuracy))
                    .collect(),
            })
            .collect();
        if let Some(all) = &study.all_genes {
            curves.push(Curve {
                name: "all genes".into(),
                points: study
                    .sizes
                    .iter()
                    .map(|&n| (n as f64, all.logistic.balanced_accuracy))
                    .collect(),
            });
        }
        let text = ChartText {
            title: "Telling the types apart with N genes",
            x_desc: "genes in the panel (N)",
            y_desc: "balanced accuracy (logistic regression)",
            y_range: None,
        };
        let files = line_chart(&dir.join("accuracy"), &curves, &text)?;
        figure = files.first().cloned();
        written.extend(files);
    }
    let html = design_html(study, info, figure.as_deref())?;
    write(dir.join("report.html"), &html, &mut written)?;
    Ok(written)
}

fn design_html(
    study: &DesignStudy,
    info: &DesignInfo,
    figure: Option<&Path>,
) -> Result<String, ReportError> {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kratos panel design</title><style>body{font-family:Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}table{border-collapse:collapse;font-size:.9em;margin:.6em 0}th,td{border:1px solid #ddd;padding:.25em .5em}th{background:#f4f4f4}td.num{text-align:right}img{max-width:100%}.muted{color:#666}</style></head><body>\n");
    h.push_str(&format!(
        "<h1>kratos panel design: {}</h1>\n<p class=\"muted\">{} cells × {} genes · log1p {} · seed {} · training {:.1} s, default panel {:.1} s, design {:.1} s</p>\n",
        escape(&info.data),
        info.cells,
        info.genes,
        if info.log1p { "applied" } else { "not applied" },
        info.seed,
        info.training_seconds,
        study.panel_seconds,
        study.design_seconds
    ));
    if let Some(png) = figure {
        let bytes = std::fs::read(png).map_err(|e| ReportError::io(png, e))?;
        h.push_str("<h2>Accuracy against panel size</h2>\n");
        h.push_str(&format!(
            "<p class=\"muted\">{PROTOCOL}. Baselines take each class's best genes in turn (round-robin) until N.</p>\n<img alt=\"accuracy against panel size\" src=\"data:image/png;base64,{}\">\n",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ));
        h.push_str("<table><tr><th>method</th>");
        for n in &study.sizes {
            h.push_str(&format!(
                "<th>N = {n}<br>LR bal. acc. / macro-F1 / 15-NN</th>"
            ));
        }
        h.push_str("</tr>\n");
        for c in &study.curves {
            h.push_str(&format!("<tr><td>{}</td>", escape(&c.method)));
            for e in &c.points {
                h.push_str(&format!(
                    "<td class=\"num\">{:.3} / {:.3} / {:.3}</td>",
                    e.logistic.balanced_accuracy, e.logistic.macro_f1, e.knn.balanced_accuracy
                ));
            }
            h.push_str("</tr>\n");
        }
        if let Some(all) = &study.all_genes {
            h.push_str(&format!(
                "<tr><td>all {} genes</td><td class=\"num\" colspan=\"{}\">{:.3} / {:.3} / {:.3}</td></tr>\n",
                all.genes,
                study.sizes.len(),
                all.logistic.balanced_accuracy,
                all.logistic.macro_f1,
                all.knn.balanced_accuracy
            ));
        }
        h.push_str("</table>\n");
        if let Some(design) = study.curves.iter().find(|c| c.method == "design")
            && let (Some(e), Some(n)) = (design.points.last(), study.sizes.last())
        {
            if !e.left_out.is_empty() {
                let names: Vec<String> = e
                    .left_out
                    .iter()
                    .map(|(c, k)| format!("{} ({k} cells)", escape(c)))
                    .collect();
                h.push_str(&format!(
                    "<p class=\"muted\">Left out of the scores (under 10 cells): {}.</p>\n",
                    names.join(", ")
                ));
            }
            h.push_str(&format!(
                "<h2>Confusion matrix of the designed panel at N = {n}</h2>\n<p class=\"muted\">Logistic regression, held-out cells of all splits; rows: true type, columns: predicted.</p>\n<table><tr><th></th>"
            ));
            for c in &e.classes {
                h.push_str(&format!("<th>{}</th>", escape(c)));
            }
            h.push_str("</tr>\n");
            for (c, row) in e.classes.iter().zip(&e.confusion) {
                h.push_str(&format!("<tr><th>{}</th>", escape(c)));
                for v in row {
                    h.push_str(&format!("<td class=\"num\">{v}</td>"));
                }
                h.push_str("</tr>\n");
            }
            h.push_str("</table>\n");
        }
    }
    if let Some(panel) = study.panels.last() {
        h.push_str(&format!(
            "<h2>The designed panel ({} genes, in order of selection)</h2>\n<table><tr><th>rank</th><th>gene</th><th>serves</th><th>gain (nats per cell)</th></tr>\n",
            panel.genes.len()
        ));
        for (r, g) in panel.genes.iter().enumerate() {
            h.push_str(&format!(
                "<tr><td class=\"num\">{}</td><td>{}{}</td><td>{}</td><td class=\"num\">{:.4}</td></tr>\n",
                r + 1,
                escape(&g.gene),
                if g.included { " (included)" } else { "" },
                escape(&g.serves.join(", ")),
                g.gain
            ));
        }
        h.push_str("</table>\n");
    }
    h.push_str("</body></html>\n");
    Ok(h)
}
