//! Per-cell and per-gene transforms.

use crate::{DataError, Dataset, Result};

/// scanpy's usual `target_sum` for [`normalize_total`]: counts per 10,000.
pub const DEFAULT_TARGET_SUM: f32 = 1e4;

/// Scales every cell so that its values sum to `target_sum` (library-size normalisation, like
/// scanpy's `normalize_total(target_sum=...)`). Cells whose values sum to zero are left as they
/// are.
///
/// The arithmetic follows scanpy on `float32` data: the per-cell divisor
/// `total / target_sum` is computed and rounded to `f32`, then every value is divided by it.
///
/// Errors if `target_sum` is not positive and finite, or a cell's total is negative or not
/// finite (naming the cell).
pub fn normalize_total(data: &mut Dataset, target_sum: f32) -> Result<()> {
    if !(target_sum > 0.0 && target_sum.is_finite()) {
        return Err(DataError::Invalid(format!(
            "target_sum must be positive and finite, got {target_sum}"
        )));
    }
    let n_genes = data.n_genes();
    if n_genes == 0 {
        return Ok(());
    }
    let totals: Vec<f64> = (0..data.n_cells())
        .map(|i| data.row(i).nonzeros().map(|(_, v)| f64::from(v)).sum())
        .collect();
    if let Some(i) = totals.iter().position(|t| !(t.is_finite() && *t >= 0.0)) {
        return Err(DataError::Invalid(format!(
            "cell `{}` has total {} (library-size normalisation needs non-negative counts)",
            data.cell_ids()[i],
            totals[i]
        )));
    }
    // scanpy: counts (float32) / target_sum -> float32 divisor, then X / divisor; cells
    // without counts are left alone (x / 1 = x exactly).
    let divisors: Vec<f32> = totals
        .iter()
        .map(|&t| {
            if t == 0.0 {
                1.0
            } else {
                (t as f32) / target_sum
            }
        })
        .collect();
    data.divide_rows(&divisors);
    Ok(())
}

/// Replaces every value `x` by `ln(1 + x)` (natural log, like scanpy's `log1p`).
///
/// Errors if a value is at or below -1 (its logarithm is undefined), naming cell and gene.
pub fn log1p(data: &mut Dataset) -> Result<()> {
    let bad = (0..data.n_cells()).find_map(|i| {
        data.row(i)
            .nonzeros()
            .find(|&(_, v)| v <= -1.0)
            .map(|(j, v)| (i, j, v))
    });
    if let Some((i, j, v)) = bad {
        return Err(DataError::Invalid(format!(
            "cannot take log1p of {v} (cell `{}`, gene `{}`): values must be > -1",
            data.cell_ids()[i],
            data.gene_names()[j]
        )));
    }
    data.map_stored_values(f32::ln_1p);
    Ok(())
}

/// Drops genes whose values are the same in every cell (zero variance) and returns the
/// remaining data set with the indices of the kept genes (ascending, into the input's genes),
/// so the same selection can be applied to other data.
///
/// ```
/// use kratos_data::{Dataset, preprocess::drop_zero_variance_genes};
/// let ds = Dataset::from_matrix(vec![1.0, 5.0, 2.0, 1.0, 5.0, 3.0], 2, 3)?;
/// let (kept_data, kept) = drop_zero_variance_genes(&ds);
/// assert_eq!(kept, vec![2]);
/// assert_eq!(kept_data.gene_names(), &["gene2"]);
/// # Ok::<(), kratos_data::DataError>(())
/// ```
pub fn drop_zero_variance_genes(data: &Dataset) -> (Dataset, Vec<usize>) {
    let all: Vec<usize> = (0..data.n_cells()).collect();
    let (min, max) = data.gene_ranges(&all);
    let kept: Vec<usize> = (0..data.n_genes()).filter(|&j| min[j] < max[j]).collect();
    (data.select_genes(&kept), kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_skips_empty_cells_and_rejects_bad_targets() {
        let mut ds = Dataset::from_matrix(vec![0.0, 0.0, 2.0, 2.0], 2, 2).unwrap();
        normalize_total(&mut ds, 10.0).unwrap();
        assert_eq!(ds.to_dense_values(), [0.0, 0.0, 5.0, 5.0]);
        assert!(normalize_total(&mut ds, 0.0).is_err());
        assert!(normalize_total(&mut ds, f32::NAN).is_err());
    }

    #[test]
    fn log1p_rejects_values_at_minus_one() {
        let ds = Dataset::from_matrix(vec![0.0, -1.0], 1, 2).unwrap();
        for mut d in [ds.clone(), ds.into_sparse()] {
            let e = log1p(&mut d).unwrap_err().to_string();
            assert!(e.contains("gene `gene1`"), "{e}");
        }
    }
}
