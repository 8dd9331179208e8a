use std::collections::HashSet;

use kratos_data::Dataset;
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::folds::{Fold, shuffled_stratified_folds, unshuffled_stratified_folds};
use super::svm::{SquaredDistances, fit_rbf_svm};
use super::{PanelEvaluationParams, ValidPanelEvaluationParams};
use crate::redundancy::{mean_per_k, redundancy_curve};
use crate::{MetricsError, Result, auroc};

/// The scores of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassEvaluation {
    /// Class name.
    pub class: String,
    /// Cells of the class.
    pub cells: usize,
    /// Outer-CV AUROC (mean over the outer folds) for each k of [`PanelEvaluation::ks`].
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
    /// Evaluated classes, in the data's class order.
    pub classes: Vec<ClassEvaluation>,
    /// Classes skipped for having (or leaving the rest with) fewer than `required_cells`
    /// cells: (name, cells of the class).
    pub skipped: Vec<(String, usize)>,
    /// Mean AUROC over the evaluated classes, per k (NaN if no class was evaluated).
    pub mean_auroc: Vec<f64>,
    /// Mean redundancy over the evaluated classes, per k.
    pub mean_redundancy: Vec<Option<f64>>,
    /// The fewest cells a class needed to be evaluated
    /// ([`ValidPanelEvaluationParams::required_cells`]).
    #[serde(default)]
    pub required_cells: usize,
    /// The parameters used.
    pub params: PanelEvaluationParams,
}

/// A seed for one task from the global seed and the task's coordinates (splitmix64 steps), so
/// that a task's randomness does not depend on which thread runs it or in what order.
fn task_seed(seed: u64, parts: &[u64]) -> u64 {
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    parts.iter().fold(mix(seed), |h, &p| mix(h ^ mix(p)))
}

/// One random-search candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Candidate {
    c: f64,
    gamma: f64,
}

/// `n_iter` candidates, C ~ Exponential(scale 100) and γ ~ Exponential(scale 0.1), drawn in
/// that order per candidate as scikit-learn's `ParameterSampler` does (keys sorted: C, gamma).
/// The same candidates serve every search, as the reference's fixed `random_state` gives.
fn candidates(n_iter: usize, seed: u64) -> Vec<Candidate> {
    let mut rng = ChaCha8Rng::seed_from_u64(task_seed(seed, &[0xCA4D]));
    let c = Exp::new(1.0f64 / 100.0).expect("positive rate");
    let gamma = Exp::new(1.0f64 / 0.1).expect("positive rate");
    (0..n_iter)
        .map(|_| Candidate {
            // Exponential draws are positive; the floor only guards libsvm's C > 0 check.
            c: c.sample(&mut rng).max(1e-12),
            gamma: gamma.sample(&mut rng).max(1e-12),
        })
        .collect()
}

/// Everything one (class, k) task needs.
struct Problem<'a> {
    distances: SquaredDistances,
    y: &'a [bool],
}

impl Problem<'_> {
    /// Fits on `fold.train` with `candidate` and returns the AUROC of the decision values on
    /// `fold.test`.
    fn score(&self, fold: &Fold, candidate: Candidate) -> Result<f64> {
        let svm = fit_rbf_svm(
            &self.distances,
            &fold.train,
            self.y,
            candidate.c,
            candidate.gamma,
        )?;
        let scores: Vec<f64> = fold
            .test
            .iter()
            .map(|&i| svm.decision(&self.distances, i))
            .collect();
        let labels: Vec<bool> = fold.test.iter().map(|&i| self.y[i]).collect();
        auroc(&scores, &labels)
    }

    /// The random search on `outer.train` (inner folds as scikit-learn's unshuffled
    /// StratifiedKFold), then the best candidate refitted on all of `outer.train` and scored
    /// on `outer.test`. Candidates and inner folds run in parallel.
    fn searched_score(
        &self,
        outer: &Fold,
        candidates: &[Candidate],
        inner_folds: usize,
    ) -> Result<f64> {
        let y_train: Vec<bool> = outer.train.iter().map(|&i| self.y[i]).collect();
        let to_cells = |idx: &[usize]| idx.iter().map(|&i| outer.train[i]).collect::<Vec<_>>();
        let inner: Vec<Fold> = unshuffled_stratified_folds(&y_train, inner_folds)
            .into_iter()
            .map(|f| Fold {
                train: to_cells(&f.train),
                test: to_cells(&f.test),
            })
            .collect();
        let means: Vec<f64> = candidates
            .par_iter()
            .map(|&candidate| {
                let scores: Vec<f64> = inner
                    .par_iter()
                    .map(|fold| self.score(fold, candidate))
                    .collect::<Result<_>>()?;
                Ok(scores.iter().sum::<f64>() / scores.len() as f64)
            })
            .collect::<Result<_>>()?;
        // The first best candidate wins ties, as scikit-learn's `best_index_`.
        let best = means
            .iter()
            .enumerate()
            .fold(0, |best, (i, &m)| if m > means[best] { i } else { best });
        self.score(outer, candidates[best])
    }
}

/// Evaluates a panel with the paper's protocol; [`evaluate_panel_with_progress`] without the
/// progress reports.
///
/// `rankings[c]` lists gene columns of `data` for class `c` of `data`'s labels, best first.
/// For each class with enough cells (see [`ValidPanelEvaluationParams::required_cells`]) and
/// each k of the grid, one-vs-rest:
/// 1. the class's top-k genes, min-max scaled over all cells (as the reference scorer);
/// 2. outer stratified `outer_folds`-fold CV (shuffled, seeded by the seed and the class, so
///    every k of a class sees the same folds, as the reference's fixed `random_state`);
/// 3. in each outer training split, a random search over `n_iter` candidates C ~ Exp(scale
///    100), γ ~ Exp(scale 0.1), each scored by the mean AUROC over `inner_folds` unshuffled
///    stratified folds (scikit-learn's `RandomizedSearchCV(cv=3, scoring="roc_auc")`);
/// 4. the best candidate refitted on the outer training split; its decision values on the
///    outer test split give the fold's AUROC; the class's AUROC at k is the mean over folds.
///
/// The SVM is libsvm's C-SVC (libsvm-rs) with an RBF kernel and class-balanced C, as
/// scikit-learn's `SVC(kernel="rbf", class_weight="balanced")`. Fits run in parallel (rayon) over outer
/// folds, candidates and inner folds; classes and k run one after another so that only one
/// cell-by-cell distance matrix is held at a time. Every random choice is seeded from
/// `params.seed` and the task's coordinates, so results do not depend on the thread count.
///
/// Redundancy (mean |PCC| among the top-k genes, see [`crate::redundancy`]) is reported
/// beside the AUROC. A ranking shorter than k contributes all its genes.
///
/// ```
/// use kratos_data::{Dataset, Labels};
/// use kratos_metrics::{PanelEvaluationParams, TopKGrid, evaluate_panel};
/// // 24 cells, 2 classes; gene 0 is high in class "a", gene 1 is noise.
/// let values: Vec<f32> = (0..24)
///     .flat_map(|i| [if i % 2 == 0 { 3.0 + (i % 5) as f32 } else { (i % 3) as f32 }, (i % 7) as f32])
///     .collect();
/// let names: Vec<&str> = (0..24).map(|i| if i % 2 == 0 { "a" } else { "b" }).collect();
/// let data = Dataset::from_matrix(values, 24, 2)?.with_labels(Labels::from_names(&names)?)?;
/// let params = PanelEvaluationParams::new().grid(TopKGrid::Genes(vec![1])).n_iter(3).check()?;
/// let result = evaluate_panel(&data, &[vec![0, 1], vec![0, 1]], &params)?;
/// assert!(result.mean_auroc[0] > 0.9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluate_panel(
    data: &Dataset,
    rankings: &[Vec<usize>],
    params: &ValidPanelEvaluationParams,
) -> Result<PanelEvaluation> {
    evaluate_panel_with_progress(data, rankings, params, |_, _| {})
}

/// [`evaluate_panel`], calling `progress(done, total)` after each (class, k) task.
pub fn evaluate_panel_with_progress(
    data: &Dataset,
    rankings: &[Vec<usize>],
    valid: &ValidPanelEvaluationParams,
    mut progress: impl FnMut(usize, usize),
) -> Result<PanelEvaluation> {
    let params = valid.params();
    let labels = data.require_labels()?;
    let (n_cells, n_genes) = data.shape();
    check_rankings(data, rankings, labels.class_names())?;
    let selected = selected_classes(valid, labels.class_names())?;
    let ks = params.grid.ks(n_genes);
    let required = valid.required_cells();
    let counts = labels.class_counts();
    let (evaluated, skipped): (Vec<usize>, Vec<usize>) = selected
        .into_iter()
        .partition(|&c| counts[c] >= required && n_cells - counts[c] >= required);
    let largest_k = ks.iter().copied().max().unwrap_or(0);
    let columns = FeatureColumns::new(data, rankings, &evaluated, largest_k, params.scale);
    let candidates = candidates(params.n_iter, params.seed);
    let total = evaluated.len() * ks.len();
    let mut classes = Vec::with_capacity(evaluated.len());
    for (done_classes, &c) in evaluated.iter().enumerate() {
        let y: Vec<bool> = labels.assignments().iter().map(|&a| a == c).collect();
        let outer =
            shuffled_stratified_folds(&y, params.outer_folds, task_seed(params.seed, &[c as u64]))?;
        let mut aurocs = Vec::with_capacity(ks.len());
        for (ki, &k) in ks.iter().enumerate() {
            let top = &rankings[c][..k.min(rankings[c].len())];
            let features =
                Array2::from_shape_fn((n_cells, top.len()), |(i, j)| columns.get(top[j])[i]);
            let problem = Problem {
                distances: SquaredDistances::new(&features),
                y: &y,
            };
            let per_fold: Vec<f64> = outer
                .par_iter()
                .map(|fold| problem.searched_score(fold, &candidates, params.inner_folds))
                .collect::<Result<_>>()?;
            aurocs.push(per_fold.iter().sum::<f64>() / per_fold.len() as f64);
            progress(done_classes * ks.len() + ki + 1, total);
        }
        classes.push(ClassEvaluation {
            class: labels.class_names()[c].clone(),
            cells: counts[c],
            auroc: aurocs,
            redundancy: redundancy_curve(data, &rankings[c], &ks),
        });
    }
    let mean_auroc = (0..ks.len())
        .map(|i| classes.iter().map(|c| c.auroc[i]).sum::<f64>() / classes.len() as f64)
        .collect();
    let curves: Vec<Vec<Option<f64>>> = classes.iter().map(|c| c.redundancy.clone()).collect();
    Ok(PanelEvaluation {
        mean_redundancy: mean_per_k(&curves, ks.len()),
        ks,
        percents: params.grid.percents(),
        classes,
        skipped: skipped
            .into_iter()
            .map(|c| (labels.class_names()[c].clone(), counts[c]))
            .collect(),
        mean_auroc,
        required_cells: required,
        params: params.clone(),
    })
}

/// One ranking per class, each non-empty, of valid and distinct gene columns.
fn check_rankings(data: &Dataset, rankings: &[Vec<usize>], classes: &[String]) -> Result<()> {
    if rankings.len() != classes.len() {
        return Err(MetricsError::InvalidInput(format!(
            "{} rankings for {} classes (one ranking per class of the labels, in their order)",
            rankings.len(),
            classes.len()
        )));
    }
    for (ranking, class) in rankings.iter().zip(classes) {
        if ranking.is_empty() {
            return Err(MetricsError::InvalidInput(format!(
                "the ranking of class `{class}` is empty"
            )));
        }
        let mut seen = HashSet::with_capacity(ranking.len());
        for &g in ranking {
            if g >= data.n_genes() {
                return Err(MetricsError::InvalidInput(format!(
                    "the ranking of class `{class}` names gene column {g}, but the data has {} genes",
                    data.n_genes()
                )));
            }
            if !seen.insert(g) {
                return Err(MetricsError::InvalidInput(format!(
                    "the ranking of class `{class}` lists gene column {g} (`{}`) twice",
                    data.gene_names()[g]
                )));
            }
        }
    }
    Ok(())
}

/// The class indices to evaluate: the named ones, or all.
fn selected_classes(valid: &ValidPanelEvaluationParams, names: &[String]) -> Result<Vec<usize>> {
    match &valid.params().classes {
        None => Ok((0..names.len()).collect()),
        Some(wanted) => {
            let mut selected = wanted
                .iter()
                .map(|w| {
                    names.iter().position(|n| n == w).ok_or_else(|| {
                        MetricsError::invalid(
                            "classes",
                            format!(
                                "no class `{w}` in the labels (classes: {})",
                                names.join(", ")
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<usize>>>()?;
            selected.sort_unstable();
            selected.dedup();
            Ok(selected)
        }
    }
}

/// The columns (one value per cell, as `f64`) of the genes some evaluated class ranks in its
/// top `largest_k`, min-max scaled if asked: only those genes, so the cost does not grow with
/// the genes a panel leaves out.
struct FeatureColumns {
    /// Position in `columns` of each gene, `usize::MAX` for genes not needed.
    slot: Vec<usize>,
    columns: Vec<Vec<f64>>,
}

impl FeatureColumns {
    fn new(
        data: &Dataset,
        rankings: &[Vec<usize>],
        classes: &[usize],
        largest_k: usize,
        scale: bool,
    ) -> Self {
        let mut slot = vec![usize::MAX; data.n_genes()];
        let mut needed = Vec::new();
        for &c in classes {
            for &g in rankings[c].iter().take(largest_k) {
                if slot[g] == usize::MAX {
                    slot[g] = needed.len();
                    needed.push(g);
                }
            }
        }
        let mut columns: Vec<Vec<f64>> = data
            .columns(&needed)
            .into_iter()
            .map(|c| c.into_iter().map(f64::from).collect())
            .collect();
        if scale {
            columns.par_iter_mut().for_each(|column| {
                let (lo, hi) = column
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                        (a.min(v), b.max(v))
                    });
                let range = if hi > lo { hi - lo } else { 1.0 };
                column.iter_mut().for_each(|v| *v = (*v - lo) / range);
            });
        }
        FeatureColumns { slot, columns }
    }

    /// The column of gene `gene` (one the constructor was asked for).
    fn get(&self, gene: usize) -> &[f64] {
        &self.columns[self.slot[gene]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The functions under test, on parameters checked here.
    fn evaluate_panel(
        data: &Dataset,
        rankings: &[Vec<usize>],
        params: &PanelEvaluationParams,
    ) -> Result<PanelEvaluation> {
        super::evaluate_panel(data, rankings, &params.check()?)
    }

    fn evaluate_panel_with_progress(
        data: &Dataset,
        rankings: &[Vec<usize>],
        params: &PanelEvaluationParams,
        progress: impl FnMut(usize, usize),
    ) -> Result<PanelEvaluation> {
        super::evaluate_panel_with_progress(data, rankings, &params.check()?, progress)
    }
    use kratos_data::Labels;

    /// 60 cells, 3 classes of 20 (class "c2" has only 4 when `small`); gene c is high in
    /// class c, genes 3.. are noise.
    fn toy(small: bool) -> Dataset {
        let sizes = if small { [28, 28, 4] } else { [20, 20, 20] };
        let classes: Vec<usize> = (0..3)
            .flat_map(|c| std::iter::repeat_n(c, sizes[c]))
            .collect();
        let values: Vec<f32> = classes
            .iter()
            .enumerate()
            .flat_map(|(i, &c)| {
                (0..6).map(move |g| {
                    let noise = ((i * 37 + g * 11) % 13) as f32 / 13.0;
                    if g == c { noise + 0.8 } else { noise }
                })
            })
            .collect();
        let names: Vec<String> = classes.iter().map(|c| format!("c{c}")).collect();
        Dataset::from_matrix(values, 60, 6)
            .unwrap()
            .with_labels(Labels::from_names(&names).unwrap())
            .unwrap()
    }

    fn rankings() -> Vec<Vec<usize>> {
        (0..3)
            .map(|c| {
                std::iter::once(c)
                    .chain((0..6).filter(|&g| g != c))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn informative_genes_score_high_and_results_repeat() {
        let data = toy(false);
        let params = PanelEvaluationParams::new()
            .grid(super::super::TopKGrid::Genes(vec![1, 4]))
            .n_iter(3)
            .seed(11);
        let mut calls = Vec::new();
        let result =
            evaluate_panel_with_progress(&data, &rankings(), &params, |d, t| calls.push((d, t)))
                .unwrap();
        assert_eq!(calls.last(), Some(&(6, 6)));
        assert_eq!(result.ks, vec![1, 4]);
        assert!(result.mean_auroc[0] > 0.9, "{:?}", result.mean_auroc);
        assert!(result.classes.iter().all(|c| c.redundancy[0].is_none()));
        assert!(result.mean_redundancy[1].is_some());
        assert_eq!(evaluate_panel(&data, &rankings(), &params).unwrap(), result);
        // A class evaluated alone gets the same numbers as with the others.
        let alone =
            evaluate_panel(&data, &rankings(), &params.clone().only_classes(&["c1"])).unwrap();
        assert_eq!(alone.classes, vec![result.classes[1].clone()]);
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let data = toy(false);
        let params = PanelEvaluationParams::new()
            .grid(super::super::TopKGrid::Genes(vec![2, 6]))
            .n_iter(4)
            .seed(5);
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| evaluate_panel(&data, &rankings(), &params).unwrap())
        };
        let one = run(1);
        assert_eq!(one, run(3));
        // And the seed matters: another seed gives other folds and candidates.
        let other = evaluate_panel(&data, &rankings(), &params.clone().seed(6)).unwrap();
        assert_ne!(one.classes, other.classes);
    }

    #[test]
    fn small_classes_are_skipped_and_reported() {
        let data = toy(true);
        let params = PanelEvaluationParams::new()
            .grid(super::super::TopKGrid::Genes(vec![1]))
            .n_iter(2)
            .min_cells(0);
        let result = evaluate_panel(&data, &rankings(), &params).unwrap();
        // 4 cells < 5, the smallest count the nested 3 x 3 folds work with.
        assert_eq!(result.skipped, vec![("c2".to_string(), 4)]);
        assert_eq!(result.required_cells, 5);
        assert_eq!(result.classes.len(), 2);
    }

    #[test]
    fn bad_rankings_and_classes_are_named() {
        let data = toy(false);
        let params = PanelEvaluationParams::new().grid(super::super::TopKGrid::Genes(vec![1]));
        let err = |r: Vec<Vec<usize>>, p: &PanelEvaluationParams| {
            evaluate_panel(&data, &r, p).unwrap_err().to_string()
        };
        assert!(err(rankings()[..2].to_vec(), &params).contains("2 rankings for 3 classes"));
        let mut r = rankings();
        r[1] = vec![1, 9];
        assert!(err(r.clone(), &params).contains("`c1` names gene column 9"));
        r[1] = vec![1, 1];
        assert!(err(r.clone(), &params).contains("twice"));
        r[1] = vec![];
        assert!(err(r, &params).contains("`c1` is empty"));
        let e = err(rankings(), &params.clone().only_classes(&["zz"]));
        assert!(e.contains("`classes`") && e.contains("`zz`"), "{e}");
    }

    #[test]
    fn task_seeds_differ_by_coordinate() {
        let s: HashSet<u64> = (0..50).map(|c| task_seed(7, &[c])).collect();
        assert_eq!(s.len(), 50);
        assert_ne!(task_seed(7, &[1, 2]), task_seed(7, &[2, 1]));
        assert_eq!(task_seed(7, &[3]), task_seed(7, &[3]));
    }
}
