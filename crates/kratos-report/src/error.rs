use std::path::{Path, PathBuf};

/// Errors of writing results.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A file or folder could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A plot could not be drawn.
    #[error("{path}: cannot draw: {problem}")]
    Plot {
        /// The image file.
        path: PathBuf,
        /// What plotters said.
        problem: String,
    },
    /// A JSON file could not be serialised.
    #[error("JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// Writing a panel or a model failed.
    #[error(transparent)]
    Kratos(#[from] kratos::Error),
}

impl ReportError {
    /// An I/O failure on `path`.
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        ReportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
