//! Training benchmark: 100 epochs on PBMC3k's shape (2,638 x 1,838, 8 classes, synthetic) and,
//! when `KRATOS_DATA` is set, on the published simulation 140var_clean (70% training split).
//! `KRATOS_BENCH_EPOCHS` and `KRATOS_BENCH_BATCH` change the epochs (100) and batch size (64).

use kratos_benches::{synthetic_dataset, time};
use kratos_model::{DefaultBackend, TrainingConfig, fit};

fn report(name: &str, cells: usize, genes: usize, epochs: usize, batch: usize, seconds: f64) {
    println!(
        "{}",
        serde_json::json!({
            "name": name, "cells": cells, "genes": genes, "epochs": epochs, "batch_size": batch,
            "seconds": seconds, "epochs_per_second": epochs as f64 / seconds,
        })
    );
}

fn main() {
    let epochs: usize = std::env::var("KRATOS_BENCH_EPOCHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let batch: usize = std::env::var("KRATOS_BENCH_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let config = TrainingConfig::new()
        .with_epochs(epochs)
        .with_batch_size(batch);
    let device = Default::default();

    let data = synthetic_dataset(2638, 1838, 8, 1);
    // The 70% training split, as in a real run.
    let split = kratos_data::stratified_split(data.labels().unwrap(), 0.3, 7).unwrap();
    let train = data.select_cells(&split.train);
    let (s, _) = time(|| fit::<DefaultBackend>(&train, &config, &device).unwrap());
    report(
        "train_pbmc3k_shape",
        train.n_cells(),
        train.n_genes(),
        epochs,
        batch,
        s,
    );

    if let Ok(dir) = std::env::var("KRATOS_DATA") {
        let path = std::path::Path::new(&dir).join("simulation/140var_clean.csv");
        let options = kratos_data::read::ReadOptions::new().labels_from_cell_ids(true);
        if let Ok(sim) = kratos_data::read::read_path(&path, &options) {
            let split = kratos_data::stratified_split(sim.labels().unwrap(), 0.3, 7).unwrap();
            let train = sim.select_cells(&split.train);
            let (s, _) = time(|| fit::<DefaultBackend>(&train, &config, &device).unwrap());
            report(
                "train_140var_clean",
                train.n_cells(),
                train.n_genes(),
                epochs,
                batch,
                s,
            );
        }
    }
}
