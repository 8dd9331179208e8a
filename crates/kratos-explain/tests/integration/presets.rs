//! The `paper` and `kratos` (default) presets on the published simulation (140var_clean), always
//! on a copy with shuffled columns and neutral names, and their determinism on small data.
//! The simulation tests need KRATOS_DATA; without it they print a skip line and pass.

use crate::common::sim::{EvaluationCopy, data_root, evaluation_copy, role_counts};
use crate::common::{MARKERS, marker_data};
use kratos_data::{Dataset, Labels, stratified_split};
use kratos_explain::{
    AttributionUnits, Combination, CwExplainer, PanelOptions, Preset, explain_panel,
    looks_like_counts,
};
use kratos_model::{DefaultBackend, TrainingConfig, fit};

/// The column shuffle of the evaluation copy (as in examples/ablation.rs).
const SHUFFLE_SEED: u64 = 1;

fn simulation() -> Option<EvaluationCopy> {
    let root = data_root()?;
    Some(evaluation_copy(
        &root.join("simulation").join("140var_clean.csv"),
        SHUFFLE_SEED,
    ))
}

/// Per-class (causal, dependent, noise) counts in the top 20 of `preset` trained on a 70%
/// split (seed `seed`) and explaining all cells, as the paper does.
fn top20_counts(preset: &Preset, copy: &EvaluationCopy, seed: u64) -> Vec<[usize; 3]> {
    let split = stratified_split(copy.data.labels().unwrap(), 0.3, seed).unwrap();
    let train = copy.data.select_cells(&split.train);
    let run = preset
        .clone()
        .with_seed(seed)
        .run::<DefaultBackend>(&train, &copy.data, &Default::default())
        .unwrap();
    assert!(run.panel().degenerate_classes().is_empty());
    role_counts(run.panel().rankings(), &copy.roles, 20)
}

fn noise(counts: &[[usize; 3]]) -> usize {
    counts.iter().map(|c| c[2]).sum()
}

#[test]
fn paper_preset_gives_a_non_degenerate_panel_on_the_simulation() {
    let Some(copy) = simulation() else { return };
    let seed = 7;
    let split = stratified_split(copy.data.labels().unwrap(), 0.3, seed).unwrap();
    let train = copy.data.select_cells(&split.train);
    let run = Preset::paper()
        .run::<DefaultBackend>(&train, &copy.data, &Default::default())
        .unwrap();
    assert!(
        !run.log1p_applied(),
        "the paper preset uses the values as given"
    );
    assert_eq!(run.models().len(), 1);
    let test = copy.data.select_cells(&split.test);
    assert!(run.model().accuracy(&test).unwrap() >= 0.95);
    let panel = run.panel();
    assert_eq!(panel.method(), "paper");
    assert!(panel.degenerate_classes().is_empty());
    let counts = role_counts(panel.rankings(), &copy.roles, 20);
    println!("paper preset, seed 7 (causal/dependent/noise per class): {counts:?}");
    for (c, k) in counts.iter().enumerate() {
        assert!(
            panel.cells_used()[c] >= 90,
            "class {c}: {:?}",
            panel.cells_used()
        );
        // 40 of the 140 genes carry type signal: a random top 20 would hold about 6 of them.
        assert!(k[0] + k[1] >= 12, "class {c}: {k:?}");
        assert!(k[0] >= 3, "class {c}: {k:?}");
    }
    // The scores are the published method's: one model, CW with the paper's parameters.
    let model = fit::<DefaultBackend>(&train, &TrainingConfig::new(), &Default::default()).unwrap();
    let direct = explain_panel(
        &CwExplainer::default(),
        &model,
        &copy.data,
        &PanelOptions::default(),
    )
    .unwrap();
    assert_eq!(direct.rankings(), panel.rankings());
}

#[test]
fn default_preset_keeps_noise_out_of_the_simulation_top_20() {
    let Some(copy) = simulation() else { return };
    let preset = Preset::default();
    let at7 = top20_counts(&preset, &copy, 7);
    println!("kratos preset, seed 7 (causal/dependent/noise per class): {at7:?}");
    assert!(noise(&at7) <= 5, "seed 7: {at7:?}");
    for (c, k) in at7.iter().enumerate() {
        assert!(k[0] >= 7, "seed 7, class {c}: only {} causal genes", k[0]);
    }
    let per_seed: Vec<usize> = (1..=5)
        .map(|s| noise(&top20_counts(&preset, &copy, s)))
        .collect();
    let mean = per_seed.iter().sum::<usize>() as f64 / per_seed.len() as f64;
    println!("kratos preset, noise genes per seed 1..5: {per_seed:?} (mean {mean})");
    assert!(mean <= 5.0, "noise per seed: {per_seed:?}");
}

/// The explainer tests' small network (see tests/integration/common).
fn small_training() -> TrainingConfig {
    TrainingConfig::new()
        .with_epochs(60)
        .with_hidden_sizes(vec![64, 16])
        .with_batch_size(32)
}

#[test]
fn presets_are_deterministic_and_find_planted_markers() {
    let data = marker_data();
    assert!(!looks_like_counts(&data));
    let preset = Preset::default()
        .with_training(small_training())
        .with_ensemble_size(2);
    let a = preset
        .run::<DefaultBackend>(&data, &data, &Default::default())
        .unwrap();
    let b = preset
        .run::<DefaultBackend>(&data, &data, &Default::default())
        .unwrap();
    assert_eq!(a.panel(), b.panel());
    assert_eq!(a.panel().method(), "kratos");
    assert!(!a.log1p_applied(), "uniform noise is not count data");
    assert_eq!(a.models().len(), 2);
    // The two members share the 60 epochs of one training.
    assert!(a.models().iter().all(|m| m.config().epochs == 30));
    assert!(a.description().summary.contains("share the 60 epochs"));
    assert_eq!(a.member_panels().len(), 2);
    assert!(a.expression_change().is_some());
    for (k, &marker) in MARKERS.iter().enumerate() {
        assert_eq!(a.panel().ranking(k)[0], marker, "class {k}");
    }
    let description = serde_json::to_value(a.description()).unwrap();
    assert_eq!(description["log1p_applied"], false);
    assert_eq!(description["preset"]["ensemble_size"], 2);
    assert!(a.description().summary.starts_with("kratos:"));
}

#[test]
fn the_rank_test_combination_finds_planted_markers_and_reports_its_parts() {
    let data = marker_data();
    let preset = Preset::default()
        .with_training(small_training())
        .with_ensemble_size(2)
        .with_combination(Combination::RankProductWithChangeAndRankTest);
    let run = preset
        .run::<DefaultBackend>(&data, &data, &Default::default())
        .unwrap();
    let test = run.rank_test().expect("the rank-test panel is kept");
    assert_eq!(test.method(), "rank-test");
    assert!(run.expression_change().is_some());
    for (k, &marker) in MARKERS.iter().enumerate() {
        assert_eq!(run.panel().ranking(k)[0], marker, "class {k}");
        assert_eq!(test.ranking(k)[0], marker, "rank test, class {k}");
    }
    assert!(run.description().summary.contains("Wilcoxon rank-sum |z|"));
    // The default combination has no rank test.
    let default = Preset::default()
        .with_training(small_training())
        .with_ensemble_size(2)
        .run::<DefaultBackend>(&data, &data, &Default::default())
        .unwrap();
    assert!(default.rank_test().is_none());
}

#[test]
fn counts_are_log_transformed_for_training_and_explaining() {
    // Counts: gene k is high in class k (A, B, C); gene 3 is noise.
    let n = 90;
    let values: Vec<f32> = (0..n)
        .flat_map(|i| {
            let noise = ((i * 7) % 5) as f32;
            let mut row = [noise, noise, noise, ((i * 3) % 11) as f32];
            row[i % 3] += 40.0;
            row
        })
        .collect();
    let names = ["A", "B", "C"];
    let labels: Vec<&str> = (0..n).map(|i| names[i % 3]).collect();
    let data = Dataset::from_matrix(values, n, 4)
        .unwrap()
        .with_labels(Labels::from_names(&labels).unwrap())
        .unwrap();
    let preset = Preset::default()
        .with_training(small_training().with_learning_rate(1e-2))
        .with_ensemble_size(1);
    let run = preset
        .run::<DefaultBackend>(&data, &data, &Default::default())
        .unwrap();
    assert!(run.log1p_applied());
    let prepared = run.prepare(&data).unwrap();
    assert!((prepared.get(0, 0) - data.get(0, 0).ln_1p()).abs() < 1e-6);
    assert_eq!(run.model().accuracy(&prepared).unwrap(), 1.0);
    for (k, gene) in ["gene0", "gene1", "gene2"].iter().enumerate() {
        assert_eq!(run.panel().top_genes(k, 1), [*gene], "class {k}");
    }
    // In input units the member panel's scores are the min-max ones times each gene's range.
    let scaled = preset
        .clone()
        .with_units(AttributionUnits::Scaled)
        .run::<DefaultBackend>(&data, &data, &Default::default())
        .unwrap();
    let range0 = {
        let column = prepared.column(0);
        let (lo, hi) = column
            .iter()
            .fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
        hi - lo
    };
    let (input, min_max) = (
        run.member_panels()[0].scores(0)[0],
        scaled.member_panels()[0].scores(0)[0],
    );
    assert!((input - min_max * range0).abs() <= 1e-5 * input.abs().max(1.0));
}

#[test]
fn bad_inputs_are_errors() {
    let data = marker_data();
    let other = data
        .clone()
        .with_gene_names((0..data.n_genes()).map(|j| format!("x{j}")).collect())
        .unwrap();
    let e = Preset::paper()
        .with_training(small_training())
        .run::<DefaultBackend>(&data, &other, &Default::default())
        .unwrap_err();
    assert!(e.to_string().contains("same order"), "{e}");
    let e = Preset::paper()
        .with_ensemble_size(0)
        .run::<DefaultBackend>(&data, &data, &Default::default())
        .unwrap_err();
    assert!(e.to_string().contains("ensemble_size"), "{e}");
    let unlabelled = data.clone().without_labels();
    assert!(
        Preset::paper()
            .with_training(small_training())
            .run::<DefaultBackend>(&unlabelled, &data, &Default::default())
            .is_err()
    );
}
