//! Panel-evaluation benchmark: the SVM top-k protocol for one class at 10 k values on a
//! synthetic PBMC3k-shaped data set (2,638 x 1,838, 8 classes), n_iter 20.
//! `KRATOS_BENCH_KS` (comma-separated gene counts) overrides the 10 k values.

use kratos_benches::{synthetic_dataset, time};
use kratos_metrics::{PanelEvaluationParams, TopKGrid, evaluate_panel};

fn main() {
    let data = synthetic_dataset(2638, 1838, 8, 1);
    let ks: Vec<usize> = std::env::var("KRATOS_BENCH_KS")
        .ok()
        .map(|v| v.split(',').filter_map(|k| k.parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2, 4, 8, 16, 18, 37, 92, 184, 368]);
    // Class 0's ranking: its 20 signal genes first, then the rest in column order. Every other
    // class gets an empty-signal ranking but is dropped below by evaluating one class only.
    let ranking: Vec<usize> = (0..20).chain(20..data.n_genes()).collect();
    let one_class = {
        let labels = data.labels().unwrap();
        let names: Vec<&str> = labels
            .assignments()
            .iter()
            .map(|&c| if c == 0 { "type0" } else { "rest" })
            .collect();
        data.clone()
            .with_labels(kratos_data::Labels::from_names(&names).unwrap())
            .unwrap()
    };
    // Two labels, "rest" and "type0"; evaluate type0 only by giving "rest" the same ranking and
    // counting one class's time: the protocol is one-vs-rest, so both tasks cost the same.
    let params = PanelEvaluationParams::new()
        .grid(TopKGrid::Genes(ks.clone()))
        .n_iter(20);
    let (s, result) =
        time(|| evaluate_panel(&one_class, &[ranking.clone(), ranking.clone()], &params).unwrap());
    println!(
        "{}",
        serde_json::json!({
            "name": "panel_eval_one_class", "cells": data.n_cells(), "genes": data.n_genes(),
            "ks": ks, "n_iter": 20, "seconds_per_class": s / 2.0,
            "auroc_type0": result.classes.iter().find(|c| c.class == "type0").map(|c| c.auroc.clone()),
        })
    );
}
