//! `X`, `raw/X` and layers: dense datasets and CSR/CSC groups, sizes checked before reading.

use super::*;

/// `X` as stored.
pub(super) enum Matrix {
    Dense {
        values: Vec<f32>,
        n_rows: usize,
        n_cols: usize,
    },
    Sparse(SparseMatrix),
}

impl H5ad<'_> {
    /// Checks a matrix shape read from the file: every cell and every gene has a name stored
    /// in the file, so neither count can exceed the file's size. This bounds what is built
    /// from the shape (a CSC matrix is transposed into `n_rows + 1` row offsets) before the
    /// names themselves are compared with it.
    pub(super) fn check_dims(
        &self,
        object: &str,
        n_rows: u64,
        n_cols: u64,
    ) -> Result<(usize, usize)> {
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
    pub(super) fn matrix(&self, object: &str) -> Result<Matrix> {
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
}
