//! Agreement between two partitions (ARI, AMI, NMI), silhouette, and k-means.

use std::collections::HashMap;

use linfa::prelude::*;
use linfa_clustering::KMeans;
use ndarray::Array2;
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::SeedableRng;

use crate::{MetricsError, Result};

/// A contingency table (`table[i][j]`), its row sums and its column sums.
type Contingency = (Vec<Vec<f64>>, Vec<f64>, Vec<f64>);

/// The contingency table of two labelings.
fn contingency(a: &[usize], b: &[usize]) -> Result<Contingency> {
    if a.len() != b.len() {
        return Err(MetricsError::InvalidInput(format!(
            "labelings have {} and {} cells",
            a.len(),
            b.len()
        )));
    }
    if a.is_empty() {
        return Err(MetricsError::InvalidInput("labelings are empty".into()));
    }
    let index = |labels: &[usize]| {
        let mut map: HashMap<usize, usize> = HashMap::new();
        let mut sorted: Vec<usize> = labels.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        for (i, l) in sorted.into_iter().enumerate() {
            map.insert(l, i);
        }
        map
    };
    let (ia, ib) = (index(a), index(b));
    let mut table = vec![vec![0f64; ib.len()]; ia.len()];
    for (x, y) in a.iter().zip(b) {
        table[ia[x]][ib[y]] += 1.0;
    }
    let rows = table.iter().map(|r| r.iter().sum()).collect();
    let cols = (0..ib.len())
        .map(|j| table.iter().map(|r| r[j]).sum())
        .collect();
    Ok((table, rows, cols))
}

/// Adjusted Rand index of two labelings (scikit-learn's `adjusted_rand_score`, from the pair
/// confusion matrix). 1 for identical partitions up to renaming; about 0 for random ones.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> Result<f64> {
    let (table, rows, cols) = contingency(a, b)?;
    let n = a.len() as f64;
    let sum_squares: f64 = table.iter().flatten().map(|v| v * v).sum();
    let tp = sum_squares - n;
    let fp = table
        .iter()
        .map(|r| r.iter().zip(&cols).map(|(v, c)| v * c).sum::<f64>())
        .sum::<f64>()
        - sum_squares;
    let fneg = table
        .iter()
        .zip(&rows)
        .map(|(r, rs)| r.iter().map(|v| v * rs).sum::<f64>())
        .sum::<f64>()
        - sum_squares;
    let tn = n * n - fp - fneg - sum_squares;
    if fneg == 0.0 && fp == 0.0 {
        return Ok(1.0);
    }
    Ok(2.0 * (tp * tn - fneg * fp) / ((tp + fneg) * (fneg + tn) + (tp + fp) * (fp + tn)))
}

fn entropy(counts: &[f64], n: f64) -> f64 {
    counts
        .iter()
        .filter(|&&c| c > 0.0)
        .map(|&c| -(c / n) * (c / n).ln())
        .sum()
}

fn mutual_information(table: &[Vec<f64>], rows: &[f64], cols: &[f64], n: f64) -> f64 {
    let mut mi = 0.0;
    for (i, r) in table.iter().enumerate() {
        for (j, &v) in r.iter().enumerate() {
            if v > 0.0 {
                mi += (v / n) * ((v * n) / (rows[i] * cols[j])).ln();
            }
        }
    }
    mi.max(0.0)
}

/// The expected mutual information of two random labelings with the given cluster sizes,
/// term by term as scikit-learn's `expected_mutual_information` (hypergeometric model).
fn expected_mutual_information(rows: &[f64], cols: &[f64], n: f64) -> f64 {
    let ln_gamma = |x: f64| libm::lgamma(x);
    let max = rows.iter().chain(cols).fold(0f64, |m, &v| m.max(v)) as usize;
    let gln_n = ln_gamma(n + 1.0);
    let mut emi = 0.0;
    let log_n_nij: Vec<f64> = (0..=max)
        .map(|nij| n.ln() + (nij.max(1) as f64).ln())
        .collect();
    let gln_nij: Vec<f64> = (0..=max)
        .map(|nij| ln_gamma(nij.max(1) as f64 + 1.0))
        .collect();
    for &a in rows {
        for &b in cols {
            let start = (a - n + b).max(1.0) as usize;
            let end = a.min(b) as usize;
            for nij in start..=end {
                let v = nij as f64;
                let term1 = v / n;
                let term2 = log_n_nij[nij] - a.ln() - b.ln();
                let gln = ln_gamma(a + 1.0)
                    + ln_gamma(b + 1.0)
                    + ln_gamma(n - a + 1.0)
                    + ln_gamma(n - b + 1.0)
                    - gln_n
                    - gln_nij[nij]
                    - ln_gamma(a - v + 1.0)
                    - ln_gamma(b - v + 1.0)
                    - ln_gamma(n - a - b + v + 1.0);
                emi += term1 * term2 * gln.exp();
            }
        }
    }
    emi
}

/// Adjusted mutual information with arithmetic normalisation (scikit-learn's
/// `adjusted_mutual_info_score` with `average_method="arithmetic"`).
pub fn adjusted_mutual_information(a: &[usize], b: &[usize]) -> Result<f64> {
    let (table, rows, cols) = contingency(a, b)?;
    if rows.len() == 1 && cols.len() == 1 {
        return Ok(1.0);
    }
    let n = a.len() as f64;
    let mi = mutual_information(&table, &rows, &cols, n);
    let emi = expected_mutual_information(&rows, &cols, n);
    let normalizer = (entropy(&rows, n) + entropy(&cols, n)) / 2.0;
    let mut denominator = normalizer - emi;
    // As scikit-learn: keep the sign, avoid dividing by (almost) zero.
    let eps = f64::EPSILON;
    denominator = if denominator < 0.0 {
        denominator.min(-eps)
    } else {
        denominator.max(eps)
    };
    Ok((mi - emi) / denominator)
}

/// Normalised mutual information, arithmetic normalisation (scikit-learn's
/// `normalized_mutual_info_score`).
pub fn normalized_mutual_information(a: &[usize], b: &[usize]) -> Result<f64> {
    let (table, rows, cols) = contingency(a, b)?;
    if rows.len() == 1 && cols.len() == 1 {
        return Ok(1.0);
    }
    let n = a.len() as f64;
    let mi = mutual_information(&table, &rows, &cols, n);
    let normalizer = ((entropy(&rows, n) + entropy(&cols, n)) / 2.0).max(f64::EPSILON);
    Ok(mi / normalizer)
}

/// Mean silhouette coefficient of `labels` on row-major `data` (`n_rows x n_cols`), euclidean
/// distance, as scikit-learn's `silhouette_score`: a cell alone in its cluster scores 0. Errors
/// unless there are at least 2 and at most n − 1 distinct labels.
pub fn silhouette_score(
    data: &[f32],
    n_rows: usize,
    n_cols: usize,
    labels: &[usize],
) -> Result<f64> {
    if data.len() != n_rows * n_cols || labels.len() != n_rows {
        return Err(MetricsError::InvalidInput(format!(
            "{} values and {} labels for {n_rows} rows x {n_cols} columns",
            data.len(),
            labels.len()
        )));
    }
    let mut names: Vec<usize> = labels.to_vec();
    names.sort_unstable();
    names.dedup();
    let k = names.len();
    if k < 2 || k > n_rows - 1 {
        return Err(MetricsError::InvalidInput(format!(
            "silhouette needs 2 to n_cells - 1 clusters, got {k} for {n_rows} cells"
        )));
    }
    let cluster: Vec<usize> = labels
        .iter()
        .map(|l| names.binary_search(l).unwrap_or(0))
        .collect();
    let mut sizes = vec![0f64; k];
    for &c in &cluster {
        sizes[c] += 1.0;
    }
    use rayon::prelude::*;
    let total: f64 = (0..n_rows)
        .into_par_iter()
        .map(|i| {
            let xi = &data[i * n_cols..(i + 1) * n_cols];
            let mut sums = vec![0f64; k];
            for j in 0..n_rows {
                if j == i {
                    continue;
                }
                let xj = &data[j * n_cols..(j + 1) * n_cols];
                let d2: f64 = xi
                    .iter()
                    .zip(xj)
                    .map(|(a, b)| ((a - b) as f64).powi(2))
                    .sum();
                sums[cluster[j]] += d2.sqrt();
            }
            let own = cluster[i];
            if sizes[own] <= 1.0 {
                return 0.0;
            }
            let a = sums[own] / (sizes[own] - 1.0);
            let b = (0..k)
                .filter(|&c| c != own)
                .map(|c| sums[c] / sizes[c])
                .fold(f64::INFINITY, f64::min);
            let m = a.max(b);
            if m > 0.0 { (b - a) / m } else { 0.0 }
        })
        .sum();
    Ok(total / n_rows as f64)
}

/// K-means clustering (linfa-clustering: k-means++ initialisation, 10 restarts, at most 300
/// iterations, seeded) of row-major `data`; returns the cluster of every row.
pub fn kmeans(
    data: &[f32],
    n_rows: usize,
    n_cols: usize,
    k: usize,
    seed: u64,
) -> Result<Vec<usize>> {
    if data.len() != n_rows * n_cols {
        return Err(MetricsError::InvalidInput(format!(
            "{} values for {n_rows} rows x {n_cols} columns",
            data.len()
        )));
    }
    if k == 0 || k > n_rows {
        return Err(MetricsError::invalid(
            "k",
            format!("must lie in 1..={n_rows}, got {k}"),
        ));
    }
    let records =
        Array2::from_shape_vec((n_rows, n_cols), data.iter().map(|&v| v as f64).collect())
            .map_err(|e| MetricsError::InvalidInput(e.to_string()))?;
    let dataset = DatasetBase::from(records);
    let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
        .n_runs(10)
        .max_n_iterations(300)
        .tolerance(1e-4)
        .fit(&dataset)
        .map_err(|e| MetricsError::Model(format!("k-means: {e}")))?;
    let assigned = model.predict(dataset);
    Ok(assigned.targets().iter().copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_partitions_score_one() {
        let a = [0, 0, 1, 1, 2, 2];
        let b = [5, 5, 3, 3, 9, 9];
        assert_eq!(adjusted_rand_index(&a, &b).unwrap(), 1.0);
        assert!((adjusted_mutual_information(&a, &b).unwrap() - 1.0).abs() < 1e-12);
        assert!((normalized_mutual_information(&a, &b).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn kmeans_finds_separated_blobs() {
        let data: Vec<f32> = (0..40)
            .flat_map(|i| [(i / 20) as f32 * 10.0 + (i % 5) as f32 * 0.1, 0.0])
            .collect();
        let truth: Vec<usize> = (0..40).map(|i| i / 20).collect();
        let found = kmeans(&data, 40, 2, 2, 1).unwrap();
        assert_eq!(adjusted_rand_index(&truth, &found).unwrap(), 1.0);
        assert!(silhouette_score(&data, 40, 2, &truth).unwrap() > 0.9);
    }
}
