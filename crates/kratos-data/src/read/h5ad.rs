//! AnnData `.h5ad` files, read with the pure-Rust `hdf5-pure` crate.
//!
//! Layouts supported (every `.h5ad` under the project's shared data is one of them):
//! - `X` (or `raw/X`, or the older root-level `raw.X`): a 2-D dense dataset, or a group holding
//!   `data`, `indices` and `indptr` marked as CSR or CSC by the attribute
//!   `encoding-type = csr_matrix | csc_matrix` (with `shape`) or, in very old files,
//!   `h5sparse_format = csr | csc` (with `h5sparse_shape`).
//! - `obs` / `var` (or `raw/var`, `raw.var`): a dataframe group whose `_index` attribute names
//!   the index dataset (anndata >= 0.7), or a compound (structured) dataset whose `index` field
//!   is a fixed-length byte string (anndata < 0.7).
//! - label columns: a categorical group (`categories` + `codes`, anndata >= 0.8), integer codes
//!   with their categories in `obs/__categories/<key>` (anndata 0.7), a compound `obs` field of
//!   integer codes with categories in `uns/<key>_categories` (anndata < 0.7), or plain string or
//!   integer columns.

use std::collections::HashMap;
use std::path::Path;

use hdf5_pure::{AttrValue, Datatype, DatatypeByteOrder, StringPadding};

use super::make_unique;
use super::options::ReadOptions;
use crate::{DataError, Dataset, Labels, Result, SparseMatrix};

/// An open `.h5ad` file plus its path, for error messages.
struct H5ad<'a> {
    path: &'a Path,
    file: hdf5_pure::File,
}

/// `X` as stored.
enum Matrix {
    Dense {
        values: Vec<f32>,
        n_rows: usize,
        n_cols: usize,
    },
    Sparse(SparseMatrix),
}

/// One column of a dataframe.
enum Column {
    Strings(Vec<String>),
    Integers(Vec<i64>),
}

/// What a path in the file is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Group,
    Dataset,
}

/// The text of a string attribute (scalar or one-element array).
fn attr_string(value: &AttrValue) -> Option<String> {
    match value {
        AttrValue::String(s)
        | AttrValue::AsciiString(s)
        | AttrValue::VarLenString(s)
        | AttrValue::VarLenAsciiString(s) => Some(s.clone()),
        AttrValue::StringSized { value, .. } | AttrValue::AsciiStringSized { value, .. } => {
            Some(value.clone())
        }
        AttrValue::StringArray(v)
        | AttrValue::AsciiStringArray(v)
        | AttrValue::VarLenStringArray(v)
        | AttrValue::VarLenAsciiStringArray(v)
            if v.len() == 1 =>
        {
            Some(v[0].clone())
        }
        _ => None,
    }
}

/// The integers of an integer-array attribute (e.g. `shape`).
fn attr_integers(value: &AttrValue) -> Option<Vec<i64>> {
    Some(match value {
        AttrValue::I64Array(v) => v.clone(),
        AttrValue::I32Array(v) => v.iter().map(|&x| i64::from(x)).collect(),
        AttrValue::U32Array(v) => v.iter().map(|&x| i64::from(x)).collect(),
        AttrValue::U64Array(v) => v.iter().map(|&x| x as i64).collect(),
        AttrValue::I16Array(v) => v.iter().map(|&x| i64::from(x)).collect(),
        AttrValue::U16Array(v) => v.iter().map(|&x| i64::from(x)).collect(),
        _ => return None,
    })
}

/// Reads a little- or big-endian integer of 1, 2, 4 or 8 bytes.
fn read_int(bytes: &[u8], signed: bool, big_endian: bool) -> i64 {
    let mut buf = [0u8; 8];
    let n = bytes.len();
    if big_endian {
        for (i, &b) in bytes.iter().rev().enumerate() {
            buf[i] = b;
        }
    } else {
        buf[..n].copy_from_slice(bytes);
    }
    let unsigned = u64::from_le_bytes(buf);
    if signed && n < 8 {
        let shift = 64 - 8 * n as u32;
        ((unsigned << shift) as i64) >> shift
    } else {
        unsigned as i64
    }
}

/// A fixed-length string field: up to the first NUL (or trailing spaces for space padding).
fn fixed_string(
    bytes: &[u8],
    padding: &StringPadding,
) -> std::result::Result<String, std::str::Utf8Error> {
    let end = match padding {
        StringPadding::SpacePad => bytes.iter().rposition(|&b| b != b' ').map_or(0, |p| p + 1),
        _ => bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len()),
    };
    std::str::from_utf8(&bytes[..end]).map(str::to_string)
}

impl<'a> H5ad<'a> {
    fn open(path: &'a Path) -> Result<Self> {
        if !path.is_file() {
            return Err(DataError::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
        let file = hdf5_pure::File::open(path).map_err(|e| {
            DataError::format(
                path,
                format!("cannot open as HDF5 (is it an .h5ad file?): {e}"),
            )
        })?;
        Ok(H5ad { path, file })
    }

    fn err(&self, object: &str, problem: impl std::fmt::Display) -> DataError {
        DataError::format(self.path, format!("`{object}`: {problem}"))
    }

    fn kind(&self, object: &str) -> Option<Kind> {
        if self.file.dataset(object).is_ok() {
            Some(Kind::Dataset)
        } else if self.file.group(object).is_ok() {
            Some(Kind::Group)
        } else {
            None
        }
    }

    fn dataset(&self, object: &str) -> Result<hdf5_pure::Dataset> {
        self.file
            .dataset(object)
            .map_err(|e| self.err(object, format!("cannot open dataset: {e}")))
    }

    fn group_attrs(&self, object: &str) -> Result<HashMap<String, AttrValue>> {
        self.file
            .group(object)
            .and_then(|g| g.attrs())
            .map_err(|e| self.err(object, format!("cannot read group attributes: {e}")))
    }

    fn strings(&self, object: &str) -> Result<Vec<String>> {
        self.dataset(object)?
            .read_string()
            .map_err(|e| self.err(object, format!("cannot read as strings: {e}")))
    }

    fn integers(&self, object: &str) -> Result<Vec<i64>> {
        self.dataset(object)?
            .read_i64()
            .map_err(|e| self.err(object, format!("cannot read as integers: {e}")))
    }

    /// A 1-D column: strings if the dataset holds strings, else integers.
    fn column(&self, object: &str) -> Result<Column> {
        let ds = self.dataset(object)?;
        let dt = ds
            .datatype()
            .map_err(|e| self.err(object, format!("cannot read the datatype: {e}")))?;
        match dt {
            Datatype::String { .. }
            | Datatype::VariableLength {
                is_string: true, ..
            } => Ok(Column::Strings(self.strings(object)?)),
            Datatype::FixedPoint { .. } | Datatype::Enumeration { .. } => {
                Ok(Column::Integers(self.integers(object)?))
            }
            other => Err(self.err(
                object,
                format!("unsupported column type {other:?} (expected strings or integers)"),
            )),
        }
    }

    /// A field of a compound (structured) dataset: fixed-length strings or integers.
    fn compound_field(&self, object: &str, field: &str) -> Result<Option<Column>> {
        let ds = self.dataset(object)?;
        let dt = ds
            .datatype()
            .map_err(|e| self.err(object, format!("cannot read the datatype: {e}")))?;
        let Datatype::Compound { size, members } = dt else {
            return Err(self.err(object, "expected a compound (structured) dataset"));
        };
        let Some(member) = members.iter().find(|m| m.name == field) else {
            return Ok(None);
        };
        let raw = ds
            .read_raw()
            .map_err(|e| self.err(object, format!("cannot read records: {e}")))?;
        let size = size as usize;
        let offset = member.byte_offset as usize;
        let records = raw.chunks_exact(size);
        let place = format!("{object}` field `{field}");
        match &member.datatype {
            Datatype::String { size: width, padding, .. } => {
                let width = *width as usize;
                let mut out = Vec::with_capacity(raw.len() / size);
                for (row, rec) in records.enumerate() {
                    let s = fixed_string(&rec[offset..offset + width], padding).map_err(|_| {
                        self.err(&place, format!("row {}: invalid UTF-8", row + 1))
                    })?;
                    out.push(s);
                }
                Ok(Some(Column::Strings(out)))
            }
            Datatype::FixedPoint {
                size: width,
                byte_order,
                layout,
            } => {
                let width = *width as usize;
                let big = matches!(byte_order, DatatypeByteOrder::BigEndian);
                Ok(Some(Column::Integers(
                    records
                        .map(|rec| read_int(&rec[offset..offset + width], layout.signed, big))
                        .collect(),
                )))
            }
            other => Err(self.err(
                &place,
                format!("unsupported field type {other:?} (expected a fixed-length string or an integer)"),
            )),
        }
    }

    /// Reads a matrix (`X`, `raw/X`, `raw.X`): a dense dataset or a CSR/CSC group.
    fn matrix(&self, object: &str) -> Result<Matrix> {
        match self.kind(object) {
            None => Err(self.err(object, "not found in the file")),
            Some(Kind::Dataset) => {
                let ds = self.dataset(object)?;
                let shape = ds
                    .shape()
                    .map_err(|e| self.err(object, format!("cannot read the shape: {e}")))?;
                if shape.len() != 2 {
                    return Err(self.err(
                        object,
                        format!(
                            "unsupported layout: a dense matrix needs 2 dimensions, this dataset has {} ({shape:?})",
                            shape.len()
                        ),
                    ));
                }
                let values = ds
                    .read_f32()
                    .map_err(|e| self.err(object, format!("cannot read as numbers: {e}")))?;
                Ok(Matrix::Dense {
                    values,
                    n_rows: shape[0] as usize,
                    n_cols: shape[1] as usize,
                })
            }
            Some(Kind::Group) => {
                let attrs = self.group_attrs(object)?;
                let encoding = attrs
                    .get("encoding-type")
                    .and_then(attr_string)
                    .or_else(|| {
                        attrs
                            .get("h5sparse_format")
                            .and_then(attr_string)
                            .map(|f| format!("{f}_matrix"))
                    });
                let shape = attrs
                    .get("shape")
                    .or_else(|| attrs.get("h5sparse_shape"))
                    .and_then(attr_integers);
                let csr = match encoding.as_deref() {
                    Some("csr_matrix") => true,
                    Some("csc_matrix") => false,
                    Some(other) => {
                        return Err(self.err(
                            object,
                            format!("unsupported layout: sparse encoding `{other}` (supported: csr_matrix, csc_matrix, dense arrays)"),
                        ));
                    }
                    None => {
                        return Err(self.err(
                            object,
                            "unsupported layout: a group without an `encoding-type` or `h5sparse_format` attribute (supported: csr_matrix, csc_matrix, dense arrays)",
                        ));
                    }
                };
                let Some(shape) = shape.filter(|s| s.len() == 2 && s.iter().all(|&d| d >= 0))
                else {
                    return Err(self.err(object, "unsupported layout: the sparse matrix has no valid 2-D `shape` (or `h5sparse_shape`) attribute"));
                };
                let (n_rows, n_cols) = (shape[0] as usize, shape[1] as usize);
                let data = self
                    .dataset(&format!("{object}/data"))?
                    .read_f32()
                    .map_err(|e| {
                        self.err(
                            &format!("{object}/data"),
                            format!("cannot read as numbers: {e}"),
                        )
                    })?;
                let indices = self.integers(&format!("{object}/indices"))?;
                let indptr = self.integers(&format!("{object}/indptr"))?;
                if let Some(p) = data.iter().position(|v| !v.is_finite()) {
                    let entry_row = indptr.iter().rposition(|&q| q <= p as i64).unwrap_or(0);
                    let (row, col) = if csr {
                        (entry_row, indices.get(p).copied().unwrap_or(-1))
                    } else {
                        (
                            indices.get(p).copied().unwrap_or(-1) as usize,
                            entry_row as i64,
                        )
                    };
                    return Err(DataError::bad_value(
                        self.path,
                        row as u64 + 1,
                        col as usize + 1,
                        format!("{object}/data"),
                        format!(
                            "value {} is not finite (row = cell, column = gene, 1-based)",
                            data[p]
                        ),
                    ));
                }
                let (major, minor) = if csr {
                    (n_rows, n_cols)
                } else {
                    (n_cols, n_rows)
                };
                if let Some(bad) = indices.iter().find(|&&j| j < 0 || j as usize >= minor) {
                    return Err(self.err(
                        &format!("{object}/indices"),
                        format!("index {bad} out of range 0..{minor}"),
                    ));
                }
                if let Some(bad) = indptr.iter().find(|&&p| p < 0) {
                    return Err(self.err(
                        &format!("{object}/indptr"),
                        format!("negative offset {bad}"),
                    ));
                }
                let m = SparseMatrix::from_csr(
                    major,
                    minor,
                    indptr.into_iter().map(|p| p as usize).collect(),
                    indices.into_iter().map(|j| j as u32).collect(),
                    data,
                )
                .map_err(|e| self.err(object, e))?;
                Ok(Matrix::Sparse(if csr { m } else { m.transpose() }))
            }
        }
    }

    /// The index (row names) of a dataframe stored as a group or as a compound dataset.
    fn index(&self, object: &str) -> Result<Vec<String>> {
        match self.kind(object) {
            None => Err(self.err(object, "not found in the file")),
            Some(Kind::Group) => {
                let attrs = self.group_attrs(object)?;
                let name = match attrs.get("_index").and_then(attr_string) {
                    Some(n) => n,
                    None if self.kind(&format!("{object}/_index")) == Some(Kind::Dataset) => {
                        "_index".into()
                    }
                    None if self.kind(&format!("{object}/index")) == Some(Kind::Dataset) => {
                        "index".into()
                    }
                    None => {
                        return Err(self.err(object, "unsupported layout: dataframe group without an `_index` attribute or index dataset"));
                    }
                };
                let ds = format!("{object}/{name}");
                match self.column(&ds)? {
                    Column::Strings(s) => Ok(s),
                    Column::Integers(v) => Ok(v.iter().map(i64::to_string).collect()),
                }
            }
            Some(Kind::Dataset) => match self.compound_field(object, "index")? {
                Some(Column::Strings(s)) => Ok(s),
                Some(Column::Integers(v)) => Ok(v.iter().map(i64::to_string).collect()),
                None => Err(self.err(
                    object,
                    "unsupported layout: compound dataframe without an `index` field",
                )),
            },
        }
    }

    /// Per-cell label names from `obs` column `key`.
    fn obs_labels(&self, key: &str) -> Result<Vec<String>> {
        let place = format!("obs/{key}");
        let (codes, categories) = match self.kind("obs") {
            Some(Kind::Group) => match self.kind(&place) {
                Some(Kind::Group) => (
                    self.integers(&format!("{place}/codes"))?,
                    self.strings(&format!("{place}/categories"))?,
                ),
                Some(Kind::Dataset) => {
                    let old = format!("obs/__categories/{key}");
                    match self.column(&place)? {
                        Column::Integers(codes) if self.kind(&old) == Some(Kind::Dataset) => {
                            (codes, self.strings(&old)?)
                        }
                        Column::Integers(v) => return Ok(v.iter().map(i64::to_string).collect()),
                        Column::Strings(s) => return Ok(s),
                    }
                }
                None => return Err(self.err(&place, "no such obs column")),
            },
            Some(Kind::Dataset) => {
                let categories = format!("uns/{key}_categories");
                match self.compound_field("obs", key)? {
                    Some(Column::Integers(codes))
                        if self.kind(&categories) == Some(Kind::Dataset) =>
                    {
                        (codes, self.strings(&categories)?)
                    }
                    Some(Column::Integers(v)) => return Ok(v.iter().map(i64::to_string).collect()),
                    Some(Column::Strings(s)) => return Ok(s),
                    None => {
                        return Err(self.err(
                            "obs",
                            format!("no field `{key}` in the compound obs dataset"),
                        ));
                    }
                }
            }
            None => return Err(self.err("obs", "not found in the file")),
        };
        codes
            .iter()
            .enumerate()
            .map(|(row, &c)| {
                if c < 0 {
                    Err(DataError::LabelMismatch {
                        path: self.path.to_path_buf(),
                        problem: format!(
                            "`{place}`: cell at row {} has no label (missing category, code {c})",
                            row + 1
                        ),
                    })
                } else {
                    categories.get(c as usize).cloned().ok_or_else(|| {
                        self.err(
                            &place,
                            format!(
                                "row {}: code {c} but only {} categories",
                                row + 1,
                                categories.len()
                            ),
                        )
                    })
                }
            })
            .collect()
    }
}

/// Whether to read `X`/`var` or the raw matrix, as paths in the file.
fn matrix_paths(h: &H5ad, use_raw: bool) -> Result<(&'static str, &'static str)> {
    if !use_raw {
        return Ok(("X", "var"));
    }
    if h.kind("raw") == Some(Kind::Group) {
        Ok(("raw/X", "raw/var"))
    } else if h.kind("raw.X").is_some() {
        Ok(("raw.X", "raw.var"))
    } else {
        Err(h.err(
            "raw",
            "the file has no raw data (neither `raw/X` nor `raw.X`)",
        ))
    }
}

/// Cell ids, gene names and (if asked for) per-cell label names.
type Names = (Vec<String>, Vec<String>, Option<Vec<String>>);

/// Reads cell ids, gene names and labels shared by the dense and sparse paths.
fn names_and_labels(
    h: &H5ad,
    var: &str,
    n_rows: usize,
    n_cols: usize,
    matrix: &str,
    opts: &ReadOptions,
) -> Result<Names> {
    let cell_ids = h.index("obs")?;
    let mut gene_names = h.index(var)?;
    if cell_ids.len() != n_rows || gene_names.len() != n_cols {
        return Err(h.err(
            matrix,
            format!(
                "the matrix is {n_rows} x {n_cols} but obs has {} rows and {var} has {}",
                cell_ids.len(),
                gene_names.len()
            ),
        ));
    }
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(cell_ids.len());
    for (row, id) in cell_ids.iter().enumerate() {
        if let Some(first) = seen.insert(id.as_str(), row) {
            return Err(DataError::Duplicate {
                path: h.path.to_path_buf(),
                kind: "cell id (obs index)",
                name: id.clone(),
                first: format!("row {}", first + 1),
                second: format!("row {}", row + 1),
            });
        }
    }
    make_unique(&mut gene_names);
    let labels = match opts.label_key_name() {
        Some(key) => Some(h.obs_labels(key)?),
        None => None,
    };
    Ok((cell_ids, gene_names, labels))
}

fn check_counts(
    h: &H5ad,
    object: &str,
    values: &[f32],
    n_cols: usize,
    sparse: Option<&SparseMatrix>,
) -> Result<()> {
    let bad = match sparse {
        Some(m) => (0..m.n_rows()).find_map(|i| {
            let (cols, vals) = m.row(i);
            cols.iter()
                .zip(vals)
                .find(|(_, v)| **v < 0.0)
                .map(|(&j, &v)| (i, j as usize, v))
        }),
        None => values
            .iter()
            .position(|&v| v < 0.0)
            .map(|p| (p / n_cols, p % n_cols, values[p])),
    };
    match bad {
        Some((row, col, v)) => Err(DataError::bad_value(
            h.path,
            row as u64 + 1,
            col + 1,
            object,
            format!(
                "value {v} is negative, but counts were expected (row = cell, column = gene, 1-based)"
            ),
        )),
        None => Ok(()),
    }
}

/// `X` (or raw) with names and labels, held as it was stored (sparse or dense).
fn load(path: &Path, opts: &ReadOptions) -> Result<Dataset> {
    opts.check()?;
    let h = H5ad::open(path)?;
    let (x, var) = matrix_paths(&h, opts.uses_raw())?;
    let (cell_ids, gene_names, labels);
    let loaded = match h.matrix(x)? {
        Matrix::Sparse(matrix) => {
            if opts.expects_counts() {
                check_counts(&h, x, &[], matrix.n_cols(), Some(&matrix))?;
            }
            (cell_ids, gene_names, labels) =
                names_and_labels(&h, var, matrix.n_rows(), matrix.n_cols(), x, opts)?;
            Dataset::from_sparse(matrix, cell_ids, gene_names)?
        }
        Matrix::Dense {
            values,
            n_rows,
            n_cols,
        } => {
            if values.len() != n_rows * n_cols {
                return Err(h.err(x, "the data does not fill the announced shape"));
            }
            if let Some(p) = values.iter().position(|v| !v.is_finite()) {
                return Err(DataError::bad_value(
                    path,
                    (p / n_cols) as u64 + 1,
                    p % n_cols + 1,
                    x,
                    format!(
                        "value {} is not finite (row = cell, column = gene, 1-based)",
                        values[p]
                    ),
                ));
            }
            if opts.expects_counts() {
                check_counts(&h, x, &values, n_cols, None)?;
            }
            (cell_ids, gene_names, labels) = names_and_labels(&h, var, n_rows, n_cols, x, opts)?;
            Dataset::new(values, cell_ids, gene_names)?
        }
    };
    let mut data = match labels {
        Some(names) => loaded.with_labels(Labels::from_names(&names)?)?,
        None => loaded,
    };
    if let Some(genes) = opts.gene_subset() {
        let idx =
            crate::sparse::gene_positions(data.gene_names(), genes).map_err(|e| h.err(var, e))?;
        data = data.select_genes(&idx);
    }
    Ok(data)
}

/// Reads an AnnData `.h5ad` file (see the module docs for the layouts supported).
///
/// - `X` is read, or with [`ReadOptions::use_raw`] the raw matrix and its own gene names.
/// - Cell ids come from the `obs` index, gene names from the `var` index; repeated gene names
///   are made unique like scanpy's `var_names_make_unique` (see [`super::make_unique`]), a
///   repeated cell id is an error.
/// - Labels come from [`ReadOptions::label_key`] (an `obs` column), or a label file, or the
///   cell ids.
/// - A sparse `X` stays sparse (CSR), a dense one dense; [`ReadOptions::genes`] is applied
///   without making a sparse `X` dense.
///
/// Errors name the file and the group or dataset that could not be read, e.g.
/// "`X`: unsupported layout: sparse encoding `coo_matrix`".
pub fn read_h5ad(path: impl AsRef<Path>, opts: &ReadOptions) -> Result<Dataset> {
    let path = path.as_ref();
    let ds = load(path, opts)?;
    super::attach_labels(ds, opts, path)
}
