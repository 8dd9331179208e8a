//! Ablation of the `kratos` default preset against the paper's method on simulated data with
//! known gene roles: how many causal / dependent / noise genes land in each class's top 20.
//!
//! ```text
//! KRATOS_DATA=/path/to/shared/data cargo run --release -p kratos-bench --example ablation
//! # options: --seeds 1,2,3,4,5   --quick (fewer rows)   --rows paper,kratos (rows whose label
//! #          contains one of these)   --shuffle 1 (column shuffle)   --no-explainer-table
//! #          --sim FILE.csv (more simulated CSVs
//! #          with published column names causal*/dep*/useless*, e.g. written by kratos-sim)
//! ```
//!
//! Every data set is evaluated on a copy with shuffled columns and neutral names (`g000`...),
//! so a method whose scores tie cannot profit from the published column order. For each seed
//! s the cells are split 70/30 (stratified, seed s), the models are trained on the 70% with
//! seed s, and all cells are explained (as in the paper). Prints Markdown tables (the ones in
//! docs/reproduction.md).

use std::path::{Path, PathBuf};
use std::time::Instant;

use kratos::explain::expression_change_panel;
use kratos::{
    AttributionUnits, Combination, CwExplainer, Dataset, DefaultBackend, EarlyStoppingConfig,
    Explainer, GenePanel, GeneRole, GradientTimesInput, IgBaseline, IntegratedGradients,
    IntegratedGradientsParams, LossKind, MarkerDirection, Pipeline, Preprocessing, Preset,
    Saliency, SimulationParams, SmoothGrad, WilcoxonParams, wilcoxon_panel,
};
use kratos_bench::registry::simulation_copy;

/// A simulated data set with the role of every column.
struct EvaluationCopy {
    data: Dataset,
    roles: Vec<GeneRole>,
}

/// The evaluation copy of a published simulation CSV (shuffled columns, neutral names).
fn evaluation_copy(path: &Path, shuffle: u64) -> EvaluationCopy {
    let (data, roles) =
        simulation_copy(path, shuffle).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    EvaluationCopy { data, roles }
}

/// (causal, dependent, noise) among each class's top `k`.
fn role_counts(rankings: &[Vec<usize>], roles: &[GeneRole], k: usize) -> Vec<[usize; 3]> {
    kratos::metrics::role_counts(rankings, roles, k)
        .expect("rankings of the data's genes")
        .iter()
        .map(|c| [c.causal, c.dependent, c.noise])
        .collect()
}

/// The column shuffle of every evaluation copy (change with `--shuffle`).
const SHUFFLE_SEED: u64 = 1;
const TOP: usize = 20;
/// The seed of the kratos-sim data sets.
const KRATOS_SIM_SEED: u64 = 1;

type Backend = DefaultBackend;

enum Method {
    Preset(Box<Preset>),
    /// Rank genes by the expression change alone (no model), on log1p of counts.
    ExpressionChange,
    /// The Wilcoxon rank-sum test (no model), in the given direction.
    Wilcoxon(MarkerDirection),
}

struct Row {
    label: String,
    method: Method,
}

fn row(label: &str, preset: Preset) -> Row {
    Row {
        label: label.into(),
        method: Method::Preset(Box::new(preset)),
    }
}

fn rows(quick: bool) -> Vec<Row> {
    let paper = Preset::paper;
    let kratos = Preset::default;
    let log1p = Preprocessing::Log1pIfCounts;
    let mut rows = vec![
        row("paper", paper()),
        row("paper + log1p (counts)", paper().preprocessing(log1p)),
        row("paper + 3-model ensemble", paper().ensemble_size(3)),
        row(
            "paper + CW in input units",
            paper().units(AttributionUnits::Input),
        ),
        row(
            "paper + rank product with expression change",
            paper().combination(Combination::RankProductWithExpressionChange),
        ),
        row(
            "paper + log1p + input units",
            paper().preprocessing(log1p).units(AttributionUnits::Input),
        ),
        row(
            "paper + log1p + input units + 3 models (no rank product)",
            kratos().combination(Combination::Attribution),
        ),
        row("**kratos (default)**", kratos()),
        row(
            "kratos − log1p",
            kratos().preprocessing(Preprocessing::AsIs),
        ),
        row("kratos − ensemble (1 model)", kratos().ensemble_size(1)),
        row(
            "kratos − input units",
            kratos().units(AttributionUnits::Scaled),
        ),
        Row {
            label: "expression change alone (no model)".into(),
            method: Method::ExpressionChange,
        },
        Row {
            label: "Wilcoxon, z (scanpy's default; no model)".into(),
            method: Method::Wilcoxon(MarkerDirection::Up),
        },
        Row {
            label: "Wilcoxon, \\|z\\| (no model)".into(),
            method: Method::Wilcoxon(MarkerDirection::Absolute),
        },
    ];
    if !quick {
        let es = Some(EarlyStoppingConfig::new().with_patience(10));
        let t = |p: Preset| p.training.clone();
        rows.extend([
            row("kratos, 5 models", kratos().ensemble_size(5)),
            row(
                "kratos + early stopping (patience 10)",
                kratos().training(t(kratos()).with_early_stopping(es.clone())),
            ),
            row(
                "kratos + categorical cross-entropy",
                kratos().training(t(kratos()).with_loss(LossKind::CategoricalCrossEntropy)),
            ),
            row(
                "kratos, 30 epochs",
                kratos().training(t(kratos()).with_epochs(30)),
            ),
            row(
                "kratos, CW 1,000 iterations",
                kratos().cw(kratos().cw.max_iter(1000)),
            ),
            row(
                "paper + early stopping (patience 10)",
                paper().training(t(paper()).with_early_stopping(es)),
            ),
            row(
                "paper + categorical cross-entropy",
                paper().training(t(paper()).with_loss(LossKind::CategoricalCrossEntropy)),
            ),
            row(
                "paper, 30 epochs",
                paper().training(t(paper()).with_epochs(30)),
            ),
            row(
                "paper + input noise 0.1",
                paper().training(t(paper()).with_input_noise(0.1)),
            ),
            row(
                "paper + dropout 0.3",
                paper().training(t(paper()).with_dropout(0.3)),
            ),
            row(
                "paper + L1 on first layer 1e-4",
                paper().training(t(paper()).with_l1_first_layer(1e-4)),
            ),
        ]);
    }
    rows
}

/// Per-class (causal, dependent, noise) counts, top-20 sets and seconds of one method on one
/// seed.
struct Outcome {
    counts: Vec<[usize; 3]>,
    tops: Vec<Vec<usize>>,
    seconds: f64,
}

fn log1p_if_counts(data: &Dataset) -> Dataset {
    let mut d = data.clone();
    if Preprocessing::Log1pIfCounts.applies_to(data) {
        kratos::data::preprocess::log1p(&mut d).expect("counts are non-negative");
    }
    d
}

fn outcome(panel: &GenePanel, roles: &[GeneRole], seconds: f64) -> Outcome {
    let tops = panel
        .rankings()
        .iter()
        .map(|r| {
            let mut t = r[..TOP.min(r.len())].to_vec();
            t.sort_unstable();
            t
        })
        .collect();
    Outcome {
        counts: role_counts(panel.rankings(), roles, TOP),
        tops,
        seconds,
    }
}

fn run(method: &Method, copy: &EvaluationCopy, seed: u64) -> Outcome {
    let data = &copy.data;
    let start = Instant::now();
    let panel = match method {
        Method::Preset(p) => Pipeline::with_preset((**p).clone())
            .dataset(data.clone())
            .seed(seed)
            .train()
            .unwrap()
            .panel()
            .unwrap(),
        Method::ExpressionChange => {
            let names = data.labels().unwrap().class_names().to_vec();
            expression_change_panel(&log1p_if_counts(data), &names).unwrap()
        }
        Method::Wilcoxon(direction) => {
            wilcoxon_panel(data, &WilcoxonParams::new().direction(*direction)).unwrap()
        }
    };
    outcome(&panel, &copy.roles, start.elapsed().as_secs_f64())
}

fn noise(o: &Outcome) -> usize {
    o.counts.iter().map(|c| c[2]).sum()
}

fn min_causal(o: &Outcome) -> usize {
    o.counts.iter().map(|c| c[0]).min().unwrap_or(0)
}

fn total_causal(o: &Outcome) -> usize {
    o.counts.iter().map(|c| c[0]).sum()
}

/// Mean Jaccard index of the top-20 sets over all pairs of seeds and all classes.
fn mean_jaccard(outcomes: &[Outcome]) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for a in 0..outcomes.len() {
        for b in a + 1..outcomes.len() {
            for (x, y) in outcomes[a].tops.iter().zip(&outcomes[b].tops) {
                let inter = x.iter().filter(|g| y.binary_search(g).is_ok()).count();
                let union = x.len() + y.len() - inter;
                sum += inter as f64 / union.max(1) as f64;
                n += 1;
            }
        }
    }
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

fn per_class(o: &Outcome) -> String {
    o.counts
        .iter()
        .map(|c| format!("{}/{}/{}", c[0], c[1], c[2]))
        .collect::<Vec<_>>()
        .join(", ")
}

fn list(v: &[usize]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Table 1: every explainer under the paper preset, seed 7, per-class counts; plus the
/// default preset.
fn explainer_table(copy: &EvaluationCopy) {
    let seed = 7;
    let data = &copy.data;
    let paper = Pipeline::paper()
        .dataset(data.clone())
        .seed(seed)
        .train()
        .unwrap();
    let explainers: Vec<Box<dyn Explainer<Backend>>> = vec![
        Box::new(CwExplainer::default()),
        Box::new(SmoothGrad::default()),
        Box::new(IntegratedGradients::default()),
        Box::new(
            IntegratedGradientsParams::new()
                .baseline(IgBaseline::GeneMean)
                .check()
                .unwrap(),
        ),
        Box::new(Saliency),
        Box::new(GradientTimesInput),
    ];
    let reference = |name: &str| match name {
        "cw" => "24",
        "smoothgrad" => "37",
        "ig" => "79",
        _ => "—",
    };
    println!(
        "| method | per class: causal/dependent/noise in the top 20 | noise (total) | Keras reference noise |"
    );
    println!("|---|---|---|---|");
    println!(
        "| paper's Kratos (published Table 1) | 8/12/0, 8/11/1, 10/10/0, 10/10/0, 9/11/0 | 1 | — |"
    );
    for e in &explainers {
        let panel = paper.explain_with(&[e.as_ref()]).unwrap().remove(0);
        let o = outcome(&panel, &copy.roles, 0.0);
        println!(
            "| paper preset, {} | {} | {} | {} |",
            e.name(),
            per_class(&o),
            noise(&o),
            reference(&e.name())
        );
    }
    let o = run(&Method::ExpressionChange, copy, seed);
    println!(
        "| expression change alone (log1p) | {} | {} | Wilcoxon: 12 |",
        per_class(&o),
        noise(&o)
    );
    let o = run(&Method::Preset(Box::default()), copy, seed);
    println!(
        "| **kratos (default)** | {} | {} | — |",
        per_class(&o),
        noise(&o)
    );
    println!(
        "\nTest accuracy of the paper model (seed 7): {:.3}.",
        paper.test_accuracy()
    );
}

fn ablation_table(name: &str, copy: &EvaluationCopy, rows: &[Row], seeds: &[u64]) {
    println!("\n### {name}\n");
    println!(
        "| change | noise in the five top-20 lists, per seed | mean noise | min causal per class, per seed | mean causal (of 100) | top-20 Jaccard between seeds | seconds per seed |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut paper_seconds = None;
    for r in rows {
        let outcomes: Vec<Outcome> = seeds.iter().map(|&s| run(&r.method, copy, s)).collect();
        let noises: Vec<usize> = outcomes.iter().map(noise).collect();
        let mins: Vec<usize> = outcomes.iter().map(min_causal).collect();
        let causal: Vec<f64> = outcomes.iter().map(|o| total_causal(o) as f64).collect();
        let secs = mean(&outcomes.iter().map(|o| o.seconds).collect::<Vec<_>>());
        if r.label == "paper" {
            paper_seconds = Some(secs);
        }
        let ratio = paper_seconds
            .map(|p| format!(" ({:.1}x)", secs / p))
            .unwrap_or_default();
        println!(
            "| {} | {} | {:.1} | {} | {:.1} | {:.2} | {:.1}{} |",
            r.label,
            list(&noises),
            mean(&noises.iter().map(|&n| n as f64).collect::<Vec<_>>()),
            list(&mins),
            mean(&causal),
            mean_jaccard(&outcomes),
            secs,
            ratio
        );
    }
}

/// Wall time of the default preset relative to the paper preset, each seed timing the two
/// back to back (so a machine shared with other work slows both alike); the median ratio.
fn cost_table(copy: &EvaluationCopy, seeds: &[u64]) {
    let paper = Method::Preset(Box::new(Preset::paper()));
    let kratos = Method::Preset(Box::default());
    let mut ratios = Vec::new();
    let (mut p_secs, mut k_secs) = (Vec::new(), Vec::new());
    for &s in seeds {
        let p = run(&paper, copy, s).seconds;
        let k = run(&kratos, copy, s).seconds;
        ratios.push(k / p);
        p_secs.push(p);
        k_secs.push(k);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "\nCost on 140var_clean (train + explain, wall clock, paper and kratos timed back to back per seed): \
         paper {:.2} s, kratos {:.2} s per seed (means); median ratio kratos / paper {:.2}.",
        mean(&p_secs),
        mean(&k_secs),
        ratios[ratios.len() / 2]
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut seeds: Vec<u64> = vec![1, 2, 3, 4, 5];
    let mut quick = false;
    let mut sims: Vec<PathBuf> = Vec::new();
    let mut skip_explainers = false;
    let mut shuffle = SHUFFLE_SEED;
    let mut only: Option<String> = None;
    let mut only_sim: Option<String> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seeds" => {
                seeds = args
                    .next()
                    .expect("--seeds needs a list like 1,2,3")
                    .split(',')
                    .map(|s| s.trim().parse().expect("seeds are integers"))
                    .collect()
            }
            "--quick" => quick = true,
            "--sim" => sims.push(args.next().expect("--sim needs a CSV file").into()),
            "--no-explainer-table" => skip_explainers = true,
            "--shuffle" => {
                shuffle = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("--shuffle needs an integer seed")
            }
            "--kratos-sim" => {
                only_sim = Some(args.next().expect("--kratos-sim needs clean, hard or none"))
            }
            "--rows" => only = Some(args.next().expect("--rows needs a text to match")),
            other => panic!("unknown argument `{other}`"),
        }
    }
    let Some(root) = std::env::var_os("KRATOS_DATA").map(PathBuf::from) else {
        eprintln!("set KRATOS_DATA to the shared data folder");
        std::process::exit(2);
    };
    let sim_dir = root.join("simulation");
    let clean140 = evaluation_copy(&sim_dir.join("140var_clean.csv"), shuffle);
    if !skip_explainers {
        println!("## Explainers under the paper preset, 140var_clean, seed 7\n");
        explainer_table(&clean140);
    }
    println!(
        "\n## Ablation (seeds {}; columns shuffled with seed {shuffle}, neutral names)",
        list(&seeds.iter().map(|&s| s as usize).collect::<Vec<_>>())
    );
    cost_table(&clean140, &seeds);
    let mut rows = rows(quick);
    if let Some(text) = &only {
        rows.retain(|r| text.split(',').any(|t| r.label.contains(t)));
    }
    ablation_table(
        "140var_clean (500 cells, 20 causal / 20 dependent / 100 noise genes)",
        &clean140,
        &rows,
        &seeds,
    );
    for path in &sims {
        let copy = evaluation_copy(path, shuffle);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        ablation_table(&name, &copy, &rows, &seeds);
    }
    for (name, params) in [
        ("clean", SimulationParams::clean()),
        ("hard", SimulationParams::hard()),
    ] {
        if only_sim.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let sim = params
            .seed(KRATOS_SIM_SEED)
            .check()
            .and_then(|p| p.simulate())
            .expect("kratos-sim runs");
        let copy = EvaluationCopy {
            data: sim.dataset,
            roles: sim.roles,
        };
        let n = copy.data.n_cells();
        let count = |r: GeneRole| copy.roles.iter().filter(|&&x| x == r).count();
        ablation_table(
            &format!(
                "kratos-sim `{name}` preset, seed {KRATOS_SIM_SEED} ({n} cells, {} causal / {} dependent / {} noise genes; neutral names, shuffled columns)",
                count(GeneRole::Causal),
                count(GeneRole::Dependent),
                count(GeneRole::Noise)
            ),
            &copy,
            &rows,
            &seeds,
        );
    }
    let clean220 = evaluation_copy(&sim_dir.join("220var_clean.csv"), shuffle);
    ablation_table(
        "220var_clean, held-out check (500 cells, 20 causal / 100 dependent / 100 noise genes)",
        &clean220,
        &rows,
        &seeds,
    );
}
