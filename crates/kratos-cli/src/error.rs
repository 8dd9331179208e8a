//! The command's error type and how errors map to exit codes.

/// A failure of the command, with the exit code it maps to. Messages are one line and name the
/// file or flag and what to do.
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

    /// An I/O failure on `path`.
    pub fn io(path: &std::path::Path, e: impl std::fmt::Display) -> Self {
        CliError::Failure(format!("{}: {e}", path.display()))
    }
}

/// One line: the error's message with line breaks folded.
fn one_line(e: impl std::fmt::Display) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl From<kratos::Error> for CliError {
    fn from(e: kratos::Error) -> Self {
        match e {
            kratos::Error::Data(d) => d.into(),
            kratos::Error::Model(m) => m.into(),
            kratos::Error::Explain(x) => x.into(),
            kratos::Error::Metrics(m) => m.into(),
            kratos::Error::Sim(s) => s.into(),
            kratos::Error::NoData
            | kratos::Error::InvalidParameter { .. }
            | kratos::Error::PanelClassMissing { .. } => CliError::Input(one_line(e)),
            other => CliError::Failure(one_line(other)),
        }
    }
}

impl From<kratos_report::ReportError> for CliError {
    fn from(e: kratos_report::ReportError) -> Self {
        match e {
            kratos_report::ReportError::Kratos(k) => k.into(),
            other => CliError::Failure(one_line(other)),
        }
    }
}

impl From<kratos_bench::BenchError> for CliError {
    fn from(e: kratos_bench::BenchError) -> Self {
        match e {
            kratos_bench::BenchError::Kratos(k) => k.into(),
            kratos_bench::BenchError::NoDataFolder(_)
            | kratos_bench::BenchError::NotSquare { .. }
            | kratos_bench::BenchError::InvalidParameter { .. } => CliError::Input(one_line(e)),
            other => CliError::Failure(one_line(other)),
        }
    }
}

impl From<kratos::DataError> for CliError {
    fn from(e: kratos::DataError) -> Self {
        CliError::Input(one_line(e))
    }
}

impl From<kratos::ModelError> for CliError {
    fn from(e: kratos::ModelError) -> Self {
        match e {
            kratos::ModelError::Data(d) => d.into(),
            kratos::ModelError::GeneMismatch { .. }
            | kratos::ModelError::InvalidParameter { .. } => CliError::Input(one_line(e)),
            other => CliError::Failure(one_line(other)),
        }
    }
}

impl From<kratos::ExplainError> for CliError {
    fn from(e: kratos::ExplainError) -> Self {
        match e {
            kratos::ExplainError::Data(d) => d.into(),
            kratos::ExplainError::Model(m) => m.into(),
            kratos::ExplainError::PanelFile { .. }
            | kratos::ExplainError::InvalidParameter { .. }
            | kratos::ExplainError::InvalidInput(_) => CliError::Input(one_line(e)),
            other => CliError::Failure(one_line(other)),
        }
    }
}

impl From<kratos::MetricsError> for CliError {
    fn from(e: kratos::MetricsError) -> Self {
        match e {
            kratos::MetricsError::Data(d) => d.into(),
            kratos::MetricsError::InvalidInput(_)
            | kratos::MetricsError::InvalidParameter { .. } => CliError::Input(one_line(e)),
            other => CliError::Failure(one_line(other)),
        }
    }
}

impl From<kratos::SimError> for CliError {
    fn from(e: kratos::SimError) -> Self {
        match e {
            kratos::SimError::FileExists { .. } | kratos::SimError::InvalidParam { .. } => {
                CliError::Input(one_line(e))
            }
            kratos::SimError::Data(d) => d.into(),
            other => CliError::Failure(one_line(other)),
        }
    }
}
