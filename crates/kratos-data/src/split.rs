//! Seeded, stratified splits: train/test and k-fold.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::{DataError, Labels, Result};

/// Cell indices of a train/test split (each sorted ascending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainTestSplit {
    /// Training cells.
    pub train: Vec<usize>,
    /// Test cells.
    pub test: Vec<usize>,
}

fn shuffled_members(labels: &Labels, rng: &mut ChaCha8Rng) -> Vec<Vec<usize>> {
    let mut members = vec![Vec::new(); labels.n_classes()];
    for (i, &k) in labels.assignments().iter().enumerate() {
        members[k].push(i);
    }
    for m in &mut members {
        m.shuffle(rng);
    }
    members
}

/// Splits cells into train and test, stratified by class: each class sends
/// `round(test_fraction · n_class)` cells (at least one, at most `n_class − 1`) to the test side.
///
/// Errors if `test_fraction` is not in (0, 1) or a class (with at least one cell) has fewer than
/// two cells, naming the class. Classes without cells are ignored.
///
/// ```
/// use kratos_data::{Labels, stratified_split};
/// let labels = Labels::from_names(&["a", "a", "a", "b", "b", "b", "b", "b", "b", "b"])?;
/// let s = stratified_split(&labels, 0.3, 7)?;
/// assert_eq!((s.train.len(), s.test.len()), (7, 3));
/// # Ok::<(), kratos_data::DataError>(())
/// ```
pub fn stratified_split(labels: &Labels, test_fraction: f64, seed: u64) -> Result<TrainTestSplit> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(DataError::Invalid(format!(
            "test fraction must lie strictly between 0 and 1, got {test_fraction}"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let members = shuffled_members(labels, &mut rng);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (k, m) in members.iter().enumerate() {
        if m.is_empty() {
            continue;
        }
        if m.len() < 2 {
            return Err(DataError::ClassTooSmall {
                class: labels.class_names()[k].clone(),
                count: m.len(),
                needed: 2,
            });
        }
        let n_test = ((m.len() as f64 * test_fraction).round() as usize).clamp(1, m.len() - 1);
        test.extend_from_slice(&m[..n_test]);
        train.extend_from_slice(&m[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    Ok(TrainTestSplit { train, test })
}

/// Stratified k-fold: returns `k` (train, test) splits whose test sides partition the cells, each
/// class spread as evenly as possible over the folds (fold sizes per class differ by at most one).
///
/// Errors if `k < 2` or a class has fewer than `k` cells, naming the class.
pub fn stratified_k_fold(labels: &Labels, k: usize, seed: u64) -> Result<Vec<TrainTestSplit>> {
    if k < 2 {
        return Err(DataError::Invalid(format!("k-fold needs k >= 2, got {k}")));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let members = shuffled_members(labels, &mut rng);
    let mut fold_of = vec![0usize; labels.len()];
    // Deal each class's cells round-robin, continuing where the previous class stopped so that
    // total fold sizes stay balanced too.
    let mut next = 0usize;
    for (c, m) in members.iter().enumerate() {
        if m.is_empty() {
            continue;
        }
        if m.len() < k {
            return Err(DataError::ClassTooSmall {
                class: labels.class_names()[c].clone(),
                count: m.len(),
                needed: k,
            });
        }
        for &cell in m {
            fold_of[cell] = next % k;
            next += 1;
        }
    }
    Ok((0..k)
        .map(|f| {
            let (test, train): (Vec<usize>, Vec<usize>) =
                (0..labels.len()).partition(|&i| fold_of[i] == f);
            TrainTestSplit { train, test }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_small_class_is_named() {
        let labels = Labels::from_names(&["a", "a", "a", "lonely"]).unwrap();
        let err = stratified_split(&labels, 0.3, 1).unwrap_err().to_string();
        assert!(err.contains("`lonely` has 1 cell"), "{err}");
        let err = stratified_k_fold(&labels, 3, 1).unwrap_err().to_string();
        assert!(err.contains("`lonely`"), "{err}");
    }

    #[test]
    fn same_seed_same_split() {
        let names: Vec<String> = (0..50).map(|i| format!("c{}", i % 3)).collect();
        let labels = Labels::from_names(&names).unwrap();
        assert_eq!(
            stratified_split(&labels, 0.3, 9).unwrap(),
            stratified_split(&labels, 0.3, 9).unwrap()
        );
        assert_ne!(
            stratified_split(&labels, 0.3, 9).unwrap(),
            stratified_split(&labels, 0.3, 10).unwrap()
        );
    }
}
