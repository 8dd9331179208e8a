use serde::{Deserialize, Serialize};

use crate::{Result, SimError};

/// Parameters of a simulated data set. Start from a preset ([`SimulationParams::clean`],
/// [`SimulationParams::hard`], [`SimulationParams::large`]) and adjust with the builder methods;
/// [`SimulationParams::check`] (called by [`crate::simulate`]) rejects bad values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationParams {
    /// Number of cell types.
    pub n_types: usize,
    /// Cells per type.
    pub cells_per_type: usize,
    /// Causal genes (type-specific programme values drive their mean).
    pub n_causal: usize,
    /// Dependent genes (linear mixtures of 1–10 causal genes plus N(0, 1) noise, log scale).
    pub n_dependent: usize,
    /// Noise genes (independent of type).
    pub n_noise: usize,
    /// Standard deviation of the type programme values on the log-mean scale.
    pub effect_size: f64,
    /// Fraction of causal genes that each type leaves at its base level (so types differ in
    /// some genes only, as real cell types do).
    pub sparsity: f64,
    /// Mean of the genes' base log-mean expression (ln counts per cell at library size 1).
    pub base_log_mean: f64,
    /// Spread of the genes' base log-means.
    pub base_log_sd: f64,
    /// Per-cell biological noise on the log-mean scale.
    pub cell_noise: f64,
    /// Negative-binomial size (inverse dispersion): smaller is noisier.
    pub nb_size: f64,
    /// Log-normal spread of library sizes.
    pub library_size_sd: f64,
    /// Largest dropout probability (reached at very low expression).
    pub dropout: f64,
    /// Seed of everything.
    pub seed: u64,
}

impl SimulationParams {
    /// The shape of the published `140var_clean`: 5 types x 100 cells, 20 causal, 20
    /// dependent and 100 noise genes.
    pub fn clean() -> Self {
        SimulationParams {
            n_types: 5,
            cells_per_type: 100,
            n_causal: 20,
            n_dependent: 20,
            n_noise: 100,
            effect_size: 1.2,
            sparsity: 0.6,
            base_log_mean: 3.2,
            base_log_sd: 1.0,
            cell_noise: 0.3,
            nb_size: 2.0,
            library_size_sd: 0.4,
            dropout: 0.3,
            seed: 7,
        }
    }

    /// Like `clean` with 100 dependent genes (the shape of the published `220var_clean`).
    pub fn hard() -> Self {
        SimulationParams {
            n_dependent: 100,
            ..Self::clean()
        }
    }

    /// Atlas-sized: 100,000 cells x 2,000 genes, 20 types (write it with
    /// [`crate::write_large`], which streams blocks of cells to disk).
    pub fn large() -> Self {
        SimulationParams {
            n_types: 20,
            cells_per_type: 5_000,
            n_causal: 200,
            n_dependent: 300,
            n_noise: 1_500,
            ..Self::clean()
        }
    }

    /// A preset by name (`clean`, `hard`, `large`).
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "clean" => Some(Self::clean()),
            "hard" => Some(Self::hard()),
            "large" => Some(Self::large()),
            _ => None,
        }
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the number of types and cells per type.
    pub fn types(mut self, n_types: usize, cells_per_type: usize) -> Self {
        self.n_types = n_types;
        self.cells_per_type = cells_per_type;
        self
    }

    /// Sets the numbers of causal, dependent and noise genes.
    pub fn genes(mut self, n_causal: usize, n_dependent: usize, n_noise: usize) -> Self {
        self.n_causal = n_causal;
        self.n_dependent = n_dependent;
        self.n_noise = n_noise;
        self
    }

    /// Sets the type effect size.
    pub fn effect_size(mut self, effect_size: f64) -> Self {
        self.effect_size = effect_size;
        self
    }

    /// Sets the negative-binomial size.
    pub fn nb_size(mut self, nb_size: f64) -> Self {
        self.nb_size = nb_size;
        self
    }

    /// Sets the largest dropout probability.
    pub fn dropout(mut self, dropout: f64) -> Self {
        self.dropout = dropout;
        self
    }

    /// Sets the library-size spread.
    pub fn library_size_sd(mut self, sd: f64) -> Self {
        self.library_size_sd = sd;
        self
    }

    /// Total cells.
    pub fn n_cells(&self) -> usize {
        self.n_types * self.cells_per_type
    }

    /// Total genes.
    pub fn n_genes(&self) -> usize {
        self.n_causal + self.n_dependent + self.n_noise
    }

    /// Checks every value, naming the first bad one.
    pub fn check(&self) -> Result<()> {
        if self.n_types < 2 {
            return Err(SimError::invalid("n_types", "needs at least 2 types"));
        }
        if self.cells_per_type == 0 {
            return Err(SimError::invalid("cells_per_type", "must be at least 1"));
        }
        if self.n_causal == 0 {
            return Err(SimError::invalid(
                "n_causal",
                "needs at least 1 causal gene",
            ));
        }
        let finite_non_negative = [
            ("effect_size", self.effect_size),
            ("base_log_sd", self.base_log_sd),
            ("cell_noise", self.cell_noise),
            ("library_size_sd", self.library_size_sd),
        ];
        for (name, v) in finite_non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return Err(SimError::invalid(
                    name,
                    format!("must be a non-negative number, got {v}"),
                ));
            }
        }
        if !self.base_log_mean.is_finite() || self.base_log_mean > 15.0 {
            return Err(SimError::invalid(
                "base_log_mean",
                format!("must be finite and at most 15, got {}", self.base_log_mean),
            ));
        }
        if !(self.nb_size.is_finite() && self.nb_size > 0.0) {
            return Err(SimError::invalid(
                "nb_size",
                format!("must be positive, got {}", self.nb_size),
            ));
        }
        for (name, v) in [("dropout", self.dropout), ("sparsity", self.sparsity)] {
            if !(0.0..1.0).contains(&v) {
                return Err(SimError::invalid(
                    name,
                    format!("must lie in [0, 1), got {v}"),
                ));
            }
        }
        Ok(())
    }
}
