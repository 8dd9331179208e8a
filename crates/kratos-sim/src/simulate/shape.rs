//! Simulations of a chosen size and share of zeros, for scale tests: `kratos simulate --cells
//! --genes --types --zeros`.

use super::{SimulationParams, Simulator};
use crate::{Result, SimError};

/// Pilot cells per type when the share of zeros is calibrated.
const PILOT_CELLS_PER_TYPE: usize = 40;
/// Most genes of a pilot (fewer than the data set's keep its roles' proportions).
const PILOT_GENES: usize = 2000;
/// Bisection steps of the calibration: the log mean is found to within (23 / 2^20).
const CALIBRATION_STEPS: usize = 20;

impl SimulationParams {
    /// The same model with `cells` cells (as equal as possible over `types` types, at least
    /// 2 each) and `genes` genes: 5% causal, 10% dependent and the rest noise (at least one
    /// causal gene), the proportions of the `large` preset.
    ///
    /// ```
    /// use kratos_sim::SimulationParams;
    /// let p = SimulationParams::clean().shape(20_000, 30_000, 20).check()?;
    /// assert_eq!((p.n_cells(), p.n_genes(), p.n_types()), (20_000, 30_000, 20));
    /// assert_eq!((p.n_causal(), p.n_dependent()), (1_500, 3_000));
    /// # Ok::<(), kratos_sim::SimError>(())
    /// ```
    pub fn shape(self, cells: usize, genes: usize, types: usize) -> Self {
        let causal = (genes / 20).max(1);
        let dependent = (genes / 10).min(genes.saturating_sub(causal));
        self.n_types(types)
            .cells_per_type(cells / types.max(1))
            .n_causal(causal)
            .n_dependent(dependent)
            .n_noise(genes.saturating_sub(causal + dependent))
    }

    /// The same model with its expression level (`expression_log_mean`) set so that about
    /// `share` of the counts are zeros (real 10x data: 0.9–0.95): found by bisection on pilot
    /// simulations of a few cells per type.
    ///
    /// ```
    /// use kratos_sim::SimulationParams;
    /// let p = SimulationParams::clean().zero_share(0.9)?.check()?;
    /// let counts = p.simulate()?.dataset;
    /// let values = counts.to_dense_values();
    /// let zeros = values.iter().filter(|&&v| v == 0.0).count() as f64;
    /// assert!((zeros / values.len() as f64 - 0.9).abs() < 0.03);
    /// # Ok::<(), kratos_sim::SimError>(())
    /// ```
    pub fn zero_share(self, share: f64) -> Result<Self> {
        if !(share > 0.0 && share < 1.0) {
            return Err(SimError::param(
                "zero_share",
                share,
                "must be a fraction in (0, 1)",
            ));
        }
        let fields = self.clone().check()?;
        let scale = (PILOT_GENES as f64 / fields.n_genes() as f64).min(1.0);
        let pilot = |log_mean: f64| -> Result<f64> {
            let scaled = |n: usize| ((n as f64 * scale).round() as usize).max(1);
            let params = self
                .clone()
                .cells_per_type(PILOT_CELLS_PER_TYPE)
                .n_causal(scaled(fields.n_causal()))
                .n_dependent(scaled(fields.n_dependent()))
                .n_noise(scaled(fields.n_noise()))
                .expression_log_mean(log_mean)
                .check()?;
            let simulator = Simulator::new(params);
            let (mut zeros, mut total) = (0usize, 0usize);
            for block in simulator.blocks() {
                zeros += block.counts.iter().filter(|&&c| c == 0).count();
                total += block.counts.len();
            }
            Ok(zeros as f64 / total.max(1) as f64)
        };
        // The share of zeros falls as the expression level rises.
        let (mut low, mut high) = (-8.0f64, 15.0f64);
        for _ in 0..CALIBRATION_STEPS {
            let mid = (low + high) / 2.0;
            if pilot(mid)? > share {
                low = mid;
            } else {
                high = mid;
            }
        }
        Ok(self.expression_log_mean((low + high) / 2.0))
    }
}
