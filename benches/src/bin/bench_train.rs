//! Training benchmark: 100 epochs on PBMC3k's shape (2,638 x 1,838, 8 classes, synthetic) and,
//! when `KRATOS_DATA` is set, on the real PBMC3k and the published simulation 140var_clean (70%
//! training splits).
//! `KRATOS_BENCH_EPOCHS` and `KRATOS_BENCH_BATCH` change the epochs (100) and batch size (64);
//! `KRATOS_BENCH_ONLY=name,...` runs only the measurements named.

use kratos_benches::{synthetic_dataset, time};
use kratos_data::preprocess::{HvgParams, highly_variable_genes, log1p, normalize_total};
use kratos_data::read::{ReadOptions, read_labels, read_path};
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

/// Whether the measurement `name` is wanted (`KRATOS_BENCH_ONLY`).
fn wanted(name: &str) -> bool {
    std::env::var("KRATOS_BENCH_ONLY").map_or(true, |only| only.split(',').any(|n| n == name))
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
        .with_batch_size(batch)
        .check()
        .unwrap();
    let device = Default::default();

    // Trains on the 70% training split of `data`, as in a real run, and reports the time.
    let measure = |name: &str, data: &kratos_data::Dataset| {
        let split = kratos_data::stratified_split(data.labels().unwrap(), 0.3, 7).unwrap();
        let train = data.select_cells(&split.train);
        let nonzero = train.stored_values().iter().filter(|&&v| v != 0.0).count();
        let (n, g) = train.shape();
        eprintln!(
            "{name}: {:.1}% zeros in the training cells",
            100.0 * (1.0 - nonzero as f64 / (n * g) as f64)
        );
        let (s, _) = time(|| fit::<DefaultBackend>(&train, &config, &device).unwrap());
        report(name, train.n_cells(), train.n_genes(), epochs, batch, s);
    };

    if wanted("train_pbmc3k_shape") {
        measure("train_pbmc3k_shape", &synthetic_dataset(2638, 1838, 8, 1));
    }

    if let Ok(dir) = std::env::var("KRATOS_DATA") {
        // The real PBMC3k (the shape above comes from it), prepared as `kratos reproduce` does:
        // normalised to 10,000 counts per cell, log1p, highly variable genes (2,638 x 1,838; 92% zeros).
        let dir = std::path::Path::new(&dir);
        let counts = dir.join("pbmc3k/counts.csv.gz");
        if let Some(mut real) = wanted("train_pbmc3k")
            .then(|| read_path(&counts, &ReadOptions::new()).ok())
            .flatten()
        {
            let labels = read_labels(dir.join("pbmc3k/labels.tsv"), real.cell_ids()).unwrap();
            real = real.with_labels(labels).unwrap();
            normalize_total(&mut real, 1e4).unwrap();
            log1p(&mut real).unwrap();
            let hvg = highly_variable_genes(&real, &HvgParams::new()).unwrap();
            measure("train_pbmc3k", &real.select_genes(&hvg.indices()));
        }
        let path = dir.join("simulation/140var_clean.csv");
        let options = ReadOptions::new().labels_from_cell_ids(true);
        if let Some(sim) = wanted("train_140var_clean")
            .then(|| read_path(&path, &options).ok())
            .flatten()
        {
            measure("train_140var_clean", &sim);
        }
    }
}
