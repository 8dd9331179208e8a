//! The subcommands.

use std::path::Path;
use std::time::Instant;

use kratos::data::read::{ReadOptions, read_path};
use kratos::explain::{Preset as KratosPreset, PresetRun};
use kratos::metrics::{
    PanelEvaluationParams, TopKGrid, adjusted_mutual_information, adjusted_rand_index,
    evaluate_panel, kmeans, role_counts, silhouette_score,
};
use kratos::sim::{SimulationParams, simulate, write_csv_files, write_large};
use kratos::{
    CwExplainer, Dataset, DefaultBackend, Explainer, GenePanel, GeneRole, IntegratedGradients,
    Pipeline, Saliency, SmoothGrad, TrainedPipeline, TrainingConfig, explain_pair,
};
use serde_json::{Value, json};

use crate::CliError;
use crate::args::{DemoArgs, EvaluateArgs, Grid, Method, Preset, RunArgs, SimulateArgs};
use crate::output::{OutputDir, embedding_tsv, note, progress};

type Backend = DefaultBackend;

/// Seconds per stage, in the order they ran.
#[derive(Default)]
struct Timings(Vec<(String, f64)>);

impl Timings {
    fn time<T>(&mut self, stage: &str, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.0
            .push((stage.to_string(), start.elapsed().as_secs_f64()));
        out
    }
    fn json(&self) -> Value {
        Value::Object(self.0.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
    }
}

/// Reads the data with the label source the user gave, or finds one (labels.tsv beside the
/// data, else `<index>_<type>` cell ids), saying on stderr which it used.
fn read_labelled(
    data: &Path,
    labels: Option<&Path>,
    label_key: Option<&str>,
    transpose: bool,
) -> Result<Dataset, CliError> {
    if !data.exists() {
        return Err(CliError::Input(format!(
            "{}: no such file or folder",
            data.display()
        )));
    }
    let base = ReadOptions::new().transpose(transpose);
    if let Some(l) = labels {
        return Ok(read_path(data, &base.label_file(l))?);
    }
    if let Some(k) = label_key {
        return Ok(read_path(data, &base.label_key(k))?);
    }
    let beside = data
        .parent()
        .map(|p| {
            if data.is_dir() {
                data.join("labels.tsv")
            } else {
                p.join("labels.tsv")
            }
        })
        .filter(|p| p.exists());
    if let Some(l) = beside {
        note(&format!(
            "labels: {} (found beside the data; give --labels to choose another file)",
            l.display()
        ));
        return Ok(read_path(data, &base.label_file(&l))?);
    }
    match read_path(data, &base.clone().labels_from_cell_ids(true)) {
        Ok(ds) => {
            note("labels: taken from the cell ids (<index>_<type>)");
            Ok(ds)
        }
        Err(_) => Err(CliError::Input(format!(
            "{}: no labels found; give --labels FILE (cell id, label) or --label-key KEY for an .h5ad obs column",
            data.display()
        ))),
    }
}

fn explainer_for(method: Method) -> Box<dyn Explainer<Backend>> {
    match method {
        Method::Cw | Method::CwOvo => Box::new(CwExplainer::default()),
        Method::Smoothgrad => Box::new(SmoothGrad::default()),
        Method::Ig => Box::new(IntegratedGradients::default()),
        Method::Saliency => Box::new(Saliency),
    }
}

/// Every ordered pair of classes with one-vs-one CW, as one panel whose classes are "A vs B".
fn pair_panel(trained: &TrainedPipeline<Backend>) -> Result<GenePanel, CliError> {
    let model = trained.model();
    let names = model.class_names().to_vec();
    let (mut classes, mut scores, mut counts) = (Vec::new(), Vec::new(), Vec::new());
    for a in &names {
        for b in names.iter().filter(|b| *b != a) {
            let p = explain_pair(
                &CwExplainer::one_vs_one(),
                model,
                trained.dataset(),
                a,
                b,
                &Default::default(),
            )?;
            classes.push(format!("{a} vs {b}"));
            scores.push(p.scores(0).to_vec());
            counts.push(p.cells_used()[0]);
        }
    }
    Ok(GenePanel::from_scores(
        "cw-ovo",
        model.gene_names().to_vec(),
        classes,
        scores,
        counts,
    )?)
}

/// ARI/AMI of k-means (K = classes) on the embedding, silhouette of the true labels.
fn embedding_metrics(
    values: &[f32],
    n: usize,
    dims: usize,
    labels: &[usize],
    k: usize,
    seed: u64,
) -> Result<Value, CliError> {
    let clusters = kmeans(values, n, dims, k, seed)?;
    Ok(json!({
        "ari": adjusted_rand_index(labels, &clusters)?,
        "ami": adjusted_mutual_information(labels, &clusters)?,
        "silhouette": silhouette_score(values, n, dims, labels).ok(),
        "kmeans_k": k,
    }))
}

fn class_json(ds: &Dataset) -> Value {
    let labels = ds.labels().expect("labelled");
    Value::Array(
        labels
            .class_names()
            .iter()
            .zip(labels.class_counts())
            .map(|(n, c)| json!({"name": n, "count": c}))
            .collect(),
    )
}

/// Trains, explains and writes everything `run` and `demo` produce. Returns the report and the
/// panels.
fn run_pipeline(
    data: Dataset,
    methods: &[Method],
    config: TrainingConfig,
    seed: u64,
    out: &OutputDir,
    quiet: bool,
) -> Result<(Value, Vec<GenePanel>, TrainedPipeline<Backend>), CliError> {
    let mut timings = Timings::default();
    let bar = progress(config.epochs as u64, "training", quiet);
    let trained = timings.time("train", || {
        Pipeline::new()
            .dataset(data.clone())
            .training_config(config.clone().with_seed(seed))
            .on_epoch(|_| bar.inc(1))
            .train()
    })?;
    bar.finish_and_clear();
    let mut panels = Vec::new();
    for &m in methods {
        let bar = progress(1, &format!("{m:?}").to_lowercase(), quiet);
        let panel = if m == Method::CwOvo {
            timings.time("explain_cw-ovo", || pair_panel(&trained))?
        } else {
            let e = explainer_for(m);
            timings.time(&format!("explain_{}", e.name()), || {
                trained.explain(e.as_ref())
            })?
        };
        bar.finish_and_clear();
        panels.push(panel);
    }
    // The default kratos panel (see kratos_explain::Preset::default and docs/reproduction.md).
    let preset = KratosPreset::default().with_seed(seed);
    let train_cells = trained.dataset().select_cells(&trained.split().train);
    let bar = progress(1, "kratos", quiet);
    let preset_run: PresetRun<Backend> = timings.time("explain_kratos", || {
        preset.run::<Backend>(&train_cells, trained.dataset(), &Default::default())
    })?;
    bar.finish_and_clear();
    panels.push(preset_run.panel().clone().with_method("kratos"));

    let ds = trained.dataset();
    let (n, _) = ds.shape();
    let labels = ds.labels().expect("labelled");
    let embedding = timings.time("embed", || trained.embedding())?;
    let dims = trained.model().embedding_size();
    let metrics = timings.time("embedding_metrics", || {
        embedding_metrics(
            &embedding,
            n,
            dims,
            labels.assignments(),
            labels.n_classes(),
            seed,
        )
    })?;
    timings.time("write", || -> Result<(), CliError> {
        for p in &panels {
            p.write_tsv(out.path(&format!("panels/{}.tsv", p.method()))?)?;
        }
        let names: Vec<String> = (0..n).map(|i| labels.name_of(i).to_string()).collect();
        out.write(
            "embedding.tsv",
            &embedding_tsv(ds.cell_ids(), &names, &embedding, dims),
        )?;
        trained.model().save(out.path("model")?)?;
        Ok(())
    })?;
    let report = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "data": {"cells": n, "genes": ds.n_genes()},
        "classes": class_json(ds),
        "accuracy": {"train": trained.train_accuracy(), "test": trained.test_accuracy()},
        "embedding": metrics,
        "timings_s": timings.json(),
        "parameters": {
            "seed": seed,
            "test_fraction": 0.3,
            "training": config,
            "methods": panels.iter().map(|p| p.method().to_string()).collect::<Vec<_>>(),
            "kratos_default": preset_run.description(),
        },
        "degenerate_panels": panels.iter().filter(|p| !p.degenerate_classes().is_empty()).map(|p| json!({
            "method": p.method(),
            "classes": p.degenerate_classes().iter().map(|&c| p.class_names()[c].clone()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    Ok((report, panels, trained))
}

fn write_report(out: &OutputDir, report: &Value) -> Result<(), CliError> {
    let text =
        serde_json::to_string_pretty(report).map_err(|e| CliError::Failure(e.to_string()))?;
    out.write("report.json", &text)
}

/// `kratos run`.
pub fn run(args: &RunArgs, quiet: bool) -> Result<(), CliError> {
    let out = OutputDir::create(&args.out, args.output.force)?;
    let data = read_labelled(
        &args.data,
        args.labels.as_deref(),
        args.label_key.as_deref(),
        args.transpose,
    )?;
    let config = TrainingConfig::new()
        .with_epochs(args.epochs)
        .with_learning_rate(args.lr);
    config.check()?;
    let (mut report, panels, _) =
        run_pipeline(data, &args.methods, config, args.seed, &out, quiet)?;
    report["data"]["path"] = json!(args.data.display().to_string());
    write_report(&out, &report)?;
    let target = out.finish()?;
    println!(
        "accuracy train {:.3} test {:.3}; embedding ARI {:.3} AMI {:.3}",
        report["accuracy"]["train"].as_f64().unwrap_or(0.0),
        report["accuracy"]["test"].as_f64().unwrap_or(0.0),
        report["embedding"]["ari"].as_f64().unwrap_or(0.0),
        report["embedding"]["ami"].as_f64().unwrap_or(0.0),
    );
    if let Some(kratos) = panels.iter().find(|p| p.method() == "kratos") {
        for (c, name) in kratos.class_names().iter().enumerate() {
            println!("{name}: {}", kratos.top_genes(c, args.top).join(" "));
        }
    }
    println!("wrote {}", target.display());
    Ok(())
}

/// `kratos demo`.
pub fn demo(args: &DemoArgs, quiet: bool) -> Result<(), CliError> {
    let start = Instant::now();
    let out = OutputDir::create(&args.out, args.output.force)?;
    let sim = simulate(&SimulationParams::clean().seed(args.seed))?;
    let roles: Vec<GeneRole> = sim.roles.clone();
    let methods = [Method::Cw, Method::Smoothgrad, Method::Ig, Method::Saliency];
    let (mut report, panels, trained) = run_pipeline(
        sim.dataset,
        &methods,
        TrainingConfig::new(),
        args.seed,
        &out,
        quiet,
    )?;
    // Ground truth and a quick AUROC at the top 5% of genes for every panel.
    let params = PanelEvaluationParams::new()
        .grid(TopKGrid::Percent(vec![5.0]))
        .n_iter(5)
        .seed(args.seed);
    let eval_start = Instant::now();
    let mut rows = Vec::new();
    for p in &panels {
        let counts = role_counts(p.rankings(), &roles, 20)?;
        let rankings = p.rankings_for(trained.dataset())?;
        let auroc = evaluate_panel(trained.dataset(), &rankings, &params)?.mean_auroc[0];
        let total =
            |f: fn(&kratos::metrics::RoleCounts) -> usize| counts.iter().map(f).sum::<usize>();
        rows.push(json!({
            "method": p.method(),
            "causal": total(|c| c.causal), "dependent": total(|c| c.dependent), "noise": total(|c| c.noise),
            "per_class": counts, "auroc_top5pct": auroc,
        }));
    }
    report["timings_s"]["evaluate"] = json!(eval_start.elapsed().as_secs_f64());
    report["demo"] = json!({"data": "kratos-sim clean preset", "top20_roles_and_auroc": rows});
    out.write(
        "genes.tsv",
        &std::iter::once("gene\trole".to_string())
            .chain(
                trained
                    .dataset()
                    .gene_names()
                    .iter()
                    .zip(&roles)
                    .map(|(g, r)| format!("{g}\t{r}")),
            )
            .collect::<Vec<_>>()
            .join("\n"),
    )?;
    write_report(&out, &report)?;
    let target = out.finish()?;

    println!(
        "kratos demo: simulated 500 cells x 140 genes, 5 types (20 causal, 20 dependent, 100 noise genes)"
    );
    println!(
        "accuracy: train {:.3}, test {:.3}   embedding: ARI {:.3}, AMI {:.3}, silhouette {:.3}",
        report["accuracy"]["train"].as_f64().unwrap_or(0.0),
        report["accuracy"]["test"].as_f64().unwrap_or(0.0),
        report["embedding"]["ari"].as_f64().unwrap_or(0.0),
        report["embedding"]["ami"].as_f64().unwrap_or(0.0),
        report["embedding"]["silhouette"].as_f64().unwrap_or(0.0),
    );
    println!(
        "{:<12} {:>7} {:>9} {:>6} {:>13}",
        "method", "causal", "dependent", "noise", "AUROC top 5%"
    );
    for r in &rows {
        println!(
            "{:<12} {:>7} {:>9} {:>6} {:>13.3}",
            r["method"].as_str().unwrap_or(""),
            r["causal"].as_u64().unwrap_or(0),
            r["dependent"].as_u64().unwrap_or(0),
            r["noise"].as_u64().unwrap_or(0),
            r["auroc_top5pct"].as_f64().unwrap_or(0.0)
        );
    }
    println!("(top-20 genes of each of the 5 types, summed: 100 slots)");
    let stages: Vec<String> = report["timings_s"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k} {:.1}s", v.as_f64().unwrap_or(0.0)))
                .collect()
        })
        .unwrap_or_default();
    println!(
        "time: {} (total {:.1}s)",
        stages.join(", "),
        start.elapsed().as_secs_f64()
    );
    println!("wrote {}", target.display());
    Ok(())
}

/// `kratos evaluate`.
pub fn evaluate(args: &EvaluateArgs, quiet: bool) -> Result<(), CliError> {
    if args.out.exists() && !args.force {
        return Err(CliError::Input(format!(
            "{}: already exists; pass --force to replace it",
            args.out.display()
        )));
    }
    let data = read_labelled(
        &args.data,
        args.labels.as_deref(),
        args.label_key.as_deref(),
        false,
    )?;
    let panel = GenePanel::read_tsv(&args.panel, "panel")?;
    let labels = data.labels().expect("labelled");
    // Match the panel's classes to the data's by name.
    let mut rankings = Vec::with_capacity(labels.n_classes());
    let panel_rankings = panel
        .rankings_for(&data)
        .map_err(|e| CliError::Input(format!("{}: {e}", args.panel.display())))?;
    for name in labels.class_names() {
        let c = panel
            .class_names()
            .iter()
            .position(|p| p == name)
            .ok_or_else(|| {
                CliError::Input(format!(
                    "{}: no ranking for class `{name}` of the data",
                    args.panel.display()
                ))
            })?;
        rankings.push(panel_rankings[c].clone());
    }
    let grid = match args.grid {
        Grid::Quick => TopKGrid::Quick,
        Grid::Paper => TopKGrid::Paper,
    };
    let params = PanelEvaluationParams::new()
        .grid(grid)
        .n_iter(args.n_iter)
        .seed(args.seed);
    let bar = progress(1, "evaluating", quiet);
    let result = evaluate_panel(&data, &rankings, &params)?;
    bar.finish_and_clear();
    for (k, (a, r)) in result
        .ks
        .iter()
        .zip(result.mean_auroc.iter().zip(&result.mean_redundancy))
    {
        println!(
            "top {k:>5} genes: mean AUROC {a:.4}, mean |PCC| {}",
            r.map(|v| format!("{v:.3}")).unwrap_or("-".into())
        );
    }
    for (name, n) in &result.skipped {
        note(&format!(
            "skipped class `{name}`: {n} cells (fewer than {})",
            params.min_cells
        ));
    }
    let text =
        serde_json::to_string_pretty(&result).map_err(|e| CliError::Failure(e.to_string()))?;
    std::fs::write(&args.out, text)
        .map_err(|e| CliError::Failure(format!("{}: {e}", args.out.display())))
}

/// `kratos simulate`.
pub fn simulate_cmd(args: &SimulateArgs) -> Result<(), CliError> {
    let params = match args.preset {
        Preset::Clean => SimulationParams::clean(),
        Preset::Hard => SimulationParams::hard(),
        Preset::Large => SimulationParams::large(),
    }
    .seed(args.seed);
    let out = OutputDir::create(&args.out, args.output.force)?;
    let dir = out.path(".")?;
    if args.preset == Preset::Large {
        write_large(&params, &dir, true)?;
    } else {
        write_csv_files(&simulate(&params)?, &dir, true)?;
    }
    let target = out.finish()?;
    println!(
        "wrote {} ({} cells x {} genes)",
        target.display(),
        params.n_cells(),
        params.n_genes()
    );
    Ok(())
}
