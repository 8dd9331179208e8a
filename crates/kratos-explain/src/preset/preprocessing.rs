use kratos_data::Dataset;
use serde::{Deserialize, Serialize};

/// A transform applied to every value before the model's min-max scaling (to the training
/// cells and, identically, to the cells explained).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preprocessing {
    /// Values are used as given (the paper).
    AsIs,
    /// `ln(1 + x)` of every value (values must be > −1).
    Log1p,
    /// `ln(1 + x)` when the training data look like counts (every value a non-negative
    /// integer, see [`looks_like_counts`]), otherwise as given. Single-cell counts span orders
    /// of magnitude: min-max scaling of raw counts squeezes most cells of a gene with a few
    /// large outliers into a sliver near 0, whereas log expression is the standard scale on
    /// which expression changes are compared. Data already log-normalised or scaled (not
    /// integer) are left alone.
    Log1pIfCounts,
}

impl Preprocessing {
    /// Whether this step transforms `training` data: always for [`Preprocessing::Log1p`],
    /// never for [`Preprocessing::AsIs`], and for [`Preprocessing::Log1pIfCounts`] when the
    /// data look like counts.
    pub fn applies_to(self, training: &Dataset) -> bool {
        match self {
            Preprocessing::AsIs => false,
            Preprocessing::Log1p => true,
            Preprocessing::Log1pIfCounts => looks_like_counts(training),
        }
    }

    /// [`Preprocessing::applies_to`] for the training cells `cells` (row indices) of `data`,
    /// without copying them out. Indices past the last cell are ignored.
    pub fn applies_to_cells(self, data: &Dataset, cells: &[usize]) -> bool {
        match self {
            Preprocessing::AsIs => false,
            Preprocessing::Log1p => true,
            Preprocessing::Log1pIfCounts => rows_look_like_counts(|| {
                cells
                    .iter()
                    .filter(|&&c| c < data.n_cells())
                    .flat_map(|&c| data.row(c).nonzeros().map(|(_, v)| v))
            }),
        }
    }
}

/// Whether every value of `data` is a non-negative integer and at least one is above 1 — what
/// raw UMI or read counts look like (log-normalised or scaled data have fractional values).
///
/// ```
/// use kratos_data::Dataset;
/// use kratos_explain::looks_like_counts;
/// assert!(looks_like_counts(&Dataset::from_matrix(vec![0.0, 3.0, 12.0, 1.0], 2, 2)?));
/// assert!(!looks_like_counts(&Dataset::from_matrix(vec![0.0, 0.69, 2.5, 1.1], 2, 2)?));
/// # Ok::<(), kratos_data::DataError>(())
/// ```
pub fn looks_like_counts(data: &Dataset) -> bool {
    rows_look_like_counts(|| data.stored_values().iter().copied())
}

/// The test of [`looks_like_counts`] on the values `values()` yields (called twice; zeros
/// may be left out, since 0 passes the first test and fails the second).
fn rows_look_like_counts<I: Iterator<Item = f32>>(values: impl Fn() -> I) -> bool {
    values().all(|v| v >= 0.0 && v.fract() == 0.0) && values().any(|v| v > 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preprocessing_decides_the_same_on_rows_as_on_a_copy() {
        let data = Dataset::from_matrix(vec![0.0, 3.0, 0.5, 1.0, 2.0, 0.0], 3, 2).unwrap();
        for rows in [vec![0, 2], vec![1], vec![0, 1, 2], vec![]] {
            for p in [
                Preprocessing::AsIs,
                Preprocessing::Log1p,
                Preprocessing::Log1pIfCounts,
            ] {
                assert_eq!(
                    p.applies_to_cells(&data, &rows),
                    p.applies_to(&data.select_cells(&rows)),
                    "{p:?} on {rows:?}"
                );
            }
        }
    }

    #[test]
    fn counts_are_recognised() {
        let counts = Dataset::from_matrix(vec![0.0, 5.0, 2.0, 0.0], 2, 2).unwrap();
        let logged = Dataset::from_matrix(vec![0.0, 1.79, 1.1, 0.0], 2, 2).unwrap();
        let negative = Dataset::from_matrix(vec![-1.0, 5.0, 2.0, 0.0], 2, 2).unwrap();
        let binary = Dataset::from_matrix(vec![0.0, 1.0, 1.0, 0.0], 2, 2).unwrap();
        assert!(looks_like_counts(&counts));
        assert!(!looks_like_counts(&logged));
        assert!(!looks_like_counts(&negative));
        assert!(!looks_like_counts(&binary));
        assert!(Preprocessing::Log1pIfCounts.applies_to(&counts));
        assert!(!Preprocessing::Log1pIfCounts.applies_to(&logged));
        assert!(Preprocessing::Log1p.applies_to(&logged));
        assert!(!Preprocessing::AsIs.applies_to(&counts));
    }
}
