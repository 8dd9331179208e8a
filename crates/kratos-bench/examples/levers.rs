//! Measures candidate changes to the default panel against the paper preset and
//! Wilcoxon on the real data sets (mean AUROC and |PCC| at the top 1% and 5% of genes, several
//! seeds) and on the simulation (noise genes in the top 20 of 140var_clean).
//!
//! ```text
//! KRATOS_DATA=../shared/data cargo run --release -p kratos-bench --example levers -- \
//!     [--seeds 1,2,3] [--sets pbmc68k_bulk,digits] [--sim-seeds 1,2,3,4,5] [--cells 300] \
//!     [--levers redundancy|training|cells|iterations|specificity|statistic|direction] \
//!     [--only "40/,30/"]
//! ```
//! `--only` keeps the re-rankings whose name contains one of the comma-separated strings.
//! `--levers redundancy` (the default) compares re-rankings of the default panel;
//! `--levers training` compares the default preset with cheaper member trainings;
//! `--levers cells` compares how many cells per class are explained (paper CW and the default);
//! `--levers iterations` compares the default's CW iterations (500, the paper's) with fewer;
//! `--levers screen` compares the default's gene screen (3,000 genes) with a smaller one and
//! none (for `--sets pbmc3k_all,oligodendroglioma_all`, the sets with every gene);
//! `--levers specificity` compares the default's rank product with the class's expression change
//! |mean in − mean out| against one with its signed up-regulation (mean in − mean out);
//! `--levers statistic` adds the two-sided Wilcoxon |z| (`rank_test_panel`) to the rank product
//! (and weighs the attribution twice), with stronger re-rankings; `--only` filters these too;
//! `--levers direction` compares the default panel as ranked with the same panel listing the
//! genes higher in the class first (`GenePanel::listing`, what `kratos run --direction up`
//! writes).
//! Prints Markdown tables.

use std::path::PathBuf;
use std::time::Instant;

use kratos::metrics::role_counts;
use kratos::{
    CwExplainer, Dataset, GenePanel, GeneStatistics, Listing, PanelEvaluationParams, PanelOptions,
    PanelRun, Pipeline, Preprocessing, Preset, RedundancyParams, TopKGrid, WilcoxonParams,
    decorrelate, decorrelate_with_relevance, evaluate_panel, explain_panel, wilcoxon_panel,
};
use kratos_bench::registry::{by_key, simulation_copy, subsample};

/// Redundancy-aware re-rankings applied to the split-cells ensemble panel (and to Wilcoxon's).
/// `floor f`: only genes whose attribution (the ensemble's mean normalised scores; Wilcoxon's
/// own statistic for Wilcoxon) is at least f of the class's best move.
fn variants() -> Vec<(&'static str, RedundancyParams)> {
    let only = list("--only", "");
    let mut all = all_variants();
    if !only.is_empty() {
        all.retain(|(name, _)| only.iter().any(|o| name.contains(o.as_str())));
    }
    all
}

fn all_variants() -> Vec<(&'static str, RedundancyParams)> {
    let r = RedundancyParams::new;
    vec![
        ("ungated 100/0.5", r().significance(None)),
        ("gated 100/0.5", r()),
        ("gated 100/1.0", r().penalty(1.0)),
        ("gated 200/1.0", r().candidates(200).penalty(1.0)),
        (
            "ungated 100/0.5 floor 0.05",
            r().significance(None).relevance_floor(Some(0.05)),
        ),
        (
            "ungated 100/0.5 floor 0.1",
            r().significance(None).relevance_floor(Some(0.1)),
        ),
        (
            "ungated 100/1.0 floor 0.05",
            r().significance(None)
                .penalty(1.0)
                .relevance_floor(Some(0.05)),
        ),
        (
            "ungated 100/1.0 floor 0.1",
            r().significance(None)
                .penalty(1.0)
                .relevance_floor(Some(0.1)),
        ),
        (
            "ungated 200/0.5 floor 0.05",
            r().significance(None)
                .candidates(200)
                .relevance_floor(Some(0.05)),
        ),
        (
            "ungated 40/0.5 floor 0.1",
            r().significance(None)
                .candidates(40)
                .relevance_floor(Some(0.1)),
        ),
        (
            "ungated 30/0.5 floor 0.1",
            r().significance(None)
                .candidates(30)
                .relevance_floor(Some(0.1)),
        ),
        (
            "ungated 40/0.5 floor 0.2",
            r().significance(None)
                .candidates(40)
                .relevance_floor(Some(0.2)),
        ),
        (
            "gated 40/0.5 floor 0.1",
            r().candidates(40).relevance_floor(Some(0.1)),
        ),
    ]
}

/// The preset's panel on `ds` (trained on a 70/30 split by `seed`, every cell explained) and
/// the cells as its models saw them.
fn run_preset(preset: Preset, ds: &Dataset, seed: u64) -> (PanelRun, Dataset) {
    let trained = Pipeline::with_preset(preset)
        .dataset(ds.clone())
        .seed(seed)
        .train()
        .unwrap();
    (trained.panel_run().unwrap(), trained.model_input().clone())
}

/// Training variants of the default preset, whose members share 100 epochs (34 each; the
/// base row): (name, epochs each member trains).
const TRAINING_VARIANTS: [(&str, usize); 2] = [
    ("kratos, members 100 epochs each", 100),
    ("kratos, members 50 epochs each", 50),
];

/// Rank products measured by `--levers statistic` (docs/reproduction.md, "A rank test in the
/// rank product"): (weight of the attribution's rank, with |change|, with the rank test's |z|,
/// then the re-ranking's candidates, penalty and attribution floor).
const STATISTIC_VARIANTS: [(usize, bool, bool, usize, f64, f64); 12] = [
    (1, false, true, 40, 0.5, 0.2),
    (1, false, true, 100, 1.0, 0.1),
    (1, true, false, 100, 1.0, 0.1),
    (1, true, true, 40, 0.5, 0.2),
    (1, true, true, 100, 1.0, 0.1),
    (1, true, true, 100, 2.0, 0.1),
    (1, true, true, 200, 1.0, 0.1),
    (1, true, true, 100, 1.0, 0.2),
    (2, true, true, 100, 1.0, 0.1),
    (2, true, true, 100, 1.5, 0.1),
    (2, true, true, 100, 2.0, 0.1),
    (2, false, true, 100, 1.0, 0.1),
];

/// Caps on the cells explained per class compared by `--levers cells` with the library's
/// default (`PanelOptions::default()`).
const CELL_CAPS: [usize; 2] = [500, 250];

/// Gene screens compared by `--levers screen` with the default's (`Preset::DEFAULT_MAX_GENES`).
const SCREENS: [Option<usize>; 2] = [Some(1500), None];

/// CW iterations compared by `--levers iterations` with the default's (the paper's 500).
const CW_ITERATIONS: [usize; 2] = [250, 150];

/// (name, panel, seconds) of every method on `ds` for `seed`: the paper CW, the default,
/// then the variants of the `levers` mode and Wilcoxon.
fn panels(
    ds: &Dataset,
    seed: u64,
    paper_prep: Preprocessing,
    levers: &str,
) -> Vec<(String, GenePanel, f64)> {
    let mut out = Vec::new();
    let t = Instant::now();
    let trained = Pipeline::paper()
        .dataset(ds.clone())
        .preprocessing(paper_prep)
        .seed(seed)
        .train()
        .unwrap();
    let train_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let cw = trained.explain(CwExplainer::default()).unwrap();
    out.push(("paper CW".into(), cw, t.elapsed().as_secs_f64()));
    eprintln!(
        "  seed {seed}: paper training {train_s:.1}s, CW {:.1}s",
        out[0].2
    );
    if levers == "specificity" || levers == "statistic" {
        // Both compare post-hoc rankings built from the default run's attribution.
        let t = Instant::now();
        let (run, input) = run_preset(Preset::default(), ds, seed);
        let secs = t.elapsed().as_secs_f64();
        out.push(("kratos (default)".into(), run.panel().clone(), secs));
        let attribution = run.attribution();
        if levers == "specificity" {
            let up =
                kratos::explain::mean_difference_panel(&input, attribution.class_names()).unwrap();
            let ranked = kratos::explain::rank_product(&[attribution, &up]).unwrap();
            let panel = decorrelate_with_relevance(
                &ranked,
                attribution,
                &input,
                &Preset::floored_redundancy(),
            )
            .unwrap();
            out.push((
                "kratos, up-regulation instead of |change|".into(),
                panel,
                secs,
            ));
        } else {
            let change = run.expression_change().unwrap();
            let t = Instant::now();
            let z = kratos::explain::rank_test_panel(&input, attribution.class_names()).unwrap();
            let z_s = t.elapsed().as_secs_f64();
            let only = list("--only", "");
            for (weight, with_change, with_z, candidates, penalty, floor) in STATISTIC_VARIANTS {
                let mut parts = vec![attribution; weight];
                let mut terms = Vec::new();
                if with_change {
                    parts.push(change);
                    terms.push("|change|");
                }
                if with_z {
                    parts.push(&z);
                    terms.push("|z|");
                }
                let name = format!(
                    "attribution{} x {}, {candidates}/{penalty:.1} floor {floor}",
                    if weight == 2 { "^2" } else { "" },
                    terms.join(" x ")
                );
                if !only.is_empty() && !only.iter().any(|o| name.contains(o.as_str())) {
                    continue;
                }
                let params = RedundancyParams::new()
                    .significance(None)
                    .candidates(candidates)
                    .penalty(penalty)
                    .relevance_floor(Some(floor));
                let ranked = kratos::explain::rank_product(&parts).unwrap();
                let panel =
                    decorrelate_with_relevance(&ranked, attribution, &input, &params).unwrap();
                out.push((name, panel, secs + z_s));
            }
        }
        let t = Instant::now();
        let w = wilcoxon_panel(&input, &WilcoxonParams::new()).unwrap();
        out.push(("Wilcoxon".into(), w, t.elapsed().as_secs_f64()));
        return out;
    }
    if levers == "direction" {
        // One training; both listings of its panel, the statistics on every gene as the run
        // computes them.
        let t = Instant::now();
        let trained = Pipeline::with_preset(Preset::default())
            .dataset(ds.clone())
            .seed(seed)
            .train()
            .unwrap();
        let panel = trained.panel().unwrap();
        let secs = t.elapsed().as_secs_f64();
        let input = trained.all_genes_input();
        let statistics = GeneStatistics::of(input).unwrap();
        let up = panel.listing(Listing::Up, &statistics).unwrap();
        out.push(("kratos (default, both directions)".into(), panel, secs));
        out.push(("kratos, up-regulated first".into(), up, secs));
        let t = Instant::now();
        let w = wilcoxon_panel(input, &WilcoxonParams::new()).unwrap();
        out.push(("Wilcoxon".into(), w, t.elapsed().as_secs_f64()));
        return out;
    }
    if levers == "screen" {
        let t = Instant::now();
        let (run, _) = run_preset(Preset::default(), ds, seed);
        let secs = t.elapsed().as_secs_f64();
        let name = format!(
            "kratos (default), {} genes screened",
            Preset::DEFAULT_MAX_GENES
        );
        out.push((name, run.panel().clone(), secs));
        for screen in SCREENS {
            let t = Instant::now();
            let (run, _) = run_preset(Preset::default().max_genes(screen), ds, seed);
            let name = match screen {
                Some(g) => format!("kratos, {g} genes screened"),
                None => "kratos, no screen (every gene)".into(),
            };
            out.push((name, run.panel().clone(), t.elapsed().as_secs_f64()));
        }
        let t = Instant::now();
        let w = wilcoxon_panel(ds, &WilcoxonParams::new()).unwrap();
        out.push(("Wilcoxon".into(), w, t.elapsed().as_secs_f64()));
        return out;
    }
    if levers == "iterations" {
        let t = Instant::now();
        let (run, input) = run_preset(Preset::default(), ds, seed);
        let secs = t.elapsed().as_secs_f64();
        out.push((
            "kratos (default), CW 500 iterations".into(),
            run.panel().clone(),
            secs,
        ));
        for iterations in CW_ITERATIONS {
            let preset = Preset::default();
            let cw = preset.cw.max_iter(iterations);
            let t = Instant::now();
            let (run, _) = run_preset(preset.cw(cw), ds, seed);
            out.push((
                format!("kratos, CW {iterations} iterations"),
                run.panel().clone(),
                t.elapsed().as_secs_f64(),
            ));
        }
        let t = Instant::now();
        let w = wilcoxon_panel(&input, &WilcoxonParams::new()).unwrap();
        out.push(("Wilcoxon".into(), w, t.elapsed().as_secs_f64()));
        return out;
    }
    if levers == "cells" {
        let mut input = None;
        let default_cap = PanelOptions::default().max_cells_per_class;
        for cap in std::iter::once(default_cap).chain(CELL_CAPS.map(Some)) {
            let options = PanelOptions::new().max_cells_per_class(cap).seed(seed);
            let cells = cap.map_or("all".into(), |c| c.to_string());
            if cap != default_cap {
                let t = Instant::now();
                let cw = explain_panel(
                    &CwExplainer::default(),
                    trained.model(),
                    trained.model_input(),
                    &options.check().unwrap(),
                )
                .unwrap();
                out.push((
                    format!("paper CW, at most {cells} cells per class"),
                    cw,
                    t.elapsed().as_secs_f64(),
                ));
            }
            let t = Instant::now();
            let (run, prepared) = run_preset(Preset::default().panel_options(options), ds, seed);
            out.push((
                format!("kratos (default), at most {cells} cells per class"),
                run.panel().clone(),
                t.elapsed().as_secs_f64(),
            ));
            input.get_or_insert(prepared);
        }
        let t = Instant::now();
        let w = wilcoxon_panel(input.as_ref().unwrap(), &WilcoxonParams::new()).unwrap();
        out.push(("Wilcoxon".into(), w, t.elapsed().as_secs_f64()));
        return out;
    }
    let t = Instant::now();
    let base = Preset::default().split_cells(true).redundancy(None);
    let (run, input) = run_preset(base.clone(), ds, seed);
    let base_s = t.elapsed().as_secs_f64();
    out.push(("kratos, split cells".into(), run.panel().clone(), base_s));
    let t = Instant::now();
    let w = wilcoxon_panel(&input, &WilcoxonParams::new()).unwrap();
    let wilcoxon_s = t.elapsed().as_secs_f64();
    if levers == "training" {
        for (name, epochs) in TRAINING_VARIANTS {
            let preset = base
                .clone()
                .split_epochs(false)
                .training(base.training.clone().with_epochs(epochs));
            let t = Instant::now();
            let (run, _) = run_preset(preset, ds, seed);
            out.push((name.into(), run.panel().clone(), t.elapsed().as_secs_f64()));
        }
        out.push(("Wilcoxon".into(), w, wilcoxon_s));
        return out;
    }
    for (name, params) in variants() {
        let t = Instant::now();
        let panel =
            decorrelate_with_relevance(run.panel(), run.attribution(), &input, &params).unwrap();
        out.push((
            format!("kratos, split + {name}"),
            panel,
            base_s + t.elapsed().as_secs_f64(),
        ));
    }
    for (name, params) in variants() {
        let t = Instant::now();
        let panel = decorrelate(&w, &input, &params).unwrap();
        out.push((
            format!("Wilcoxon + {name}"),
            panel,
            wilcoxon_s + t.elapsed().as_secs_f64(),
        ));
    }
    out.push(("Wilcoxon".into(), w, wilcoxon_s));
    out
}

fn arg(name: &str) -> Option<String> {
    let a: Vec<String> = std::env::args().collect();
    a.iter()
        .position(|x| x == name)
        .and_then(|i| a.get(i + 1).cloned())
}

fn list(name: &str, default: &str) -> Vec<String> {
    arg(name)
        .unwrap_or_else(|| default.into())
        .split(',')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn main() {
    let Some(dir) = std::env::var_os("KRATOS_DATA").map(PathBuf::from) else {
        eprintln!("set KRATOS_DATA to the shared data folder");
        return;
    };
    let seeds: Vec<u64> = list("--seeds", "1,2,3")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let sim_seeds: Vec<u64> = list("--sim-seeds", "1,2,3,4,5")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let sets = list(
        "--sets",
        "pbmc3k,pbmc68k_bulk,pbmc68k_louvain,citeseq_cbmc,oligodendroglioma,digits",
    );
    let cells: usize = arg("--cells").map_or(300, |c| c.parse().unwrap());
    let levers = arg("--levers").unwrap_or_else(|| "redundancy".into());

    // Simulation bar.
    if !sim_seeds.is_empty() {
        let path = dir.join("simulation/140var_clean.csv");
        let (data, roles) = simulation_copy(&path, 1).unwrap();
        let mut noise: Vec<(String, Vec<usize>)> = Vec::new();
        for &seed in &sim_seeds {
            for (i, (name, panel, _)) in panels(&data, seed, Preprocessing::AsIs, &levers)
                .into_iter()
                .enumerate()
            {
                let n: usize = role_counts(panel.rankings(), &roles, 20)
                    .unwrap()
                    .iter()
                    .map(|c| c.noise)
                    .sum();
                if noise.len() <= i {
                    noise.push((name, Vec::new()));
                }
                noise[i].1.push(n);
            }
        }
        println!("\n140var_clean, noise genes in the five top-20 lists, seeds {sim_seeds:?}\n");
        println!("| method | per seed | mean |\n|---|---|---|");
        for (name, v) in &noise {
            let mean = v.iter().sum::<usize>() as f64 / v.len() as f64;
            println!("| {name} | {v:?} | {mean:.1} |");
        }
    }

    let params = |seed| {
        PanelEvaluationParams::new()
            .grid(TopKGrid::Percent(vec![1.0, 5.0]))
            .n_iter(2)
            .seed(seed)
            .check()
            .unwrap()
    };
    for key in &sets {
        let Some(set) = by_key(key) else {
            eprintln!("unknown set {key}");
            continue;
        };
        let Some(ds) = set.load(&dir).unwrap() else {
            eprintln!("{key}: not in {}", dir.display());
            continue;
        };
        eprintln!("{key}: {} cells x {} genes", ds.n_cells(), ds.n_genes());
        // rows[method] = (name, [auroc1, auroc5, pcc1, pcc5, seconds] summed over seeds)
        let mut rows: Vec<(String, [f64; 5])> = Vec::new();
        for &seed in &seeds {
            let eval_data = subsample(&ds, cells, seed).unwrap();
            for (i, (name, panel, secs)) in panels(&ds, seed, Preprocessing::AsIs, &levers)
                .into_iter()
                .enumerate()
            {
                let e = evaluate_panel(&eval_data, &panel, &params(seed), |_, _| {}).unwrap();
                let v = [
                    e.mean_auroc[0],
                    e.mean_auroc[1],
                    e.mean_redundancy[0].unwrap_or(f64::NAN),
                    e.mean_redundancy[1].unwrap_or(f64::NAN),
                    secs,
                ];
                if rows.len() <= i {
                    rows.push((name, [0.0; 5]));
                }
                for (a, b) in rows[i].1.iter_mut().zip(v) {
                    *a += b;
                }
            }
        }
        let n = seeds.len() as f64;
        println!(
            "\n{key} ({} cells x {} genes; seeds {seeds:?}; SVM on {cells} cells, n_iter 2)\n",
            ds.n_cells(),
            ds.n_genes()
        );
        println!(
            "| method | AUROC 1% | AUROC 5% | \\|PCC\\| 1% | \\|PCC\\| 5% | seconds |\n|---|---|---|---|---|---|"
        );
        for (name, v) in &rows {
            println!(
                "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.1} |",
                v[0] / n,
                v[1] / n,
                v[2] / n,
                v[3] / n,
                v[4] / n
            );
        }
    }
}
