//! The paper's panel protocol: RBF-SVM AUROC on each class's top-k genes.

mod algorithm;
mod hyperparams;

pub use algorithm::{ClassEvaluation, PanelEvaluation, evaluate_panel};
pub use hyperparams::{PanelEvaluationParams, TopKGrid};
