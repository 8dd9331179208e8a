use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::ValidKMeansParams;
use crate::clustering::check_matrix;
use crate::{MetricsError, Result};

/// Points per parallel piece of an assignment step (fixed, so results do not depend on the
/// number of threads).
const POINTS_PER_TASK: usize = 256;

/// The result of k-means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeansFit {
    /// The cluster (0..K) of every row.
    pub labels: Vec<usize>,
    /// The centres, `K x columns` row-major.
    pub centroids: Vec<f64>,
    /// Sum of squared distances of the rows to their centres (scikit-learn's `inertia_`).
    pub inertia: f64,
    /// Lloyd iterations of the run that was kept.
    pub n_iter: usize,
}

/// One run of Lloyd's algorithm, on centred points.
struct Run {
    labels: Vec<usize>,
    centres: Vec<f64>,
    inertia: f64,
    n_iter: usize,
}

/// Row-major points in f64, centred on their column means (as scikit-learn does, for the
/// precision of the distances).
struct Points {
    x: Vec<f64>,
    n: usize,
    d: usize,
}

impl Points {
    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
}

/// Lanes of [`squared_distance`]'s running sums.
const LANES: usize = 8;

/// Σ (a − b)², in [`LANES`] running sums added at the end: a single running sum waits on each
/// addition, eight are vectorised (the quality of citeseq_cbmc's embedding, 30 k-means runs
/// and the silhouette, went from 3.5 s to 2.2 s; docs/performance.md).
fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    let mut sums = [0f64; LANES];
    let (whole_a, whole_b) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let rest: f64 = whole_a
        .remainder()
        .iter()
        .zip(whole_b.remainder())
        .map(|(x, y)| (x - y) * (x - y))
        .sum();
    for (x, y) in whole_a.zip(whole_b) {
        for lane in 0..LANES {
            let t = x[lane] - y[lane];
            sums[lane] += t * t;
        }
    }
    sums.iter().sum::<f64>() + rest
}

impl ValidKMeansParams {
    /// Clusters the row-major points `data` (`n_rows x n_cols`): `n_init` runs of greedy
    /// k-means++ seeding and Lloyd iterations, keeping the run of lowest inertia.
    pub fn fit(&self, data: &[f32], n_rows: usize, n_cols: usize) -> Result<KMeansFit> {
        check_matrix(data, n_rows, n_cols, None)?;
        let k = self.n_clusters;
        if k > n_rows {
            return Err(MetricsError::invalid(
                "n_clusters",
                format!("must be at most the number of rows ({n_rows}), got {k}"),
            ));
        }
        if n_cols == 0 {
            return Err(MetricsError::InvalidInput(
                "k-means needs at least one column".into(),
            ));
        }
        let (n, d) = (n_rows, n_cols);
        let mut mean = vec![0f64; d];
        for row in data.chunks_exact(d) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += v as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let x: Vec<f64> = data
            .chunks_exact(d)
            .flat_map(|row| row.iter().zip(&mean).map(|(&v, m)| v as f64 - m))
            .collect();
        // scikit-learn's tolerance is relative to the data's spread: tol × mean column variance.
        let mean_variance = x.iter().map(|v| v * v).sum::<f64>() / (n * d) as f64;
        let points = Points { x, n, d };
        let tolerance = self.tol * mean_variance;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut best: Option<Run> = None;
        for _ in 0..self.n_init {
            let centres = plus_plus(&points, k, &mut rng);
            let run = lloyd(&points, k, centres, self.max_iter, tolerance);
            if best.as_ref().is_none_or(|b| run.inertia < b.inertia) {
                best = Some(run);
            }
        }
        let best = best.expect("n_init is at least 1");
        let centroids = best
            .centres
            .chunks_exact(d)
            .flat_map(|c| c.iter().zip(&mean).map(|(v, m)| v + m))
            .collect();
        Ok(KMeansFit {
            labels: best.labels,
            centroids,
            inertia: best.inertia,
            n_iter: best.n_iter,
        })
    }
}

/// Greedy k-means++ (scikit-learn's `_kmeans_plusplus`): the first centre uniformly at random,
/// then for each next centre 2 + ⌊ln K⌋ candidates drawn with probability proportional to the
/// squared distance to the nearest centre so far, keeping the candidate that lowers the sum of
/// those distances most.
fn plus_plus(p: &Points, k: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let trials = 2 + (k as f64).ln() as usize;
    let mut centres = Vec::with_capacity(k * p.d);
    let first = rng.random_range(0..p.n);
    centres.extend_from_slice(p.row(first));
    let mut closest: Vec<f64> = (0..p.n)
        .into_par_iter()
        .map(|i| squared_distance(p.row(i), p.row(first)))
        .collect();
    let mut potential: f64 = closest.iter().sum();
    let mut cumulative = vec![0f64; p.n];
    for _ in 1..k {
        let mut running = 0.0;
        for (c, &v) in cumulative.iter_mut().zip(&closest) {
            running += v;
            *c = running;
        }
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let target = rng.random::<f64>() * potential;
            // The first point whose cumulative sum reaches the target (numpy's searchsorted).
            let candidate = cumulative.partition_point(|&c| c < target).min(p.n - 1);
            let distances: Vec<f64> = (0..p.n)
                .into_par_iter()
                .map(|i| closest[i].min(squared_distance(p.row(i), p.row(candidate))))
                .collect();
            let candidate_potential: f64 = distances.iter().sum();
            if best.as_ref().is_none_or(|b| candidate_potential < b.0) {
                best = Some((candidate_potential, candidate, distances));
            }
        }
        let (pot, chosen, distances) = best.expect("at least two trials");
        centres.extend_from_slice(p.row(chosen));
        closest = distances;
        potential = pot;
    }
    centres
}

/// The nearest centre of every point (the lowest index on ties) and the squared distance to it.
fn assign(p: &Points, centres: &[f64]) -> (Vec<usize>, Vec<f64>) {
    let mut labels = vec![0usize; p.n];
    let mut distances = vec![0f64; p.n];
    labels
        .par_chunks_mut(POINTS_PER_TASK)
        .zip(distances.par_chunks_mut(POINTS_PER_TASK))
        .enumerate()
        .for_each(|(task, (labels, distances))| {
            for (i, (label, distance)) in labels.iter_mut().zip(distances.iter_mut()).enumerate() {
                let row = p.row(task * POINTS_PER_TASK + i);
                let (mut best, mut best_distance) = (0, f64::INFINITY);
                for (c, centre) in centres.chunks_exact(p.d).enumerate() {
                    let dist = squared_distance(row, centre);
                    if dist < best_distance {
                        (best, best_distance) = (c, dist);
                    }
                }
                *label = best;
                *distance = best_distance;
            }
        });
    (labels, distances)
}

/// Lloyd's iterations from `centres` until no point changes cluster, the centres move by at
/// most `tolerance` (sum of squared shifts) or `max_iter` is reached; then the points are
/// assigned to the final centres. An empty cluster takes the point farthest from its centre
/// (scikit-learn's relocation).
fn lloyd(p: &Points, k: usize, mut centres: Vec<f64>, max_iter: usize, tolerance: f64) -> Run {
    let d = p.d;
    let mut labels: Vec<usize> = vec![usize::MAX; p.n];
    let mut converged_strictly = false;
    let mut n_iter = 0;
    for iteration in 1..=max_iter {
        n_iter = iteration;
        let (new_labels, distances) = assign(p, &centres);
        let mut sums = vec![0f64; k * d];
        let mut counts = vec![0usize; k];
        for (i, &c) in new_labels.iter().enumerate() {
            counts[c] += 1;
            sums[c * d..(c + 1) * d]
                .iter_mut()
                .zip(p.row(i))
                .for_each(|(s, v)| *s += v);
        }
        let empty: Vec<usize> = (0..k).filter(|&c| counts[c] == 0).collect();
        if !empty.is_empty() {
            let mut far: Vec<usize> = (0..p.n).collect();
            far.sort_by(|&a, &b| distances[b].total_cmp(&distances[a]).then(a.cmp(&b)));
            for (&c, &i) in empty.iter().zip(&far) {
                let old = new_labels[i];
                if counts[old] > 1 {
                    counts[old] -= 1;
                    sums[old * d..(old + 1) * d]
                        .iter_mut()
                        .zip(p.row(i))
                        .for_each(|(s, v)| *s -= v);
                }
                counts[c] = 1;
                sums[c * d..(c + 1) * d].copy_from_slice(p.row(i));
            }
        }
        let mut shift = 0.0;
        for c in 0..k {
            if counts[c] == 0 {
                continue;
            }
            for j in 0..d {
                let v = sums[c * d + j] / counts[c] as f64;
                shift += (v - centres[c * d + j]).powi(2);
                centres[c * d + j] = v;
            }
        }
        if new_labels == labels {
            converged_strictly = true;
            break;
        }
        labels = new_labels;
        if shift <= tolerance {
            break;
        }
    }
    let distances = if converged_strictly {
        labels
            .iter()
            .enumerate()
            .map(|(i, &c)| squared_distance(p.row(i), &centres[c * d..(c + 1) * d]))
            .collect()
    } else {
        let (final_labels, distances) = assign(p, &centres);
        labels = final_labels;
        distances
    };
    Run {
        labels,
        centres,
        inertia: distances.iter().sum(),
        n_iter,
    }
}

#[cfg(test)]
mod tests {
    use crate::{KMeansParams, adjusted_rand_index, kmeans};

    fn blobs() -> (Vec<f32>, Vec<usize>) {
        let data: Vec<f32> = (0..60)
            .flat_map(|i| {
                [
                    (i / 20) as f32 * 10.0 + (i % 5) as f32 * 0.1,
                    (i % 3) as f32 * 0.1,
                ]
            })
            .collect();
        (data, (0..60).map(|i| i / 20).collect())
    }

    #[test]
    fn finds_separated_blobs_and_repeats_with_the_seed() {
        let (data, truth) = blobs();
        let found = kmeans(&data, 60, 2, 3, 1).unwrap();
        assert_eq!(adjusted_rand_index(&truth, &found.labels).unwrap(), 1.0);
        assert_eq!(found, kmeans(&data, 60, 2, 3, 1).unwrap());
        assert_eq!(found.centroids.len(), 3 * 2);
        assert!(kmeans(&data, 60, 2, 0, 1).is_err());
        assert!(kmeans(&data, 60, 2, 61, 1).is_err());
        assert!(kmeans(&data, 59, 2, 3, 1).is_err());
    }

    #[test]
    fn inertia_is_the_sum_of_squared_distances_to_the_centres() {
        let (data, _) = blobs();
        let fit = KMeansParams::new(4)
            .seed(3)
            .check()
            .unwrap()
            .fit(&data, 60, 2)
            .unwrap();
        let direct: f64 = data
            .chunks_exact(2)
            .zip(&fit.labels)
            .map(|(x, &c)| {
                (0..2)
                    .map(|j| (x[j] as f64 - fit.centroids[c * 2 + j]).powi(2))
                    .sum::<f64>()
            })
            .sum();
        assert!((fit.inertia - direct).abs() < 1e-9 * (1.0 + direct));
        // Every point sits with its nearest centre.
        for (x, &c) in data.chunks_exact(2).zip(&fit.labels) {
            let dist = |k: usize| {
                (0..2)
                    .map(|j| (x[j] as f64 - fit.centroids[k * 2 + j]).powi(2))
                    .sum::<f64>()
            };
            assert!((0..4).all(|k| dist(c) <= dist(k) + 1e-12));
        }
    }

    #[test]
    fn more_clusters_than_distinct_points_still_gives_k_labels() {
        // Three distinct points, five clusters: empty clusters are relocated, nothing panics.
        let data = [0.0f32, 0.0, 0.0, 1.0, 1.0, 2.0];
        let fit = kmeans(&data, 6, 1, 5, 2).unwrap();
        assert_eq!(fit.labels.len(), 6);
        assert!(fit.labels.iter().all(|&c| c < 5));
        assert!(fit.inertia.abs() < 1e-12);
    }
}
