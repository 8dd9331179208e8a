//! Simulation parameters in the linfa style: [`SimulationParams`] collects values through builder
//! methods and [`SimulationParams::check`] turns them into a [`ValidSimulationParams`].

use serde::{Deserialize, Serialize};

use crate::{Result, SimError};

/// The parameter values, shared by the unchecked and the checked type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Fields {
    n_types: usize,
    cells_per_type: usize,
    n_causal: usize,
    n_dependent: usize,
    n_noise: usize,
    max_dependent_sources: usize,
    expression_log_mean: f64,
    expression_log_sd: f64,
    effect_size: f64,
    programme_density: f64,
    cell_variation_sd: f64,
    dependent_noise_sd: f64,
    dispersion: f64,
    dropout: f64,
    library_size_sd: f64,
    seed: u64,
}

/// Largest `expression_log_mean`: e^15 ≈ 3.3 million counts per gene, far above real data, and
/// low enough that counts stay exact in the `f32` values of a [`kratos_data::Dataset`].
const MAX_LOG_MEAN: f64 = 15.0;

/// Parameters of a simulation, not yet checked. Build one from a preset ([`clean`](Self::clean),
/// [`hard`](Self::hard), [`large`](Self::large)), change values with the builder methods, then
/// call [`check`](Self::check).
///
/// The model (details and calibration in `docs/simulation.md`). Every gene `j` has a base
/// log-mean `b_j ~ N(expression_log_mean, expression_log_sd²)` (capped at 2 sd above the mean).
/// Cell `i` of type `t` has a library size factor `L_i = exp(library_size_sd · z −
/// library_size_sd² / 2)` (`z ~ N(0, 1)`, fresh for every draw), and
///
/// - causal gene `k`: log-mean `b_k + a_tk + cell_variation_sd · z`, where the type programme
///   `a_tk` is `effect_size · |z|` if gene `k` is active in type `t` (probability
///   `programme_density`, at least one active type per gene) and 0 otherwise;
/// - noise gene `j`: log-mean `b_j + cell_variation_sd · z` (no type effect);
///
/// and its count is negative binomial with mean `L_i · exp(log-mean)` and over-dispersion
/// `dispersion` (variance `μ + dispersion · μ²`), set to zero with the dropout probability
/// `dropout / (dropout + (1 − dropout) · μ)`.
///
/// - dependent gene `d`: a linear combination of the counts of 1 to `max_dependent_sources`
///   random causal genes in the same cell, `e^(b_d) · Σ_k w_k c_ik / m_k / Σ_k w_k` with weights
///   `w_k ~ U(0.01, 0.8)` (each source's count `c_ik` taken relative to its mean `m_k`, so the
///   dependent gene's level is its own base), plus `N(0, dependent_noise_sd²)` noise (default
///   N(0, 1), as in the paper), rounded to a non-negative count, then the same dropout.
///
/// ```
/// use kratos_sim::SimulationParams;
/// let params = SimulationParams::clean().cells_per_type(20).seed(3).check()?;
/// assert_eq!(params.n_cells(), 100);
/// assert!(SimulationParams::clean().dropout(1.5).check().is_err());
/// # Ok::<(), kratos_sim::SimError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SimulationParams(Fields);

/// Checked simulation parameters (made by [`SimulationParams::check`]); read them with the
/// getters and simulate with [`simulate`](Self::simulate) or a [`crate::Simulator`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ValidSimulationParams(Fields);

impl Default for SimulationParams {
    /// The [`clean`](SimulationParams::clean) preset.
    fn default() -> Self {
        SimulationParams::clean()
    }
}

impl SimulationParams {
    /// The shape of the paper's `140var_clean`: 5 types x 100 cells, 20 causal, 20 dependent and
    /// 100 noise genes, with noise levels calibrated against the published data (see
    /// `docs/simulation.md`). Seed 7.
    pub fn clean() -> Self {
        SimulationParams(Fields {
            n_types: 5,
            cells_per_type: 100,
            n_causal: 20,
            n_dependent: 20,
            n_noise: 100,
            max_dependent_sources: 10,
            expression_log_mean: 3.1,
            expression_log_sd: 1.4,
            effect_size: 2.0,
            programme_density: 0.4,
            cell_variation_sd: 0.3,
            dependent_noise_sd: 1.0,
            dispersion: 0.5,
            dropout: 0.3,
            library_size_sd: 0.15,
            seed: 7,
        })
    }

    /// The shape of the paper's `220var_clean` ("hard"): like [`clean`](Self::clean) but with
    /// 100 dependent genes.
    pub fn hard() -> Self {
        SimulationParams::clean().n_dependent(100)
    }

    /// A large data set for streaming and speed tests: 20 types x 5,000 cells (100,000 cells) and
    /// 2,000 genes (100 causal, 200 dependent, 1,700 noise). Write it with
    /// [`crate::Simulator::write_to_dir`], which holds one block of cells in memory at a time.
    pub fn large() -> Self {
        SimulationParams::clean()
            .n_types(20)
            .cells_per_type(5_000)
            .n_causal(100)
            .n_dependent(200)
            .n_noise(1_700)
    }

    /// Number of cell types (at least 2).
    pub fn n_types(mut self, n_types: usize) -> Self {
        self.0.n_types = n_types;
        self
    }

    /// Cells of each type (at least 2); every type gets exactly this many.
    pub fn cells_per_type(mut self, cells_per_type: usize) -> Self {
        self.0.cells_per_type = cells_per_type;
        self
    }

    /// Number of causal genes, whose mean depends on the cell type (at least 1).
    pub fn n_causal(mut self, n_causal: usize) -> Self {
        self.0.n_causal = n_causal;
        self
    }

    /// Number of dependent genes, each a weighted mix of random causal genes plus noise.
    pub fn n_dependent(mut self, n_dependent: usize) -> Self {
        self.0.n_dependent = n_dependent;
        self
    }

    /// Number of noise genes, unrelated to the cell type.
    pub fn n_noise(mut self, n_noise: usize) -> Self {
        self.0.n_noise = n_noise;
        self
    }

    /// Most causal genes one dependent gene mixes (at least 1; default 10, as in the paper). Each
    /// dependent gene draws its number of sources uniformly from 1 to this (capped at `n_causal`).
    pub fn max_dependent_sources(mut self, max_sources: usize) -> Self {
        self.0.max_dependent_sources = max_sources;
        self
    }

    /// Mean of the genes' base log-means (natural log of counts per cell; finite, at most 15).
    pub fn expression_log_mean(mut self, log_mean: f64) -> Self {
        self.0.expression_log_mean = log_mean;
        self
    }

    /// Standard deviation of the genes' base log-means across genes (≥ 0).
    pub fn expression_log_sd(mut self, log_sd: f64) -> Self {
        self.0.expression_log_sd = log_sd;
        self
    }

    /// Standard deviation of the type programme effects of causal genes on the natural-log mean
    /// scale (≥ 0; 0 makes the types indistinguishable).
    pub fn effect_size(mut self, effect_size: f64) -> Self {
        self.0.effect_size = effect_size;
        self
    }

    /// Probability that a causal gene is active in a cell type (in (0, 1]): each (type, causal
    /// gene) pair is active independently, and an active gene's log-mean is raised by
    /// `effect_size · |z|`. Lower values make sparser, harder programmes.
    pub fn programme_density(mut self, density: f64) -> Self {
        self.0.programme_density = density;
        self
    }

    /// Standard deviation of cell-to-cell biological variation of causal and noise genes on the
    /// log-mean scale (from 0 to 3), fresh for every cell and gene.
    pub fn cell_variation_sd(mut self, sd: f64) -> Self {
        self.0.cell_variation_sd = sd;
        self
    }

    /// Standard deviation of the noise added to a dependent gene's mix of counts, in counts
    /// (from 0 to 100; default 1, the paper's N(0, 1)).
    pub fn dependent_noise_sd(mut self, sd: f64) -> Self {
        self.0.dependent_noise_sd = sd;
        self
    }

    /// Negative binomial over-dispersion φ (≥ 0): a count with mean μ has variance μ + φ μ².
    /// 0 gives Poisson counts.
    pub fn dispersion(mut self, dispersion: f64) -> Self {
        self.0.dispersion = dispersion;
        self
    }

    /// Dropout rate in [0, 1): the probability that a count with expected value 1 is replaced by
    /// zero. A count with expected value μ drops with probability `rate / (rate + (1 − rate) μ)`,
    /// so lowly expressed genes drop out more.
    pub fn dropout(mut self, rate: f64) -> Self {
        self.0.dropout = rate;
        self
    }

    /// Standard deviation of the cells' log library size factors (≥ 0, at most 3); the factors
    /// have mean 1.
    pub fn library_size_sd(mut self, sd: f64) -> Self {
        self.0.library_size_sd = sd;
        self
    }

    /// Seed of every random draw: the same parameters and seed give identical data.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// Checks the values without consuming them.
    pub fn check_ref(&self) -> Result<()> {
        let f = &self.0;
        if f.n_types < 2 {
            return Err(SimError::param(
                "n_types",
                f.n_types,
                "need at least 2 cell types",
            ));
        }
        if f.cells_per_type < 2 {
            return Err(SimError::param(
                "cells_per_type",
                f.cells_per_type,
                "need at least 2 cells per type",
            ));
        }
        if f.n_causal == 0 {
            return Err(SimError::param(
                "n_causal",
                0,
                "need at least 1 causal gene",
            ));
        }
        if f.max_dependent_sources == 0 {
            return Err(SimError::param(
                "max_dependent_sources",
                0,
                "a dependent gene needs at least 1 source",
            ));
        }
        let n_genes = f
            .n_causal
            .checked_add(f.n_dependent)
            .and_then(|n| n.checked_add(f.n_noise));
        let n_cells = f.n_types.checked_mul(f.cells_per_type);
        match (n_genes, n_cells) {
            (Some(g), Some(c)) if g.checked_mul(c).is_some() && c <= u32::MAX as usize => {}
            _ => {
                return Err(SimError::param(
                    "n_types x cells_per_type",
                    format!("{} x {}", f.n_types, f.cells_per_type),
                    "too many cells or genes",
                ));
            }
        }
        if !(f.expression_log_mean.is_finite() && f.expression_log_mean <= MAX_LOG_MEAN) {
            return Err(SimError::param(
                "expression_log_mean",
                f.expression_log_mean,
                "must be finite and at most 15",
            ));
        }
        let non_negative = [
            ("expression_log_sd", f.expression_log_sd, 5.0),
            ("effect_size", f.effect_size, 5.0),
            ("cell_variation_sd", f.cell_variation_sd, 3.0),
            ("dependent_noise_sd", f.dependent_noise_sd, 100.0),
            ("dispersion", f.dispersion, 100.0),
            ("library_size_sd", f.library_size_sd, 3.0),
        ];
        for (name, value, max) in non_negative {
            if !(value >= 0.0 && value <= max) {
                return Err(SimError::param(
                    name,
                    value,
                    &format!("must be a number from 0 to {max}"),
                ));
            }
        }
        if !(f.programme_density > 0.0 && f.programme_density <= 1.0) {
            return Err(SimError::param(
                "programme_density",
                f.programme_density,
                "must be a probability in (0, 1]",
            ));
        }
        if !(f.dropout >= 0.0 && f.dropout < 1.0) {
            return Err(SimError::param(
                "dropout",
                f.dropout,
                "must be a probability in [0, 1)",
            ));
        }
        Ok(())
    }

    /// Checks the values and returns them in checked form, or an error naming the first bad
    /// parameter.
    pub fn check(self) -> Result<ValidSimulationParams> {
        self.check_ref()?;
        Ok(ValidSimulationParams(self.0))
    }
}

impl From<ValidSimulationParams> for SimulationParams {
    fn from(valid: ValidSimulationParams) -> Self {
        SimulationParams(valid.0)
    }
}

impl ValidSimulationParams {
    /// Number of cell types.
    pub fn n_types(&self) -> usize {
        self.0.n_types
    }
    /// Cells of each type.
    pub fn cells_per_type(&self) -> usize {
        self.0.cells_per_type
    }
    /// Number of cells (`n_types · cells_per_type`).
    pub fn n_cells(&self) -> usize {
        self.0.n_types * self.0.cells_per_type
    }
    /// Number of causal genes.
    pub fn n_causal(&self) -> usize {
        self.0.n_causal
    }
    /// Number of dependent genes.
    pub fn n_dependent(&self) -> usize {
        self.0.n_dependent
    }
    /// Number of noise genes.
    pub fn n_noise(&self) -> usize {
        self.0.n_noise
    }
    /// Number of genes (causal + dependent + noise).
    pub fn n_genes(&self) -> usize {
        self.0.n_causal + self.0.n_dependent + self.0.n_noise
    }
    /// Most causal genes one dependent gene mixes.
    pub fn max_dependent_sources(&self) -> usize {
        self.0.max_dependent_sources
    }
    /// Mean of the genes' base log-means.
    pub fn expression_log_mean(&self) -> f64 {
        self.0.expression_log_mean
    }
    /// Standard deviation of the genes' base log-means.
    pub fn expression_log_sd(&self) -> f64 {
        self.0.expression_log_sd
    }
    /// Standard deviation of the type programme effects (log-mean scale).
    pub fn effect_size(&self) -> f64 {
        self.0.effect_size
    }
    /// Probability that a causal gene is active in a cell type.
    pub fn programme_density(&self) -> f64 {
        self.0.programme_density
    }
    /// Standard deviation of cell-to-cell biological variation (log-mean scale).
    pub fn cell_variation_sd(&self) -> f64 {
        self.0.cell_variation_sd
    }
    /// Standard deviation of a dependent gene's own noise (counts).
    pub fn dependent_noise_sd(&self) -> f64 {
        self.0.dependent_noise_sd
    }
    /// Negative binomial over-dispersion.
    pub fn dispersion(&self) -> f64 {
        self.0.dispersion
    }
    /// Dropout rate (probability a count with expected value 1 drops).
    pub fn dropout(&self) -> f64 {
        self.0.dropout
    }
    /// Standard deviation of the log library size factors.
    pub fn library_size_sd(&self) -> f64 {
        self.0.library_size_sd
    }
    /// The seed.
    pub fn seed(&self) -> u64 {
        self.0.seed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn presets_are_valid_and_have_the_published_shapes() {
        let clean = SimulationParams::clean().check().unwrap();
        assert_eq!((clean.n_cells(), clean.n_genes()), (500, 140));
        let hard = SimulationParams::hard().check().unwrap();
        assert_eq!((hard.n_cells(), hard.n_genes()), (500, 220));
        let large = SimulationParams::large().check().unwrap();
        assert_eq!(
            (large.n_cells(), large.n_genes(), large.n_types()),
            (100_000, 2_000, 20)
        );
        assert_eq!(SimulationParams::default(), SimulationParams::clean());
    }

    #[test]
    fn bad_values_are_named() {
        let cases: [(SimulationParams, &str); 8] = [
            (SimulationParams::clean().n_types(1), "n_types"),
            (
                SimulationParams::clean().cells_per_type(1),
                "cells_per_type",
            ),
            (SimulationParams::clean().n_causal(0), "n_causal"),
            (SimulationParams::clean().dropout(1.0), "dropout"),
            (SimulationParams::clean().dispersion(-0.1), "dispersion"),
            (
                SimulationParams::clean().effect_size(f64::NAN),
                "effect_size",
            ),
            (
                SimulationParams::clean().expression_log_mean(40.0),
                "expression_log_mean",
            ),
            (
                SimulationParams::clean().n_types(usize::MAX),
                "n_types x cells_per_type",
            ),
        ];
        for (params, name) in cases {
            let err = params.check().unwrap_err();
            assert!(
                matches!(&err, SimError::InvalidParam { name: n, .. } if *n == name),
                "{err}"
            );
            assert!(err.to_string().contains(name));
        }
    }

    #[test]
    fn checked_params_convert_back_for_further_changes() {
        let valid = SimulationParams::hard().seed(11).check().unwrap();
        let again = SimulationParams::from(valid.clone()).check().unwrap();
        assert_eq!(again, valid);
        assert_eq!(again.seed(), 11);
    }

    proptest! {
        #[test]
        fn check_never_panics(
            n_types in 0usize..50,
            cells in 0usize..50,
            causal in 0usize..50,
            dropout in -1.0f64..2.0,
            dispersion in -1.0f64..200.0,
            log_mean in -50.0f64..50.0,
        ) {
            let p = SimulationParams::clean()
                .n_types(n_types)
                .cells_per_type(cells)
                .n_causal(causal)
                .dropout(dropout)
                .dispersion(dispersion)
                .expression_log_mean(log_mean);
            let ok = p.check_ref().is_ok();
            let expected = n_types >= 2 && cells >= 2 && causal >= 1
                && (0.0..1.0).contains(&dropout) && (0.0..=100.0).contains(&dispersion)
                && log_mean <= 15.0;
            prop_assert_eq!(ok, expected);
        }
    }
}
