//! Cross-checks of the joint panel protocol's parts against scikit-learn. The expected values
//! in fixtures/joint_sklearn.json were computed once by fixtures/make_joint_fixture.py
//! (scikit-learn 1.9.1, numpy 2.4.6: StandardScaler on the training cells, LogisticRegression
//! with C=1 to convergence, KNeighborsClassifier(15), balanced accuracy and macro-F1) and
//! committed; the script documents every input.

use kratos_metrics::{
    LogisticOptions, Standardizer, balanced_accuracy, fit_logistic, knn_predict, macro_f1,
};
use serde_json::Value;

fn cases() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/joint_sklearn.json"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn get<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap()
}

#[test]
fn logistic_regression_and_nearest_neighbours_match_scikit_learn() {
    for case in cases() {
        let name: String = get(&case["name"]);
        let (n, f): (usize, usize) = (get(&case["n_cells"]), get(&case["n_features"]));
        let x: Vec<f32> = get(&case["x"]);
        let y: Vec<usize> = get(&case["y"]);
        let train: Vec<usize> = get(&case["train"]);
        let test: Vec<usize> = get(&case["test"]);
        let columns: Vec<Vec<f32>> = (0..f)
            .map(|j| (0..n).map(|i| x[i * f + j]).collect())
            .collect();
        let scaler = Standardizer::fit(&columns, &train);
        let (x_train, x_test) = (
            scaler.matrix(&columns, &train),
            scaler.matrix(&columns, &test),
        );
        let train_y: Vec<usize> = train.iter().map(|&i| y[i]).collect();
        let test_y: Vec<usize> = test.iter().map(|&i| y[i]).collect();
        let k = y.iter().max().unwrap() + 1;

        let options = LogisticOptions {
            tol: 1e-9,
            max_iter: 10_000,
            ..LogisticOptions::default()
        };
        let fit = fit_logistic(x_train.view(), &train_y, k, None, None, &options);
        let theirs = &case["logistic"];
        let coef: Vec<f64> = get(&theirs["coef"]);
        let intercept: Vec<f64> = get(&theirs["intercept"]);
        let worst_coef = fit
            .coef
            .iter()
            .zip(&coef)
            .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
            .fold(0f64, f64::max);
        let worst_intercept = fit
            .intercept
            .iter()
            .zip(&intercept)
            .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
            .fold(0f64, f64::max);
        let loss: f64 = get(&theirs["train_loss"]);
        println!(
            "{name}: coef {worst_coef:.2e}, intercept {worst_intercept:.2e}, loss {:.2e}, {} iterations",
            (fit.loss - loss).abs(),
            fit.iterations
        );
        assert!(
            worst_coef < 1e-4,
            "{name}: coefficients differ by {worst_coef}"
        );
        assert!(
            worst_intercept < 1e-4,
            "{name}: intercepts differ by {worst_intercept}"
        );
        assert!(
            (fit.loss - loss).abs() < 1e-8,
            "{name}: loss {} vs {loss}",
            fit.loss
        );
        let predicted = fit.predict(x_test.view());
        assert_eq!(predicted, get::<Vec<usize>>(&theirs["predicted"]), "{name}");
        let ba: f64 = get(&theirs["balanced_accuracy"]);
        let f1: f64 = get(&theirs["macro_f1"]);
        assert!(
            (balanced_accuracy(&test_y, &predicted) - ba).abs() < 1e-12,
            "{name}"
        );
        assert!((macro_f1(&test_y, &predicted) - f1).abs() < 1e-12, "{name}");

        let knn = knn_predict(x_train.view(), &train_y, k, x_test.view(), 15);
        let theirs = &case["knn"];
        assert_eq!(
            knn,
            get::<Vec<usize>>(&theirs["predicted"]),
            "{name}: 15-NN"
        );
        let ba: f64 = get(&theirs["balanced_accuracy"]);
        let f1: f64 = get(&theirs["macro_f1"]);
        assert!(
            (balanced_accuracy(&test_y, &knn) - ba).abs() < 1e-12,
            "{name}"
        );
        assert!((macro_f1(&test_y, &knn) - f1).abs() < 1e-12, "{name}");
    }
}
