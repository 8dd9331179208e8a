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
//! - layers `layers/<name>` ([`ReadOptions::layer`]): stored like `X`.
//! - `obsm/<key>` ([`read_h5ad_obsm`]): a 2-D dense dataset, or (anndata < 0.7) a field of a
//!   compound `obsm` dataset holding a fixed-size array per cell.
//!
//! Sizes in the file are checked before anything is allocated from them: a dataset may not
//! declare more bytes than the file could hold (its own size, times deflate's largest
//! expansion for chunked data), a matrix `shape` may not name more cells or genes than the
//! file has bytes, and compound records must fit their declared size. A damaged or hostile
//! file gives an error naming the file and the object, never a panic or an allocation out of
//! proportion to the file.

use std::collections::HashMap;
use std::path::Path;

use hdf5_pure::{AttrValue, Datatype, DatatypeByteOrder, StringPadding, VlenStringReadOptions};

use super::make_unique;
use super::options::ReadOptions;
use crate::{DataError, Dataset, Labels, Result, SparseMatrix};

/// How many times its size a chunked (possibly compressed) dataset may grow when read:
/// deflate, the strongest filter anndata and h5py use, expands at most about 1032-fold.
const MAX_EXPANSION: u64 = 1100;

/// An open `.h5ad` file plus its path, for error messages.
pub(crate) struct H5ad<'a> {
    path: &'a Path,
    file: hdf5_pure::File,
    /// Size of the file in bytes: the bound on what a sound file can declare.
    file_len: u64,
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
pub(crate) enum Kind {
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

/// Reads a little- or big-endian integer of 1 to 8 bytes (callers check the width).
fn read_int(bytes: &[u8], signed: bool, big_endian: bool) -> i64 {
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    let bytes = &bytes[..n];
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

/// A number stored as `dt` (an integer or an IEEE float of 4 or 8 bytes) in `bytes`, or `None`
/// for any other type or a width that does not match.
fn read_number(bytes: &[u8], dt: &Datatype) -> Option<f64> {
    match dt {
        Datatype::FloatingPoint {
            size, byte_order, ..
        } => {
            let big = matches!(byte_order, DatatypeByteOrder::BigEndian);
            match (*size, bytes.len()) {
                (4, 4) => {
                    let b: [u8; 4] = bytes.try_into().ok()?;
                    Some(f64::from(if big {
                        f32::from_be_bytes(b)
                    } else {
                        f32::from_le_bytes(b)
                    }))
                }
                (8, 8) => {
                    let b: [u8; 8] = bytes.try_into().ok()?;
                    Some(if big {
                        f64::from_be_bytes(b)
                    } else {
                        f64::from_le_bytes(b)
                    })
                }
                _ => None,
            }
        }
        Datatype::FixedPoint {
            size,
            byte_order,
            layout,
        } if matches!(size, 1 | 2 | 4 | 8) && *size as usize == bytes.len() => {
            let big = matches!(byte_order, DatatypeByteOrder::BigEndian);
            Some(read_int(bytes, layout.signed, big) as f64)
        }
        _ => None,
    }
}

/// The names in `list`, each in backticks, comma-separated; "none" for an empty list.
fn name_list(list: &[String]) -> String {
    if list.is_empty() {
        "none".into()
    } else {
        list.iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl<'a> H5ad<'a> {
    /// Opens `path`, read into memory (the reader's way: the matrix is read whole anyway).
    pub(crate) fn open(path: &'a Path) -> Result<Self> {
        Self::open_with(path, false)
    }

    /// Opens `path` for reading parts of it on demand (the copy's way: its checks read the
    /// names, not the matrix).
    pub(crate) fn open_streaming(path: &'a Path) -> Result<Self> {
        Self::open_with(path, true)
    }

    fn open_with(path: &'a Path, streaming: bool) -> Result<Self> {
        if !path.is_file() {
            return Err(DataError::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
        let opened = if streaming {
            hdf5_pure::File::open_streaming(path)
        } else {
            hdf5_pure::File::open(path)
        };
        let file = opened.map_err(|e| {
            DataError::format(
                path,
                format!("cannot open as HDF5 (is it an .h5ad file?): {e}"),
            )
        })?;
        let file_len = file.file_size();
        Ok(H5ad {
            path,
            file,
            file_len,
        })
    }

    pub(crate) fn err(&self, object: &str, problem: impl std::fmt::Display) -> DataError {
        DataError::format(self.path, format!("`{object}`: {problem}"))
    }

    pub(crate) fn kind(&self, object: &str) -> Option<Kind> {
        if self.file.dataset(object).is_ok() {
            Some(Kind::Dataset)
        } else if self.file.group(object).is_ok() {
            Some(Kind::Group)
        } else {
            None
        }
    }

    /// Opens a dataset whose declared size the file could hold, so reading it allocates at
    /// most in proportion to the file.
    fn dataset(&self, object: &str) -> Result<hdf5_pure::Dataset> {
        let ds = self
            .file
            .dataset(object)
            .map_err(|e| self.err(object, format!("cannot open dataset: {e}")))?;
        let shape = ds
            .shape()
            .map_err(|e| self.err(object, format!("cannot read the shape: {e}")))?;
        let element = ds
            .element_size()
            .map_err(|e| self.err(object, format!("cannot read the datatype: {e}")))?;
        let limit = if ds.is_chunked() {
            self.file_len.saturating_mul(MAX_EXPANSION)
        } else {
            self.file_len
        };
        let declared = shape.iter().try_fold(element, |acc, &d| acc.checked_mul(d));
        match declared {
            Some(bytes) if bytes <= limit => Ok(ds),
            _ => Err(self.err(
                object,
                format!(
                    "shape {shape:?} of {element}-byte elements is more than a file of {} bytes can hold (damaged file?)",
                    self.file_len
                ),
            )),
        }
    }

    fn group_attrs(&self, object: &str) -> Result<HashMap<String, AttrValue>> {
        self.file
            .group(object)
            .and_then(|g| g.attrs())
            .map_err(|e| self.err(object, format!("cannot read group attributes: {e}")))
    }

    fn strings(&self, object: &str) -> Result<Vec<String>> {
        let ds = self.dataset(object)?;
        let dt = ds
            .datatype()
            .map_err(|e| self.err(object, format!("cannot read the datatype: {e}")))?;
        let read = if matches!(dt, Datatype::VariableLength { .. }) {
            // The strings themselves live in the file's heaps, uncompressed: together they
            // cannot be longer than the file.
            let limits = VlenStringReadOptions::new()
                .with_max_payload_bytes(usize::try_from(self.file_len).unwrap_or(usize::MAX));
            ds.read_vlen_strings(limits)
        } else {
            ds.read_string()
        };
        read.map_err(|e| self.err(object, format!("cannot read as strings: {e}")))
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
        let place = format!("{object}` field `{field}");
        let width = member.datatype.type_size() as usize;
        if size == 0 || offset.checked_add(width).is_none_or(|end| end > size) {
            return Err(self.err(
                &place,
                format!("a field of {width} bytes at offset {offset} does not fit records of {size} bytes (damaged file?)"),
            ));
        }
        let records = raw.chunks_exact(size);
        match &member.datatype {
            Datatype::String { padding, .. } => {
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
                byte_order, layout, ..
            } if matches!(width, 1 | 2 | 4 | 8) => {
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

    /// Checks a matrix shape read from the file: every cell and every gene has a name stored
    /// in the file, so neither count can exceed the file's size. This bounds what is built
    /// from the shape (a CSC matrix is transposed into `n_rows + 1` row offsets) before the
    /// names themselves are compared with it.
    fn check_dims(&self, object: &str, n_rows: u64, n_cols: u64) -> Result<(usize, usize)> {
        let fits = |d: u64| d <= self.file_len && usize::try_from(d).is_ok();
        if !fits(n_rows) || !fits(n_cols) {
            return Err(self.err(
                object,
                format!(
                    "shape [{n_rows}, {n_cols}] names more cells or genes than a file of {} bytes can hold (damaged file?)",
                    self.file_len
                ),
            ));
        }
        Ok((n_rows as usize, n_cols as usize))
    }

    /// Reads a matrix (`X`, `raw/X`, `raw.X`, `layers/<name>`): a dense dataset or a CSR/CSC
    /// group.
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
                let (n_rows, n_cols) = self.check_dims(object, shape[0], shape[1])?;
                let values = ds
                    .read_f32()
                    .map_err(|e| self.err(object, format!("cannot read as numbers: {e}")))?;
                Ok(Matrix::Dense {
                    values,
                    n_rows,
                    n_cols,
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
                let (n_rows, n_cols) = self.check_dims(object, shape[0] as u64, shape[1] as u64)?;
                let data_path = format!("{object}/data");
                let indices_path = format!("{object}/indices");
                let indptr_path = format!("{object}/indptr");
                let data = self
                    .dataset(&data_path)?
                    .read_f32()
                    .map_err(|e| self.err(&data_path, format!("cannot read as numbers: {e}")))?;
                let indices = self.integers(&indices_path)?;
                let indptr = self.integers(&indptr_path)?;
                let (major, minor) = if csr {
                    (n_rows, n_cols)
                } else {
                    (n_cols, n_rows)
                };
                if indices.len() != data.len() {
                    return Err(self.err(
                        &indices_path,
                        format!(
                            "{} indices for {} values in `{data_path}`",
                            indices.len(),
                            data.len()
                        ),
                    ));
                }
                if indptr.len() != major + 1 {
                    return Err(self.err(
                        &indptr_path,
                        format!(
                            "{} offsets, but the shape [{n_rows}, {n_cols}] needs {} for a {} matrix",
                            indptr.len(),
                            major + 1,
                            if csr { "CSR" } else { "CSC" }
                        ),
                    ));
                }
                if let Some(bad) = indptr
                    .iter()
                    .find(|&&p| p < 0 || p as u64 > data.len() as u64)
                {
                    return Err(self.err(
                        &indptr_path,
                        format!("offset {bad} out of range 0..={}", data.len()),
                    ));
                }
                if let Some(bad) = indices.iter().find(|&&j| j < 0 || j as u64 >= minor as u64) {
                    return Err(self.err(
                        &indices_path,
                        format!("index {bad} out of range 0..{minor}"),
                    ));
                }
                if let Some(p) = data.iter().position(|v| !v.is_finite()) {
                    // indptr and indices were checked above, so the entry's place is known.
                    let outer = indptr.iter().rposition(|&q| q <= p as i64).unwrap_or(0);
                    let inner = indices[p] as usize;
                    let (row, col) = if csr { (outer, inner) } else { (inner, outer) };
                    return Err(DataError::bad_value(
                        self.path,
                        row as u64 + 1,
                        col + 1,
                        data_path,
                        format!(
                            "value {} is not finite (row = cell, column = gene, 1-based)",
                            data[p]
                        ),
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
    pub(crate) fn index(&self, object: &str) -> Result<Vec<String>> {
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

    /// Per-cell label names from `obs` column `key`, one per cell of a matrix of `n_cells`
    /// rows.
    pub(crate) fn obs_labels(&self, key: &str, n_cells: usize) -> Result<Vec<String>> {
        let names = self.obs_column(key)?;
        if names.len() != n_cells {
            return Err(DataError::LabelMismatch {
                path: self.path.to_path_buf(),
                problem: format!(
                    "`obs/{key}`: {} labels for {n_cells} cells (the label column and the matrix disagree)",
                    names.len()
                ),
            });
        }
        Ok(names)
    }

    /// The names in `obs` column `key` (see [`H5ad::obs_labels`]).
    fn obs_column(&self, key: &str) -> Result<Vec<String>> {
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

    /// The names of the groups and datasets in group `object`, sorted; empty if it is not a
    /// readable group.
    pub(crate) fn children(&self, object: &str) -> Vec<String> {
        let Ok(group) = self.file.group(object) else {
            return Vec::new();
        };
        let mut names = group.groups().unwrap_or_default();
        names.extend(group.datasets().unwrap_or_default());
        names.sort();
        names
    }

    /// Column `key` of an anndata < 0.7 compound `obsm` dataset: a fixed-size array of
    /// numbers per cell (or one number per cell).
    fn compound_obsm(&self, key: &str) -> Result<(Vec<f32>, usize, usize)> {
        let ds = self.dataset("obsm")?;
        let dt = ds
            .datatype()
            .map_err(|e| self.err("obsm", format!("cannot read the datatype: {e}")))?;
        let Datatype::Compound { size, members } = dt else {
            return Err(self.err(
                "obsm",
                "unsupported layout: neither a group nor a compound dataset",
            ));
        };
        let Some(member) = members.iter().find(|m| m.name == key) else {
            let names: Vec<String> = members.iter().map(|m| m.name.clone()).collect();
            return Err(self.err(
                "obsm",
                format!(
                    "no field `{key}` in the compound obsm dataset (it has {})",
                    name_list(&names)
                ),
            ));
        };
        let place = format!("obsm` field `{key}");
        let (base, n_cols) = match &member.datatype {
            Datatype::Array {
                base_type,
                dimensions,
            } => (
                base_type.as_ref(),
                dimensions
                    .iter()
                    .try_fold(1usize, |acc, &d| acc.checked_mul(d as usize))
                    .unwrap_or(usize::MAX),
            ),
            other => (other, 1),
        };
        let (size, offset) = (size as usize, member.byte_offset as usize);
        let width = base.type_size() as usize;
        let fits = n_cols
            .checked_mul(width)
            .and_then(|w| w.checked_add(offset))
            .is_some_and(|end| end <= size);
        if size == 0 || width == 0 || !fits {
            return Err(self.err(
                &place,
                format!("{n_cols} values of {width} bytes at offset {offset} do not fit records of {size} bytes (damaged file?)"),
            ));
        }
        let raw = ds
            .read_raw()
            .map_err(|e| self.err("obsm", format!("cannot read records: {e}")))?;
        let n_rows = raw.len() / size;
        let mut values = Vec::with_capacity(n_rows * n_cols);
        for record in raw.chunks_exact(size) {
            for bytes in record[offset..offset + n_cols * width].chunks_exact(width) {
                let v = read_number(bytes, base).ok_or_else(|| {
                    self.err(
                        &place,
                        format!("unsupported element type {base:?} (expected integers or floats)"),
                    )
                })?;
                values.push(v as f32);
            }
        }
        Ok((values, n_rows, n_cols))
    }
}

/// The matrix to read (`X`, the raw matrix or a layer) and the dataframe naming its genes, as
/// paths in the file.
fn matrix_paths(h: &H5ad, opts: &ReadOptions) -> Result<(String, &'static str)> {
    if let Some(layer) = opts.layer_name() {
        let object = format!("layers/{layer}");
        if h.kind(&object).is_some() {
            return Ok((object, "var"));
        }
        return Err(h.err(
            &object,
            format!(
                "no such layer (the file's layers: {})",
                name_list(&h.children("layers"))
            ),
        ));
    }
    if !opts.uses_raw() {
        return Ok(("X".into(), "var"));
    }
    if h.kind("raw") == Some(Kind::Group) {
        Ok(("raw/X".into(), "raw/var"))
    } else if h.kind("raw.X").is_some() {
        Ok(("raw.X".into(), "raw.var"))
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
        Some(key) => Some(h.obs_labels(key, n_rows)?),
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

/// `X` (or raw, or a layer) with names and labels, held as it was stored (sparse or dense).
fn load(h: &H5ad, opts: &ReadOptions) -> Result<Dataset> {
    let (x, var) = matrix_paths(h, opts)?;
    let x = x.as_str();
    let (cell_ids, gene_names, labels);
    let loaded = match h.matrix(x)? {
        Matrix::Sparse(matrix) => {
            if opts.expects_counts() {
                check_counts(h, x, &[], matrix.n_cols(), Some(&matrix))?;
            }
            (cell_ids, gene_names, labels) =
                names_and_labels(h, var, matrix.n_rows(), matrix.n_cols(), x, opts)?;
            Dataset::from_sparse(matrix, cell_ids, gene_names).map_err(|e| h.err(x, e))?
        }
        Matrix::Dense {
            values,
            n_rows,
            n_cols,
        } => {
            if n_rows.checked_mul(n_cols) != Some(values.len()) {
                return Err(h.err(x, "the data does not fill the announced shape"));
            }
            if let Some(p) = values.iter().position(|v| !v.is_finite()) {
                return Err(DataError::bad_value(
                    h.path,
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
                check_counts(h, x, &values, n_cols, None)?;
            }
            (cell_ids, gene_names, labels) = names_and_labels(h, var, n_rows, n_cols, x, opts)?;
            Dataset::new(values, cell_ids, gene_names).map_err(|e| h.err(x, e))?
        }
    };
    let mut data = match labels {
        Some(names) => {
            let key = opts.label_key_name().unwrap_or_default();
            let place = format!("obs/{key}");
            let labels = Labels::from_names(&names).map_err(|e| h.err(&place, e))?;
            loaded.with_labels(labels).map_err(|e| h.err(&place, e))?
        }
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
/// - `X` is read, or with [`ReadOptions::use_raw`] the raw matrix and its own gene names, or
///   with [`ReadOptions::layer`] the layer `layers/<name>` (with `X`'s gene names).
/// - Cell ids come from the `obs` index, gene names from the `var` index; repeated gene names
///   are made unique like scanpy's `var_names_make_unique` (see [`super::make_unique`]), a
///   repeated cell id is an error.
/// - Labels come from [`ReadOptions::label_key`] (an `obs` column), or a label file, or the
///   cell ids.
/// - A sparse `X` stays sparse (CSR), a dense one dense; [`ReadOptions::genes`] is applied
///   without making a sparse `X` dense.
///
/// Errors name the file and the group or dataset that could not be read, e.g.
/// "`X`: unsupported layout: sparse encoding `coo_matrix`"; a damaged or hostile file gives an
/// error, never a panic or an allocation out of proportion to the file's size.
///
/// ```
/// use kratos_data::read::{ReadOptions, read_h5ad};
/// use kratos_data::write::{H5adExtras, write_h5ad};
/// use kratos_data::{Dataset, Labels};
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("x.h5ad");
/// let ds = Dataset::from_matrix(vec![1.0, 0.0, 0.0, 2.0], 2, 2)?
///     .with_labels(Labels::from_names(&["a", "b"])?)?;
/// write_h5ad(&path, &ds, &H5adExtras::new(), false)?;
/// assert_eq!(read_h5ad(&path, &ReadOptions::new().label_key("label"))?, ds);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_h5ad(path: impl AsRef<Path>, opts: &ReadOptions) -> Result<Dataset> {
    let path = path.as_ref();
    opts.check()?;
    let h = H5ad::open(path)?;
    let ds = load(&h, opts)?;
    super::attach_labels(ds, opts, path)
}

/// Reads the matrix `obsm/<key>` of an `.h5ad` file (an embedding such as `X_pca`, `X_umap`
/// or `X_kratos`): its values row-major as `f32`, one row per cell, with the number of rows
/// and columns.
///
/// `obsm/<key>` must be a 2-D dense dataset (any numeric type), or in anndata < 0.7 files a
/// field of the compound `obsm` dataset. Values are returned as stored (NaN included). Errors
/// name the file and say what the file has instead: no `obsm`, no such key (listing the keys
/// present), a sparse or dataframe entry.
///
/// ```
/// use kratos_data::read::read_h5ad_obsm;
/// use kratos_data::write::{H5adExtras, write_h5ad};
/// use kratos_data::Dataset;
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("x.h5ad");
/// let ds = Dataset::from_matrix(vec![1.0, 0.0, 0.0, 2.0], 2, 2)?;
/// let extras = H5adExtras::new().obsm("X_kratos", vec![0.5, 1.5, 2.5, 3.5, 4.5, 5.5], 3);
/// write_h5ad(&path, &ds, &extras, false)?;
/// let (values, rows, cols) = read_h5ad_obsm(&path, "X_kratos")?;
/// assert_eq!((rows, cols), (2, 3));
/// assert_eq!(values, [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_h5ad_obsm(path: impl AsRef<Path>, key: &str) -> Result<(Vec<f32>, usize, usize)> {
    let path = path.as_ref();
    let h = H5ad::open(path)?;
    let object = format!("obsm/{key}");
    match h.kind("obsm") {
        None => Err(h.err("obsm", format!("not found in the file (looking for `{object}`)"))),
        Some(Kind::Dataset) => h.compound_obsm(key),
        Some(Kind::Group) => match h.kind(&object) {
            None => Err(h.err(
                &object,
                format!("no such key (the file's obsm keys: {})", name_list(&h.children("obsm"))),
            )),
            Some(Kind::Group) => Err(h.err(
                &object,
                "unsupported layout: a group (sparse matrix or dataframe); only dense arrays can be read",
            )),
            Some(Kind::Dataset) => {
                let ds = h.dataset(&object)?;
                let shape = ds
                    .shape()
                    .map_err(|e| h.err(&object, format!("cannot read the shape: {e}")))?;
                let [n_rows, n_cols] = shape[..] else {
                    return Err(h.err(
                        &object,
                        format!("unsupported layout: {} dimensions ({shape:?}); an obsm matrix has 2", shape.len()),
                    ));
                };
                let (n_rows, n_cols) = h.check_dims(&object, n_rows, n_cols)?;
                let values = ds
                    .read_f32()
                    .map_err(|e| h.err(&object, format!("cannot read as numbers: {e}")))?;
                if n_rows.checked_mul(n_cols) != Some(values.len()) {
                    return Err(h.err(&object, "the data does not fill the announced shape"));
                }
                Ok((values, n_rows, n_cols))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdf5_pure::{FixedPointLayout, make_f32_type, make_f64_type};

    #[test]
    fn integers_of_every_width_and_order() {
        assert_eq!(read_int(&[0xff], true, false), -1);
        assert_eq!(read_int(&[0xff], false, false), 255);
        assert_eq!(read_int(&[0x01, 0x00], false, true), 256);
        assert_eq!(read_int(&[0xfe, 0xff, 0xff, 0xff], true, false), -2);
        // a width over 8 bytes reads its first 8 instead of panicking
        assert_eq!(read_int(&[1; 12], false, false), 0x0101_0101_0101_0101);
    }

    #[test]
    fn numbers_need_a_matching_width() {
        assert_eq!(
            read_number(&1.5f32.to_le_bytes(), &make_f32_type()),
            Some(1.5)
        );
        assert_eq!(
            read_number(&(-2.0f64).to_le_bytes(), &make_f64_type()),
            Some(-2.0)
        );
        assert_eq!(read_number(&[0; 3], &make_f32_type()), None);
        let i16_be = Datatype::FixedPoint {
            size: 2,
            byte_order: DatatypeByteOrder::BigEndian,
            layout: FixedPointLayout {
                signed: true,
                bit_offset: 0,
                bit_precision: 16,
            },
        };
        assert_eq!(read_number(&[0xff, 0xfe], &i16_be), Some(-2.0));
        assert_eq!(read_number(&[0, 0, 0], &i16_be), None);
    }

    #[test]
    fn name_lists() {
        assert_eq!(name_list(&[]), "none");
        assert_eq!(name_list(&["a".into(), "b".into()]), "`a`, `b`");
    }
}
