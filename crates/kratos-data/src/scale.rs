//! Per-gene min-max scaling, fitted on one set of cells and applied to any other.

use serde::{Deserialize, Serialize};

use crate::{DataError, Dataset, Result};

/// Maps each gene to [0, 1] using the minimum and maximum seen when fitting.
///
/// Fit it on the training split only and apply the same transform to every other cell
/// (validation, test, cells to explain): values outside the fitted range map outside [0, 1],
/// exactly as scikit-learn's `MinMaxScaler` does. A gene that is constant in the fitted cells
/// maps to 0 (its range is treated as 1, like scikit-learn).
///
/// ```
/// use kratos_data::{Dataset, MinMaxScaler};
/// let train = Dataset::from_matrix(vec![0.0, 10.0, 4.0, 10.0], 2, 2)?;
/// let scaler = MinMaxScaler::fit(&train)?;
/// assert_eq!(scaler.transform(&train)?.to_dense_values(), [0.0, 0.0, 1.0, 0.0]);
/// # Ok::<(), kratos_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinMaxScaler {
    min: Vec<f32>,
    range: Vec<f32>,
    gene_names: Vec<String>,
}

impl MinMaxScaler {
    /// Fits the per-gene minimum and range on all cells of `data`.
    pub fn fit(data: &Dataset) -> Result<Self> {
        let all: Vec<usize> = (0..data.n_cells()).collect();
        Self::fit_cells(data, &all)
    }

    /// Fits the per-gene minimum and range on the cells `cells` of `data` (row indices), without
    /// copying them out: `fit_cells(data, rows)` equals `fit(&data.select_cells(rows))`.
    ///
    /// Errors if `cells` is empty or holds an index past the last cell.
    pub fn fit_cells(data: &Dataset, cells: &[usize]) -> Result<Self> {
        let n = data.n_cells();
        if cells.is_empty() {
            return Err(DataError::Invalid(
                "cannot fit a scaler on zero cells".into(),
            ));
        }
        if let Some(&bad) = cells.iter().find(|&&c| c >= n) {
            return Err(DataError::Invalid(format!(
                "cell index {bad} is out of range for {n} cells"
            )));
        }
        let (min, max) = data.gene_ranges(cells);
        let range = min
            .iter()
            .zip(&max)
            .map(|(lo, hi)| {
                let r = hi - lo;
                if r > 0.0 && r.is_finite() { r } else { 1.0 }
            })
            .collect();
        Ok(MinMaxScaler {
            min,
            range,
            gene_names: data.gene_names().to_vec(),
        })
    }

    /// Number of genes the scaler was fitted on.
    pub fn n_genes(&self) -> usize {
        self.min.len()
    }

    /// The fitted per-gene minimum.
    pub fn min(&self) -> &[f32] {
        &self.min
    }

    /// The fitted per-gene range (max − min, or 1 for constant genes).
    pub fn range(&self) -> &[f32] {
        &self.range
    }

    /// The genes the scaler was fitted on, in order.
    pub fn gene_names(&self) -> &[String] {
        &self.gene_names
    }

    /// Scales row-major values in place (`values.len()` must be a multiple of the gene count).
    pub fn transform_in_place(&self, values: &mut [f32]) -> Result<()> {
        let g = self.min.len();
        if g == 0 || !values.len().is_multiple_of(g) {
            return Err(DataError::Invalid(format!(
                "{} values are not whole rows of {g} genes",
                values.len()
            )));
        }
        for row in values.chunks_exact_mut(g) {
            for ((v, lo), r) in row.iter_mut().zip(&self.min).zip(&self.range) {
                *v = (*v - lo) / r;
            }
        }
        Ok(())
    }

    /// Returns a scaled copy of `data`. Its genes must be the fitted genes, in the same order.
    ///
    /// Sparse data stay sparse when every fitted minimum is 0 (as for counts, where zeros map
    /// to 0); otherwise the copy is dense.
    pub fn transform(&self, data: &Dataset) -> Result<Dataset> {
        if data.gene_names() != self.gene_names.as_slice() {
            return Err(DataError::Invalid(format!(
                "the data's {} genes are not the {} genes the scaler was fitted on (same names, same order)",
                data.n_genes(),
                self.n_genes()
            )));
        }
        let mut out = if self.min.iter().all(|&m| m == 0.0) {
            data.clone()
        } else {
            data.clone().into_dense()
        };
        out.map_stored_by_gene(|j, v| (v - self.min[j]) / self.range[j]);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_data_scale_as_dense_data_do() {
        let counts = Dataset::from_matrix(vec![0.0, 4.0, 2.0, 0.0, 1.0, 8.0], 3, 2).unwrap();
        let shifted = Dataset::from_matrix(vec![1.0, 4.0, 2.0, 3.0, 1.0, 8.0], 3, 2).unwrap();
        for dense in [counts, shifted] {
            let sparse = dense.clone().into_sparse();
            let scaler = MinMaxScaler::fit_cells(&sparse, &[0, 1, 2]).unwrap();
            assert_eq!(scaler, MinMaxScaler::fit(&dense).unwrap());
            let (a, b) = (
                scaler.transform(&dense).unwrap(),
                scaler.transform(&sparse).unwrap(),
            );
            assert_eq!(a.to_dense_values(), b.to_dense_values());
            // Zeros map to zero only when every minimum is zero.
            assert_eq!(b.is_sparse(), scaler.min().iter().all(|&m| m == 0.0));
        }
    }
}
