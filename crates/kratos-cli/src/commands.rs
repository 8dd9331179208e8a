//! The subcommands: `demo`, `run`, `evaluate` and `simulate`.

use std::path::PathBuf;
use std::time::Instant;

use kratos::analysis::{Analysis, AnalysisParams, Method, Timings, analyse_timed};
use kratos::anndata::{
    EMBEDDING_KEY, H5adSource, PANEL_KEY, check_h5ad_names, write_analysis_h5ad,
};
use kratos::metrics::role_counts;
use kratos::sim::{OutputFormat, Simulator};
use kratos::{
    GenePanel, PanelEvaluationParams, Preset, Progress, RoleCounts, SimulationParams, TopKGrid,
    TrainingConfig, evaluate_panel,
};
use kratos_report::{Report, RoleRow, RunInfo, SimulationSection, write_run};

use crate::CliError;
use crate::args::{
    CellsPerClass, DemoArgs, EvaluateArgs, EvaluateGrid, Grid, RunArgs, SimFormat, SimPreset,
    SimulateArgs,
};
use crate::input::{is_h5ad, read_labelled};
use crate::output::{OutputDir, note, refuse_existing_file, write_json_file};
use crate::progress::Bars;

fn fmt3(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite())
        .map(|x| format!("{x:.3}"))
        .unwrap_or_else(|| "-".into())
}

/// Mean AUROC of `method` at the panel size closest to `percent` % of the genes.
fn auroc_at(analysis: &Analysis, method: &str, percent: f64) -> Option<f64> {
    let (_, e) = analysis.evaluations.iter().find(|(m, _)| m == method)?;
    let p = e.percents.as_ref()?;
    let i = p
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - percent).abs().total_cmp(&(b.1 - percent).abs()))?
        .0;
    e.mean_auroc.get(i).copied()
}

fn print_quality(report: &Report) {
    let pca = report
        .input_pca
        .as_ref()
        .map(|q| {
            format!(
                "   (PCA of the input: ARI {:.3}, AMI {:.3}, silhouette {})",
                q.ari,
                q.ami,
                fmt3(q.silhouette)
            )
        })
        .unwrap_or_default();
    println!(
        "accuracy   train {:.3}  test {:.3}",
        report.accuracy.train, report.accuracy.test
    );
    println!(
        "embedding  ARI {:.3}  AMI {:.3}  silhouette {}{pca}",
        report.embedding.ari,
        report.embedding.ami,
        fmt3(report.embedding.silhouette),
    );
}

fn print_timings(timings: &Timings, total: f64) {
    println!("time       {} (total {total:.1}s)", timings.line());
}

/// `kratos demo`: simulate the `clean` preset in memory, run everything, write the folder and
/// print a summary.
pub fn demo(args: &DemoArgs, quiet: bool) -> Result<(), CliError> {
    let start = Instant::now();
    let out = OutputDir::create(&args.out, args.force)?;
    let progress = Bars::new(quiet);
    let mut timings = Timings::default();
    let params = SimulationParams::clean().seed(args.seed).check()?;
    let sim = timings.time("simulate", || params.simulate())?;
    let roles = sim.roles.clone();
    let analysis_params = AnalysisParams::new()
        .methods(vec![
            Method::Cw,
            Method::CwOvo,
            Method::SmoothGrad,
            Method::Ig,
            Method::Saliency,
            Method::GradInput,
            Method::Wilcoxon,
        ])
        .training(TrainingConfig::new().with_seed(args.seed))
        .cells_per_class(CellsPerClass::default().0)
        .evaluation(Some(
            PanelEvaluationParams::new()
                .grid(TopKGrid::Quick)
                .n_iter(3)
                .seed(args.seed),
        ))
        .check()?;
    let mut analysis = analyse_timed(sim.dataset, &analysis_params, &progress, timings)?;
    // Ground truth: roles among every panel's top 20 genes per class.
    let mut rows = Vec::new();
    // (One-vs-one panels rank genes per pair of types, not per type: they are written to
    // panels/cw-ovo.tsv but have no row here.)
    for p in analysis.panels.iter().filter(|p| p.method() != "cw-ovo") {
        let per_class = role_counts(p.rankings(), &roles, 20)?;
        let total = per_class
            .iter()
            .fold(RoleCounts::default(), |a, c| RoleCounts {
                causal: a.causal + c.causal,
                dependent: a.dependent + c.dependent,
                noise: a.noise + c.noise,
            });
        rows.push(RoleRow {
            method: p.method().to_string(),
            total,
            per_class,
            auroc_top5pct: auroc_at(&analysis, p.method(), 5.0),
        });
    }
    let genes = roles.iter().fold(RoleCounts::default(), |mut a, r| {
        match r {
            kratos::GeneRole::Causal => a.causal += 1,
            kratos::GeneRole::Dependent => a.dependent += 1,
            kratos::GeneRole::Noise => a.noise += 1,
        }
        a
    });
    let names = analysis.trained.model_input().gene_names().to_vec();
    out.write(
        "genes.tsv",
        &std::iter::once("gene\trole".to_string())
            .chain(names.iter().zip(&roles).map(|(g, r)| format!("{g}\t{r}")))
            .map(|l| l + "\n")
            .collect::<String>(),
    )?;
    let info = RunInfo {
        command: "demo".into(),
        data_path: None,
        label_source: "simulated cell types".into(),
        start,
        top: 10,
    };
    let report = write_run(out.dir(), &mut analysis, &analysis_params, &info, |r| {
        r.files.push("genes.tsv".into());
        r.simulation = Some(SimulationSection {
            preset: "clean".into(),
            genes,
            top20: rows.clone(),
        });
    })?;
    let target = out.finish()?;

    let ds = analysis.trained.model_input();
    println!(
        "kratos demo: simulated {} cells x {} genes, {} cell types ({} causal, {} dependent, {} noise genes; seed {})",
        ds.n_cells(),
        ds.n_genes(),
        report.classes.len(),
        genes.causal,
        genes.dependent,
        genes.noise,
        args.seed
    );
    print_quality(&report);
    println!();
    println!(
        "{:<12} {:>7} {:>10} {:>6} {:>14}",
        "method", "causal", "dependent", "noise", "AUROC top 5%"
    );
    for r in &rows {
        println!(
            "{:<12} {:>7} {:>10} {:>6} {:>14}",
            r.method,
            r.total.causal,
            r.total.dependent,
            r.total.noise,
            fmt3(r.auroc_top5pct)
        );
    }
    println!(
        "(roles among the top 20 genes of each of the {} types: {} slots; fewer noise genes is better)",
        report.classes.len(),
        20 * report.classes.len()
    );
    println!();
    print_timings(&analysis.timings, start.elapsed().as_secs_f64());
    println!(
        "wrote      {} (open {}/report.html)",
        target.display(),
        target.display()
    );
    Ok(())
}

/// `kratos run`.
pub fn run(args: &RunArgs, quiet: bool) -> Result<(), CliError> {
    let start = Instant::now();
    if args.top == 0 {
        return Err(CliError::Input("--top must be at least 1".into()));
    }
    if args.map.map_cells < 10 {
        return Err(CliError::Input("--map-cells must be at least 10".into()));
    }
    let evaluation = match args.evaluate {
        EvaluateGrid::None => None,
        EvaluateGrid::Quick => Some(TopKGrid::Quick),
        EvaluateGrid::Paper => Some(TopKGrid::Paper),
    }
    .map(|grid| {
        PanelEvaluationParams::new()
            .grid(grid)
            .n_iter(args.n_iter)
            .seed(args.seed)
    });
    let h5ad = h5ad_plan(args)?;
    let analysis_params = AnalysisParams::new()
        .methods(args.methods.iter().map(|m| m.method()).collect())
        .direction(args.direction.listing())
        .training(
            Preset::default()
                .training
                .with_epochs(args.epochs)
                .with_learning_rate(args.lr)
                .with_seed(args.seed),
        )
        .preprocessing(args.preprocessing.preprocessing())
        .cells_per_class(args.cells_per_class.0)
        .evaluation(evaluation)
        .maps(!args.map.no_plots)
        .map_cells(args.map.map_cells)
        .check()?;
    let out = OutputDir::create(&args.out, args.force)?;
    let progress = Bars::new(quiet);
    let mut timings = Timings::default();
    let (data, source) = timings.time("read", || read_labelled(&args.input))?;
    if h5ad.is_some() {
        check_h5ad_names(&data).map_err(|e| {
            let (CliError::Input(m) | CliError::Failure(m)) = CliError::from(e);
            CliError::Input(format!(
                "{}: {m}; drop --write-h5ad",
                args.input.data.display()
            ))
        })?;
    }
    // A new AnnData file holds the cells as read; the analysis keeps them only preprocessed.
    let cells_as_read = matches!(h5ad, Some(H5adPlan::New(_))).then(|| data.clone());
    let mut analysis = analyse_timed(data, &analysis_params, &progress, timings)?;
    let info = RunInfo {
        command: "run".into(),
        data_path: Some(args.input.data.display().to_string()),
        label_source: source.to_string(),
        start,
        top: args.top,
    };
    let report = write_run(out.dir(), &mut analysis, &analysis_params, &info, |_| {})?;
    // Before the folder is moved into place: a failed write leaves neither.
    let h5ad_written = match (&h5ad, &cells_as_read) {
        (Some(H5adPlan::Copy(path)), _) => {
            let source = H5adSource::Copy {
                input: &args.input.data,
                groupby: args.input.labels.label_key.as_deref().unwrap_or("label"),
                layer: args.input.layer.as_deref(),
            };
            Some(write_analysis_h5ad(path, &analysis, &source, args.force)?)
        }
        (Some(H5adPlan::New(path)), Some(data)) => {
            let source = H5adSource::New {
                data,
                groupby: "label",
            };
            Some(write_analysis_h5ad(path, &analysis, &source, args.force)?)
        }
        _ => None,
    };
    let target = out.finish()?;

    println!(
        "kratos run: {} cells x {} genes, {} classes{}",
        report.data.cells,
        report.data.genes,
        report.classes.len(),
        if report.data.log1p_applied {
            " (log1p applied: the input looks like counts)"
        } else {
            ""
        }
    );
    print_quality(&report);
    if analysis.evaluations.is_empty() {
        note(
            "panels not evaluated: add --evaluate quick for AUROC curves (takes minutes), or score a panel later with `kratos evaluate`",
        );
    } else {
        println!();
        let (_, first) = &analysis.evaluations[0];
        let header: Vec<String> = match &first.percents {
            Some(p) => p.iter().map(|x| format!("{x}%")).collect(),
            None => first.ks.iter().map(|k| format!("{k} genes")).collect(),
        };
        println!(
            "{:<18} {}",
            "mean AUROC",
            header.iter().map(|h| format!("{h:>7}")).collect::<String>()
        );
        for (m, e) in &analysis.evaluations {
            println!(
                "{:<18} {}",
                m,
                e.mean_auroc
                    .iter()
                    .map(|a| format!("{a:>7.3}"))
                    .collect::<String>()
            );
        }
    }
    println!();
    if let Some(kratos) = analysis.panels.first() {
        println!("top {} genes per class (kratos panel):", args.top);
        for (c, name) in kratos.class_names().iter().enumerate() {
            println!("  {name}: {}", kratos.top_genes(c, args.top).join(" "));
        }
    }
    for w in &report.warnings {
        note(&format!("note: {w}"));
    }
    println!();
    print_timings(&analysis.timings, start.elapsed().as_secs_f64());
    println!(
        "wrote      {} (open {}/report.html)",
        target.display(),
        target.display()
    );
    if let Some(written) = h5ad_written {
        println!(
            "wrote      {} (AnnData: the kratos panel in uns['{PANEL_KEY}'], the embedding in obsm['{EMBEDDING_KEY}'])",
            written.path.display()
        );
        for n in &written.notes {
            note(&format!("note: {n}"));
        }
    }
    Ok(())
}

/// The AnnData file `kratos run --write-h5ad` writes.
enum H5adPlan {
    /// A copy of the input `.h5ad`.
    Copy(PathBuf),
    /// A new file of the cells as read.
    New(PathBuf),
}

/// What `--write-h5ad` will write, checked before any work: the file must not exist (unless
/// `--force`) nor be a folder, and a copy of an `.h5ad` input needs the labels from one of its
/// `obs` columns (the copy keeps `obs` as it is, and scanpy groups the cells by that column).
fn h5ad_plan(args: &RunArgs) -> Result<Option<H5adPlan>, CliError> {
    let Some(path) = &args.write_h5ad else {
        return Ok(None);
    };
    if path.is_dir() {
        return Err(CliError::Input(format!(
            "{}: is a folder; --write-h5ad takes a file name",
            path.display()
        )));
    }
    if path.exists() && !args.force {
        return Err(CliError::Input(format!(
            "{}: already exists; choose another --write-h5ad or pass --force to replace it",
            path.display()
        )));
    }
    if !is_h5ad(&args.input.data) {
        return Ok(Some(H5adPlan::New(path.clone())));
    }
    if args.input.labels.label_key.is_none() {
        return Err(CliError::Input(format!(
            "{}: --write-h5ad copies this .h5ad file, whose obs must hold the labels: give --label-key KEY (the obs column) instead of a label file",
            args.input.data.display()
        )));
    }
    Ok(Some(H5adPlan::Copy(path.clone())))
}

/// `kratos evaluate`: the SVM top-k protocol and PCC for a panel TSV from any tool.
pub fn evaluate(args: &EvaluateArgs, quiet: bool) -> Result<(), CliError> {
    refuse_existing_file(&args.out, args.force)?;
    if !args.panel.is_file() {
        return Err(CliError::Input(format!(
            "{}: no such panel file; --panel takes a TSV with header class<TAB>rank<TAB>gene<TAB>score",
            args.panel.display()
        )));
    }
    let params = PanelEvaluationParams::new()
        .grid(match args.grid {
            Grid::Quick => TopKGrid::Quick,
            Grid::Paper => TopKGrid::Paper,
        })
        .n_iter(args.n_iter)
        .seed(args.seed)
        .check()?;
    let (data, _) = read_labelled(&args.input)?;
    let method = args
        .panel
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "panel".into());
    let panel = GenePanel::read_tsv(&args.panel, method)?;
    let input_error = |e: kratos::Error| {
        let (CliError::Input(m) | CliError::Failure(m)) = CliError::from(e);
        CliError::Input(format!("{}: {m}", args.panel.display()))
    };
    // Check the panel against the data before the slow part.
    kratos::rankings_for_classes(&panel, &data).map_err(input_error)?;
    let progress = Bars::new(quiet);
    let classes = data.labels().map_or(0, |l| l.n_classes());
    progress.start(
        "evaluating",
        (params.grid.ks(data.n_genes()).len() * classes) as u64,
    );
    let start = Instant::now();
    let result = evaluate_panel(&data, &panel, &params, |_, _| progress.advance(1)).map_err(
        |e| match e {
            kratos::Error::PanelClassMissing { .. } => input_error(e),
            other => other.into(),
        },
    )?;
    progress.finish();
    for (name, n) in &result.skipped {
        note(&format!(
            "skipped class `{name}`: {n} cells (fewer than {} for 3-fold CV)",
            params.min_cells
        ));
    }
    // The evaluation's fields at the top level (ks, percents, classes, skipped, mean_auroc,
    // mean_redundancy, params), plus where it came from.
    let mut report = serde_json::to_value(&result)
        .map_err(|e| CliError::Failure(format!("{}: {e}", args.out.display())))?;
    if let Some(map) = report.as_object_mut() {
        map.insert("version".into(), env!("CARGO_PKG_VERSION").into());
        map.insert(
            "data".into(),
            serde_json::json!({
                "path": args.input.data.display().to_string(),
                "cells": data.n_cells(),
                "genes": data.n_genes(),
            }),
        );
        map.insert("panel".into(), args.panel.display().to_string().into());
        map.insert("seconds".into(), start.elapsed().as_secs_f64().into());
    }
    write_json_file(&args.out, &report)?;
    println!(
        "{:>6} {:>6} {:>11} {:>11}",
        "top %", "genes", "mean AUROC", "mean |PCC|"
    );
    for (i, (k, (a, r))) in result
        .ks
        .iter()
        .zip(result.mean_auroc.iter().zip(&result.mean_redundancy))
        .enumerate()
    {
        let pct = result
            .percents
            .as_ref()
            .and_then(|p| p.get(i))
            .map(|p| format!("{p}"))
            .unwrap_or_else(|| "-".into());
        println!("{pct:>6} {k:>6} {a:>11.4} {:>11}", fmt3(*r));
    }
    println!("wrote {}", args.out.display());
    Ok(())
}

/// `kratos simulate`.
pub fn simulate(args: &SimulateArgs) -> Result<(), CliError> {
    let mut params = match args.preset {
        SimPreset::Clean => SimulationParams::clean(),
        SimPreset::Hard => SimulationParams::hard(),
        SimPreset::Large => SimulationParams::large(),
    }
    .seed(args.seed);
    if let (Some(cells), Some(genes), Some(types)) = (args.cells, args.genes, args.types) {
        params = params.shape(cells, genes, types);
    }
    if let Some(share) = args.zeros {
        params = params.zero_share(share)?;
    }
    let params = params.check()?;
    let format = match args.format {
        SimFormat::Csv => OutputFormat::Csv,
        SimFormat::TenX => OutputFormat::TenX,
        SimFormat::Both => OutputFormat::CsvAndTenX,
    };
    let out = OutputDir::create(&args.out, args.force)?;
    // The simulator streams block by block, so even the large preset never sits in memory.
    let written = Simulator::new(params.clone()).write_to_dir(out.dir(), format, true)?;
    let target = out.finish()?;
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    println!(
        "wrote {}: {} cells x {} genes ({} causal, {} dependent, {} noise): {}",
        target.display(),
        params.n_cells(),
        params.n_genes(),
        params.n_causal(),
        params.n_dependent(),
        params.n_noise(),
        names.join(", ")
    );
    Ok(())
}
