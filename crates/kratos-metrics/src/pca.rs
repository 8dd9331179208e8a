//! Principal component analysis by randomized SVD, for the PCA baselines (the input's PCA in
//! `kratos run`'s report, Table 2 of `kratos reproduce`, the three-step panel and the t-SNE
//! initialisation).
//!
//! Written here rather than taken from linfa-reduction, whose `Pca` runs LOBPCG: on a
//! PBMC3k-shaped matrix it was the longest step of `kratos run` after training and the
//! explainers (docs/performance.md). The maintained crate with a randomized PCA
//! (petal-decomposition) needs LAPACK. The algorithm is the one scikit-learn's
//! `PCA` chooses for such shapes (`svd_solver="auto"` → randomized for inputs larger than 500 x
//! 500 and fewer than 80% of the components; Halko, Martinsson & Tropp 2011, Algorithm 4.4 with
//! re-orthonormalisation at each power iteration): its products go through ndarray's GEMM and
//! only matrices of `components + 10` columns are decomposed (linfa-linalg's QR and symmetric
//! eigendecomposition).

use kratos_data::Dataset;
use linfa_linalg::eigh::Eigh;
use linfa_linalg::qr::QR;
use ndarray::{Array1, Array2, ArrayView2, Axis, s};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

/// Extra random directions beyond the components asked for (scikit-learn's `n_oversamples`).
const OVERSAMPLES: usize = 10;
/// Power iterations (scikit-learn's `n_iter="auto"` for fewer components than 10% of the
/// smaller dimension).
const POWER_ITERATIONS: usize = 7;
/// Seed of the random test matrix: the components do not depend on the run.
const SEED: u64 = 42;

/// A fitted PCA: the mean of the fitted rows and the components (`d x dims`, one per row,
/// largest variance first).
#[derive(Debug, Clone)]
struct FittedPca {
    mean: Array1<f64>,
    components: Array2<f64>,
}

impl FittedPca {
    /// The first `k` principal components of the rows of `x` (`n x dims`), fewer if `x` has
    /// lower rank. `None` when `x` has no rows or columns, or a decomposition fails.
    fn fit(x: ArrayView2<'_, f64>, k: usize) -> Option<FittedPca> {
        let (n, dims) = x.dim();
        if n == 0 || dims == 0 || k == 0 {
            return None;
        }
        let mean = x.mean_axis(Axis(0))?;
        let centred = &x - &mean;
        let width = (k + OVERSAMPLES).min(n).min(dims);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(SEED);
        let test = Array2::from_shape_simple_fn((dims, width), || StandardNormal.sample(&mut rng));
        // An orthonormal basis of the range of (X Xᵀ)^q X Ω.
        let mut basis = orthonormal(centred.dot(&test))?;
        for _ in 0..POWER_ITERATIONS {
            let back = orthonormal(centred.t().dot(&basis))?;
            basis = orthonormal(centred.dot(&back))?;
        }
        // X ≈ Q B with B = Qᵀ X small (width x dims); its right singular vectors are X's. They
        // come from the eigendecomposition of B Bᵀ = U Σ² Uᵀ: V = Σ⁻¹ Uᵀ B.
        let small = basis.t().dot(&centred);
        let (values, vectors) = small.dot(&small.t()).eigh().ok()?;
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
        let largest = values[order[0]].max(0.0);
        let kept: Vec<usize> = order
            .into_iter()
            .take(k)
            .filter(|&i| values[i] > largest * 1e-12 && values[i] > 0.0)
            .collect();
        let mut components = Array2::zeros((kept.len(), dims));
        for (mut row, &i) in components.rows_mut().into_iter().zip(&kept) {
            row.assign(&(vectors.column(i).dot(&small) / values[i].sqrt()));
            // A component's sign is arbitrary; make its largest entry positive, so that the
            // projections do not depend on the solver's rounding.
            let largest = row
                .iter()
                .copied()
                .max_by(|a, b| a.abs().total_cmp(&b.abs()))
                .unwrap_or(0.0);
            if largest < 0.0 {
                row.mapv_inplace(|v| -v);
            }
        }
        Some(FittedPca { mean, components })
    }

    /// Number of components.
    fn n_components(&self) -> usize {
        self.components.nrows()
    }

    /// The projections of the rows of `x` on the components (`n x d`).
    fn project(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        (&x - &self.mean).dot(&self.components.t())
    }
}

/// The Q factor of the thin QR decomposition of `y` (tall: rows ≥ columns).
fn orthonormal(y: Array2<f64>) -> Option<Array2<f64>> {
    let columns = y.ncols();
    let q = y.qr().ok()?.generate_q();
    Some(q.slice(s![.., ..columns]).to_owned())
}

/// The first `components` principal components (row-major `n x d`, with `d` the number of
/// components obtained) of the per-gene standardised `values` (`n x dims`, row-major),
/// fitted on the rows `fit_rows` and applied to all rows. `None` when PCA is not defined
/// (fewer than two rows or varying columns) or the solver fails. Randomized SVD, as
/// scikit-learn's `PCA` for inputs of this size (seeded: the same input gives the same
/// components; each component's largest loading is positive).
///
/// ```
/// // Two groups along the first column; the first component separates them.
/// let values = [0.0f32, 1.0, 0.1, 2.0, 5.0, 1.5, 5.1, 1.0];
/// let (y, d) = kratos_metrics::pca(&values, 4, 2, &[0, 1, 2, 3], 1).unwrap();
/// assert_eq!((y.len(), d), (4, 1));
/// assert!(y[0] * y[2] < 0.0);
/// ```
pub fn pca(
    values: &[f32],
    n: usize,
    dims: usize,
    fit_rows: &[usize],
    components: usize,
) -> Option<(Vec<f32>, usize)> {
    if values.len() != n * dims || n == 0 || dims == 0 {
        return None;
    }
    // Column statistics from two passes over `values`.
    let mut mean = vec![0.0f64; dims];
    for row in values.chunks_exact(dims) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += v as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let mut sd = vec![0.0f64; dims];
    for row in values.chunks_exact(dims) {
        for ((s, &v), m) in sd.iter_mut().zip(row).zip(&mean) {
            *s += (v as f64 - m).powi(2);
        }
    }
    sd.iter_mut().for_each(|s| *s = (*s / n as f64).sqrt());
    let columns = ColumnScale { mean, sd };
    columns.fit_and_project(n, fit_rows, components, |r, out| {
        for (o, &v) in out.iter_mut().zip(&values[r * dims..(r + 1) * dims]) {
            *o = v as f64;
        }
    })
}

/// [`pca`] of a data set's cells (rows) and genes (columns), read row by row, so sparse data
/// are never made dense as a whole (dense data go through [`pca`] itself).
///
/// ```
/// use kratos_data::Dataset;
/// let values = vec![0.0f32, 1.0, 0.1, 2.0, 5.0, 0.0, 5.1, 1.0];
/// let dense = Dataset::from_matrix(values.clone(), 4, 2)?;
/// let a = kratos_metrics::pca_of(&dense, &[0, 1, 2, 3], 1).unwrap();
/// let b = kratos_metrics::pca_of(&dense.into_sparse(), &[0, 1, 2, 3], 1).unwrap();
/// assert!(a.0.iter().zip(&b.0).all(|(x, y)| (x - y).abs() < 1e-4));
/// # Ok::<(), kratos_data::DataError>(())
/// ```
pub fn pca_of(data: &Dataset, fit_rows: &[usize], components: usize) -> Option<(Vec<f32>, usize)> {
    let (n, dims) = data.shape();
    if let Some(values) = data.dense_values() {
        return pca(values, n, dims, fit_rows, components);
    }
    if n == 0 || dims == 0 {
        return None;
    }
    // Zeros a sparse row does not store add nothing to the sums and (0 − mean)² each to the
    // squared deviations.
    let mut mean = vec![0.0f64; dims];
    let mut stored = vec![0usize; dims];
    for i in 0..n {
        for (j, v) in data.row(i).nonzeros() {
            mean[j] += v as f64;
            stored[j] += 1;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let mut sd: Vec<f64> = mean
        .iter()
        .zip(&stored)
        .map(|(m, &s)| (n - s) as f64 * m * m)
        .collect();
    for i in 0..n {
        for (j, v) in data.row(i).nonzeros() {
            sd[j] += (v as f64 - mean[j]).powi(2);
        }
    }
    sd.iter_mut().for_each(|s| *s = (*s / n as f64).sqrt());
    let columns = ColumnScale { mean, sd };
    columns.fit_and_project(n, fit_rows, components, |r, out| {
        out.fill(0.0);
        for (j, v) in data.row(r).nonzeros() {
            out[j] = v as f64;
        }
    })
}

/// Per-column mean and standard deviation: the standardisation (zero mean, unit variance;
/// constant columns become 0) of scanpy's `pp.scale` before PCA.
struct ColumnScale {
    mean: Vec<f64>,
    sd: Vec<f64>,
}

impl ColumnScale {
    /// Fits on the standardised rows `fit_rows` and projects all `n` rows, chunk by chunk, so
    /// no f64 copy of the whole matrix is held (atlas-sized inputs). `read_row(r, out)` writes
    /// row `r`'s raw values.
    fn fit_and_project(
        &self,
        n: usize,
        fit_rows: &[usize],
        components: usize,
        read_row: impl Fn(usize, &mut [f64]),
    ) -> Option<(Vec<f32>, usize)> {
        let dims = self.mean.len();
        let standardised = |rows: &mut dyn Iterator<Item = usize>, count: usize| {
            let mut x = Array2::zeros((count, dims));
            for (mut out, r) in x.rows_mut().into_iter().zip(rows) {
                let out = out.as_slice_mut().expect("rows of a standard-layout array");
                read_row(r, out);
                for ((o, m), sd) in out.iter_mut().zip(&self.mean).zip(&self.sd) {
                    *o = if *sd > 0.0 { (*o - m) / sd } else { 0.0 };
                }
            }
            x
        };
        if fit_rows.iter().any(|&r| r >= n) {
            return None;
        }
        let fit = standardised(&mut fit_rows.iter().copied(), fit_rows.len());
        let k = components.min(dims).min(fit_rows.len().saturating_sub(1));
        if k == 0 {
            return None;
        }
        let model = FittedPca::fit(fit.view(), k)?;
        // Rows per projected chunk: a chunk of standardised rows holds at most 2²¹ values
        // (16 MB), also with thousands of columns.
        let chunk = (4096).min((1 << 21) / dims.max(1)).max(1);
        // Fewer components than asked when the data have lower rank.
        let d = model.n_components();
        let mut out: Vec<f32> = Vec::with_capacity(n * d);
        for start in (0..n).step_by(chunk) {
            let end = (start + chunk).min(n);
            let y = model.project(standardised(&mut (start..end), end - start).view());
            out.extend(y.iter().map(|&v| v as f32));
        }
        (d > 0 && out.len() == n * d && out.iter().all(|v| v.is_finite())).then_some((out, d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// A rank-`rank` signal with decaying strength plus noise, `n x dims`.
    fn low_rank_plus_noise(n: usize, dims: usize, rank: usize, seed: u64) -> Array2<f64> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
        let scores = Array2::from_shape_simple_fn((n, rank), &mut normal);
        let loadings = Array2::from_shape_simple_fn((rank, dims), &mut normal);
        let strength = Array1::from_iter((0..rank).map(|r| 10.0 / (1.0 + r as f64)));
        let noise = Array2::from_shape_simple_fn((n, dims), || 0.1 * normal());
        (scores * &strength).dot(&loadings) + noise + 3.0
    }

    /// The exact components: eigenvectors of the covariance, largest eigenvalue first.
    fn exact(x: &Array2<f64>, k: usize) -> (Vec<f64>, Array2<f64>) {
        let centred = x - &x.mean_axis(Axis(0)).unwrap();
        let (values, vectors) = centred.t().dot(&centred).eigh().unwrap();
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
        let top: Vec<usize> = order.into_iter().take(k).collect();
        let mut out = Array2::zeros((k, x.ncols()));
        for (mut row, &i) in out.rows_mut().into_iter().zip(&top) {
            row.assign(&vectors.column(i));
        }
        (top.iter().map(|&i| values[i]).collect(), out)
    }

    /// On a matrix whose spectrum decays (as scRNA-seq data's does), the randomized
    /// components span the exact ones: each exact component is reproduced up to its sign, and
    /// the variance along each matches the covariance's eigenvalue.
    #[test]
    fn randomized_components_match_the_exact_ones() {
        let x = low_rank_plus_noise(300, 120, 8, 3);
        let k = 8;
        let fitted = FittedPca::fit(x.view(), k).unwrap();
        assert_eq!(fitted.n_components(), k);
        let (values, want) = exact(&x, k);
        let projections = fitted.project(x.view());
        for (c, &value) in values.iter().enumerate() {
            let cosine = fitted.components.row(c).dot(&want.row(c)).abs();
            assert!(cosine > 1.0 - 1e-8, "component {c}: |cos| {cosine}");
            let variance = projections.column(c).mapv(|v| v * v).sum();
            assert!(
                (variance - value).abs() <= 1e-8 * value,
                "component {c}: variance {variance} vs eigenvalue {value}"
            );
        }
    }

    /// Components are orthonormal and sign-normalised; a rank-2 matrix gives two components
    /// however many are asked for.
    #[test]
    fn components_are_orthonormal_and_rank_limited() {
        let x = low_rank_plus_noise(80, 40, 5, 9);
        let fitted = FittedPca::fit(x.view(), 6).unwrap();
        let gram = fitted.components.dot(&fitted.components.t());
        for i in 0..gram.nrows() {
            for j in 0..gram.ncols() {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!(
                    (gram[[i, j]] - want).abs() < 1e-9,
                    "gram[{i},{j}] = {}",
                    gram[[i, j]]
                );
            }
        }
        for row in fitted.components.rows() {
            let largest = row
                .iter()
                .copied()
                .max_by(|a, b| a.abs().total_cmp(&b.abs()))
                .unwrap();
            assert!(largest > 0.0);
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let a: Vec<f64> = (0..50).map(|_| rng.random_range(-1.0..1.0)).collect();
        let b: Vec<f64> = (0..30).map(|_| rng.random_range(-1.0..1.0)).collect();
        let c: Vec<f64> = (0..50).map(|_| rng.random_range(-1.0..1.0)).collect();
        let d: Vec<f64> = (0..30).map(|_| rng.random_range(-1.0..1.0)).collect();
        let rank_two = Array2::from_shape_fn((50, 30), |(i, j)| a[i] * b[j] + c[i] * d[j]);
        let fitted = FittedPca::fit(rank_two.view(), 10).unwrap();
        assert_eq!(fitted.n_components(), 2);
    }
}
