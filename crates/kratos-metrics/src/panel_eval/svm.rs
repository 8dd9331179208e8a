//! The RBF support vector machine of the protocol: libsvm's C-SVC (the `libsvm-rs` port, the
//! solver scikit-learn's `SVC` wraps), set up as `SVC(kernel="rbf", class_weight="balanced")`,
//! on a kernel computed from distances shared by every fit.
//!
//! Why libsvm-rs and not linfa-svm (which the crate used first): the protocol fits 183 SVMs per
//! (class, k) on subsets of the same cells, so the squared distances between cells are computed
//! once and each fit only needs exp(−γ d²). libsvm takes such a precomputed kernel; linfa-svm
//! 0.8.1 always rebuilds its kernel matrix from the features (75% of the evaluation's time in
//! `perf`) and its shrinking heuristic indexes out of bounds on some of these problems
//! (docs/performance.md, "Panel evaluation vs scikit-learn").

use libsvm_rs::{KernelType, SvmNode, SvmParameter, SvmProblem, SvmType};
use ndarray::Array2;
use rayon::prelude::*;

use crate::{MetricsError, Result};

/// Squared euclidean distances between all cells of a feature matrix, computed once per
/// (class, k) and shared by every fit's decision function.
///
/// Every fit's kernel and every decision value come from these distances: one `exp` per pair
/// instead of a pass over the k features.
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
/// signed dual coefficients (positive: in the class), the offset ρ and γ.
#[derive(Debug, Clone)]
pub(crate) struct RbfSvm {
    support: Vec<(usize, f64)>,
    rho: f64,
    gamma: f64,
}

/// libsvm's solver tolerance (scikit-learn's `tol=1e-3`).
const TOLERANCE: f64 = 1e-3;

/// Fits an RBF SVM with penalty `c` and kernel width `gamma` on the cells `rows` (`y[cell]`:
/// in the class), with class-balanced weights, from the squared distances between cells.
///
/// scikit-learn's `class_weight="balanced"` multiplies C of each class by n / (2 · n_class);
/// libsvm's per-label weights do the same: C₊ = C·n/(2n₊), C₋ = C·n/(2n₋). Tolerance 1e-3 and
/// shrinking on, as scikit-learn. The kernel goes in precomputed (libsvm's format: each row
/// starts with its 1-based serial number, then K(row, j) for every training cell j).
pub(crate) fn fit_rbf_svm(
    distances: &SquaredDistances,
    rows: &[usize],
    y: &[bool],
    c: f64,
    gamma: f64,
) -> Result<RbfSvm> {
    let positives = rows.iter().filter(|&&i| y[i]).count();
    let negatives = rows.len() - positives;
    if positives == 0 || negatives == 0 {
        return Err(MetricsError::InvalidInput(
            "an SVM training split holds cells of one side only".into(),
        ));
    }
    if !(c > 0.0 && c.is_finite() && gamma > 0.0 && gamma.is_finite()) {
        return Err(MetricsError::InvalidInput(format!(
            "SVM parameters must be positive and finite (C {c}, gamma {gamma})"
        )));
    }
    let instances: Vec<Vec<SvmNode>> = rows
        .iter()
        .enumerate()
        .map(|(a, &cell)| {
            let mut row = Vec::with_capacity(rows.len() + 1);
            row.push(SvmNode {
                index: 0,
                value: (a + 1) as f64,
            });
            row.extend(rows.iter().enumerate().map(|(b, &other)| SvmNode {
                index: (b + 1) as i32,
                value: (-gamma * distances.get(cell, other)).exp(),
            }));
            row
        })
        .collect();
    let problem = SvmProblem {
        labels: rows
            .iter()
            .map(|&i| if y[i] { 1.0 } else { -1.0 })
            .collect(),
        instances,
    };
    let n = rows.len() as f64;
    let param = SvmParameter {
        svm_type: SvmType::CSvc,
        kernel_type: KernelType::Precomputed,
        c,
        weight: vec![
            (1, n / (2.0 * positives as f64)),
            (-1, n / (2.0 * negatives as f64)),
        ],
        eps: TOLERANCE,
        shrinking: true,
        // Enough for every row of the kernel of these problems (Q is cached as f32).
        cache_size: (4.0 * n * n / 1e6).max(1.0),
        ..SvmParameter::default()
    };
    libsvm_rs::check_parameter(&problem, &param).map_err(|source| MetricsError::SvmParameters {
        c,
        gamma,
        source,
    })?;
    // libsvm-rs reports progress on stderr unless told to be quiet.
    libsvm_rs::set_quiet(true);
    // A panic inside the solver must not take the caller down: report it as an error.
    let model = std::panic::catch_unwind(|| libsvm_rs::train::svm_train(&problem, &param))
        .map_err(|_| MetricsError::SvmSolver { c, gamma })?;
    // libsvm's decision value is positive for its first label (the label of the first
    // training cell); turn it so that positive means in the class.
    let sign = if model.label.first() == Some(&1) {
        1.0
    } else {
        -1.0
    };
    let coefficients = model.sv_coef.first().map(Vec::as_slice).unwrap_or(&[]);
    let support = model
        .sv_indices
        .iter()
        .zip(coefficients)
        .map(|(&serial, &a)| (rows[serial - 1], sign * a))
        .collect();
    Ok(RbfSvm {
        support,
        rho: sign * model.rho.first().copied().unwrap_or(0.0),
        gamma,
    })
}

impl RbfSvm {
    /// The decision value of cell `cell` (positive: in the class), as scikit-learn's
    /// `decision_function`: Σ αᵢyᵢ K(svᵢ, cell) − ρ.
    pub fn decision(&self, distances: &SquaredDistances, cell: usize) -> f64 {
        self.support
            .iter()
            .map(|&(sv, a)| a * (-self.gamma * distances.get(sv, cell)).exp())
            .sum::<f64>()
            - self.rho
    }

    /// Number of support vectors.
    #[cfg(test)]
    pub fn support_vectors(&self) -> usize {
        self.support.len()
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
    fn precomputed_kernel_matches_libsvm_on_the_features() {
        // libsvm's own RBF kernel on the features (sparse nodes, gamma as given) must give
        // the decision values our precomputed exp(−γ d²) gives: this checks the kernel, γ,
        // the class weights and the sign turn together.
        let (x, y) = problem();
        let rows: Vec<usize> = (1..41).collect();
        let distances = SquaredDistances::new(&x);
        let nodes = |i: usize| -> Vec<SvmNode> {
            (0..x.ncols())
                .map(|j| SvmNode {
                    index: j as i32 + 1,
                    value: x[[i, j]],
                })
                .collect()
        };
        let n = rows.len() as f64;
        let positives = rows.iter().filter(|&&i| y[i]).count() as f64;
        for gamma in [0.05, 0.7, 3.0] {
            let ours = fit_rbf_svm(&distances, &rows, &y, 10.0, gamma).unwrap();
            let problem = SvmProblem {
                labels: rows
                    .iter()
                    .map(|&i| if y[i] { 1.0 } else { -1.0 })
                    .collect(),
                instances: rows.iter().map(|&i| nodes(i)).collect(),
            };
            let param = SvmParameter {
                kernel_type: KernelType::Rbf,
                gamma,
                c: 10.0,
                weight: vec![
                    (1, n / (2.0 * positives)),
                    (-1, n / (2.0 * (n - positives))),
                ],
                ..SvmParameter::default()
            };
            libsvm_rs::set_quiet(true);
            let model = libsvm_rs::train::svm_train(&problem, &param);
            assert_eq!(ours.support_vectors(), model.sv_indices.len());
            for cell in 41..60 {
                let mut value = [0.0];
                libsvm_rs::predict::predict_values(&model, &nodes(cell), &mut value);
                // libsvm's value is positive for its first label.
                let expected = f64::from(model.label[0]) * value[0];
                let got = ours.decision(&distances, cell);
                assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
            }
        }
    }

    #[test]
    fn one_sided_splits_and_bad_parameters_are_errors() {
        let (x, y) = problem();
        let distances = SquaredDistances::new(&x);
        let outside: Vec<usize> = (0..60).filter(|&i| !y[i]).collect();
        assert!(fit_rbf_svm(&distances, &outside, &y, 1.0, 0.1).is_err());
        let rows: Vec<usize> = (0..40).collect();
        assert!(fit_rbf_svm(&distances, &rows, &y, 0.0, 0.1).is_err());
        assert!(fit_rbf_svm(&distances, &rows, &y, 1.0, f64::NAN).is_err());
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
            let svm = fit_rbf_svm(&distances, &train, &y, c, gamma).unwrap();
            for (cell, want) in (40..60).zip(expected) {
                let got = svm.decision(&distances, cell);
                worst = worst.max((got - want).abs());
                // Our solver stops at a duality gap of 1e-3 (scikit-learn's was run to 1e-6).
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
