use kratos_data::{Dataset, stratified_split};
use ndarray::Array2;
use serde::Serialize;

use super::hyperparams::ValidJointEvaluationParams;
use super::knn::knn_predict;
use super::logistic::{LogisticOptions, fit_logistic};
use super::scores::{balanced_accuracy, macro_f1};
use crate::{MetricsError, Result};

/// Balanced accuracy and macro-F1 of one classifier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassifierScores {
    /// Mean recall over the classes (scikit-learn's `balanced_accuracy_score`).
    pub balanced_accuracy: f64,
    /// Mean F1 over the classes (scikit-learn's `f1_score(average="macro")`).
    pub macro_f1: f64,
}

impl ClassifierScores {
    fn of(truth: &[usize], predicted: &[usize]) -> Self {
        ClassifierScores {
            balanced_accuracy: balanced_accuracy(truth, predicted),
            macro_f1: macro_f1(truth, predicted),
        }
    }

    fn mean(all: impl Iterator<Item = ClassifierScores> + Clone) -> Self {
        let n = all.clone().count().max(1) as f64;
        ClassifierScores {
            balanced_accuracy: all.clone().map(|s| s.balanced_accuracy).sum::<f64>() / n,
            macro_f1: all.map(|s| s.macro_f1).sum::<f64>() / n,
        }
    }
}

/// The scores of one train/test split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JointSplit {
    /// The split's seed.
    pub seed: u64,
    /// Multinomial logistic regression.
    pub logistic: ClassifierScores,
    /// k-nearest neighbours.
    pub knn: ClassifierScores,
}

/// How well a set of genes, together, tells the classes apart ([`evaluate_joint`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JointEvaluation {
    /// Genes evaluated.
    pub genes: usize,
    /// The classes scored (those with at least `min_cells` cells), in the data's order.
    pub classes: Vec<String>,
    /// Classes left out for having fewer than `min_cells` cells, with their cell counts.
    pub left_out: Vec<(String, usize)>,
    /// Logistic regression, mean over the splits.
    pub logistic: ClassifierScores,
    /// k-nearest neighbours, mean over the splits.
    pub knn: ClassifierScores,
    /// Every split.
    pub splits: Vec<JointSplit>,
    /// The logistic regression's test predictions summed over the splits: row = true class,
    /// column = predicted class, both in the order of `classes`.
    pub confusion: Vec<Vec<usize>>,
}

/// Scores `genes` (column indices of `data`) as one panel: on each of the seeded stratified
/// splits, a multinomial logistic regression and a k-nearest-neighbour classifier are trained
/// on the training cells with only those genes (standardised with the training cells' mean and
/// standard deviation) and scored on the held-out cells by balanced accuracy and macro-F1.
/// Values are used as given: apply log1p to counts first.
///
/// ```
/// use kratos_data::{Dataset, Labels};
/// use kratos_metrics::{JointEvaluationParams, evaluate_joint};
/// // Gene 0 tells A from B, gene 1 is noise.
/// let values: Vec<f32> = (0..60).flat_map(|i| [(i % 2) as f32 * 3.0, (i % 7) as f32]).collect();
/// let names: Vec<&str> = (0..60).map(|i| if i % 2 == 0 { "A" } else { "B" }).collect();
/// let data = Dataset::from_matrix(values, 60, 2)?.with_labels(Labels::from_names(&names)?)?;
/// let params = JointEvaluationParams::new().check()?;
/// let marker = evaluate_joint(&data, &[0], &params)?;
/// assert_eq!(marker.logistic.balanced_accuracy, 1.0);
/// let noise = evaluate_joint(&data, &[1], &params)?;
/// assert!(noise.logistic.balanced_accuracy < 0.8);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluate_joint(
    data: &Dataset,
    genes: &[usize],
    params: &ValidJointEvaluationParams,
) -> Result<JointEvaluation> {
    if genes.is_empty() {
        return Err(MetricsError::InvalidInput(
            "a joint evaluation needs at least one gene".into(),
        ));
    }
    if let Some(&g) = genes.iter().find(|&&g| g >= data.n_genes()) {
        return Err(MetricsError::InvalidInput(format!(
            "gene index {g} is out of range (the data has {} genes)",
            data.n_genes()
        )));
    }
    let labels = data.require_labels()?;
    let counts = labels.class_counts();
    let kept_class: Vec<bool> = counts.iter().map(|&n| n >= params.min_cells).collect();
    let left_out: Vec<(String, usize)> = labels
        .class_names()
        .iter()
        .zip(&counts)
        .filter(|(_, n)| **n > 0 && **n < params.min_cells)
        .map(|(c, n)| (c.clone(), *n))
        .collect();
    let cells: Vec<usize> = (0..labels.len())
        .filter(|&i| kept_class[labels.assignments()[i]])
        .collect();
    let kept = labels.select(&cells).drop_empty_classes();
    if kept.n_classes() < 2 {
        return Err(MetricsError::InvalidInput(format!(
            "a joint evaluation needs at least two classes of {} or more cells; {} {} it",
            params.min_cells,
            kept.n_classes(),
            if kept.n_classes() == 1 { "has" } else { "have" }
        )));
    }
    let columns = data.columns(genes);
    let mut splits = Vec::with_capacity(params.splits);
    let k = kept.n_classes();
    let mut confusion = vec![vec![0usize; k]; k];
    for s in 0..params.splits {
        let seed = params.seed + s as u64;
        let split = stratified_split(&kept, params.test_fraction, seed)?;
        let train: Vec<usize> = split.train.iter().map(|&i| cells[i]).collect();
        let test: Vec<usize> = split.test.iter().map(|&i| cells[i]).collect();
        let train_y: Vec<usize> = split.train.iter().map(|&i| kept.assignments()[i]).collect();
        let test_y: Vec<usize> = split.test.iter().map(|&i| kept.assignments()[i]).collect();
        let scaler = Standardizer::fit(&columns, &train);
        let x_train = scaler.matrix(&columns, &train);
        let x_test = scaler.matrix(&columns, &test);
        let options = LogisticOptions {
            c: params.c,
            ..LogisticOptions::default()
        };
        let fit = fit_logistic(x_train.view(), &train_y, k, None, None, &options);
        let logistic = fit.predict(x_test.view());
        for (&t, &p) in test_y.iter().zip(&logistic) {
            confusion[t][p] += 1;
        }
        let knn = knn_predict(
            x_train.view(),
            &train_y,
            k,
            x_test.view(),
            params.neighbours,
        );
        splits.push(JointSplit {
            seed,
            logistic: ClassifierScores::of(&test_y, &logistic),
            knn: ClassifierScores::of(&test_y, &knn),
        });
    }
    Ok(JointEvaluation {
        genes: genes.len(),
        classes: kept.class_names().to_vec(),
        left_out,
        logistic: ClassifierScores::mean(splits.iter().map(|s| s.logistic)),
        knn: ClassifierScores::mean(splits.iter().map(|s| s.knn)),
        splits,
        confusion,
    })
}

/// Per-gene mean and standard deviation of some cells (scikit-learn's `StandardScaler`:
/// population deviation, a constant gene scaled by 1).
#[derive(Debug, Clone)]
pub struct Standardizer {
    mean: Vec<f64>,
    scale: Vec<f64>,
}

impl Standardizer {
    /// Fitted on the cells `cells` of `columns` (one vector of all cells' values per gene).
    pub fn fit(columns: &[Vec<f32>], cells: &[usize]) -> Self {
        let n = cells.len().max(1) as f64;
        let (mean, scale) = columns
            .iter()
            .map(|col| {
                let mean = cells.iter().map(|&i| col[i] as f64).sum::<f64>() / n;
                let var = cells
                    .iter()
                    .map(|&i| (col[i] as f64 - mean).powi(2))
                    .sum::<f64>()
                    / n;
                let sd = var.sqrt();
                (mean, if sd > 0.0 { sd } else { 1.0 })
            })
            .unzip();
        Standardizer { mean, scale }
    }

    /// The standardised values of `cells` (rows) and every gene of `columns` (columns).
    pub fn matrix(&self, columns: &[Vec<f32>], cells: &[usize]) -> Array2<f64> {
        let mut x = Array2::zeros((cells.len(), columns.len()));
        for (j, col) in columns.iter().enumerate() {
            for (r, &i) in cells.iter().enumerate() {
                x[[r, j]] = (col[i] as f64 - self.mean[j]) / self.scale[j];
            }
        }
        x
    }
}

/// `n` genes taken from per-class rankings in turn: each class's best gene not yet taken, class
/// after class, until `n` genes (or every ranked gene) are taken. How a per-class panel becomes
/// one panel for [`evaluate_joint`].
///
/// ```
/// use kratos_metrics::round_robin;
/// let rankings = vec![vec![4, 1, 2], vec![4, 3, 0]];
/// assert_eq!(round_robin(&rankings, 3), vec![4, 3, 1]);
/// ```
pub fn round_robin(rankings: &[Vec<usize>], n: usize) -> Vec<usize> {
    let mut taken = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    let mut next = vec![0usize; rankings.len()];
    while out.len() < n {
        let mut progressed = false;
        for (c, ranking) in rankings.iter().enumerate() {
            if out.len() == n {
                break;
            }
            while next[c] < ranking.len() && taken.contains(&ranking[next[c]]) {
                next[c] += 1;
            }
            if let Some(&g) = ranking.get(next[c]) {
                taken.insert(g);
                out.push(g);
                next[c] += 1;
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    out
}
