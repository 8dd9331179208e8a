use std::path::PathBuf;

/// Errors of training, applying, saving and loading a classifier.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A training or model parameter is out of range.
    #[error("invalid parameter `{name}`: {problem}")]
    InvalidParameter {
        /// Parameter name as in [`crate::TrainingConfig`].
        name: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The data cannot be used for training or prediction.
    #[error("{0}")]
    Data(#[from] kratos_data::DataError),
    /// The genes of the data do not match the genes the model was trained on.
    #[error(
        "the data has {found} genes but the model was trained on {expected}{detail}; select the model's genes in the model's order first"
    )]
    GeneMismatch {
        /// Genes the model expects.
        expected: usize,
        /// Genes found.
        found: usize,
        /// The first differing gene, if counts agree.
        detail: String,
    },
    /// Training produced non-finite values (loss or weights).
    #[error(
        "training diverged at epoch {epoch}: the loss is {loss}; lower the learning rate or check the input for extreme values"
    )]
    Diverged {
        /// 1-based epoch.
        epoch: usize,
        /// The loss value seen.
        loss: f64,
    },
    /// Reading or writing a saved model failed.
    #[error("{path}: {problem}")]
    Io {
        /// File or folder.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
}

impl ModelError {
    pub(crate) fn invalid(name: &'static str, problem: impl Into<String>) -> Self {
        ModelError::InvalidParameter {
            name,
            problem: problem.into(),
        }
    }
}
