//! Clustering metrics: agreement between two partitions (ARI, AMI, NMI), the silhouette of a
//! labelling, and seeded k-means. Definitions follow scikit-learn's so that numbers can be
//! compared with the paper's (which used it).

mod agreement;
mod kmeans;
mod silhouette;

pub use agreement::{
    adjusted_mutual_information, adjusted_rand_index, normalized_mutual_information,
};
pub use kmeans::{KMeansFit, KMeansParams, ValidKMeansParams, kmeans};
pub use silhouette::silhouette_score;

use crate::{MetricsError, Result};

/// Checks that `data` holds `n_rows x n_cols` finite values (and `labels`, if given, one per
/// row), naming the first bad value.
pub(crate) fn check_matrix(
    data: &[f32],
    n_rows: usize,
    n_cols: usize,
    labels: Option<&[usize]>,
) -> Result<()> {
    if n_rows.checked_mul(n_cols) != Some(data.len()) {
        return Err(MetricsError::InvalidInput(format!(
            "{} values for {n_rows} rows x {n_cols} columns",
            data.len()
        )));
    }
    if let Some(labels) = labels
        && labels.len() != n_rows
    {
        return Err(MetricsError::InvalidInput(format!(
            "{} labels for {n_rows} rows",
            labels.len()
        )));
    }
    if let Some(i) = data.iter().position(|v| !v.is_finite()) {
        return Err(MetricsError::InvalidInput(format!(
            "row {}, column {}: value {} is not finite",
            i / n_cols.max(1),
            i % n_cols.max(1),
            data[i]
        )));
    }
    Ok(())
}
