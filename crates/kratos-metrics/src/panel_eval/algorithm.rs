use kratos_data::{Dataset, Labels, stratified_k_fold};
use linfa::prelude::*;
use linfa_svm::Svm;
use ndarray::{Array1, Array2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::PanelEvaluationParams;
use crate::redundancy::redundancy;
use crate::{MetricsError, Result, auroc};

/// The scores of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassEvaluation {
    /// Class name.
    pub class: String,
    /// Cells of the class.
    pub cells: usize,
    /// Outer-CV AUROC for each k of [`PanelEvaluation::ks`].
    pub auroc: Vec<f64>,
    /// Mean |PCC| among the top-k genes for each k (`None` for k = 1).
    pub redundancy: Vec<Option<f64>>,
}

/// The result of [`evaluate_panel`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelEvaluation {
    /// Panel sizes (genes).
    pub ks: Vec<usize>,
    /// The percentage behind each k, for percent grids.
    pub percents: Option<Vec<f64>>,
    /// Evaluated classes.
    pub classes: Vec<ClassEvaluation>,
    /// Classes skipped for having fewer than `min_cells` cells: (name, cells).
    pub skipped: Vec<(String, usize)>,
    /// Mean AUROC over the evaluated classes, per k.
    pub mean_auroc: Vec<f64>,
    /// Mean redundancy over the evaluated classes, per k.
    pub mean_redundancy: Vec<Option<f64>>,
    /// The parameters used.
    pub params: PanelEvaluationParams,
}

/// Per-task seed from the global seed and the task's coordinates.
fn task_seed(seed: u64, parts: &[u64]) -> u64 {
    parts.iter().fold(seed ^ 0x6A09_E667_F3BC_C908, |h, &p| {
        (h ^ p).wrapping_mul(0x100_0000_01B3).rotate_left(17)
    })
}

/// Balanced class weights of scikit-learn (n / (2 · n_class)) applied to C: linfa-svm has no
/// `class_weight`, but its `pos_neg_weights` sets one C per class, which is the same thing.
fn fit_svm(x: &Array2<f64>, y: &[bool], c: f64, gamma: f64) -> Result<Svm<f64, bool>> {
    let n = y.len() as f64;
    let positives = y.iter().filter(|&&v| v).count() as f64;
    let negatives = n - positives;
    let dataset = DatasetBase::new(x.clone(), Array1::from(y.to_vec()));
    // linfa's Gaussian kernel is exp(-‖x − y‖² / eps), so eps = 1/γ. Solver tolerance as
    // libsvm's default (scikit-learn's SVC: tol 1e-3); linfa's own default (1e-7) is far slower.
    // Shrinking stays off: linfa-svm 0.8.1 indexes out of bounds with it on some problems.
    let params = Svm::<f64, bool>::params()
        .eps(1e-3)
        .pos_neg_weights(c * n / (2.0 * positives), c * n / (2.0 * negatives))
        .gaussian_kernel(1.0 / gamma);
    // A panic inside the solver must not take the caller down: report it as an error.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| params.fit(&dataset)))
        .map_err(|_| MetricsError::Model(format!("SVM solver failed (C {c}, gamma {gamma})")))?
        .map_err(|e| MetricsError::Model(format!("SVM: {e}")))
}

/// Decision values (distance to the separating surface, positive side = class).
fn decision(svm: &Svm<f64, bool>, x: &Array2<f64>) -> Vec<f64> {
    x.outer_iter()
        .map(|row| svm.weighted_sum(&row) - svm.rho)
        .collect()
}

fn rows(x: &Array2<f64>, idx: &[usize]) -> Array2<f64> {
    x.select(ndarray::Axis(0), idx)
}

fn folds(y: &[bool], k: usize, seed: u64) -> Result<Vec<(Vec<usize>, Vec<usize>)>> {
    let names: Vec<&str> = y.iter().map(|&v| if v { "in" } else { "out" }).collect();
    let labels = Labels::from_names(&names)?;
    Ok(stratified_k_fold(&labels, k, seed)?
        .into_iter()
        .map(|s| (s.train, s.test))
        .collect())
}

/// Outer-CV AUROC of an RBF SVM tuned by random search with inner CV, on features `x`.
fn cv_auroc(
    x: &Array2<f64>,
    y: &[bool],
    candidates: &[(f64, f64)],
    params: &PanelEvaluationParams,
    seed: u64,
) -> Result<f64> {
    let outer = folds(y, params.outer_folds, seed)?;
    let mut total = 0.0;
    for (f, (train, test)) in outer.iter().enumerate() {
        let (xt, yt): (Array2<f64>, Vec<bool>) =
            (rows(x, train), train.iter().map(|&i| y[i]).collect());
        let inner = folds(&yt, params.inner_folds, task_seed(seed, &[f as u64]))?;
        let mut best = (f64::NEG_INFINITY, candidates[0]);
        for &(c, gamma) in candidates {
            let mut score = 0.0;
            for (itrain, itest) in &inner {
                let svm = fit_svm(
                    &rows(&xt, itrain),
                    &itrain.iter().map(|&i| yt[i]).collect::<Vec<_>>(),
                    c,
                    gamma,
                )?;
                let labels: Vec<bool> = itest.iter().map(|&i| yt[i]).collect();
                score += auroc(&decision(&svm, &rows(&xt, itest)), &labels)?;
            }
            if score > best.0 {
                best = (score, (c, gamma));
            }
        }
        let svm = fit_svm(&xt, &yt, best.1.0, best.1.1)?;
        let labels: Vec<bool> = test.iter().map(|&i| y[i]).collect();
        total += auroc(&decision(&svm, &rows(x, test)), &labels)?;
    }
    Ok(total / outer.len() as f64)
}

/// Evaluates a panel with the paper's protocol.
///
/// `rankings[c]` lists the gene columns of `data` for class `c` of `data`'s labels, best first.
/// For each class with at least `min_cells` cells and each k of the grid: the top-k genes
/// (min-max scaled), an RBF SVM with class-balanced weights, (C, γ) chosen among `n_iter`
/// random candidates (C ~ Exp(scale 100), γ ~ Exp(scale 0.1)) by inner CV AUROC, scored by
/// outer stratified CV AUROC. Classes and panel sizes run in parallel; results depend only on
/// the seed.
pub fn evaluate_panel(
    data: &Dataset,
    rankings: &[Vec<usize>],
    params: &PanelEvaluationParams,
) -> Result<PanelEvaluation> {
    params.check()?;
    let labels = data.require_labels()?;
    if rankings.len() != labels.n_classes() {
        return Err(MetricsError::InvalidInput(format!(
            "{} rankings for {} classes",
            rankings.len(),
            labels.n_classes()
        )));
    }
    let (n, g) = data.shape();
    let ks = params.grid.ks(g);
    for (c, r) in rankings.iter().enumerate() {
        if let Some(&bad) = r.iter().find(|&&j| j >= g) {
            return Err(MetricsError::InvalidInput(format!(
                "ranking of class `{}` names gene column {bad}, but the data has {g} genes",
                labels.class_names()[c]
            )));
        }
    }
    // Scaled columns, shared by all tasks.
    let mut columns: Vec<Vec<f64>> = (0..g)
        .map(|j| data.column(j).iter().map(|&v| v as f64).collect())
        .collect();
    if params.scale {
        for col in &mut columns {
            let (lo, hi) = col
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
            let range = if hi > lo { hi - lo } else { 1.0 };
            col.iter_mut().for_each(|v| *v = (*v - lo) / range);
        }
    }
    let counts = labels.class_counts();
    let mut evaluated = Vec::new();
    let mut skipped = Vec::new();
    for (c, &count) in counts.iter().enumerate() {
        if count >= params.min_cells && n - count >= params.min_cells {
            evaluated.push(c);
        } else {
            skipped.push((labels.class_names()[c].clone(), count));
        }
    }
    // The same (C, γ) candidates for every fit, as a fixed random_state gives in scikit-learn.
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let c_dist = Exp::new(1.0f64 / 100.0).expect("positive rate");
    let g_dist = Exp::new(1.0f64 / 0.1).expect("positive rate");
    let candidates: Vec<(f64, f64)> = (0..params.n_iter)
        .map(|_| {
            (
                c_dist.sample(&mut rng).max(1e-6),
                g_dist.sample(&mut rng).max(1e-6),
            )
        })
        .collect();
    let tasks: Vec<(usize, usize)> = evaluated
        .iter()
        .flat_map(|&c| (0..ks.len()).map(move |ki| (c, ki)))
        .collect();
    let results: Vec<Result<(f64, Option<f64>)>> = tasks
        .par_iter()
        .map(|&(c, ki)| {
            let top = &rankings[c][..ks[ki].min(rankings[c].len())];
            if top.is_empty() {
                return Err(MetricsError::InvalidInput(format!(
                    "class `{}` has an empty ranking",
                    labels.class_names()[c]
                )));
            }
            let x = Array2::from_shape_fn((n, top.len()), |(i, j)| columns[top[j]][i]);
            let y: Vec<bool> = labels.assignments().iter().map(|&a| a == c).collect();
            let seed = task_seed(params.seed, &[c as u64, ks[ki] as u64]);
            let auc = cv_auroc(&x, &y, &candidates, params, seed)?;
            Ok((auc, redundancy(data, top)?))
        })
        .collect();
    let mut classes: Vec<ClassEvaluation> = evaluated
        .iter()
        .map(|&c| ClassEvaluation {
            class: labels.class_names()[c].clone(),
            cells: counts[c],
            auroc: Vec::with_capacity(ks.len()),
            redundancy: Vec::with_capacity(ks.len()),
        })
        .collect();
    for ((c, _), r) in tasks.iter().zip(results) {
        let (auc, red) = r?;
        let slot = evaluated
            .iter()
            .position(|e| e == c)
            .expect("evaluated class");
        classes[slot].auroc.push(auc);
        classes[slot].redundancy.push(red);
    }
    let mean_auroc = (0..ks.len())
        .map(|ki| classes.iter().map(|c| c.auroc[ki]).sum::<f64>() / classes.len().max(1) as f64)
        .collect();
    let mean_redundancy = (0..ks.len())
        .map(|ki| {
            let v: Vec<f64> = classes.iter().filter_map(|c| c.redundancy[ki]).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        })
        .collect();
    Ok(PanelEvaluation {
        ks,
        percents: params.grid.percents(),
        classes,
        skipped,
        mean_auroc,
        mean_redundancy,
        params: params.clone(),
    })
}
