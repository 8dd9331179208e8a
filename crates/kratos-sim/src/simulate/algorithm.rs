//! The generator: a gene model drawn once from the seed, then cells drawn block by block, each
//! block from its own seeded random stream, so that any block can be made alone and the result
//! does not depend on whether the cells are kept in memory or streamed to disk.

use kratos_data::{Dataset, GeneRole, Labels};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Poisson, StandardNormal};

use super::ValidSimulationParams;
use crate::Result;

/// Cells per block. Part of the definition of the output: each block `b` draws from random
/// stream `b + 1` of the seed, so changing this constant changes the data of every seed.
pub const BLOCK_CELLS: usize = 1024;

/// Largest natural-log mean of a count (e^20 ≈ 4.9e8); means above it are capped so that the
/// Poisson draw stays defined whatever the parameters.
const MAX_LOG_MU: f64 = 20.0;

/// Base log-means are capped at this many standard deviations above their mean.
const BASE_CAP_SD: f64 = 2.0;

/// Weights of a dependent gene's sources are drawn from U(0.01, 0.8), as in the paper.
const WEIGHT_RANGE: std::ops::Range<f64> = 0.01..0.8;

/// A simulated data set: counts (cells x genes, with type labels) and the ground-truth role of
/// every gene, in column order.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// The counts as a labelled data set (cell ids `c001…`, gene names `g001…`, labels
    /// `type1…`).
    pub dataset: Dataset,
    /// The role of every gene, in the data set's column order.
    pub roles: Vec<GeneRole>,
}

/// A block of consecutive cells made by [`Simulator::block`]: integer counts, row-major (cell
/// `i` of the block is `counts[i * n_genes .. (i + 1) * n_genes]`), columns in the output order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellBlock {
    /// Index of the block's first cell in the whole data set.
    pub first_cell: usize,
    /// Number of cells in the block.
    pub n_cells: usize,
    /// Number of genes (columns).
    pub n_genes: usize,
    /// The counts, row-major.
    pub counts: Vec<u32>,
}

impl CellBlock {
    /// The counts of cell `i` of the block (0-based within the block).
    pub fn row(&self, i: usize) -> &[u32] {
        &self.counts[i * self.n_genes..(i + 1) * self.n_genes]
    }
}

/// Gene-level quantities, drawn once from the seed. Genes are held in role order (causal,
/// dependent, noise) and scattered to shuffled columns on output.
#[derive(Debug, Clone)]
struct GeneModel {
    /// Base natural-log mean of every gene (role order).
    base_log_mean: Vec<f64>,
    /// `effect_size · p_tk`, row-major n_types x n_causal.
    programme: Vec<f64>,
    /// Mean expected count of every causal gene over the types (before library size).
    source_mean: Vec<f64>,
    /// For every dependent gene, its source causal genes (index among causal genes) and weights.
    sources: Vec<Vec<(usize, f64)>>,
    /// For every dependent gene, `exp(base) / Σ weights`: scales the mix of its sources' relative
    /// counts to the gene's own level.
    dependent_scale: Vec<f64>,
    /// Column of every gene (role order -> output column).
    column_of: Vec<usize>,
}

/// Makes the cells of a simulation. Build it from checked parameters; it holds only gene-level
/// state, so it is small even for the [`large`](crate::SimulationParams::large) preset.
///
/// ```
/// use kratos_sim::{SimulationParams, Simulator};
/// let sim = Simulator::new(SimulationParams::clean().cells_per_type(10).check()?);
/// let block = sim.block(0);
/// assert_eq!((block.n_cells, block.n_genes), (50, 140));
/// assert_eq!(sim.simulate()?.dataset.to_dense_values()[..140], block.counts.iter().map(|&c| c as f32).collect::<Vec<_>>()[..140]);
/// # Ok::<(), kratos_sim::SimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Simulator {
    params: ValidSimulationParams,
    model: GeneModel,
    roles: Vec<GeneRole>,
    gene_names: Vec<String>,
    class_names: Vec<String>,
    cell_width: usize,
}

fn digits(n: usize) -> usize {
    n.max(1).to_string().len()
}

impl Simulator {
    /// Draws the gene model (base means, type programmes, dependency weights, column order) from
    /// the parameters' seed.
    pub fn new(params: ValidSimulationParams) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed());
        let (n_causal, n_dependent, n_genes) =
            (params.n_causal(), params.n_dependent(), params.n_genes());
        // Base levels: normal on the log scale, capped at 2 standard deviations above the mean
        // so that one extreme gene does not dominate the library sizes of a small data set.
        let base_log_mean: Vec<f64> = (0..n_genes)
            .map(|_| {
                let z: f64 = rng.sample(StandardNormal);
                params.expression_log_mean() + params.expression_log_sd() * z.min(BASE_CAP_SD)
            })
            .collect();
        // Programme: a causal gene is active in a type with probability `programme_density`
        // (and in at least one type, so that every causal gene depends on the type), raising its
        // log-mean by `effect_size · |z|`; in the other types it stays at its base.
        let n_types = params.n_types();
        let mut programme = vec![0.0; n_types * n_causal];
        for k in 0..n_causal {
            let mut active: Vec<bool> = (0..n_types)
                .map(|_| rng.random::<f64>() < params.programme_density())
                .collect();
            if !active.contains(&true) {
                active[rng.random_range(0..n_types)] = true;
            }
            for (t, _) in active.iter().enumerate().filter(|(_, a)| **a) {
                let z: f64 = rng.sample(StandardNormal);
                programme[t * n_causal + k] = params.effect_size() * z.abs();
            }
        }
        let bio_var = params.cell_variation_sd().powi(2);
        let source_mean: Vec<f64> = (0..n_causal)
            .map(|k| {
                (0..n_types)
                    .map(|t| (base_log_mean[k] + programme[t * n_causal + k] + bio_var / 2.0).exp())
                    .sum::<f64>()
                    / n_types as f64
            })
            .collect();
        let max_sources = params.max_dependent_sources().min(n_causal);
        let sources: Vec<Vec<(usize, f64)>> = (0..n_dependent)
            .map(|_| {
                let m = rng.random_range(1..=max_sources);
                let mut chosen = rand::seq::index::sample(&mut rng, n_causal, m).into_vec();
                chosen.sort_unstable();
                chosen
                    .into_iter()
                    .map(|k| (k, rng.random_range(WEIGHT_RANGE)))
                    .collect()
            })
            .collect();
        let dependent_scale = sources
            .iter()
            .enumerate()
            .map(|(d, s)| {
                let total: f64 = s.iter().map(|&(_, w)| w).sum();
                base_log_mean[n_causal + d].exp() / total
            })
            .collect();
        let mut column_of: Vec<usize> = (0..n_genes).collect();
        column_of.shuffle(&mut rng);

        let mut roles = vec![GeneRole::Noise; n_genes];
        for (g, &col) in column_of.iter().enumerate() {
            roles[col] = if g < n_causal {
                GeneRole::Causal
            } else if g < n_causal + n_dependent {
                GeneRole::Dependent
            } else {
                GeneRole::Noise
            };
        }
        let gene_names = crate::neutral_gene_names(n_genes);
        let type_width = digits(params.n_types());
        let class_names = (1..=params.n_types())
            .map(|t| format!("type{t:0type_width$}"))
            .collect();
        let cell_width = digits(params.n_cells()).max(3);
        Simulator {
            model: GeneModel {
                base_log_mean,
                programme,
                source_mean,
                dependent_scale,
                sources,
                column_of,
            },
            params,
            roles,
            gene_names,
            class_names,
            cell_width,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &ValidSimulationParams {
        &self.params
    }

    /// Number of cells.
    pub fn n_cells(&self) -> usize {
        self.params.n_cells()
    }

    /// Number of genes.
    pub fn n_genes(&self) -> usize {
        self.params.n_genes()
    }

    /// The role of every gene, in column order.
    pub fn roles(&self) -> &[GeneRole] {
        &self.roles
    }

    /// Gene names in column order: `g001`, `g002`, … (zero-padded to the width of the gene
    /// count). Names and columns are shuffled relative to the roles.
    pub fn gene_names(&self) -> &[String] {
        &self.gene_names
    }

    /// Class names, in class order: `type1` … (zero-padded when there are 10 or more types).
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// The id of a cell: `c001`, … (zero-padded to the width of the cell count).
    pub fn cell_id(&self, cell: usize) -> String {
        format!("c{:0w$}", cell + 1, w = self.cell_width)
    }

    /// The type (class index) of a cell. Cells come grouped by type: the first
    /// `cells_per_type` are type 0, and so on.
    pub fn cell_type(&self, cell: usize) -> usize {
        cell / self.params.cells_per_type()
    }

    /// Ground truth of the dependent genes, by column: for a dependent gene, the columns of its
    /// source causal genes with their weights `w ~ U(0.01, 0.8)` (applied to the sources' counts
    /// relative to their means, see [`SimulationParams`](crate::SimulationParams)); empty for
    /// other genes.
    pub fn dependency_sources(&self) -> Vec<Vec<(usize, f64)>> {
        let n_causal = self.params.n_causal();
        let mut out = vec![Vec::new(); self.n_genes()];
        for (d, sources) in self.model.sources.iter().enumerate() {
            let column = self.model.column_of[n_causal + d];
            out[column] = sources
                .iter()
                .map(|&(k, w)| (self.model.column_of[k], w))
                .collect();
        }
        out
    }

    /// Number of blocks of [`BLOCK_CELLS`] cells (the last may be shorter).
    pub fn n_blocks(&self) -> usize {
        self.n_cells().div_ceil(BLOCK_CELLS)
    }

    /// Makes block `b` (cells `b · BLOCK_CELLS ..`), from its own random stream. Panics if `b` is
    /// not below [`n_blocks`](Self::n_blocks).
    pub fn block(&self, b: usize) -> CellBlock {
        assert!(b < self.n_blocks(), "block {b} of {}", self.n_blocks());
        let first_cell = b * BLOCK_CELLS;
        let n_cells = BLOCK_CELLS.min(self.n_cells() - first_cell);
        let n_genes = self.n_genes();
        let mut rng = ChaCha8Rng::seed_from_u64(self.params.seed());
        rng.set_stream(b as u64 + 1);
        let mut sampler = CountSampler::new(&self.params);
        let mut counts = vec![0u32; n_cells * n_genes];
        for (i, row) in counts.chunks_exact_mut(n_genes).enumerate() {
            let cell_type = self.cell_type(first_cell + i);
            self.fill_cell(&mut rng, &mut sampler, cell_type, row);
        }
        CellBlock {
            first_cell,
            n_cells,
            n_genes,
            counts,
        }
    }

    /// All blocks, in order.
    pub fn blocks(&self) -> impl Iterator<Item = CellBlock> + '_ {
        (0..self.n_blocks()).map(|b| self.block(b))
    }

    /// Draws the counts of one cell into `row` (output column order).
    fn fill_cell(
        &self,
        rng: &mut ChaCha8Rng,
        sampler: &mut CountSampler,
        cell_type: usize,
        row: &mut [u32],
    ) {
        let p = &self.params;
        let m = &self.model;
        let (n_causal, n_dependent) = (p.n_causal(), p.n_dependent());
        let lib_sd = p.library_size_sd();
        let z: f64 = rng.sample(StandardNormal);
        let log_library = lib_sd * z - lib_sd * lib_sd / 2.0;
        let bio_sd = p.cell_variation_sd();
        let programme = &m.programme[cell_type * n_causal..(cell_type + 1) * n_causal];
        for k in 0..n_causal {
            let z: f64 = rng.sample(StandardNormal);
            let log_mu = m.base_log_mean[k] + programme[k] + bio_sd * z + log_library;
            row[m.column_of[k]] = sampler.draw(rng, log_mu);
        }
        // Dependent genes: a linear combination of the source causal genes' counts in this
        // cell, each relative to its source's mean, scaled to the gene's own level, plus
        // N(0, dependent_noise_sd²); rounded to a count, then dropout as for every gene.
        let dep_sd = p.dependent_noise_sd();
        for d in 0..n_dependent {
            let mix: f64 = m.sources[d]
                .iter()
                .map(|&(k, w)| w * f64::from(row[m.column_of[k]]) / m.source_mean[k])
                .sum::<f64>()
                * m.dependent_scale[d];
            let z: f64 = rng.sample(StandardNormal);
            let count = (mix + dep_sd * z).round().max(0.0);
            let dropped = sampler.drops(rng, mix);
            row[m.column_of[n_causal + d]] = if dropped { 0 } else { count as u32 };
        }
        for g in n_causal + n_dependent..p.n_genes() {
            let z: f64 = rng.sample(StandardNormal);
            let log_mu = m.base_log_mean[g] + bio_sd * z + log_library;
            row[m.column_of[g]] = sampler.draw(rng, log_mu);
        }
    }

    /// Makes the whole data set in memory, with labels, and returns it with the gene roles.
    pub fn simulate(&self) -> Result<Simulation> {
        let mut values = Vec::with_capacity(self.n_cells() * self.n_genes());
        for block in self.blocks() {
            values.extend(block.counts.iter().map(|&c| c as f32));
        }
        let cell_ids = (0..self.n_cells()).map(|i| self.cell_id(i)).collect();
        let label_names: Vec<&str> = (0..self.n_cells())
            .map(|i| self.class_names[self.cell_type(i)].as_str())
            .collect();
        let dataset = Dataset::new(values, cell_ids, self.gene_names.clone())?
            .with_labels(Labels::from_names(&label_names)?)?;
        Ok(Simulation {
            dataset,
            roles: self.roles.clone(),
        })
    }
}

impl ValidSimulationParams {
    /// Simulates in memory: shorthand for `Simulator::new(self.clone()).simulate()`.
    pub fn simulate(&self) -> Result<Simulation> {
        Simulator::new(self.clone()).simulate()
    }
}

/// Draws one count: negative binomial (Poisson–gamma) with the given log-mean, then dropout.
struct CountSampler {
    /// Gamma(1/φ, 1) for the Poisson rate's multiplicative noise, `None` for Poisson counts.
    gamma: Option<(Gamma<f64>, f64)>,
    dropout: f64,
}

impl CountSampler {
    fn new(params: &ValidSimulationParams) -> Self {
        let phi = params.dispersion();
        let gamma = (phi > 0.0).then(|| {
            // Checked parameters keep φ in (0, 100], so the shape 1/φ is positive and finite.
            let gamma = Gamma::new(1.0 / phi, 1.0).expect("shape 1/φ is positive and finite");
            (gamma, phi)
        });
        CountSampler {
            gamma,
            dropout: params.dropout(),
        }
    }

    fn draw(&mut self, rng: &mut ChaCha8Rng, log_mu: f64) -> u32 {
        let mu = log_mu.min(MAX_LOG_MU).exp();
        let rate = match &self.gamma {
            Some((gamma, phi)) => gamma.sample(rng) * phi * mu,
            None => mu,
        };
        let count = if rate > 0.0 {
            // `rate` is positive and at most a few times e^20, within Poisson's domain.
            Poisson::new(rate).map_or(0.0, |poisson| poisson.sample(rng))
        } else {
            0.0
        };
        if self.drops(rng, mu) {
            return 0;
        }
        count as u32
    }

    /// Whether a count with expected value `mu` drops out (draws only when dropout is on).
    fn drops(&mut self, rng: &mut ChaCha8Rng, mu: f64) -> bool {
        if self.dropout > 0.0 {
            let p_drop = self.dropout / (self.dropout + (1.0 - self.dropout) * mu);
            rng.random::<f64>() < p_drop
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimulationParams;

    fn small() -> ValidSimulationParams {
        SimulationParams::clean()
            .cells_per_type(30)
            .n_noise(30)
            .check()
            .unwrap()
    }

    #[test]
    fn roles_are_shuffled_and_counted_exactly() {
        let sim = Simulator::new(small());
        let roles = sim.roles();
        let count = |r| roles.iter().filter(|&&x| x == r).count();
        assert_eq!(count(GeneRole::Causal), 20);
        assert_eq!(count(GeneRole::Dependent), 20);
        assert_eq!(count(GeneRole::Noise), 30);
        // Not in role order: some causal gene comes after some noise gene.
        let first_noise = roles.iter().position(|&r| r == GeneRole::Noise).unwrap();
        let last_causal = roles.iter().rposition(|&r| r == GeneRole::Causal).unwrap();
        assert!(last_causal > first_noise);
        assert_eq!(sim.gene_names()[0], "g001");
        assert_eq!(sim.gene_names()[69], "g070");
    }

    #[test]
    fn dependency_sources_point_at_causal_columns() {
        let sim = Simulator::new(small());
        let sources = sim.dependency_sources();
        for (col, s) in sources.iter().enumerate() {
            if sim.roles()[col] == GeneRole::Dependent {
                assert!((1..=10).contains(&s.len()));
                for &(src, w) in s {
                    assert_eq!(sim.roles()[src], GeneRole::Causal);
                    assert!((0.01..0.8).contains(&w));
                }
            } else {
                assert!(s.is_empty());
            }
        }
    }

    #[test]
    fn cells_and_labels_are_grouped_by_type() {
        let s = small().simulate().unwrap();
        let labels = s.dataset.labels().unwrap();
        assert_eq!(labels.class_counts(), vec![30; 5]);
        assert_eq!(labels.class_names()[0], "type1");
        assert_eq!(labels.name_of(30), "type2");
        assert_eq!(s.dataset.cell_ids()[0], "c001");
        assert!(
            s.dataset
                .stored_values()
                .iter()
                .all(|v| *v >= 0.0 && v.fract() == 0.0)
        );
    }

    #[test]
    fn poisson_without_dropout_has_the_right_mean() {
        let p = SimulationParams::clean()
            .dispersion(0.0)
            .dropout(0.0)
            .check()
            .unwrap();
        let mut sampler = CountSampler::new(&p);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = 20_000;
        let mean = (0..n)
            .map(|_| sampler.draw(&mut rng, 10f64.ln()) as f64)
            .sum::<f64>()
            / n as f64;
        assert!((mean - 10.0).abs() < 0.15, "{mean}");
    }

    #[test]
    fn negative_binomial_variance_and_dropout_follow_the_parameters() {
        let p = SimulationParams::clean()
            .dispersion(0.5)
            .dropout(0.5)
            .check()
            .unwrap();
        let mut sampler = CountSampler::new(&p);
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let n = 40_000;
        let draws: Vec<f64> = (0..n)
            .map(|_| sampler.draw(&mut rng, 20f64.ln()) as f64)
            .collect();
        // Dropout at μ = 20 with rate 0.5: 0.5 / (0.5 + 0.5 · 20) = 1/21. NB zeros at size 2,
        // μ = 20: (2/22)^2 ≈ 0.0083. Total ≈ 0.0476 + 0.9524 · 0.0083 ≈ 0.0555.
        let zeros = draws.iter().filter(|&&c| c == 0.0).count() as f64 / n as f64;
        assert!((zeros - 0.0555).abs() < 0.006, "{zeros}");
        // Mean (1 − 1/21) · 20 ≈ 19.05.
        let mean = draws.iter().sum::<f64>() / n as f64;
        assert!((mean - 19.05).abs() < 0.4, "{mean}");
    }
}
