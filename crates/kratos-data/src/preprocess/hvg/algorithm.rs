//! The seurat-flavour dispersion-based selection, step by step as scanpy 1.11 does it.

use super::HvgParams;
use crate::{DataError, Dataset, Result};

/// Per-gene statistics and the selection made by [`highly_variable_genes`].
#[derive(Debug, Clone, PartialEq)]
pub struct HighlyVariableGenes {
    means: Vec<f64>,
    dispersions: Vec<f64>,
    dispersions_norm: Vec<f64>,
    highly_variable: Vec<bool>,
}

impl HighlyVariableGenes {
    /// `log1p` of each gene's mean (of the un-logged data), scanpy's `means`.
    pub fn means(&self) -> &[f64] {
        &self.means
    }

    /// `ln(variance / mean)` of each gene (NaN for zero variance), scanpy's `dispersions`.
    pub fn dispersions(&self) -> &[f64] {
        &self.dispersions
    }

    /// Dispersions standardised within bins of similar mean, scanpy's `dispersions_norm`.
    pub fn dispersions_norm(&self) -> &[f64] {
        &self.dispersions_norm
    }

    /// Whether each gene is selected.
    pub fn is_highly_variable(&self) -> &[bool] {
        &self.highly_variable
    }

    /// Indices of the selected genes, ascending (pass them to [`Dataset::select_genes`]).
    pub fn indices(&self) -> Vec<usize> {
        (0..self.highly_variable.len())
            .filter(|&j| self.highly_variable[j])
            .collect()
    }

    /// Number of selected genes.
    pub fn n_selected(&self) -> usize {
        self.highly_variable.iter().filter(|&&h| h).count()
    }
}

/// Edges of `n_bins` equal-width bins over `[min, max]` as `pandas.cut(x, bins=n_bins)` makes
/// them (`numpy.linspace`, then the lowest edge moved down by 0.1% of the range).
fn cut_edges(min: f64, max: f64, n_bins: usize) -> Vec<f64> {
    let (lo, hi) = if min == max {
        let pad = |v: f64| if v != 0.0 { 0.001 * v.abs() } else { 0.001 };
        (min - pad(min), max + pad(max))
    } else {
        (min, max)
    };
    let step = (hi - lo) / n_bins as f64;
    let mut edges: Vec<f64> = (0..=n_bins).map(|k| k as f64 * step + lo).collect();
    edges[n_bins] = hi;
    if min != max {
        edges[0] -= (max - min) * 0.001;
    }
    edges
}

/// Finds highly variable genes like scanpy's
/// `highly_variable_genes(adata, flavor="seurat", min_mean, max_mean, min_disp, max_disp,
/// n_bins)` on **log-normalised** data (after [`super::super::normalize_total`] and
/// [`super::super::log1p`]).
///
/// Per gene: the data is un-logged (`expm1`), its mean `m` and variance `v` (n − 1) are
/// taken, the dispersion is `ln(v / m)` and the mean is reported as `ln(1 + m)`. Genes are put
/// in `n_bins` equal-width bins of that mean; within each bin the dispersions are standardised
/// (a bin with a single gene gives it 1). Selected are the genes with
/// `min_mean < mean < max_mean` and `min_disp < normalised dispersion < max_disp`, or, with
/// [`HvgParams::n_top_genes`], the genes of highest normalised dispersion.
///
/// Errors if the data has fewer than two cells or no genes, or the parameters are invalid.
pub fn highly_variable_genes(data: &Dataset, params: &HvgParams) -> Result<HighlyVariableGenes> {
    params.check()?;
    let (n, g) = data.shape();
    if n < 2 || g == 0 {
        return Err(DataError::Invalid(format!(
            "highly variable genes need at least 2 cells and 1 gene, got {n} x {g}"
        )));
    }
    // scanpy: X = expm1(X) in float32, then mean and (one-pass, float64) variance per gene.
    let mut sums = vec![0f64; g];
    let mut squares = vec![0f64; g];
    // expm1(0) = 0, so the zeros a sparse row does not store add nothing.
    for i in 0..n {
        for (j, x) in data.row(i).nonzeros() {
            let v = f64::from(x.exp_m1());
            sums[j] += v;
            squares[j] += v * v;
        }
    }
    let nf = n as f64;
    let mut means = Vec::with_capacity(g);
    let mut dispersions = Vec::with_capacity(g);
    for (s, q) in sums.iter().zip(&squares) {
        let mut mean = s / nf;
        let var = (q / nf - mean * mean) * (nf / (nf - 1.0));
        if mean == 0.0 {
            mean = 1e-12;
        }
        let dispersion = var / mean;
        dispersions.push(if dispersion == 0.0 {
            f64::NAN
        } else {
            dispersion.ln()
        });
        means.push(mean.ln_1p());
    }

    // Bins of mean expression (pandas.cut: right-closed intervals).
    let min = means.iter().copied().fold(f64::INFINITY, f64::min);
    let max = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let n_bins = params.get_n_bins();
    let edges = cut_edges(min, max, n_bins);
    let bin_of: Vec<usize> = means
        .iter()
        .map(|&m| {
            let below = edges.partition_point(|&e| e < m);
            below.saturating_sub(1).min(n_bins - 1)
        })
        .collect();

    // Per-bin mean and sample standard deviation of the (non-NaN) dispersions.
    let mut count = vec![0usize; n_bins];
    let mut total = vec![0f64; n_bins];
    for (&b, &d) in bin_of.iter().zip(&dispersions) {
        if !d.is_nan() {
            count[b] += 1;
            total[b] += d;
        }
    }
    let avg: Vec<f64> = (0..n_bins)
        .map(|b| {
            if count[b] > 0 {
                total[b] / count[b] as f64
            } else {
                f64::NAN
            }
        })
        .collect();
    let mut sq_dev = vec![0f64; n_bins];
    for (&b, &d) in bin_of.iter().zip(&dispersions) {
        if !d.is_nan() {
            sq_dev[b] += (d - avg[b]).powi(2);
        }
    }
    let mut bin_avg = avg.clone();
    let mut bin_dev: Vec<f64> = (0..n_bins)
        .map(|b| {
            if count[b] > 1 {
                (sq_dev[b] / (count[b] - 1) as f64).sqrt()
            } else {
                f64::NAN
            }
        })
        .collect();
    // scanpy: a bin whose deviation is undefined (one gene) gets dev = avg, avg = 0, so its
    // gene's normalised dispersion is 1.
    for b in 0..n_bins {
        if bin_dev[b].is_nan() {
            bin_dev[b] = bin_avg[b];
            bin_avg[b] = 0.0;
        }
    }
    let dispersions_norm: Vec<f64> = dispersions
        .iter()
        .zip(&bin_of)
        .map(|(&d, &b)| (d - bin_avg[b]) / bin_dev[b])
        .collect();

    let highly_variable = match params.get_n_top_genes() {
        None => means
            .iter()
            .zip(&dispersions_norm)
            .map(|(&m, &dn)| {
                let dn = if dn.is_nan() { 0.0 } else { dn };
                m > params.get_min_mean()
                    && m < params.get_max_mean()
                    && dn > params.get_min_disp()
                    && dn < params.get_max_disp()
            })
            .collect(),
        Some(top) => {
            let mut finite: Vec<f64> = dispersions_norm
                .iter()
                .copied()
                .filter(|d| !d.is_nan())
                .collect();
            finite.sort_by(|a, b| b.total_cmp(a));
            match finite.get(top.min(finite.len()).saturating_sub(1)) {
                Some(&cut) => dispersions_norm
                    .iter()
                    .map(|&d| !d.is_nan() && d >= cut)
                    .collect(),
                None => vec![false; g],
            }
        }
    };
    Ok(HighlyVariableGenes {
        means,
        dispersions,
        dispersions_norm,
        highly_variable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_edges_match_pandas() {
        // pandas.cut([0, 1, 10], 4, retbins=True)[1] -> [-0.01, 2.5, 5.0, 7.5, 10.0]
        let e = cut_edges(0.0, 10.0, 4);
        assert_eq!(e, vec![-0.01, 2.5, 5.0, 7.5, 10.0]);
    }

    #[test]
    fn constant_gene_has_nan_dispersion_and_is_not_selected() {
        let ds = Dataset::from_matrix(vec![1.0, 0.0, 1.0, 2.0, 1.0, 0.5], 3, 2).unwrap();
        let h = highly_variable_genes(&ds, &HvgParams::new()).unwrap();
        assert!(h.dispersions()[0].is_nan());
        assert!(!h.is_highly_variable()[0]);
    }
}
