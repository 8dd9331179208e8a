//! k-nearest-neighbour classification, scikit-learn's `KNeighborsClassifier` (uniform votes,
//! euclidean distance, brute force), for the joint panel protocol.

use ndarray::{ArrayView2, Axis};
use rayon::prelude::*;

/// The majority class of each row of `test` among its `k` nearest rows of `train` (classes
/// `train_y`, below `classes`); equal votes go to the lower class, as scikit-learn's.
///
/// Panics if the shapes do not fit together (the caller is this crate).
pub fn knn_predict(
    train: ArrayView2<f64>,
    train_y: &[usize],
    classes: usize,
    test: ArrayView2<f64>,
    k: usize,
) -> Vec<usize> {
    assert_eq!(train.nrows(), train_y.len(), "one class per training row");
    assert_eq!(train.ncols(), test.ncols(), "the same features");
    let k = k.min(train.nrows()).max(1);
    let train_sq: Vec<f64> = train
        .axis_iter(Axis(0))
        .map(|r| r.iter().map(|v| v * v).sum())
        .collect();
    // |a − b|² = |a|² + |b|² − 2 a·b, the cross products by one matrix product per block of
    // test rows (bounded memory on large data).
    const BLOCK: usize = 512;
    let blocks: Vec<usize> = (0..test.nrows()).step_by(BLOCK).collect();
    blocks
        .par_iter()
        .flat_map_iter(|&start| {
            let end = (start + BLOCK).min(test.nrows());
            let rows = test.slice(ndarray::s![start..end, ..]);
            let cross = rows.dot(&train.t());
            let train_sq = &train_sq;
            (0..end - start)
                .map(move |i| {
                    let mut d: Vec<(f64, usize)> = cross
                        .row(i)
                        .iter()
                        .zip(train_sq)
                        .enumerate()
                        .map(|(j, (c, t))| (t - 2.0 * c, j))
                        .collect();
                    d.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    let mut votes = vec![0usize; classes];
                    for &(_, j) in &d[..k] {
                        votes[train_y[j]] += 1;
                    }
                    let mut best = 0;
                    for (c, &v) in votes.iter().enumerate() {
                        if v > votes[best] {
                            best = c;
                        }
                    }
                    best
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn the_majority_of_the_nearest_wins() {
        let train = array![[0.0], [0.1], [0.2], [5.0], [5.1], [9.0]];
        let y = [0, 0, 0, 1, 1, 2];
        let test = array![[0.05], [5.05], [8.0]];
        assert_eq!(
            knn_predict(train.view(), &y, 3, test.view(), 1),
            vec![0, 1, 2]
        );
        assert_eq!(
            knn_predict(train.view(), &y, 3, test.view(), 3),
            vec![0, 1, 1]
        );
        // Votes 1:1 between classes 1 and 2 at k = 2 for the last point go to the lower class.
        assert_eq!(knn_predict(train.view(), &y, 3, test.view(), 2)[2], 1);
    }
}
