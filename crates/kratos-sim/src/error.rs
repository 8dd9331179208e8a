use std::path::PathBuf;

use kratos_data::DataError;

/// Everything that can go wrong while checking parameters, simulating or writing files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A simulation parameter has a value outside its valid range.
    #[error("invalid simulation parameter `{name}` = {value}: {reason}")]
    InvalidParam {
        /// The parameter (builder method) name.
        name: &'static str,
        /// The value given, printed.
        value: String,
        /// What the value must be.
        reason: String,
    },
    /// An output file already exists and the writer was not told to overwrite it.
    #[error("{path}: file exists (pass overwrite = true to replace it)")]
    FileExists {
        /// The existing file.
        path: PathBuf,
    },
    /// A file or folder could not be created or written.
    #[error("{path}: cannot write: {source}")]
    Io {
        /// File or folder that failed.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A column name of a published simulation CSV encodes no gene role.
    #[error(
        "column {position} (`{column}`) is not a published simulation gene name: expected a name starting with `causal`, `dep` or `useless`"
    )]
    UnknownPublishedColumn {
        /// The column name.
        column: String,
        /// Its 1-based position among the gene columns.
        position: usize,
    },
    /// Arguments given in code do not fit together (e.g. one role per gene).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// An error of the data layer (building the [`kratos_data::Dataset`]).
    #[error(transparent)]
    Data(#[from] DataError),
}

impl SimError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SimError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn param(name: &'static str, value: impl std::fmt::Display, reason: &str) -> Self {
        SimError::InvalidParam {
            name,
            value: value.to_string(),
            reason: reason.to_string(),
        }
    }
}
