//! Joint panel design against per-class panels combined round-robin: how well N genes together
//! tell every type apart (`kratos::evaluate_joint`: multinomial logistic regression and 15
//! nearest neighbours, three seeded stratified 70/30 splits, balanced accuracy and macro-F1).
//!
//! ```text
//! KRATOS_DATA=../shared/data cargo run --release -p kratos-bench --example joint -- \
//!     [--sets pbmc3k,louvain,citeseq,oligodendroglioma,digits,pbmc3k_fine] [--seed 1] \
//!     [--ablation] [--splits 3]
//! ```
//! Each set is read as `kratos panel` reads it (log1p where the values are counts) and trained
//! once with the default preset (`--seed`); sizes are 2 and 4 times the number of types (64 and
//! 128 for the fine-grained pbmc3k labelling). Rows: the design (`TrainedPipeline::design_panel`),
//! the round-robin unions of Wilcoxon, t-test, COSG and the default panel, a seeded random panel
//! (mean of three seeds) and all genes. `--ablation` adds the design's variants: no tries (the
//! Newton score alone, or the gradient norm alone: grafting), other class weightings, the
//! balanced weighting with scikit-learn's penalty (C 1), candidates from Wilcoxon instead of
//! the model, every gene a candidate. Prints Markdown.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kratos::data::read::{ReadOptions, read_path};
use kratos::{
    ClassWeighting, CosgParams, Dataset, DesignParams, DesignScore, JointEvaluation,
    JointEvaluationParams, Pipeline, WelchParams, WilcoxonParams, cosg_panel, design_candidates,
    design_panel, evaluate_joint, round_robin, welch_t_panel, wilcoxon_panel,
};
use rand::SeedableRng;
use rand::seq::SliceRandom;

struct Set {
    key: &'static str,
    data: &'static str,
    labels: &'static str,
    fine: bool,
}

const SETS: [Set; 6] = [
    Set {
        key: "pbmc3k",
        data: "pbmc3k/counts.csv.gz",
        labels: "pbmc3k/labels.tsv",
        fine: false,
    },
    Set {
        key: "louvain",
        data: "pbmc68k_reduced/raw_expr.csv.gz",
        labels: "pbmc68k_reduced/louvain.tsv",
        fine: false,
    },
    Set {
        key: "citeseq",
        data: "citeseq_cbmc/counts.csv.gz",
        labels: "citeseq_cbmc/labels.tsv",
        fine: false,
    },
    Set {
        key: "oligodendroglioma",
        data: "oligodendroglioma/expr.csv.gz",
        labels: "oligodendroglioma/labels.tsv",
        fine: false,
    },
    Set {
        key: "digits",
        data: "digits/expr.csv.gz",
        labels: "digits/labels.tsv",
        fine: false,
    },
    Set {
        key: "pbmc3k_fine",
        data: "pbmc3k/counts.csv.gz",
        labels: "",
        fine: true,
    },
];

fn arg(name: &str) -> Option<String> {
    let a: Vec<String> = std::env::args().collect();
    a.iter()
        .position(|x| x == name)
        .and_then(|i| a.get(i + 1).cloned())
}

fn fine_labels() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/data/pbmc3k_fine_labels.tsv")
}

fn cell(e: &JointEvaluation) -> String {
    format!(
        "{:.3} / {:.3} / {:.3}",
        e.logistic.balanced_accuracy, e.logistic.macro_f1, e.knn.balanced_accuracy
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var_os("KRATOS_DATA").ok_or("set KRATOS_DATA")?);
    let seed: u64 = arg("--seed").map_or(Ok(1), |s| s.parse())?;
    let ablation = std::env::args().any(|a| a == "--ablation");
    let wanted: Vec<String> = arg("--sets")
        .unwrap_or_else(|| SETS.iter().map(|s| s.key).collect::<Vec<_>>().join(","))
        .split(',')
        .map(String::from)
        .collect();
    let splits: usize = arg("--splits").map_or(Ok(3), |s| s.parse())?;
    let params = JointEvaluationParams::new().splits(splits).check()?;
    for set in SETS.iter().filter(|s| wanted.iter().any(|w| w == s.key)) {
        let labels = if set.fine {
            fine_labels()
        } else {
            root.join(set.labels)
        };
        let data = read_path(root.join(set.data), &ReadOptions::new().label_file(labels))?;
        let started = Instant::now();
        let trained = Pipeline::new().dataset(data).seed(seed).train()?;
        let train_time = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let default_panel = trained.panel()?;
        let panel_time = started.elapsed().as_secs_f64();
        let x: &Dataset = trained.all_genes_input();
        let counts = x.require_labels()?.class_counts();
        let types = counts.iter().filter(|&&n| n >= params.min_cells).count();
        let sizes = if set.fine {
            vec![64, 128]
        } else {
            vec![2 * types, 4 * types]
        };
        let largest = *sizes.iter().max().expect("two sizes");

        let mut rows: Vec<(String, Vec<usize>)> = Vec::new(); // method, genes of the largest size
        let started = Instant::now();
        let design =
            trained.design_from_panel(&default_panel, &DesignParams::new(largest).check()?)?;
        let design_time = started.elapsed().as_secs_f64();
        rows.push(("design".into(), design.indices()));
        let wilcoxon = wilcoxon_panel(x, &WilcoxonParams::default())?;
        let t_test = welch_t_panel(x, &WelchParams::default())?;
        let started = Instant::now();
        let cosg = cosg_panel(x, &CosgParams::default())?;
        let cosg_time = started.elapsed().as_secs_f64();
        if ablation {
            let train = &trained.split().train;
            let check = DesignParams::new(largest);
            let from = |candidates: Vec<usize>,
                        p: &DesignParams|
             -> Result<Vec<usize>, Box<dyn std::error::Error>> {
                Ok(design_panel(x, train, &candidates, &p.check()?)?.indices())
            };
            let model_pool = design_candidates(&default_panel, x, 50);
            rows.push((
                "design, no tries (Newton score only)".into(),
                from(model_pool.clone(), &check.clone().refits(0))?,
            ));
            rows.push((
                "design, gradient score, no tries (grafting)".into(),
                from(
                    model_pool.clone(),
                    &check.clone().refits(0).score(DesignScore::Gradient),
                )?,
            ));
            rows.push((
                "design, balanced weights".into(),
                from(
                    model_pool.clone(),
                    &check.clone().weighting(ClassWeighting::Balanced),
                )?,
            ));
            rows.push((
                "design, equal weights".into(),
                from(
                    model_pool.clone(),
                    &check.clone().weighting(ClassWeighting::Equal),
                )?,
            ));
            rows.push((
                "design, balanced weights, scikit-learn's penalty (C 1)".into(),
                from(
                    model_pool,
                    &check
                        .clone()
                        .weighting(ClassWeighting::Balanced)
                        .penalty(1.0 / train.len() as f64),
                )?,
            ));
            rows.push((
                "design, Wilcoxon candidates".into(),
                from(design_candidates(&wilcoxon, x, 50), &check)?,
            ));
            let started = Instant::now();
            rows.push((
                "design, every gene a candidate".into(),
                from((0..x.n_genes()).collect(), &check)?,
            ));
            eprintln!(
                "{}: every-gene design {:.1} s",
                set.key,
                started.elapsed().as_secs_f64()
            );
        }
        for (name, panel) in [
            ("kratos default, round-robin", &default_panel),
            ("Wilcoxon, round-robin", &wilcoxon),
            ("t-test, round-robin", &t_test),
            ("COSG, round-robin", &cosg),
        ] {
            rows.push((name.into(), round_robin(&panel.rankings_for(x)?, largest)));
        }

        println!(
            "\n### {} ({} cells, {} genes, {} types scored{})\n",
            set.key,
            x.n_cells(),
            x.n_genes(),
            types,
            if trained.log1p_applied() {
                ", log1p"
            } else {
                ""
            }
        );
        println!(
            "Cells: LR balanced accuracy / LR macro-F1 / 15-NN balanced accuracy, mean of {splits} splits.\n"
        );
        println!("| method | N = {} | N = {} |", sizes[0], sizes[1]);
        println!("|---|---|---|");
        for (name, genes) in &rows {
            let cells: Vec<String> = sizes
                .iter()
                .map(|&n| {
                    evaluate_joint(x, &genes[..n.min(genes.len())], &params).map(|e| cell(&e))
                })
                .collect::<Result<_, _>>()?;
            println!("| {name} | {} | {} |", cells[0], cells[1]);
        }
        let mut random = Vec::new();
        for &n in &sizes {
            let mut sum = [0.0; 3];
            for s in 0..3u64 {
                let mut genes: Vec<usize> = (0..x.n_genes()).collect();
                genes.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(s));
                let e = evaluate_joint(x, &genes[..n.min(genes.len())], &params)?;
                sum[0] += e.logistic.balanced_accuracy / 3.0;
                sum[1] += e.logistic.macro_f1 / 3.0;
                sum[2] += e.knn.balanced_accuracy / 3.0;
            }
            random.push(format!("{:.3} / {:.3} / {:.3}", sum[0], sum[1], sum[2]));
        }
        println!("| random (3 seeds) | {} | {} |", random[0], random[1]);
        let started = Instant::now();
        let all: Vec<usize> = (0..x.n_genes()).collect();
        let all = cell(&evaluate_joint(x, &all, &params)?);
        println!("| all genes | {all} | {all} |");
        eprintln!(
            "{}: all-genes evaluation {:.1} s",
            set.key,
            started.elapsed().as_secs_f64()
        );
        println!(
            "\nTimes: training {train_time:.1} s, default panel {panel_time:.1} s, design of {largest} genes from it {design_time:.1} s, COSG {cosg_time:.2} s.",
        );
    }
    Ok(())
}
