//! Cross-validation folds of a one-vs-rest problem.

use kratos_data::{Labels, stratified_k_fold};

use crate::Result;

/// Cell indices of one fold: the cells to fit on and the cells to score, each ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fold {
    /// Cells to fit on.
    pub train: Vec<usize>,
    /// Cells to score.
    pub test: Vec<usize>,
}

/// Shuffled, seeded stratified k-fold (kratos-data's) of the cells `y` (true = in the class).
/// The outer folds of the protocol, like the reference's `StratifiedKFold(3, shuffle=True)`.
pub(crate) fn shuffled_stratified_folds(y: &[bool], k: usize, seed: u64) -> Result<Vec<Fold>> {
    let names: Vec<&str> = y.iter().map(|&v| if v { "in" } else { "rest" }).collect();
    let labels = Labels::from_names(&names)?;
    Ok(stratified_k_fold(&labels, k, seed)?
        .into_iter()
        .map(|s| Fold {
            train: s.train,
            test: s.test,
        })
        .collect())
}

/// scikit-learn's `StratifiedKFold(k)` without shuffling, which is what `RandomizedSearchCV(cv=3)`
/// uses for a classifier: the sorted labels are dealt round-robin to count how many cells of each
/// side every fold gets, then each side's cells, in their order, fill fold 0, fold 1, ... in
/// contiguous blocks. Written out (a dozen lines) because the inner search should split exactly
/// as the reference does, and no crate mirrors scikit-learn's split.
///
/// `y` must hold at least `k` cells of each side (the caller checks).
pub(crate) fn unshuffled_stratified_folds(y: &[bool], k: usize) -> Vec<Fold> {
    // Sides numbered by first appearance, as scikit-learn encodes classes.
    let first = y.first().copied().unwrap_or(true);
    let side = |v: bool| usize::from(v != first);
    let count0 = y.iter().filter(|&&v| side(v) == 0).count();
    // Positions [start, end) of a side in the sorted labels; fold i takes positions ≡ i mod k.
    let bounds = [(0, count0), (count0, y.len())];
    let dealt =
        |(start, end): (usize, usize), fold: usize| (start..end).filter(|p| p % k == fold).count();
    let mut fold_of = vec![0usize; y.len()];
    for (s, &range) in bounds.iter().enumerate() {
        let mut folds = (0..k).flat_map(|f| std::iter::repeat_n(f, dealt(range, f)));
        for (cell, _) in y.iter().enumerate().filter(|(_, v)| side(**v) == s) {
            fold_of[cell] = folds.next().unwrap_or(k - 1);
        }
    }
    (0..k)
        .map(|f| {
            let (test, train) = (0..y.len()).partition(|&i| fold_of[i] == f);
            Fold { train, test }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unshuffled_folds_match_scikit_learn() {
        // Test folds of StratifiedKFold(3).split(X, y), printed by scikit-learn 1.9.1.
        let cases: [(&[u8], [&[usize]; 3]); 2] = [
            (
                &[0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1],
                [&[0, 1, 2, 3, 5], &[4, 6, 7, 8, 10], &[9, 11, 12, 13]],
            ),
            (
                &[1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0],
                [&[0, 1, 2, 3, 4], &[5, 6, 7, 8], &[9, 10, 11, 12]],
            ),
        ];
        for (labels, expected) in cases {
            let y: Vec<bool> = labels.iter().map(|&v| v == 1).collect();
            let folds = unshuffled_stratified_folds(&y, 3);
            for (fold, want) in folds.iter().zip(expected) {
                assert_eq!(fold.test, want);
                assert_eq!(fold.train.len() + fold.test.len(), y.len());
            }
        }
    }

    #[test]
    fn shuffled_folds_partition_the_cells() {
        let y: Vec<bool> = (0..30).map(|i| i % 4 == 0).collect();
        let folds = shuffled_stratified_folds(&y, 3, 5).unwrap();
        let mut all: Vec<usize> = folds.iter().flat_map(|f| f.test.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..30).collect::<Vec<_>>());
        assert_eq!(folds, shuffled_stratified_folds(&y, 3, 5).unwrap());
    }
}
