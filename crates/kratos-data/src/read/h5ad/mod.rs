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
//!
//! `values` decodes attributes and raw numbers, `matrix` reads `X`-like matrices, `columns`
//! reads dataframe columns, indexes and `obsm`; this file opens the file and assembles the
//! [`Dataset`].

mod columns;
mod matrix;
mod values;

use std::collections::HashMap;
use std::path::Path;

use hdf5_pure::{AttrValue, Datatype, DatatypeByteOrder, StringPadding, VlenStringReadOptions};

use super::make_unique;
use super::options::ReadOptions;
use crate::{DataError, Dataset, Labels, Result, SparseMatrix};

use matrix::Matrix;
use values::{attr_integers, attr_string, fixed_string, read_int, read_number};

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

/// What a path in the file is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Group,
    Dataset,
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
