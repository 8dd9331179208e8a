//! Joint panel evaluation: how well N genes together tell every class apart (multinomial
//! logistic regression and k-nearest neighbours on seeded stratified splits), and the
//! classifiers it is built on.

mod algorithm;
mod hyperparams;
mod knn;
mod logistic;
mod scores;

pub use algorithm::{
    ClassifierScores, JointEvaluation, JointSplit, Standardizer, evaluate_joint, round_robin,
};
pub use hyperparams::{JointEvaluationParams, ValidJointEvaluationParams};
pub use knn::knn_predict;
pub use logistic::{LogisticFit, LogisticOptions, fit_logistic, fit_logistic_with_offset};
pub use scores::{balanced_accuracy, macro_f1};
