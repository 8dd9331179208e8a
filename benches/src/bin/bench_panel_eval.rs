//! Panel-evaluation benchmark: the paper's SVM top-k protocol (kratos-metrics) for one class
//! at 10 panel sizes (the paper grid's first ten: 1–9 % and 10 % of the genes) on a synthetic
//! PBMC3k-shaped data set (2,638 cells x 1,838 genes, 8 classes), n_iter 20.
//!
//! `cargo run --release -p kratos-benches --bin bench_panel_eval` prints one JSON object.
//! `KRATOS_BENCH_KS=1,2,4` overrides the panel sizes. `KRATOS_BENCH_WRITE=DIR` also writes the
//! data set, labels and the class's panel as `DIR/{data.csv,labels.tsv,panel.tsv}`, for
//! crates/kratos-metrics/scripts/time_sklearn_panel_eval.py to time scikit-learn on the same
//! input.

use std::io::{BufWriter, Write};

use kratos_benches::{synthetic_dataset, time};
use kratos_metrics::{PanelEvaluationParams, TopKGrid, evaluate_panel};

const CLASS: &str = "type0";
const N_ITER: usize = 20;

fn write_inputs(dir: &str, data: &kratos_data::Dataset, ranking: &[usize]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut out = BufWriter::new(std::fs::File::create(format!("{dir}/data.csv"))?);
    write!(out, "cell")?;
    for g in data.gene_names() {
        write!(out, ",{g}")?;
    }
    writeln!(out)?;
    for (i, id) in data.cell_ids().iter().enumerate() {
        write!(out, "{id}")?;
        for v in data.row(i) {
            write!(out, ",{v}")?;
        }
        writeln!(out)?;
    }
    let labels = data.labels().expect("labelled");
    let mut out = BufWriter::new(std::fs::File::create(format!("{dir}/labels.tsv"))?);
    writeln!(out, "cell\tlabel")?;
    for (i, id) in data.cell_ids().iter().enumerate() {
        writeln!(out, "{id}\t{}", labels.name_of(i))?;
    }
    let mut out = BufWriter::new(std::fs::File::create(format!("{dir}/panel.tsv"))?);
    writeln!(out, "class\trank\tgene\tscore")?;
    for (rank, &g) in ranking.iter().enumerate() {
        writeln!(
            out,
            "{CLASS}\t{}\t{}\t{}",
            rank + 1,
            data.gene_names()[g],
            ranking.len() - rank
        )?;
    }
    Ok(())
}

fn main() {
    let data = synthetic_dataset(2638, 1838, 8, 1);
    let ks: Vec<usize> = std::env::var("KRATOS_BENCH_KS")
        .ok()
        .map(|v| v.split(',').filter_map(|k| k.trim().parse().ok()).collect())
        .unwrap_or_else(|| TopKGrid::Paper.ks(data.n_genes())[..10].to_vec());
    // Every class's ranking: its 20 raised genes (columns 20c..20c+19) first, then the rest
    // in column order. Only type0 is evaluated.
    let labels = data.labels().expect("labelled");
    let rankings: Vec<Vec<usize>> = labels
        .class_names()
        .iter()
        .map(|name| {
            let c: usize = name.trim_start_matches("type").parse().expect("typeN");
            let signal = 20 * c..20 * c + 20;
            signal
                .clone()
                .chain((0..data.n_genes()).filter(|g| !signal.contains(g)))
                .collect()
        })
        .collect();
    let class = labels.class_index(CLASS).expect("class type0");
    if let Ok(dir) = std::env::var("KRATOS_BENCH_WRITE") {
        write_inputs(&dir, &data, &rankings[class]).expect("write the benchmark inputs");
    }
    let params = PanelEvaluationParams::new()
        .grid(TopKGrid::Genes(ks.clone()))
        .n_iter(N_ITER)
        .only_classes(&[CLASS]);
    let (seconds, result) = time(|| {
        evaluate_panel(&data, &rankings, &params.check().expect("valid")).expect("evaluation")
    });
    println!(
        "{}",
        serde_json::json!({
            "name": "panel_eval_one_class",
            "seconds": seconds,
            "cells": data.n_cells(),
            "genes": data.n_genes(),
            "class": CLASS,
            "class_cells": labels.class_counts()[class],
            "ks": ks,
            "n_iter": N_ITER,
            "threads": rayon_threads(),
            "auroc": result.classes[0].auroc,
        })
    );
}

/// The worker threads rayon uses (RAYON_NUM_THREADS or the number of cores).
fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
