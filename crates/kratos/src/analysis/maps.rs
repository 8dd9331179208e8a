//! The 2-D maps of a report: PCA (randomized SVD, [`kratos_metrics::pca`]), t-SNE (bhtsne), and
//! the seeded, stratified subsample of cells the maps are drawn on.

use bhtsne::{Neighbor, tSNE};
use kratos_data::Dataset;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

/// Row-major `n x dims` values.
#[derive(Debug, Clone)]
pub struct Points {
    /// The values, row-major.
    pub values: Vec<f32>,
    /// Rows.
    pub n: usize,
    /// Columns.
    pub dims: usize,
}

impl Points {
    /// The rows `rows` of these points.
    pub fn select(&self, rows: &[usize]) -> Points {
        let mut values = Vec::with_capacity(rows.len() * self.dims);
        for &r in rows {
            values.extend_from_slice(&self.values[r * self.dims..(r + 1) * self.dims]);
        }
        Points {
            values,
            n: rows.len(),
            dims: self.dims,
        }
    }
}

/// At most `max` of the cells `0..assignments.len()`, drawn per class in proportion to its size
/// (at least one cell per class), seeded; sorted. All cells when there are at most `max`.
pub fn stratified_subsample(assignments: &[usize], max: usize, seed: u64) -> Vec<usize> {
    let n = assignments.len();
    if n <= max {
        return (0..n).collect();
    }
    let k = assignments.iter().copied().max().map_or(0, |m| m + 1);
    let mut members = vec![Vec::new(); k];
    for (i, &c) in assignments.iter().enumerate() {
        members[c].push(i);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut chosen = Vec::with_capacity(max);
    for m in &mut members {
        if m.is_empty() {
            continue;
        }
        m.shuffle(&mut rng);
        let take = ((m.len() as f64 * max as f64 / n as f64).round() as usize).clamp(1, m.len());
        chosen.extend_from_slice(&m[..take]);
    }
    chosen.sort_unstable();
    chosen
}

/// The first `components` principal components of the standardised `points`, fitted on the
/// rows `fit_rows` and applied to all rows ([`kratos_metrics::pca`]). `None` if PCA is not
/// defined (fewer than two varying columns or rows) or the solver fails.
pub fn pca(
    values: &[f32],
    n: usize,
    dims: usize,
    fit_rows: &[usize],
    components: usize,
) -> Option<Points> {
    kratos_metrics::pca(values, n, dims, fit_rows, components).map(|(values, dims)| Points {
        values,
        n,
        dims,
    })
}

/// [`pca`] of a data set's cells ([`kratos_metrics::pca_of`]: sparse data are read row by row).
pub fn pca_of(data: &Dataset, fit_rows: &[usize], components: usize) -> Option<Points> {
    kratos_metrics::pca_of(data, fit_rows, components).map(|(values, dims)| Points {
        values,
        n: data.n_cells(),
        dims,
    })
}

/// Parameters of a t-SNE map, for the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TsneParams {
    /// Implementation.
    pub method: &'static str,
    /// Perplexity used (30, or less for small data).
    pub perplexity: f32,
    /// Gradient-descent iterations.
    pub epochs: usize,
    /// Barnes–Hut θ.
    pub theta: f32,
    /// Initialisation.
    pub init: &'static str,
}

/// The exact `k` nearest neighbours (euclidean) of every point, nearest first, ties broken by
/// index. Written here rather than taken from bhtsne's vantage-point tree, which picks its
/// vantage points from an unseeded random generator, so tied distances (duplicate cells) made
/// the maps differ from run to run. Brute force costs O(n² · dims), a fraction of the map's
/// time at the cells a map shows.
fn nearest_neighbors(points: &Points, k: usize) -> Vec<Vec<Neighbor<f32>>> {
    let d = points.dims;
    let k = k.min(points.n - 1);
    (0..points.n)
        .into_par_iter()
        .map(|i| {
            let xi = &points.values[i * d..(i + 1) * d];
            let mut all: Vec<(f32, usize)> = (0..points.n)
                .filter(|&j| j != i)
                .map(|j| {
                    let xj = &points.values[j * d..(j + 1) * d];
                    let d2: f32 = xi.iter().zip(xj).map(|(a, b)| (a - b) * (a - b)).sum();
                    (d2, j)
                })
                .collect();
            let cmp = |a: &(f32, usize), b: &(f32, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
            if all.len() > k {
                all.select_nth_unstable_by(k, cmp);
                all.truncate(k);
            }
            all.sort_by(cmp);
            all.into_iter()
                .map(|(d2, index)| Neighbor {
                    index,
                    distance: d2.sqrt(),
                })
                .collect()
        })
        .collect()
}

/// The perplexity used for `n` points: 30, or less so that 3 · perplexity < n − 1.
fn perplexity_for(n: usize) -> Option<f32> {
    let max = (n as f32 - 2.0) / 3.0;
    (max >= 2.0).then(|| max.min(30.0))
}

/// A 2-D t-SNE map of `points` (Barnes–Hut, θ 0.5, 750 iterations, PCA initialisation scaled to
/// standard deviation 1e-4 as openTSNE does, so the map is deterministic). `on_epoch(epoch)`
/// is called after every iteration. `None` for fewer than 9 points.
pub fn tsne(
    points: &Points,
    mut on_epoch: impl FnMut(usize) + Send,
) -> Option<(Vec<[f32; 2]>, TsneParams)> {
    let perplexity = perplexity_for(points.n)?;
    let params = TsneParams {
        method: "t-SNE (bhtsne, Barnes-Hut)",
        perplexity,
        epochs: 750,
        theta: 0.5,
        init: "PCA, scaled to sd 1e-4",
    };
    let all: Vec<usize> = (0..points.n).collect();
    let init: Vec<f32> = match pca(&points.values, points.n, points.dims, &all, 2) {
        Some(p) if p.dims == 2 => {
            let sd = (p.values.iter().map(|v| v * v).sum::<f32>() / p.values.len() as f32).sqrt();
            let scale = if sd > 0.0 { 1e-4 / sd } else { 1.0 };
            p.values.iter().map(|v| v * scale).collect()
        }
        // Fallback: a deterministic spiral.
        _ => (0..points.n)
            .flat_map(|i| {
                let t = i as f32 * 0.1;
                [1e-4 * t.cos(), 1e-4 * t.sin()]
            })
            .collect(),
    };
    let rows: Vec<&[f32]> = points.values.chunks(points.dims).collect();
    let neighbors = nearest_neighbors(points, (3.0 * perplexity) as usize);
    // bhtsne sums with rayon's parallel `sum`, whose floating-point order depends on work
    // stealing, so the same input gave slightly different maps from run to run. One thread
    // makes the map a function of the input (the report must be reproducible).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .ok()?;
    // bhtsne panics on parameters it rejects; they are checked above, and a panic inside it
    // would only cost the map, not the run.
    let result = pool
        .install(|| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut model: tSNE<f32, &[f32]> = tSNE::new(&rows);
                model
                    .perplexity(perplexity)
                    .epochs(params.epochs)
                    .initial_embedding(init)
                    .epoch_callback(|e, _| on_epoch(e))
                    .barnes_hut_with_neighbors(params.theta, &neighbors);
                model.embedding()
            }))
        })
        .ok()?;
    let map: Vec<[f32; 2]> = result.chunks(2).map(|c| [c[0], c[1]]).collect();
    (map.len() == points.n && map.iter().all(|p| p[0].is_finite() && p[1].is_finite()))
        .then_some((map, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs() -> (Points, Vec<usize>) {
        // Three tight groups in 5-d.
        let mut values = Vec::new();
        let mut labels = Vec::new();
        for i in 0..60 {
            let c = i % 3;
            for d in 0..5 {
                let centre = if d == c { 10.0 } else { 0.0 };
                values.push(centre + ((i * 7 + d * 13) % 10) as f32 * 0.05);
            }
            labels.push(c);
        }
        (
            Points {
                values,
                n: 60,
                dims: 5,
            },
            labels,
        )
    }

    #[test]
    fn subsample_is_stratified_and_seeded() {
        let labels: Vec<usize> = (0..1000).map(|i| if i < 900 { 0 } else { 1 }).collect();
        let a = stratified_subsample(&labels, 100, 1);
        assert_eq!(a, stratified_subsample(&labels, 100, 1));
        assert_eq!(a.len(), 100);
        assert_eq!(a.iter().filter(|&&i| i >= 900).count(), 10);
        assert_eq!(stratified_subsample(&labels[..50], 100, 1).len(), 50);
    }

    #[test]
    fn pca_separates_groups() {
        let (p, labels) = blobs();
        let all: Vec<usize> = (0..p.n).collect();
        let y = pca(&p.values, p.n, p.dims, &all, 2).unwrap();
        assert_eq!((y.n, y.dims), (60, 2));
        // Points of one group are closer to each other than to another group.
        let d = |a: usize, b: usize| {
            (0..2)
                .map(|j| (y.values[a * 2 + j] - y.values[b * 2 + j]).powi(2))
                .sum::<f32>()
        };
        assert_eq!(labels[0], labels[3]);
        assert!(d(0, 3) < d(0, 1));
    }

    #[test]
    fn tsne_is_deterministic_and_finite() {
        let (p, _) = blobs();
        let mut epochs = 0;
        let (a, params) = tsne(&p, |_| epochs += 1).unwrap();
        let (b, _) = tsne(&p, |_| {}).unwrap();
        assert_eq!(a.len(), 60);
        assert_eq!(a, b);
        assert!(params.perplexity < 30.0);
        assert!(epochs > 0);
    }

    #[test]
    fn tiny_inputs_give_no_map() {
        let p = Points {
            values: vec![0.0; 10],
            n: 5,
            dims: 2,
        };
        assert!(tsne(&p, |_| {}).is_none());
    }
}
