/// A failure of the command, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input or usage: exit code 2.
    #[error("{0}")]
    Input(String),
    /// Anything else: exit code 1.
    #[error("{0}")]
    Failure(String),
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Input(_) => 2,
            CliError::Failure(_) => 1,
        }
    }
}

impl From<kratos::Error> for CliError {
    fn from(e: kratos::Error) -> Self {
        match e {
            kratos::Error::Data(d) => CliError::Input(d.to_string()),
            other => CliError::Failure(other.to_string()),
        }
    }
}

impl From<kratos::DataError> for CliError {
    fn from(e: kratos::DataError) -> Self {
        CliError::Input(e.to_string())
    }
}

impl From<kratos::ModelError> for CliError {
    fn from(e: kratos::ModelError) -> Self {
        match e {
            kratos::ModelError::Data(d) => CliError::Input(d.to_string()),
            kratos::ModelError::GeneMismatch { .. }
            | kratos::ModelError::InvalidParameter { .. } => CliError::Input(e.to_string()),
            other => CliError::Failure(other.to_string()),
        }
    }
}

impl From<kratos::ExplainError> for CliError {
    fn from(e: kratos::ExplainError) -> Self {
        match e {
            kratos::ExplainError::PanelFile { .. }
            | kratos::ExplainError::InvalidParameter { .. } => CliError::Input(e.to_string()),
            other => CliError::Failure(other.to_string()),
        }
    }
}

impl From<kratos::metrics::MetricsError> for CliError {
    fn from(e: kratos::metrics::MetricsError) -> Self {
        CliError::Failure(e.to_string())
    }
}

impl From<kratos::sim::SimError> for CliError {
    fn from(e: kratos::sim::SimError) -> Self {
        match e {
            kratos::sim::SimError::Exists(_) | kratos::sim::SimError::InvalidParameter { .. } => {
                CliError::Input(e.to_string())
            }
            other => CliError::Failure(other.to_string()),
        }
    }
}
