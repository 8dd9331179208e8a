/// Errors of the metrics.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// The inputs do not fit together or cannot give a defined value.
    #[error("{0}")]
    InvalidInput(String),
    /// A parameter is out of range.
    #[error("invalid parameter `{name}`: {problem}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The data set could not be used.
    #[error(transparent)]
    Data(#[from] kratos_data::DataError),
    /// A linfa model failed.
    #[error("{0}")]
    Model(String),
}

impl MetricsError {
    pub(crate) fn invalid(name: &'static str, problem: impl Into<String>) -> Self {
        MetricsError::InvalidParameter {
            name,
            problem: problem.into(),
        }
    }
}
