use std::path::PathBuf;

/// Everything that can go wrong while reading, checking, transforming or splitting data.
///
/// Messages name the file and, where there is one, the line (1-based, counting the header) and
/// the column, and say what is wrong, so a user can fix the input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// File that failed.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The file holds no data (no bytes, only a header, or no rows).
    #[error("{path}: {what}")]
    Empty {
        /// File that is empty.
        path: PathBuf,
        /// What is missing, e.g. "no data rows after the header".
        what: String,
    },
    /// A row has a different number of fields than the header.
    #[error("{path}:{line}: row has {found} fields, the header has {expected}")]
    Ragged {
        /// File.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// A value is not a number, or is NaN or infinite, or is negative where counts are expected.
    #[error("{path}:{line}: column {column} ({field}): {problem}")]
    BadValue {
        /// File.
        path: PathBuf,
        /// 1-based line number (or, for binary formats, the 1-based row).
        line: u64,
        /// 1-based column number.
        column: usize,
        /// Column (gene or field) name.
        field: String,
        /// What is wrong, e.g. "`abc` is not a number".
        problem: String,
    },
    /// A name that must be unique (gene, cell id, class) appears twice.
    #[error("{path}: duplicate {kind} `{name}` (first at {first}, again at {second})")]
    Duplicate {
        /// File.
        path: PathBuf,
        /// "gene name", "cell id", ...
        kind: &'static str,
        /// The repeated name.
        name: String,
        /// Where it first appears (e.g. "line 3" or "column 5").
        first: String,
        /// Where it appears again.
        second: String,
    },
    /// Labels and cells do not match.
    #[error("{path}: {problem}")]
    LabelMismatch {
        /// Label file (or data file for labels read from cell ids).
        path: PathBuf,
        /// What does not match, naming a cell.
        problem: String,
    },
    /// The file's format is not what the reader expects (bad MatrixMarket header, unsupported
    /// `.h5ad` layout, missing 10x file, invalid UTF-8, broken gzip stream, ...).
    #[error("{path}: {problem}")]
    Format {
        /// File or folder.
        path: PathBuf,
        /// What is wrong and, where possible, what to do.
        problem: String,
    },
    /// A folder (a 10x Genomics matrix folder) lacks a file it needs.
    #[error("{folder}: missing {file}")]
    MissingFile {
        /// The folder that was read.
        folder: PathBuf,
        /// The missing file, with the alternatives that would also do, e.g.
        /// "matrix.mtx or matrix.mtx.gz".
        file: String,
    },
    /// A writer was asked to create a file that already exists, without leave to overwrite it.
    #[error("{path}: already exists (pass overwrite = true to replace it)")]
    AlreadyExists {
        /// The file that exists.
        path: PathBuf,
    },
    /// The HDF5 layer failed while writing (or copying into) an `.h5ad` file.
    #[error("{path}: `{object}`: {what}: {source}")]
    Hdf5 {
        /// The file being written.
        path: PathBuf,
        /// The group or dataset being written, or `/` for the whole file.
        object: String,
        /// What was being done, e.g. "cannot copy the input file".
        what: String,
        /// The error of the HDF5 library.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Arguments given in code are inconsistent (shapes, indices, fractions).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A class has too few cells for the requested split.
    #[error(
        "class `{class}` has {count} cell(s); {needed} are needed so that every side of the split keeps one"
    )]
    ClassTooSmall {
        /// Class name.
        class: String,
        /// Cells it has.
        count: usize,
        /// Cells it needs.
        needed: usize,
    },
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn format(path: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        DataError::Format {
            path: path.into(),
            problem: problem.into(),
        }
    }

    pub(crate) fn hdf5(
        path: impl Into<PathBuf>,
        object: impl Into<String>,
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        DataError::Hdf5 {
            path: path.into(),
            object: object.into(),
            what: what.into(),
            source: Box::new(source),
        }
    }

    pub(crate) fn bad_value(
        path: impl Into<PathBuf>,
        line: u64,
        column: usize,
        field: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        DataError::BadValue {
            path: path.into(),
            line,
            column,
            field: field.into(),
            problem: problem.into(),
        }
    }
}
