//! `kratos panel` (design a targeted panel) and `kratos evaluate --joint` (score a panel as
//! one set of genes).

use std::path::Path;
use std::time::Instant;

use kratos::data::preprocess;
use kratos::design::design_study;
use kratos::{
    DesignParams, GenePanel, JointEvaluation, JointEvaluationParams, Pipeline, Preprocessing,
    Progress, evaluate_joint, round_robin,
};
use kratos_report::{DesignInfo, panel_file_name, write_design};

use crate::CliError;
use crate::args::{EvaluateArgs, PanelArgs};
use crate::input::read_labelled;
use crate::output::{OutputDir, note, refuse_existing_file, write_json_file};
use crate::progress::Bars;

/// `kratos panel`.
pub fn panel(args: &PanelArgs, quiet: bool) -> Result<(), CliError> {
    if let Some(bad) = args.genes.iter().find(|&&n| n == 0) {
        return Err(CliError::Input(format!(
            "--genes {bad}: a panel needs at least 1 gene"
        )));
    }
    let largest = args.genes.iter().copied().max().unwrap_or(0);
    let params = DesignParams::new(largest)
        .include(&args.include)
        .exclude(&args.exclude);
    let checked = params.check()?;
    let out = OutputDir::create(&args.out, args.force)?;
    let progress = Bars::new(quiet);
    let (data, _) = read_labelled(&args.input)?;
    if largest > data.n_genes() {
        return Err(CliError::Input(format!(
            "--genes {largest}: the data has only {} genes",
            data.n_genes()
        )));
    }
    // Named genes are checked before the training, not after.
    checked.gene_columns(&data)?;
    let (cells, genes) = (data.n_cells(), data.n_genes());
    let pipeline = Pipeline::new()
        .dataset(data)
        .epochs(args.epochs)
        .seed(args.seed);
    progress.start("training", pipeline.total_epochs() as u64);
    let started = Instant::now();
    let trained = pipeline.on_epoch(|_, _| progress.advance(1)).train()?;
    let training_seconds = started.elapsed().as_secs_f64();
    progress.finish();
    let evaluation = JointEvaluationParams::new().check()?;
    let study = design_study(
        &trained,
        &args.genes,
        &params,
        (!args.no_evaluation).then_some(&evaluation),
        &progress,
    )?;
    let info = DesignInfo {
        data: args.input.data.display().to_string(),
        cells,
        genes,
        log1p: trained.log1p_applied(),
        seed: args.seed,
        include: args.include.clone(),
        exclude: args.exclude.clone(),
        training_seconds,
    };
    write_design(out.dir(), &study, &info)?;
    let target = out.finish()?;

    println!(
        "kratos panel: {cells} cells x {genes} genes, {} types{}",
        study.panels[0].class_names.len(),
        if info.log1p { " (log1p applied)" } else { "" }
    );
    for (n, panel) in study.sizes.iter().zip(&study.panels) {
        let shown: Vec<&str> = panel.gene_names().into_iter().take(12).collect();
        println!(
            "{n:>5} genes: {}{}",
            shown.join(", "),
            if panel.genes.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        );
    }
    if !study.curves.is_empty() {
        println!(
            "\nbalanced accuracy (logistic regression, {} splits):",
            evaluation.splits
        );
        let header: Vec<String> = study.sizes.iter().map(|n| format!("N={n}")).collect();
        println!(
            "{:<10} {}",
            "method",
            header.iter().map(|h| format!("{h:>8}")).collect::<String>()
        );
        for c in &study.curves {
            let row: String = c
                .points
                .iter()
                .map(|e| format!("{:>8.3}", e.logistic.balanced_accuracy))
                .collect();
            println!("{:<10} {row}", c.method);
        }
        if let Some(all) = &study.all_genes {
            println!(
                "{:<10} {:>8.3} (all genes)",
                "all", all.logistic.balanced_accuracy
            );
        }
        if let Some(e) = study.curves.first().and_then(|c| c.points.first()) {
            note_left_out(e, evaluation.min_cells);
        }
    }
    let files: Vec<String> = study
        .sizes
        .iter()
        .map(|&n| panel_file_name(&study.sizes, n))
        .collect();
    println!(
        "wrote {}: {}, report.json, report.html",
        target.display(),
        files.join(", ")
    );
    Ok(())
}

/// The genes of a gene-list file: a TSV with a `gene` column but no `class` column (e.g.
/// `kratos panel`'s panel.tsv), or one gene per line. `None` for a per-class panel.
fn read_gene_list(path: &Path) -> Result<Option<Vec<String>>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::io(path, e))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(first) = lines.next() else {
        return Err(CliError::Input(format!(
            "{}: the file is empty",
            path.display()
        )));
    };
    let header: Vec<&str> = first.split('\t').map(str::trim).collect();
    if header.contains(&"class") {
        return Ok(None);
    }
    Ok(Some(match header.iter().position(|h| *h == "gene") {
        Some(column) => lines
            .enumerate()
            .map(|(i, l)| {
                l.split('\t')
                    .nth(column)
                    .map(|g| g.trim().to_string())
                    .ok_or_else(|| {
                        CliError::Input(format!(
                            "{}: line {}: no `gene` column",
                            path.display(),
                            i + 2
                        ))
                    })
            })
            .collect::<Result<_, _>>()?,
        None => std::iter::once(first)
            .chain(lines)
            .map(|l| l.trim().to_string())
            .collect(),
    }))
}

/// Names the classes a joint evaluation left out, if any.
fn note_left_out(e: &JointEvaluation, min_cells: usize) {
    if !e.left_out.is_empty() {
        let names: Vec<String> = e
            .left_out
            .iter()
            .map(|(c, n)| format!("{c} ({n} cells)"))
            .collect();
        note(&format!(
            "left out of the scores (under {min_cells} cells): {}",
            names.join(", ")
        ));
    }
}

/// `kratos evaluate --joint`.
pub fn evaluate_joint_panel(args: &EvaluateArgs) -> Result<(), CliError> {
    refuse_existing_file(&args.out, args.force)?;
    if !args.panel.is_file() {
        return Err(CliError::Input(format!(
            "{}: no such panel file",
            args.panel.display()
        )));
    }
    if let Some(bad) = args.genes.iter().find(|&&n| n == 0) {
        return Err(CliError::Input(format!(
            "--genes {bad}: a panel needs at least 1 gene"
        )));
    }
    let params = JointEvaluationParams::new().seed(args.seed).check()?;
    let (mut data, _) = read_labelled(&args.input)?;
    let all: Vec<usize> = (0..data.n_cells()).collect();
    let log1p = Preprocessing::Log1pIfCounts.applies_to_cells(&data, &all);
    if log1p {
        preprocess::log1p(&mut data)?;
    }
    let largest = args.genes.iter().copied().max().unwrap_or(0);
    let (kind, genes) = match read_gene_list(&args.panel)? {
        Some(names) => {
            let genes = names
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    data.gene_index(g).ok_or_else(|| {
                        CliError::Input(format!(
                            "{}: gene `{g}` (entry {}) is not in the data",
                            args.panel.display(),
                            i + 1
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            ("gene list", genes)
        }
        None => {
            let panel = GenePanel::read_tsv(&args.panel, "panel")?;
            let rankings = kratos::rankings_for_classes(&panel, &data).map_err(|e| {
                let (CliError::Input(m) | CliError::Failure(m)) = CliError::from(e);
                CliError::Input(format!("{}: {m}", args.panel.display()))
            })?;
            (
                "per-class panel, round-robin",
                round_robin(&rankings, largest),
            )
        }
    };
    if genes.len() < largest {
        return Err(CliError::Input(format!(
            "{}: --genes {largest} asked for, but the {kind} has {} genes",
            args.panel.display(),
            genes.len()
        )));
    }
    let started = Instant::now();
    let mut points = Vec::new();
    println!(
        "{:>6} {:>10} {:>10} {:>10}",
        "genes", "LR bal.acc", "LR F1", "kNN bal.acc"
    );
    for &n in &args.genes {
        let e = evaluate_joint(&data, &genes[..n], &params)?;
        println!(
            "{n:>6} {:>10.4} {:>10.4} {:>10.4}",
            e.logistic.balanced_accuracy, e.logistic.macro_f1, e.knn.balanced_accuracy
        );
        points.push(e);
    }
    if let Some(e) = points.first() {
        note_left_out(e, params.min_cells);
    }
    let report = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "data": {
            "path": args.input.data.display().to_string(),
            "cells": data.n_cells(),
            "genes": data.n_genes(),
            "log1p": log1p,
        },
        "panel": args.panel.display().to_string(),
        "panel_kind": kind,
        "params": &*params,
        "joint": points,
        "seconds": started.elapsed().as_secs_f64(),
    });
    write_json_file(&args.out, &report)?;
    println!("wrote {}", args.out.display());
    Ok(())
}
