//! Redundancy of a panel: the mean absolute Pearson correlation among its genes.

use kratos_data::Dataset;
use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::panel_eval::TopKGrid;
use crate::{MetricsError, Result};

/// Checks that every gene column exists, naming the first that does not.
fn check_genes(data: &Dataset, genes: &[usize], what: &str) -> Result<()> {
    match genes.iter().find(|&&g| g >= data.n_genes()) {
        Some(&g) => Err(MetricsError::InvalidInput(format!(
            "{what}: gene column {g} is out of range for {} genes",
            data.n_genes()
        ))),
        None => Ok(()),
    }
}

/// The absolute Pearson correlations among `genes` (columns of `data`), a `genes.len()`-square
/// matrix. Each column is centred and scaled to unit length in f64, so one matrix product
/// (ndarray, matrixmultiply) gives all correlations; a constant column becomes zeros and so
/// correlates 0 with everything.
fn absolute_correlations(data: &Dataset, genes: &[usize]) -> Array2<f64> {
    let n = data.n_cells();
    let mut z = Array2::<f64>::zeros((n, genes.len()));
    for (j, column) in data.columns(genes).into_iter().enumerate() {
        let column: Vec<f64> = column.into_iter().map(f64::from).collect();
        let mean = column.iter().sum::<f64>() / n.max(1) as f64;
        let norm = column
            .iter()
            .map(|v| (v - mean).powi(2))
            .sum::<f64>()
            .sqrt();
        if norm > 0.0 {
            for (i, v) in column.iter().enumerate() {
                z[[i, j]] = (v - mean) / norm;
            }
        }
    }
    z.t().dot(&z).mapv(f64::abs)
}

/// Mean absolute Pearson correlation over all pairs of the genes `genes` (columns of
/// `data`); lower means a less redundant panel. A pair with a constant gene counts as
/// correlation 0 (the reference scorer's `numpy.nanmean` leaves such pairs out instead).
/// `None` with fewer than two genes.
///
/// ```
/// use kratos_data::Dataset;
/// use kratos_metrics::redundancy;
/// // Gene 1 = 2 x gene 0; gene 2 is constant.
/// let data = Dataset::from_matrix(vec![1.0, 2.0, 5.0, 2.0, 4.0, 5.0, 4.0, 8.0, 5.0], 3, 3)?;
/// let close = |r: Option<f64>, v: f64| (r.unwrap() - v).abs() < 1e-12;
/// assert!(close(redundancy(&data, &[0, 1])?, 1.0));
/// assert!(close(redundancy(&data, &[0, 1, 2])?, 1.0 / 3.0));
/// assert_eq!(redundancy(&data, &[0])?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn redundancy(data: &Dataset, genes: &[usize]) -> Result<Option<f64>> {
    check_genes(data, genes, "redundancy")?;
    Ok(redundancy_curve(data, genes, &[genes.len()])[0])
}

/// Redundancy of the top-k prefixes of `ranking` for every k of `ks`, from one correlation
/// matrix of the largest prefix (the sum over pairs grows by one row per added gene). A k
/// beyond the ranking's length uses the whole ranking. Gene columns must be valid.
pub(crate) fn redundancy_curve(
    data: &Dataset,
    ranking: &[usize],
    ks: &[usize],
) -> Vec<Option<f64>> {
    let longest = ks.iter().copied().max().unwrap_or(0).min(ranking.len());
    let correlations = absolute_correlations(data, &ranking[..longest]);
    // sums[k] = sum of |r| over pairs i < j < k.
    let mut sums = vec![0.0f64; longest + 1];
    for j in 0..longest {
        let row: f64 = (0..j).map(|i| correlations[[i, j]]).sum();
        sums[j + 1] = sums[j] + row;
    }
    ks.iter()
        .map(|&k| {
            let k = k.min(longest);
            (k >= 2).then(|| sums[k] / (k * (k - 1) / 2) as f64)
        })
        .collect()
}

/// Redundancy of every class's top-k genes over a grid of panel sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelRedundancy {
    /// Panel sizes (genes).
    pub ks: Vec<usize>,
    /// The percentage behind each k, for percent grids.
    pub percents: Option<Vec<f64>>,
    /// `per_class[c][i]`: redundancy of class `c`'s top `ks[i]` genes (`None` for k = 1).
    pub per_class: Vec<Vec<Option<f64>>>,
    /// Mean over the classes, per k (`None` where no class has a value).
    pub mean: Vec<Option<f64>>,
}

/// The [`redundancy`] of each ranking's top-k genes (`rankings[c]`: gene columns of `data`,
/// best first) for every k of `grid`, and the mean over rankings. Classes run in parallel.
///
/// ```
/// use kratos_data::Dataset;
/// use kratos_metrics::{TopKGrid, panel_redundancy};
/// let data = Dataset::from_matrix(vec![1.0, 2.0, 0.0, 2.0, 4.0, 1.0, 4.0, 8.0, 0.0], 3, 3)?;
/// let r = panel_redundancy(&data, &[vec![0, 1, 2], vec![2, 0, 1]], &TopKGrid::Genes(vec![1, 2]))?;
/// assert_eq!(r.per_class[0][0], None); // one gene, no pair
/// assert!((r.per_class[0][1].unwrap() - 1.0).abs() < 1e-12); // gene 1 = 2 x gene 0
/// assert_eq!(r.ks, vec![1, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn panel_redundancy(
    data: &Dataset,
    rankings: &[Vec<usize>],
    grid: &TopKGrid,
) -> Result<PanelRedundancy> {
    grid.check()?;
    for (c, ranking) in rankings.iter().enumerate() {
        check_genes(data, ranking, &format!("ranking {c}"))?;
    }
    let ks = grid.ks(data.n_genes());
    let per_class: Vec<Vec<Option<f64>>> = rankings
        .par_iter()
        .map(|ranking| redundancy_curve(data, ranking, &ks))
        .collect();
    let mean = mean_per_k(&per_class, ks.len());
    Ok(PanelRedundancy {
        ks,
        percents: grid.percents(),
        per_class,
        mean,
    })
}

/// Mean of the defined values at each of `len` positions.
pub(crate) fn mean_per_k(curves: &[Vec<Option<f64>>], len: usize) -> Vec<Option<f64>> {
    (0..len)
        .map(|i| {
            let values: Vec<f64> = curves.iter().filter_map(|c| c[i]).collect();
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_equals_pairwise_definition() {
        let values: Vec<f32> = (0..40)
            .flat_map(|i| (0..6).map(move |g| ((i * (g + 3) * 7 + g * g) % 11) as f32))
            .collect();
        let data = Dataset::from_matrix(values, 40, 6).unwrap();
        let ranking = [4, 1, 5, 0, 2, 3];
        let curve = redundancy_curve(&data, &ranking, &[1, 2, 3, 6, 9]);
        for (idx, k) in [1usize, 2, 3, 6, 6].into_iter().enumerate() {
            let top = &ranking[..k];
            let mut pairs = Vec::new();
            for a in 0..k {
                for b in a + 1..k {
                    let (x, y) = (data.column(top[a]), data.column(top[b]));
                    let n = x.len() as f64;
                    let mx = x.iter().map(|&v| v as f64).sum::<f64>() / n;
                    let my = y.iter().map(|&v| v as f64).sum::<f64>() / n;
                    let cov: f64 = x
                        .iter()
                        .zip(&y)
                        .map(|(&p, &q)| (p as f64 - mx) * (q as f64 - my))
                        .sum();
                    let vx: f64 = x.iter().map(|&p| (p as f64 - mx).powi(2)).sum();
                    let vy: f64 = y.iter().map(|&q| (q as f64 - my).powi(2)).sum();
                    pairs.push((cov / (vx * vy).sqrt()).abs());
                }
            }
            let expected =
                (!pairs.is_empty()).then(|| pairs.iter().sum::<f64>() / pairs.len() as f64);
            match (curve[idx], expected) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-12, "k {k}: {a} vs {b}"),
                (a, b) => assert_eq!(a, b),
            }
        }
    }

    #[test]
    fn out_of_range_gene_is_an_error() {
        let data = Dataset::from_matrix(vec![0.0; 6], 3, 2).unwrap();
        let e = redundancy(&data, &[0, 2]).unwrap_err().to_string();
        assert!(e.contains("gene column 2"), "{e}");
        let e = panel_redundancy(&data, &[vec![0, 1], vec![1, 7]], &TopKGrid::Quick)
            .unwrap_err()
            .to_string();
        assert!(e.contains("ranking 1") && e.contains("7"), "{e}");
    }
}
