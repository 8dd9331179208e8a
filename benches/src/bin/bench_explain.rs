//! Explainer benchmark: every explainer over all 2,638 cells of a synthetic PBMC3k-shaped data
//! set (1,838 genes, 8 classes), CW with the paper's 500 iterations.
//! `KRATOS_BENCH_EPOCHS` (default 100) sets the training epochs before explaining.

use kratos_benches::{synthetic_dataset, time};
use kratos_explain::{
    CwExplainer, Explainer, GradientTimesInput, IntegratedGradients, PanelOptions, Saliency,
    SmoothGrad, explain_panel,
};
use kratos_model::{DefaultBackend, TrainingConfig, fit};

fn main() {
    let epochs: usize = std::env::var("KRATOS_BENCH_EPOCHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let data = synthetic_dataset(2638, 1838, 8, 1);
    let split = kratos_data::stratified_split(data.labels().unwrap(), 0.3, 7).unwrap();
    let config = TrainingConfig::new().with_epochs(epochs).check().unwrap();
    let model = fit::<DefaultBackend>(
        &data.select_cells(&split.train),
        &config,
        &Default::default(),
    )
    .unwrap();
    let explainers: Vec<Box<dyn Explainer<DefaultBackend>>> = vec![
        Box::new(CwExplainer::default()),
        Box::new(SmoothGrad::default()),
        Box::new(IntegratedGradients::default()),
        Box::new(Saliency),
        Box::new(GradientTimesInput),
    ];
    let only: Option<String> = std::env::args().nth(1);
    for e in &explainers {
        if only.as_deref().is_some_and(|o| o != e.name()) {
            continue;
        }
        let (s, panel) = time(|| {
            explain_panel(
                e.as_ref(),
                &model,
                &data,
                &PanelOptions::default().check().unwrap(),
            )
            .unwrap()
        });
        let cells: usize = panel.cells_used().iter().sum();
        println!(
            "{}",
            serde_json::json!({
                "name": format!("explain_{}", e.name()), "cells": cells, "genes": data.n_genes(),
                "seconds": s, "cells_per_second": cells as f64 / s,
            })
        );
    }
}
