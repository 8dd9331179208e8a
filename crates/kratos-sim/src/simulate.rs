use kratos_data::{Dataset, GeneRole, Labels};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Normal, Poisson, StandardNormal};

use crate::{Result, SimulationParams};

/// A simulated data set: counts with labels, and the true role of every gene (column order).
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Cells x genes counts (as `f32`), labelled with the cell types `1`..`K`.
    pub dataset: Dataset,
    /// The role of every gene, in column order.
    pub roles: Vec<GeneRole>,
}

/// Cells generated together from one RNG stream; streaming writers produce the same cells.
pub(crate) const BLOCK_CELLS: usize = 1024;

/// Everything drawn once per data set: roles, base levels, type programmes, mixing weights.
pub(crate) struct GeneModel {
    pub(crate) roles: Vec<GeneRole>,
    pub(crate) names: Vec<String>,
    /// Base log-mean of every gene (column order).
    base: Vec<f64>,
    /// For column j of a causal gene: its index among the causal genes.
    causal_slot: Vec<Option<usize>>,
    /// programme[t][k]: shift of causal gene k's log-mean in type t.
    programme: Vec<Vec<f64>>,
    /// For dependent columns: (causal slot, weight) pairs.
    mixture: Vec<Vec<(usize, f64)>>,
    params: SimulationParams,
}

impl GeneModel {
    pub(crate) fn new(params: &SimulationParams) -> Result<Self> {
        params.check()?;
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        let g = params.n_genes();
        let mut roles: Vec<GeneRole> = std::iter::repeat_n(GeneRole::Causal, params.n_causal)
            .chain(std::iter::repeat_n(GeneRole::Dependent, params.n_dependent))
            .chain(std::iter::repeat_n(GeneRole::Noise, params.n_noise))
            .collect();
        roles.shuffle(&mut rng);
        let width = g.to_string().len().max(3);
        let names = (1..=g).map(|j| format!("g{j:0width$}")).collect();
        let base_dist = Normal::new(params.base_log_mean, params.base_log_sd.max(1e-12))
            .expect("checked parameters");
        let base = (0..g).map(|_| base_dist.sample(&mut rng)).collect();
        let mut causal_slot = vec![None; g];
        let mut next = 0;
        for (j, r) in roles.iter().enumerate() {
            if *r == GeneRole::Causal {
                causal_slot[j] = Some(next);
                next += 1;
            }
        }
        let programme = (0..params.n_types)
            .map(|_| {
                (0..params.n_causal)
                    .map(|_| {
                        if rng.random::<f64>() < params.sparsity {
                            0.0
                        } else {
                            params.effect_size * rng.sample::<f64, _>(StandardNormal)
                        }
                    })
                    .collect()
            })
            .collect();
        let mixture = roles
            .iter()
            .map(|r| {
                if *r != GeneRole::Dependent {
                    return Vec::new();
                }
                let n_sources = rng.random_range(1..=10usize.min(params.n_causal));
                let mut slots: Vec<usize> = (0..params.n_causal).collect();
                slots.shuffle(&mut rng);
                slots[..n_sources]
                    .iter()
                    .map(|&k| (k, rng.random_range(0.01..0.8)))
                    .collect()
            })
            .collect();
        Ok(GeneModel {
            roles,
            names,
            base,
            causal_slot,
            programme,
            mixture,
            params: params.clone(),
        })
    }

    /// The type (0-based) of cell `i`: types alternate so every block holds all of them.
    pub(crate) fn type_of(&self, cell: usize) -> usize {
        cell % self.params.n_types
    }

    /// The id of cell `i`, `<index>_<type>` as in the published files (types numbered from 1).
    pub(crate) fn cell_id(&self, cell: usize) -> String {
        format!("{}_{}", cell + 1, self.type_of(cell) + 1)
    }

    /// Counts of the cells `start..end` (row-major), from the block's own RNG stream.
    pub(crate) fn block(&self, block: usize) -> (usize, Vec<f32>) {
        let p = &self.params;
        let n = p.n_cells();
        let start = block * BLOCK_CELLS;
        let end = (start + BLOCK_CELLS).min(n);
        let g = self.roles.len();
        let seed =
            p.seed ^ 0x5EED_0000_0000_0000 ^ (block as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = Vec::with_capacity((end - start) * g);
        let mut causal_dev = vec![0f64; p.n_causal];
        for cell in start..end {
            let t = self.type_of(cell);
            let library = (p.library_size_sd * rng.sample::<f64, _>(StandardNormal)
                - p.library_size_sd * p.library_size_sd / 2.0)
                .exp();
            for (k, dev) in causal_dev.iter_mut().enumerate() {
                *dev = self.programme[t][k] + p.cell_noise * rng.sample::<f64, _>(StandardNormal);
            }
            for j in 0..g {
                let log_mean = match self.roles[j] {
                    GeneRole::Causal => {
                        self.base[j] + causal_dev[self.causal_slot[j].expect("causal")]
                    }
                    GeneRole::Dependent => {
                        let mix: f64 = self.mixture[j]
                            .iter()
                            .map(|&(k, w)| w * causal_dev[k])
                            .sum();
                        self.base[j] + mix + rng.sample::<f64, _>(StandardNormal)
                    }
                    GeneRole::Noise => {
                        self.base[j] + p.cell_noise * rng.sample::<f64, _>(StandardNormal)
                    }
                };
                let mean = library * log_mean.min(20.0).exp();
                out.push(self.draw_count(mean, &mut rng));
            }
        }
        (end - start, out)
    }

    /// A negative-binomial (Poisson–gamma) count with mean `mean`, zeroed with an
    /// expression-dependent dropout probability.
    fn draw_count(&self, mean: f64, rng: &mut ChaCha8Rng) -> f32 {
        let p = &self.params;
        let rate = Gamma::new(p.nb_size, mean / p.nb_size)
            .map(|d| d.sample(rng))
            .unwrap_or(0.0);
        let count = if rate > 0.0 {
            Poisson::new(rate).map(|d| d.sample(rng)).unwrap_or(0.0)
        } else {
            0.0
        };
        let dropout = p.dropout / (1.0 + mean / 10.0);
        if rng.random::<f64>() < dropout {
            0.0
        } else {
            count as f32
        }
    }

    pub(crate) fn n_blocks(&self) -> usize {
        self.params.n_cells().div_ceil(BLOCK_CELLS)
    }
}

/// Simulates a whole data set in memory (use [`crate::write_large`] for atlas sizes).
pub fn simulate(params: &SimulationParams) -> Result<Simulation> {
    let model = GeneModel::new(params)?;
    let n = params.n_cells();
    let mut values = Vec::with_capacity(n * params.n_genes());
    for b in 0..model.n_blocks() {
        values.extend(model.block(b).1);
    }
    let ids: Vec<String> = (0..n).map(|i| model.cell_id(i)).collect();
    let types: Vec<String> = (0..n).map(|i| (model.type_of(i) + 1).to_string()).collect();
    let dataset =
        Dataset::new(values, ids, model.names.clone())?.with_labels(Labels::from_names(&types)?)?;
    Ok(Simulation {
        dataset,
        roles: model.roles,
    })
}
