use std::path::PathBuf;

/// Errors of explaining a model and of reading or writing gene panels.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExplainError {
    /// An explainer parameter is out of range.
    #[error("invalid parameter `{name}`: {problem}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The cells given do not fit the model or the request.
    #[error("{0}")]
    InvalidInput(String),
    /// The model could not be applied.
    #[error(transparent)]
    Model(#[from] kratos_model::ModelError),
    /// The data could not be used.
    #[error(transparent)]
    Data(#[from] kratos_data::DataError),
    /// A clustering step (the three-step pipeline's k-means) failed.
    #[error(transparent)]
    Metrics(#[from] kratos_metrics::MetricsError),
    /// A panel file could not be read or written.
    #[error("{path}:{line}: {problem}")]
    PanelFile {
        /// File.
        path: PathBuf,
        /// 1-based line (0 when the problem concerns the whole file).
        line: usize,
        /// What is wrong.
        problem: String,
    },
}

impl ExplainError {
    pub(crate) fn invalid(name: &'static str, problem: impl Into<String>) -> Self {
        ExplainError::InvalidParameter {
            name,
            problem: problem.into(),
        }
    }
}
