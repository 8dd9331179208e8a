//! The paper's panel protocol: cross-validated RBF-SVM AUROC on each class's top-k genes.

mod algorithm;
mod folds;
mod hyperparams;
mod svm;

pub use algorithm::{
    ClassEvaluation, PanelEvaluation, evaluate_panel, evaluate_panel_with_progress,
};
pub use hyperparams::{PanelEvaluationParams, TopKGrid, ValidPanelEvaluationParams};
