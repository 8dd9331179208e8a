//! The RBF support vector machine of the protocol: linfa-svm, set up as scikit-learn's
//! `SVC(kernel="rbf", class_weight="balanced")`.

use linfa::prelude::*;
use linfa_svm::Svm;
use ndarray::{Array1, Array2, Axis};
use rayon::prelude::*;

use crate::{MetricsError, Result};

/// Squared euclidean distances between all cells of a feature matrix, computed once per
/// (class, k) and shared by every fit's decision function.
///
/// linfa-svm predicts by recomputing the kernel between each test cell and every support
/// vector over all k features; with the distances at hand a decision value costs one `exp`
/// per support vector instead.
pub(crate) struct SquaredDistances {
    n: usize,
    values: Vec<f64>,
}

impl SquaredDistances {
    /// Distances between the rows of `x`. Each is summed over the features in one fixed order
    /// (four lanes, then the lanes), so identical rows get identical distances and the result
    /// does not depend on threads.
    pub fn new(x: &Array2<f64>) -> Self {
        let n = x.nrows();
        let rows: Vec<&[f64]> = x
            .outer_iter()
            .map(|r| r.to_slice().expect("standard layout"))
            .collect();
        let mut values = vec![0.0; n * n];
        values
            .par_chunks_mut(n.max(1))
            .enumerate()
            .for_each(|(i, out)| {
                for (j, o) in out.iter_mut().enumerate() {
                    *o = squared_distance(rows[i], rows[j]);
                }
            });
        SquaredDistances { n, values }
    }

    /// The squared distance between cells `i` and `j`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.values[i * self.n + j]
    }
}

/// ‖a − b‖², four independent partial sums (vectorisable), combined in a fixed order.
fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    let mut lanes = [0.0f64; 4];
    let (a4, b4) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (a4.remainder(), b4.remainder());
    for (x, y) in a4.zip(b4) {
        for l in 0..4 {
            let d = x[l] - y[l];
            lanes[l] += d * d;
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| (x - y) * (x - y)).sum();
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + tail
}

/// A fitted RBF SVM: the support vectors (as cell indices of the feature matrix) with their
/// signed dual coefficients, the offset ρ and γ.
#[derive(Debug, Clone)]
pub(crate) struct RbfSvm {
    support: Vec<(usize, f64)>,
    rho: f64,
    gamma: f64,
}

/// linfa's kernel value exp(−‖x − y‖² / eps) for the RBF kernel exp(−γ‖x − y‖²) of
/// scikit-learn: eps = 1 / γ. (linfa documents its Gaussian kernel as exp(−norm(x − x')/eps);
/// the code squares the norm.)
pub(crate) fn linfa_gaussian_eps(gamma: f64) -> f64 {
    1.0 / gamma
}

/// Fits an RBF SVM with penalty `c` and kernel width `gamma` on the cells `rows` of `x`
/// (`y[cell]`: in the class), with class-balanced weights.
///
/// scikit-learn's `class_weight="balanced"` multiplies C of each class by n / (2 · n_class).
/// linfa-svm has no class weights, but its `pos_neg_weights(c_pos, c_neg)` sets the box
/// constraint of each class separately, which is the same thing: C₊ = C·n/(2n₊),
/// C₋ = C·n/(2n₋). The solver tolerance is libsvm's (scikit-learn's `tol=1e-3`; linfa's own
/// default 1e-7 is about ten times slower for the same AUROC to three decimals). Shrinking
/// stays off: linfa-svm 0.8.1 indexes out of bounds with it on some of these problems.
pub(crate) fn fit_rbf_svm(
    x: &Array2<f64>,
    rows: &[usize],
    y: &[bool],
    c: f64,
    gamma: f64,
) -> Result<RbfSvm> {
    let targets: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
    let n = targets.len() as f64;
    let positives = targets.iter().filter(|&&v| v).count() as f64;
    let negatives = n - positives;
    if positives == 0.0 || negatives == 0.0 {
        return Err(MetricsError::InvalidInput(
            "an SVM training split holds cells of one side only".into(),
        ));
    }
    let dataset = DatasetBase::new(x.select(Axis(0), rows), Array1::from(targets));
    let params = Svm::<f64, bool>::params()
        .eps(1e-3)
        .shrinking(false)
        .pos_neg_weights(c * n / (2.0 * positives), c * n / (2.0 * negatives))
        .gaussian_kernel(linfa_gaussian_eps(gamma));
    // A panic inside the solver must not take the caller down: report it as an error.
    let model = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| params.fit(&dataset)))
        .map_err(|_| MetricsError::Model(format!("the SVM solver failed (C {c}, gamma {gamma})")))?
        .map_err(|e| MetricsError::Model(format!("SVM (C {c}, gamma {gamma}): {e}")))?;
    // linfa keeps the coefficients of all training cells (signed by side) and treats those
    // below 100·ε as zero when predicting; so do we.
    let threshold = 100.0 * f64::EPSILON;
    let support = rows
        .iter()
        .zip(&model.alpha)
        .filter(|(_, a)| a.abs() > threshold)
        .map(|(&cell, &a)| (cell, a))
        .collect();
    Ok(RbfSvm {
        support,
        rho: model.rho,
        gamma,
    })
}

impl RbfSvm {
    /// The decision value of cell `cell` (positive: in the class), as linfa's
    /// `weighted_sum(x) − rho` and scikit-learn's `decision_function`.
    pub fn decision(&self, distances: &SquaredDistances, cell: usize) -> f64 {
        self.support
            .iter()
            .map(|&(sv, a)| a * (-self.gamma * distances.get(sv, cell)).exp())
            .sum::<f64>()
            - self.rho
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn problem() -> (Array2<f64>, Vec<bool>) {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let y: Vec<bool> = (0..60).map(|i| i % 4 == 0).collect();
        let x = Array2::from_shape_fn((60, 5), |(i, j)| {
            rng.random::<f64>() + if y[i] && j < 2 { 0.6 } else { 0.0 }
        });
        (x, y)
    }

    #[test]
    fn gamma_maps_to_the_rbf_kernel_of_scikit_learn() {
        // Our decision values use exp(−γ‖x − y‖²) directly; linfa's come from its own kernel
        // with eps = 1/γ. They agree only if the mapping is right.
        let (x, y) = problem();
        let rows: Vec<usize> = (0..40).collect();
        let distances = SquaredDistances::new(&x);
        for gamma in [0.05, 0.7, 3.0] {
            let ours = fit_rbf_svm(&x, &rows, &y, 10.0, gamma).unwrap();
            let targets = Array1::from(rows.iter().map(|&i| y[i]).collect::<Vec<_>>());
            let linfa = Svm::<f64, bool>::params()
                .eps(1e-3)
                .pos_neg_weights(10.0 * 40.0 / 20.0, 10.0 * 40.0 / 60.0)
                .gaussian_kernel(linfa_gaussian_eps(gamma))
                .fit(&DatasetBase::new(x.select(Axis(0), &rows), targets))
                .unwrap();
            for cell in 40..60 {
                let expected = linfa.weighted_sum(&x.row(cell)) - linfa.rho;
                let got = ours.decision(&distances, cell);
                assert!((got - expected).abs() < 1e-9, "{got} vs {expected}");
            }
            // And the kernel itself: one support vector's contribution by hand.
            let (sv, a) = ours.support[0];
            let d2: f64 = (0..5).map(|j| (x[[sv, j]] - x[[45, j]]).powi(2)).sum();
            assert!((distances.get(sv, 45) - d2).abs() < 1e-12);
            let by_hand = a * (-gamma * d2).exp();
            let via = a * (-d2 / linfa_gaussian_eps(gamma)).exp();
            assert!((by_hand - via).abs() < 1e-12);
        }
    }

    #[test]
    fn decision_values_match_scikit_learn_balanced_svc() {
        // tests/fixtures/sklearn.json, "svm_decision": SVC(kernel="rbf",
        // class_weight="balanced", C, gamma) fitted on cells 0..39 of a 60 x 5 problem with 1 in
        // 4 cells positive; decision_function on cells 40..59 (see make_fixtures.py). With small
        // C the box constraints bind, so the class weights show; gamma and the sign show in
        // every value.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sklearn.json");
        let fixture: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let case = &fixture["svm_decision"];
        let rows: Vec<Vec<f64>> = serde_json::from_value(case["x"].clone()).unwrap();
        let y: Vec<bool> = serde_json::from_value(case["y"].clone()).unwrap();
        let x = Array2::from_shape_fn((rows.len(), rows[0].len()), |(i, j)| rows[i][j]);
        let distances = SquaredDistances::new(&x);
        let train: Vec<usize> = (0..40).collect();
        let mut worst = 0f64;
        for fit in case["fits"].as_array().unwrap() {
            let (c, gamma) = (fit["c"].as_f64().unwrap(), fit["gamma"].as_f64().unwrap());
            let expected: Vec<f64> = serde_json::from_value(fit["decision"].clone()).unwrap();
            let svm = fit_rbf_svm(&x, &train, &y, c, gamma).unwrap();
            for (cell, want) in (40..60).zip(expected) {
                let got = svm.decision(&distances, cell);
                worst = worst.max((got - want).abs());
                // Both solvers stop at a duality gap of 1e-3 (scikit-learn's was run to 1e-6).
                assert!(
                    (got - want).abs() < 5e-3,
                    "C {c}, gamma {gamma}, cell {cell}: {got} vs {want}"
                );
            }
        }
        println!("largest decision-value difference from scikit-learn: {worst:.2e}");
    }

    #[test]
    fn distances_are_exact_and_symmetric() {
        let x = Array2::from_shape_fn((7, 9), |(i, j)| (i * 3 + j) as f64 * 0.25);
        let d = SquaredDistances::new(&x);
        for i in 0..7 {
            assert_eq!(d.get(i, i), 0.0);
            for j in 0..7 {
                assert_eq!(d.get(i, j), d.get(j, i));
                let expected: f64 = (0..9).map(|f| (x[[i, f]] - x[[j, f]]).powi(2)).sum();
                assert!((d.get(i, j) - expected).abs() < 1e-9);
            }
        }
    }
}
