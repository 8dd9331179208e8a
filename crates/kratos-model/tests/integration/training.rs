//! Training behaviour: determinism (in one process and across two), save/load round trip,
//! early stopping, bad input, and a second backend type.

use burn::backend::{Autodiff, NdArray};
use kratos_data::{Dataset, Labels};
use kratos_model::{
    AutodiffBackend, DefaultBackend, EarlyStoppingConfig, LossKind, ModelError, TrainedModel,
    TrainingConfig, fit, fit_cells_with_progress, fit_with_progress,
};

/// Three noisy classes, 90 cells x 12 genes; class k raises genes 4k..4k+4. Deterministic.
fn toy_data() -> Dataset {
    let (n, g) = (90, 12);
    let mut values = Vec::with_capacity(n * g);
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as f32 / (1u64 << 31) as f32
    };
    let mut labels = Vec::new();
    for i in 0..n {
        let k = i % 3;
        labels.push(format!("type{k}"));
        for j in 0..g {
            let signal = if j / 4 == k { 3.0 } else { 0.0 };
            values.push(signal + 2.0 * next());
        }
    }
    Dataset::from_matrix(values, n, g)
        .unwrap()
        .with_labels(Labels::from_names(&labels).unwrap())
        .unwrap()
}

fn small_config() -> TrainingConfig {
    TrainingConfig::new()
        .with_epochs(15)
        .with_hidden_sizes(vec![32, 8])
        .with_batch_size(16)
}

/// A fingerprint of a model's behaviour: the bits of its probabilities and embedding.
fn fingerprint<B: AutodiffBackend>(model: &TrainedModel<B>, data: &Dataset) -> Vec<u32> {
    let mut bits: Vec<u32> = model
        .probabilities(data)
        .unwrap()
        .iter()
        .map(|v| v.to_bits())
        .collect();
    bits.extend(model.embedding(data).unwrap().iter().map(|v| v.to_bits()));
    bits
}

fn hash(bits: &[u32]) -> u64 {
    // FNV-1a, enough to compare two runs.
    bits.iter().fold(0xcbf29ce484222325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

#[test]
fn learns_a_separable_problem_and_reports_history() {
    let data = toy_data();
    let mut seen = Vec::new();
    let model = fit_with_progress::<DefaultBackend, _>(
        &data,
        &small_config().check().unwrap(),
        &Default::default(),
        |r| seen.push(r.epoch),
    )
    .unwrap();
    assert_eq!(seen, (1..=15).collect::<Vec<_>>());
    let h = model.history();
    assert_eq!(h.epochs.len(), 15);
    assert_eq!(h.train_cells + h.validation_cells, 90);
    assert_eq!(h.validation_cells, 9);
    assert!(h.epochs[14].train_loss < h.epochs[0].train_loss);
    assert!(h.epochs[14].validation_accuracy.is_some());
    assert!(model.accuracy(&data).unwrap() > 0.9);
    assert_eq!(model.embedding(&data).unwrap().len(), 90 * 8);
    let p = model.probabilities(&data).unwrap();
    for row in p.chunks(3) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
}

#[test]
fn same_seed_same_model_bit_for_bit() {
    let data = toy_data();
    let device = Default::default();
    let a = fit::<DefaultBackend>(&data, &small_config().check().unwrap(), &device).unwrap();
    let b = fit::<DefaultBackend>(&data, &small_config().check().unwrap(), &device).unwrap();
    assert_eq!(fingerprint(&a, &data), fingerprint(&b, &data));
    let c = fit::<DefaultBackend>(
        &data,
        &small_config()
            .check()
            .unwrap()
            .with_seed(8)
            .check()
            .unwrap(),
        &device,
    )
    .unwrap();
    assert_ne!(fingerprint(&a, &data), fingerprint(&c, &data));
}

/// Run by `same_seed_same_model_across_processes` in a child process.
#[test]
#[ignore = "helper: run by same_seed_same_model_across_processes"]
fn print_fingerprint_for_parent() {
    let data = toy_data();
    let model = fit::<DefaultBackend>(&data, &small_config().check().unwrap(), &Default::default())
        .unwrap();
    println!("FINGERPRINT={}", hash(&fingerprint(&model, &data)));
}

#[test]
fn same_seed_same_model_across_processes() {
    let data = toy_data();
    let model = fit::<DefaultBackend>(&data, &small_config().check().unwrap(), &Default::default())
        .unwrap();
    let here = hash(&fingerprint(&model, &data));
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            // The test's full name in the integration binary (module path included).
            concat!(module_path!(), "::print_fingerprint_for_parent")
                .split_once("::")
                .map_or("", |(_, name)| name),
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let there: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("FINGERPRINT="))
        .unwrap_or_else(|| panic!("child printed no fingerprint: {stdout}"))
        .trim()
        .parse()
        .unwrap();
    assert_eq!(here, there);
}

#[test]
fn save_and_load_give_identical_predictions() {
    let data = toy_data();
    let device = Default::default();
    let model = fit::<DefaultBackend>(&data, &small_config().check().unwrap(), &device).unwrap();
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path().join("model")).unwrap();
    let loaded = TrainedModel::<DefaultBackend>::load(dir.path().join("model"), &device).unwrap();
    assert_eq!(fingerprint(&model, &data), fingerprint(&loaded, &data));
    assert_eq!(loaded.class_names(), model.class_names());
    assert_eq!(loaded.history(), model.history());
    assert_eq!(loaded.config(), model.config());
    // No temporary files are left behind.
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("model"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["kratos-model.json", "weights.mpk"]);
    let missing = TrainedModel::<DefaultBackend>::load(dir.path().join("nope"), &device);
    assert!(matches!(missing, Err(ModelError::Io { .. })));
}

#[test]
fn early_stopping_stops_and_restores_the_best_epoch() {
    // Labels unrelated to the values: the network can only memorise, so the validation loss
    // soon rises and early stopping must end training.
    let data = toy_data();
    let shuffled: Vec<String> = (0..data.n_cells())
        .map(|i| format!("t{}", (i * 7 / 3) % 3))
        .collect();
    let data = data
        .with_labels(Labels::from_names(&shuffled).unwrap())
        .unwrap();
    let config = small_config()
        .with_learning_rate(1e-2)
        .with_hidden_sizes(vec![128, 32])
        .with_epochs(300)
        .with_validation_fraction(0.2)
        .with_early_stopping(Some(EarlyStoppingConfig::new().with_patience(3)));
    let model =
        fit::<DefaultBackend>(&data, &config.check().unwrap(), &Default::default()).unwrap();
    let h = model.history();
    assert!(h.epochs.len() < 300, "ran all {} epochs", h.epochs.len());
    let best = h.restored_epoch.expect("restores the best epoch");
    let best_loss = h.epochs[best - 1].validation_loss.unwrap();
    assert!(
        h.epochs
            .iter()
            .all(|r| r.validation_loss.unwrap() >= best_loss)
    );
}

#[test]
fn categorical_cross_entropy_and_regularisers_train_too() {
    let data = toy_data();
    let config = small_config()
        .with_loss(LossKind::CategoricalCrossEntropy)
        .with_input_noise(0.05)
        .with_dropout(0.2);
    let model =
        fit::<DefaultBackend>(&data, &config.check().unwrap(), &Default::default()).unwrap();
    assert!(model.accuracy(&data).unwrap() > 0.9);
}

#[test]
fn bad_input_gives_errors_not_panics() {
    let data = toy_data();
    let device = Default::default();
    let unlabelled = data.clone().without_labels();
    assert!(fit::<DefaultBackend>(&unlabelled, &small_config().check().unwrap(), &device).is_err());
    let one_class = data.select_cells(&[0, 3, 6, 9]);
    let err =
        fit::<DefaultBackend>(&one_class, &small_config().check().unwrap(), &device).unwrap_err();
    assert!(err.to_string().contains("two classes"), "{err}");
    let err = small_config().with_epochs(0).check().unwrap_err();
    assert!(err.to_string().contains("epochs"), "{err}");

    let model = fit::<DefaultBackend>(&data, &small_config().check().unwrap(), &device).unwrap();
    let fewer_genes = data.select_genes(&[0, 1, 2]);
    let err = model.predict(&fewer_genes).unwrap_err();
    assert!(matches!(
        err,
        ModelError::GeneMismatch {
            expected: 12,
            found: 3,
            ..
        }
    ));
}

/// The training code is generic over the backend: it runs unchanged on a second backend type
/// (NdArray with f64 elements).
fn train_on<B: AutodiffBackend>(device: &B::Device) -> f64 {
    let model = fit::<B>(&toy_data(), &small_config().check().unwrap(), device).unwrap();
    model.accuracy(&toy_data()).unwrap()
}

#[test]
fn trains_on_a_second_backend_type() {
    let f64_accuracy = train_on::<Autodiff<NdArray<f64>>>(&Default::default());
    let f32_accuracy = train_on::<DefaultBackend>(&Default::default());
    assert!(f64_accuracy > 0.9, "{f64_accuracy}");
    assert!(f32_accuracy > 0.9, "{f32_accuracy}");
}

#[test]
fn training_on_row_indices_equals_training_on_a_copy() {
    // fit_cells_with_progress gathers and scales each batch from the whole matrix; it must
    // train exactly the model that fit_with_progress trains on the copied rows.
    let data = toy_data();
    let rows: Vec<usize> = (0..data.n_cells()).filter(|i| i % 5 != 0).collect();
    let held_out: Vec<usize> = (0..data.n_cells()).filter(|i| i % 5 == 0).collect();
    let device = Default::default();
    let config = small_config().check().unwrap();
    let on_copy =
        fit_with_progress::<DefaultBackend, _>(&data.select_cells(&rows), &config, &device, |_| {})
            .unwrap();
    let on_rows =
        fit_cells_with_progress::<DefaultBackend, _>(&data, &rows, &config, &device, |_| {})
            .unwrap();
    assert_eq!(fingerprint(&on_copy, &data), fingerprint(&on_rows, &data));
    assert_eq!(on_copy.history(), on_rows.history());
    let expected = on_copy.accuracy(&data.select_cells(&held_out)).unwrap();
    assert_eq!(
        on_rows.accuracy_on_cells(&data, &held_out).unwrap(),
        expected
    );
    // Out-of-range rows are an error, not a panic.
    let bad =
        fit_cells_with_progress::<DefaultBackend, _>(&data, &[0, 1, 900], &config, &device, |_| {});
    assert!(
        matches!(bad, Err(ModelError::InvalidParameter { name: "cells", .. })),
        "{:?}",
        bad.err()
    );
    assert!(on_rows.accuracy_on_cells(&data, &[900]).is_err());
}
