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
    /// libsvm rejected the parameters of an SVM fit.
    #[error("SVM (C {c}, gamma {gamma}): {source}")]
    SvmParameters {
        /// The fit's C.
        c: f64,
        /// The fit's γ.
        gamma: f64,
        /// libsvm's reason.
        source: libsvm_rs::SvmError,
    },
    /// The SVM solver panicked on a fit.
    #[error("the SVM solver failed (C {c}, gamma {gamma})")]
    SvmSolver {
        /// The fit's C.
        c: f64,
        /// The fit's γ.
        gamma: f64,
    },
}

impl MetricsError {
    pub(crate) fn invalid(name: &'static str, problem: impl Into<String>) -> Self {
        MetricsError::InvalidParameter {
            name,
            problem: problem.into(),
        }
    }
}
