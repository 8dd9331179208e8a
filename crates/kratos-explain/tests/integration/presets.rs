//! A preset's panel from its trained models: deterministic, finds planted markers, reports its
//! parts, and rejects inputs that do not fit. (The whole run — preprocessing, training and the
//! simulation's top-20 lists — is tested through the `kratos` facade's `Pipeline`.)

use crate::common::{MARKERS, marker_data};
use kratos_data::Dataset;
use kratos_explain::{
    AttributionUnits, Combination, CwExplainer, Preset, ValidPreset, decorrelate_with_relevance,
    explain_ensemble, looks_like_counts,
};
use kratos_model::{DefaultBackend, TrainedModel, TrainingConfig, fit_cells_with_progress};

/// The explainer tests' small network (see tests/integration/common).
fn small_training() -> TrainingConfig {
    TrainingConfig::new()
        .with_epochs(60)
        .with_hidden_sizes(vec![64, 16])
        .with_batch_size(32)
}

/// The preset's members trained on all cells of `data`, as the facade's pipeline trains them.
fn members(preset: &ValidPreset, data: &Dataset) -> Vec<TrainedModel<DefaultBackend>> {
    let cells: Vec<usize> = (0..data.n_cells()).collect();
    (0..preset.ensemble_size)
        .map(|k| {
            let config = preset.member_training(k);
            fit_cells_with_progress(data, &cells, &config, &Default::default(), |_| {}).unwrap()
        })
        .collect()
}

#[test]
fn presets_are_deterministic_and_find_planted_markers() {
    let data = marker_data();
    assert!(!looks_like_counts(&data));
    let preset = Preset::default()
        .training(small_training())
        .ensemble_size(2)
        .check()
        .unwrap();
    let models = members(&preset, &data);
    let cells: Vec<usize> = (0..data.n_cells()).collect();
    let a = preset
        .panel_from_models(&models, &data, &cells, false)
        .unwrap();
    let b = preset
        .panel_from_models(&models, &data, &cells, false)
        .unwrap();
    assert_eq!(a.panel(), b.panel());
    assert_eq!(a.panel().method(), "kratos");
    // The two members share the 60 epochs of one training.
    assert!(models.iter().all(|m| m.config().epochs == 30));
    assert!(a.description().summary.contains("share the 60 epochs"));
    assert_eq!(a.member_panels().len(), 2);
    assert!(a.expression_change().is_some());
    for (k, &marker) in MARKERS.iter().enumerate() {
        assert_eq!(a.panel().ranking(k)[0], marker, "class {k}");
    }
    // The score is the rank product as a fraction of the class's best: 1 at rank 1, every
    // score in (0, 1]; the redundancy re-ordering keeps each gene's score, and the order is
    // the re-ordering's.
    let params = preset
        .redundancy
        .expect("the default re-orders for redundancy");
    let reordered =
        decorrelate_with_relevance(a.panel_before_redundancy(), a.attribution(), &data, &params)
            .unwrap();
    assert_eq!(a.panel().rankings(), reordered.rankings());
    for k in 0..a.panel().n_classes() {
        let s = a.panel().scores(k);
        assert_eq!(s[a.panel().ranking(k)[0]], 1.0, "class {k}");
        assert!(s.iter().all(|&v| v > 0.0 && v <= 1.0), "class {k}: {s:?}");
        assert_eq!(s, a.panel_before_redundancy().scores(k));
        let before = a.panel_before_redundancy().ranking(k);
        let sorted = before.windows(2).all(|w| s[w[0]] >= s[w[1]]);
        assert!(
            sorted,
            "class {k}: the rank product orders the panel before re-ordering"
        );
    }
    let description = serde_json::to_value(a.description()).unwrap();
    assert_eq!(description["log1p_applied"], false);
    assert_eq!(description["preset"]["ensemble_size"], 2);
    assert!(a.description().summary.starts_with("kratos:"));
    // The run's CW panel is the ensemble's: what explaining the same models with the preset's
    // CW gives, computed once for both.
    let cw = explain_ensemble(
        &CwExplainer::default(),
        &models,
        &data,
        preset.panel_options(),
    )
    .unwrap();
    assert_eq!(a.cw(), &cw);
}

#[test]
fn the_rank_test_combination_finds_planted_markers_and_reports_its_parts() {
    let data = marker_data();
    let cells: Vec<usize> = (0..data.n_cells()).collect();
    let preset = Preset::default()
        .training(small_training())
        .ensemble_size(2)
        .combination(Combination::RankProductWithChangeAndRankTest)
        .check()
        .unwrap();
    let models = members(&preset, &data);
    let run = preset
        .panel_from_models(&models, &data, &cells, false)
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
        .training(small_training())
        .ensemble_size(2)
        .check()
        .unwrap()
        .panel_from_models(&models, &data, &cells, false)
        .unwrap();
    assert!(default.rank_test().is_none());
}

#[test]
fn input_units_multiply_the_scores_by_each_genes_range() {
    let data = marker_data();
    let cells: Vec<usize> = (0..data.n_cells()).collect();
    let preset = Preset::default()
        .training(small_training())
        .ensemble_size(1)
        .check()
        .unwrap();
    let models = members(&preset, &data);
    let input = preset
        .panel_from_models(&models, &data, &cells, false)
        .unwrap();
    let scaled = Preset::default()
        .training(small_training())
        .ensemble_size(1)
        .units(AttributionUnits::Scaled)
        .check()
        .unwrap()
        .panel_from_models(&models, &data, &cells, false)
        .unwrap();
    let column = data.column(0);
    let (lo, hi) = column
        .iter()
        .fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
    let (a, b) = (
        input.member_panels()[0].scores(0)[0],
        scaled.member_panels()[0].scores(0)[0],
    );
    assert!(b > 0.0);
    assert!((a - b * (hi - lo)).abs() <= 1e-5 * a.abs().max(1.0));
}

#[test]
fn bad_inputs_are_errors() {
    let data = marker_data();
    let cells: Vec<usize> = (0..data.n_cells()).collect();
    let preset = Preset::paper().training(small_training()).check().unwrap();
    let models = members(&preset, &data);
    let two = [models[0].clone(), models[0].clone()];
    let e = preset
        .panel_from_models(&two, &data, &cells, false)
        .unwrap_err();
    assert!(e.to_string().contains("ensemble members"), "{e}");
    let e = preset
        .panel_from_models(&models, &data, &[0, data.n_cells()], false)
        .unwrap_err();
    assert!(e.to_string().contains("out of range"), "{e}");
    let e = Preset::paper().ensemble_size(0).check().unwrap_err();
    assert!(e.to_string().contains("ensemble_size"), "{e}");
    let unlabelled = data.clone().without_labels();
    assert!(
        preset
            .panel_from_models(&models, &unlabelled, &cells, false)
            .is_err()
    );
}
