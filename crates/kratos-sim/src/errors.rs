use std::path::PathBuf;

/// Errors of the simulator and its writers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A parameter is out of range.
    #[error("invalid simulation parameter `{name}`: {problem}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// A file exists and overwriting was not allowed.
    #[error("{0}: already exists (pass overwrite / --force to replace it)")]
    Exists(PathBuf),
    /// Writing failed.
    #[error("{path}: cannot write: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A column name of a published simulation file names no role.
    #[error(
        "column {column} (`{name}`) is not a published simulation gene name (causal*, dep*, useless*)"
    )]
    UnknownRole {
        /// 1-based column among the genes.
        column: usize,
        /// The name.
        name: String,
    },
    /// Building the data set failed.
    #[error(transparent)]
    Data(#[from] kratos_data::DataError),
}

impl SimError {
    pub(crate) fn invalid(name: &'static str, problem: impl Into<String>) -> Self {
        SimError::InvalidParameter {
            name,
            problem: problem.into(),
        }
    }
}
