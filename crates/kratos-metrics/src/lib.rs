//! Evaluation of marker panels and cell embeddings, the way the Kratos paper did it, with
//! definitions that match scikit-learn's so the numbers can be compared with the paper's.
//!
//! - [`auroc`]: area under the ROC curve, ties handled as scikit-learn's `roc_auc_score`;
//! - partition agreement: [`adjusted_rand_index`], [`adjusted_mutual_information`]
//!   (arithmetic normalisation, scikit-learn's exact expected-MI term) and
//!   [`normalized_mutual_information`]; [`silhouette_score`] (euclidean) and seeded
//!   [`kmeans`] (scikit-learn's algorithm: greedy k-means++, 10 runs, Lloyd to convergence);
//! - [`pca`]: seeded randomized PCA of standardised columns (scikit-learn's solver for such
//!   shapes), the baseline embedding;
//! - the paper's panel protocol [`evaluate_panel`]: for each class one-vs-rest and each top-k,
//!   an RBF SVM (libsvm's solver through libsvm-rs, class-balanced) tuned by random search with inner 3-fold CV and
//!   scored by outer 3-fold stratified CV AUROC, in parallel (rayon) and seeded;
//! - [`redundancy`] and [`panel_redundancy`]: mean |Pearson correlation| among a panel's
//!   top-k genes;
//! - the joint panel protocol [`evaluate_joint`]: N genes as one panel, scored by a
//!   multinomial logistic regression ([`fit_logistic`], scikit-learn's) and 15 nearest
//!   neighbours on seeded stratified splits (balanced accuracy, macro-F1); [`round_robin`]
//!   makes one panel of per-class rankings;
//! - [`role_counts`]: causal / dependent / noise genes in each class's top-k of a simulation.
//!
//! Panels come in as plain per-class rankings (`&[Vec<usize>]`: for class `c`, gene columns
//! best first) and points as row-major `&[f32]` with their shape, so this crate depends on
//! `kratos-data` only.
//!
//! ```
//! use kratos_metrics::{adjusted_rand_index, auroc};
//! assert_eq!(auroc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true])?, 0.75);
//! assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[1, 1, 0, 0])?, 1.0);
//! # Ok::<(), kratos_metrics::MetricsError>(())
//! ```

mod auroc;
mod clustering;
mod error;
mod joint;
mod panel_eval;
mod pca;
mod redundancy;
mod roles;

pub use auroc::auroc;
pub use clustering::{
    KMeansFit, KMeansParams, ValidKMeansParams, adjusted_mutual_information, adjusted_rand_index,
    kmeans, normalized_mutual_information, silhouette_score,
};
pub use error::MetricsError;
pub use joint::{
    ClassifierScores, JointEvaluation, JointEvaluationParams, JointSplit, LogisticFit,
    LogisticOptions, Standardizer, ValidJointEvaluationParams, balanced_accuracy, evaluate_joint,
    fit_logistic, fit_logistic_with_offset, knn_predict, macro_f1, round_robin,
};
pub use panel_eval::{
    ClassEvaluation, PanelEvaluation, PanelEvaluationParams, TopKGrid, ValidPanelEvaluationParams,
    evaluate_panel, evaluate_panel_with_progress,
};
pub use pca::{pca, pca_of};
pub use redundancy::{PanelRedundancy, panel_redundancy, redundancy};
pub use roles::{RoleCounts, role_counts};

/// Result alias of this crate.
pub type Result<T, E = MetricsError> = std::result::Result<T, E>;
