//! Parameters of [`super::highly_variable_genes`].

use crate::{DataError, Result};

/// Parameters of [`super::highly_variable_genes`], with scanpy's defaults
/// (`min_mean=0.0125, max_mean=3, min_disp=0.5, max_disp=inf, n_bins=20`).
///
/// ```
/// use kratos_data::preprocess::HvgParams;
/// let p = HvgParams::new().min_mean(0.02).n_top_genes(Some(2000));
/// assert_eq!(p.get_min_mean(), 0.02);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HvgParams {
    min_mean: f64,
    max_mean: f64,
    min_disp: f64,
    max_disp: f64,
    n_bins: usize,
    n_top_genes: Option<usize>,
}

impl Default for HvgParams {
    fn default() -> Self {
        HvgParams {
            min_mean: 0.0125,
            max_mean: 3.0,
            min_disp: 0.5,
            max_disp: f64::INFINITY,
            n_bins: 20,
            n_top_genes: None,
        }
    }
}

impl HvgParams {
    /// scanpy's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// A gene is selected only if its `log1p(mean)` exceeds this (cut-off mode).
    pub fn min_mean(mut self, v: f64) -> Self {
        self.min_mean = v;
        self
    }

    /// A gene is selected only if its `log1p(mean)` is below this (cut-off mode).
    pub fn max_mean(mut self, v: f64) -> Self {
        self.max_mean = v;
        self
    }

    /// A gene is selected only if its normalised dispersion exceeds this (cut-off mode).
    pub fn min_disp(mut self, v: f64) -> Self {
        self.min_disp = v;
        self
    }

    /// A gene is selected only if its normalised dispersion is below this (cut-off mode).
    pub fn max_disp(mut self, v: f64) -> Self {
        self.max_disp = v;
        self
    }

    /// Number of equal-width bins of mean expression in which dispersions are normalised.
    pub fn n_bins(mut self, n: usize) -> Self {
        self.n_bins = n;
        self
    }

    /// Select the `n` genes of highest normalised dispersion instead of using the cut-offs
    /// (as scanpy does when `n_top_genes` is given; ties at the threshold are all kept).
    pub fn n_top_genes(mut self, n: Option<usize>) -> Self {
        self.n_top_genes = n;
        self
    }

    /// The `min_mean` cut-off.
    pub fn get_min_mean(&self) -> f64 {
        self.min_mean
    }

    /// The `max_mean` cut-off.
    pub fn get_max_mean(&self) -> f64 {
        self.max_mean
    }

    /// The `min_disp` cut-off.
    pub fn get_min_disp(&self) -> f64 {
        self.min_disp
    }

    /// The `max_disp` cut-off.
    pub fn get_max_disp(&self) -> f64 {
        self.max_disp
    }

    /// The number of mean bins.
    pub fn get_n_bins(&self) -> usize {
        self.n_bins
    }

    /// The number of top genes, if selecting by rank.
    pub fn get_n_top_genes(&self) -> Option<usize> {
        self.n_top_genes
    }

    /// Checks the parameters.
    pub(crate) fn check(&self) -> Result<()> {
        if self.n_bins == 0 {
            return Err(DataError::Invalid("n_bins must be at least 1".into()));
        }
        if self.min_mean.is_nan() || self.max_mean.is_nan() || self.min_mean >= self.max_mean {
            return Err(DataError::Invalid(format!(
                "min_mean ({}) must be below max_mean ({})",
                self.min_mean, self.max_mean
            )));
        }
        if self.min_disp.is_nan() || self.max_disp.is_nan() || self.min_disp >= self.max_disp {
            return Err(DataError::Invalid(format!(
                "min_disp ({}) must be below max_disp ({})",
                self.min_disp, self.max_disp
            )));
        }
        if self.n_top_genes == Some(0) {
            return Err(DataError::Invalid("n_top_genes must be at least 1".into()));
        }
        Ok(())
    }
}
