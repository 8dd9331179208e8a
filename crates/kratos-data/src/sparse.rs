//! Compressed sparse row (CSR) matrices: how a [`crate::Dataset`] holds mostly-zero single-cell
//! data (10x Genomics folders, sparse `.h5ad`).
//!
//! Written by hand rather than with `sprs`/`nalgebra-sparse`: the crate only needs building,
//! row and column selection and densifying, and this keeps it free of numerical dependencies
//! (see the crate docs).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{DataError, Result};

/// A CSR matrix of `f32`: rows are cells, columns are genes.
///
/// Row `i`'s entries are `indices()[indptr()[i]..indptr()[i + 1]]` (column indices, ascending,
/// no repeats) with values `values()[..same range..]`.
///
/// ```
/// use kratos_data::SparseMatrix;
/// // [[0, 2, 0], [1, 0, 3]]
/// let m = SparseMatrix::from_csr(2, 3, vec![0, 1, 3], vec![1, 0, 2], vec![2.0, 1.0, 3.0])?;
/// assert_eq!(m.select_genes(&[2, 1]).to_dense(), vec![0.0, 2.0, 3.0, 0.0]);
/// # Ok::<(), kratos_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SparseMatrix {
    n_rows: usize,
    n_cols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl SparseMatrix {
    /// Builds a matrix from CSR arrays. Within a row, column indices are sorted and repeated
    /// ones are summed (as scipy does when converting to CSR).
    ///
    /// Errors if `indptr` does not have `n_rows + 1` non-decreasing entries starting at 0 and
    /// ending at the number of values, a column index is out of range, or a value is not
    /// finite.
    pub fn from_csr(
        n_rows: usize,
        n_cols: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        values: Vec<f32>,
    ) -> Result<Self> {
        if indptr.len() != n_rows + 1 {
            return Err(DataError::Invalid(format!(
                "indptr has {} entries for {n_rows} rows (expected {})",
                indptr.len(),
                n_rows + 1
            )));
        }
        if indices.len() != values.len() {
            return Err(DataError::Invalid(format!(
                "{} column indices for {} values",
                indices.len(),
                values.len()
            )));
        }
        if indptr[0] != 0 || indptr[n_rows] != values.len() {
            return Err(DataError::Invalid(format!(
                "indptr must run from 0 to the number of values ({}), but runs from {} to {}",
                values.len(),
                indptr[0],
                indptr[n_rows]
            )));
        }
        if let Some(i) = indptr.windows(2).position(|w| w[0] > w[1]) {
            return Err(DataError::Invalid(format!(
                "indptr decreases at row {i} ({} > {})",
                indptr[i],
                indptr[i + 1]
            )));
        }
        if let Some(pos) = indices.iter().position(|&j| j as usize >= n_cols) {
            return Err(DataError::Invalid(format!(
                "column index {} (entry {pos}) is out of range for {n_cols} columns",
                indices[pos]
            )));
        }
        if let Some(pos) = values.iter().position(|v| !v.is_finite()) {
            return Err(DataError::Invalid(format!(
                "value {} (entry {pos}) is not finite",
                values[pos]
            )));
        }
        let mut m = SparseMatrix {
            n_rows,
            n_cols,
            indptr,
            indices,
            values,
        };
        m.canonicalize();
        Ok(m)
    }

    /// Builds a matrix from a dense row-major array, keeping the non-zero values.
    pub fn from_dense(values: &[f32], n_rows: usize, n_cols: usize) -> Result<Self> {
        if values.len() != n_rows * n_cols {
            return Err(DataError::Invalid(format!(
                "{} values for {n_rows} x {n_cols}",
                values.len()
            )));
        }
        if let Some(pos) = values.iter().position(|v| !v.is_finite()) {
            return Err(DataError::Invalid(format!(
                "value {} (entry {pos}) is not finite",
                values[pos]
            )));
        }
        Ok(SparseMatrix::from_dense_unchecked(values, n_rows, n_cols))
    }

    /// [`SparseMatrix::from_dense`] of values known to be finite and of the right count.
    pub(crate) fn from_dense_unchecked(values: &[f32], n_rows: usize, n_cols: usize) -> Self {
        let mut indptr = Vec::with_capacity(n_rows + 1);
        let mut indices = Vec::new();
        let mut data = Vec::new();
        indptr.push(0);
        for i in 0..n_rows {
            for (j, &v) in values[i * n_cols..(i + 1) * n_cols].iter().enumerate() {
                if v != 0.0 {
                    indices.push(j as u32);
                    data.push(v);
                }
            }
            indptr.push(data.len());
        }
        SparseMatrix {
            n_rows,
            n_cols,
            indptr,
            indices,
            values: data,
        }
    }

    /// The stored values, mutable (the caller keeps them finite).
    pub(crate) fn values_mut(&mut self) -> &mut [f32] {
        &mut self.values
    }

    /// Divides every stored value of row `i` by `divisors[i]`.
    pub(crate) fn divide_rows(&mut self, divisors: &[f32]) {
        for (i, &d) in divisors.iter().enumerate().take(self.n_rows) {
            let (a, b) = (self.indptr[i], self.indptr[i + 1]);
            self.values[a..b].iter_mut().for_each(|v| *v /= d);
        }
    }

    /// Replaces every stored value `v` of column `j` by `f(j, v)`.
    pub(crate) fn map_by_column(&mut self, f: impl Fn(usize, f32) -> f32) {
        for (v, &j) in self.values.iter_mut().zip(&self.indices) {
            *v = f(j as usize, *v);
        }
    }

    /// A new matrix with the given rows, in the given order.
    ///
    /// Panics if an index is out of range (indices come from code, not from users).
    pub fn select_rows(&self, rows: &[usize]) -> SparseMatrix {
        let nnz: usize = rows
            .iter()
            .map(|&i| self.indptr[i + 1] - self.indptr[i])
            .sum();
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        let mut indices = Vec::with_capacity(nnz);
        let mut values = Vec::with_capacity(nnz);
        indptr.push(0);
        for &i in rows {
            let (cols, vals) = self.row(i);
            indices.extend_from_slice(cols);
            values.extend_from_slice(vals);
            indptr.push(values.len());
        }
        SparseMatrix {
            n_rows: rows.len(),
            n_cols: self.n_cols,
            indptr,
            indices,
            values,
        }
    }

    /// Sorts column indices within each row and sums repeats. A no-op (one pass) for the usual
    /// already-sorted input.
    fn canonicalize(&mut self) {
        let sorted = (0..self.n_rows).all(|i| {
            self.indices[self.indptr[i]..self.indptr[i + 1]]
                .windows(2)
                .all(|w| w[0] < w[1])
        });
        if sorted {
            return;
        }
        let mut indptr = Vec::with_capacity(self.n_rows + 1);
        let mut indices = Vec::with_capacity(self.indices.len());
        let mut values = Vec::with_capacity(self.values.len());
        indptr.push(0);
        let mut row: Vec<(u32, f32)> = Vec::new();
        for i in 0..self.n_rows {
            let (a, b) = (self.indptr[i], self.indptr[i + 1]);
            row.clear();
            row.extend(
                self.indices[a..b]
                    .iter()
                    .copied()
                    .zip(self.values[a..b].iter().copied()),
            );
            row.sort_by_key(|&(j, _)| j);
            for &(j, v) in &row {
                if indices.len() > indptr[i] && *indices.last().unwrap_or(&u32::MAX) == j {
                    if let Some(last) = values.last_mut() {
                        *last += v;
                    }
                } else {
                    indices.push(j);
                    values.push(v);
                }
            }
            indptr.push(values.len());
        }
        self.indptr = indptr;
        self.indices = indices;
        self.values = values;
    }

    /// (rows, columns) = (cells, genes).
    pub fn shape(&self) -> (usize, usize) {
        (self.n_rows, self.n_cols)
    }

    /// Number of rows (cells).
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns (genes).
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Row pointers (`n_rows + 1` entries).
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }

    /// Column index of every stored entry.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// Value of every stored entry.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// The stored column indices and values of row `i`.
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }

    /// How many rows (cells) have a non-zero value in each column (gene), like scanpy's
    /// `n_cells` for `filter_genes(min_cells=...)`.
    pub fn column_nonzero_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.n_cols];
        for (&j, &v) in self.indices.iter().zip(&self.values) {
            if v != 0.0 {
                counts[j as usize] += 1;
            }
        }
        counts
    }

    /// A new matrix with the given columns (genes), in the given order.
    ///
    /// Panics if an index is out of range (indices come from code, not from users).
    pub fn select_genes(&self, genes: &[usize]) -> SparseMatrix {
        let mut new_index = vec![u32::MAX; self.n_cols];
        for (new, &old) in genes.iter().enumerate() {
            assert!(
                old < self.n_cols,
                "gene {old} out of range ({} genes)",
                self.n_cols
            );
            new_index[old] = new as u32;
        }
        let mut indptr = Vec::with_capacity(self.n_rows + 1);
        let mut indices = Vec::new();
        let mut values = Vec::new();
        indptr.push(0);
        let mut row: Vec<(u32, f32)> = Vec::new();
        for i in 0..self.n_rows {
            let (cols, vals) = self.row(i);
            row.clear();
            for (&j, &v) in cols.iter().zip(vals) {
                let n = new_index[j as usize];
                if n != u32::MAX {
                    row.push((n, v));
                }
            }
            row.sort_by_key(|&(j, _)| j);
            for &(j, v) in &row {
                indices.push(j);
                values.push(v);
            }
            indptr.push(values.len());
        }
        SparseMatrix {
            n_rows: self.n_rows,
            n_cols: genes.len(),
            indptr,
            indices,
            values,
        }
    }

    /// The matrix as a dense row-major `Vec` (`n_rows * n_cols` values).
    pub fn to_dense(&self) -> Vec<f32> {
        let mut dense = vec![0.0f32; self.n_rows * self.n_cols];
        for i in 0..self.n_rows {
            let (cols, vals) = self.row(i);
            let out = &mut dense[i * self.n_cols..(i + 1) * self.n_cols];
            for (&j, &v) in cols.iter().zip(vals) {
                out[j as usize] = v;
            }
        }
        dense
    }

    /// The transpose, again in CSR form (so a genes x cells CSR becomes cells x genes).
    pub fn transpose(&self) -> SparseMatrix {
        let mut counts = vec![0usize; self.n_cols + 1];
        for &j in &self.indices {
            counts[j as usize + 1] += 1;
        }
        for j in 0..self.n_cols {
            counts[j + 1] += counts[j];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.nnz()];
        let mut values = vec![0f32; self.nnz()];
        for i in 0..self.n_rows {
            let (cols, vals) = self.row(i);
            for (&j, &v) in cols.iter().zip(vals) {
                let slot = next[j as usize];
                indices[slot] = i as u32;
                values[slot] = v;
                next[j as usize] += 1;
            }
        }
        SparseMatrix {
            n_rows: self.n_cols,
            n_cols: self.n_rows,
            indptr,
            indices,
            values,
        }
    }
}

/// Positions of `wanted` genes in `names`, erroring on the first missing one.
pub(crate) fn gene_positions<S: AsRef<str>>(names: &[String], wanted: &[S]) -> Result<Vec<usize>> {
    let index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    wanted
        .iter()
        .map(|g| {
            index.get(g.as_ref()).copied().ok_or_else(|| {
                DataError::Invalid(format!("gene `{}` is not in the data", g.as_ref()))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsorted_rows_are_sorted_and_repeats_summed() {
        let m =
            SparseMatrix::from_csr(1, 3, vec![0, 3], vec![2, 0, 2], vec![1.0, 5.0, 2.0]).unwrap();
        assert_eq!(m.indices(), &[0, 2]);
        assert_eq!(m.to_dense(), vec![5.0, 0.0, 3.0]);
    }

    #[test]
    fn transpose_and_dense_agree() {
        let dense = vec![0.0, 1.0, 2.0, 3.0, 0.0, 0.0];
        let m = SparseMatrix::from_dense(&dense, 2, 3).unwrap();
        assert_eq!(m.nnz(), 3);
        assert_eq!(m.transpose().to_dense(), vec![0.0, 3.0, 1.0, 0.0, 2.0, 0.0]);
        assert_eq!(m.transpose().transpose(), m);
        assert_eq!(m.column_nonzero_counts(), vec![1, 1, 1]);
    }

    #[test]
    fn rejects_bad_csr() {
        assert!(SparseMatrix::from_csr(1, 2, vec![0, 1], vec![2], vec![1.0]).is_err());
        assert!(SparseMatrix::from_csr(2, 2, vec![0, 1], vec![0], vec![1.0]).is_err());
        assert!(SparseMatrix::from_csr(2, 2, vec![0, 1, 0], vec![0], vec![1.0]).is_err());
        assert!(SparseMatrix::from_csr(1, 2, vec![0, 1], vec![0], vec![f32::NAN]).is_err());
    }

    #[test]
    fn gene_positions_name_the_missing_gene() {
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(gene_positions(&names, &["c", "a"]).unwrap(), vec![2, 0]);
        let e = gene_positions(&names, &["zz"]).unwrap_err();
        assert!(e.to_string().contains("`zz`"));
    }
}
