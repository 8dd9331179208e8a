//! Summaries that compare a simulated data set with the published one (`docs/simulation.md`):
//! per-role gene means and dropout, library sizes, the roles a Wilcoxon rank-sum one-vs-rest
//! ranking puts in each type's top k, and a nearest-centroid accuracy.
//!
//! The Wilcoxon statistic is written out here (a few lines: tie-averaged ranks and the normal
//! approximation without tie or continuity correction, exactly what
//! `shared/reference/wilcoxon_panel.py` and scanpy's `rank_genes_groups` compute) rather than
//! taken from a crate, so that the numbers match the reference script to the last digit.

use std::fmt;

use kratos_data::{Dataset, GeneRole};

use crate::{Result, SimError};

/// The three roles in table order.
pub const ROLES: [GeneRole; 3] = [GeneRole::Causal, GeneRole::Dependent, GeneRole::Noise];

fn role_index(role: GeneRole) -> usize {
    match role {
        GeneRole::Causal => 0,
        GeneRole::Dependent => 1,
        GeneRole::Noise => 2,
    }
}

/// Linear-interpolation quantile of sorted values (numpy's default), 0 for no values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Per-gene mean count and dropout (fraction of zeros) summarised over the genes of one role.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleStats {
    /// The role.
    pub role: GeneRole,
    /// Genes of this role.
    pub n_genes: usize,
    /// Median over genes of the gene's mean count.
    pub median_mean: f64,
    /// 10% quantile over genes of the gene's mean count.
    pub q10_mean: f64,
    /// 90% quantile over genes of the gene's mean count.
    pub q90_mean: f64,
    /// Mean over genes of the gene's dropout rate.
    pub mean_dropout: f64,
    /// Median over genes of the gene's dropout rate.
    pub median_dropout: f64,
}

/// Per-role summaries of gene means and dropout, in the order causal, dependent, noise.
pub fn role_stats(dataset: &Dataset, roles: &[GeneRole]) -> Vec<RoleStats> {
    let n = dataset.n_cells().max(1) as f64;
    let (mut sums, mut zeros) = (
        vec![0f64; dataset.n_genes()],
        vec![0usize; dataset.n_genes()],
    );
    for i in 0..dataset.n_cells() {
        for (j, v) in dataset.row(i).iter().enumerate() {
            sums[j] += v as f64;
            zeros[j] += usize::from(v == 0.0);
        }
    }
    ROLES
        .iter()
        .map(|&role| {
            let genes: Vec<usize> = (0..roles.len()).filter(|&j| roles[j] == role).collect();
            let mut means: Vec<f64> = genes.iter().map(|&j| sums[j] / n).collect();
            let mut drop: Vec<f64> = genes.iter().map(|&j| zeros[j] as f64 / n).collect();
            means.sort_by(f64::total_cmp);
            drop.sort_by(f64::total_cmp);
            RoleStats {
                role,
                n_genes: genes.len(),
                median_mean: quantile(&means, 0.5),
                q10_mean: quantile(&means, 0.1),
                q90_mean: quantile(&means, 0.9),
                mean_dropout: drop.iter().sum::<f64>() / drop.len().max(1) as f64,
                median_dropout: quantile(&drop, 0.5),
            }
        })
        .collect()
}

/// Summary of the cells' library sizes (total counts).
#[derive(Debug, Clone, PartialEq)]
pub struct LibrarySize {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub median: f64,
    /// Standard deviation (population).
    pub sd: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

/// Library sizes (sum of each cell's values).
pub fn library_size(dataset: &Dataset) -> LibrarySize {
    let mut sizes: Vec<f64> = (0..dataset.n_cells())
        .map(|i| dataset.row(i).nonzeros().map(|(_, v)| v as f64).sum())
        .collect();
    sizes.sort_by(f64::total_cmp);
    let n = sizes.len().max(1) as f64;
    let mean = sizes.iter().sum::<f64>() / n;
    let sd = (sizes.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n).sqrt();
    LibrarySize {
        mean,
        median: quantile(&sizes, 0.5),
        sd,
        min: sizes.first().copied().unwrap_or(0.0),
        max: sizes.last().copied().unwrap_or(0.0),
    }
}

/// Wilcoxon rank-sum z-scores, one-vs-rest: `z[class][gene]`, positive when the class ranks
/// higher than the other cells. Ranks are tie-averaged; z uses the normal approximation
/// without tie correction (as scanpy and the reference script). Errors if the data set has no
/// labels.
pub fn wilcoxon_z(dataset: &Dataset) -> Result<Vec<Vec<f64>>> {
    let labels = dataset.require_labels()?;
    let (n, g) = dataset.shape();
    let mut ranks = vec![0f64; n * g];
    let mut order: Vec<usize> = Vec::with_capacity(n);
    for j in 0..g {
        let column = dataset.column(j);
        order.clear();
        order.extend(0..n);
        order.sort_by(|&a, &b| column[a].total_cmp(&column[b]));
        let mut start = 0;
        while start < n {
            let mut end = start + 1;
            while end < n && column[order[end]] == column[order[start]] {
                end += 1;
            }
            let average = (start + end + 1) as f64 / 2.0; // mean of ranks start+1 ..= end
            for &cell in &order[start..end] {
                ranks[cell * g + j] = average;
            }
            start = end;
        }
    }
    let z = (0..labels.n_classes())
        .map(|class| {
            let members = dataset.cells_of_class(class);
            let (n1, n2) = (members.len() as f64, (n - members.len()) as f64);
            let sd = (n1 * n2 * (n as f64 + 1.0) / 12.0).sqrt();
            (0..g)
                .map(|j| {
                    let rank_sum: f64 = members.iter().map(|&i| ranks[i * g + j]).sum();
                    let u = rank_sum - n1 * (n1 + 1.0) / 2.0;
                    if sd > 0.0 {
                        (u - n1 * n2 / 2.0) / sd
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    Ok(z)
}

/// How a ranking orders genes by their Wilcoxon z-score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranking {
    /// Highest z first: genes up in the class (the reference script `wilcoxon_panel.py`).
    Signed,
    /// Highest |z| first: genes up or down in the class.
    Absolute,
}

/// For every class, how many genes of each role (causal, dependent, noise) are in the top `k`
/// of `scores[class]` ranked by `ranking`; ties are broken by gene name, as the reference script.
pub fn top_k_role_counts(
    scores: &[Vec<f64>],
    gene_names: &[String],
    roles: &[GeneRole],
    k: usize,
    ranking: Ranking,
) -> Vec<[usize; 3]> {
    scores
        .iter()
        .map(|s| {
            let key = |j: usize| match ranking {
                Ranking::Signed => s[j],
                Ranking::Absolute => s[j].abs(),
            };
            let mut order: Vec<usize> = (0..s.len()).collect();
            order.sort_by(|&a, &b| {
                key(b)
                    .total_cmp(&key(a))
                    .then_with(|| gene_names[a].cmp(&gene_names[b]))
            });
            let mut counts = [0usize; 3];
            for &j in order.iter().take(k) {
                counts[role_index(roles[j])] += 1;
            }
            counts
        })
        .collect()
}

/// Nearest-centroid accuracy on log1p values: centroids of the training cells of a stratified
/// split (`test_fraction`, `seed`), test cells assigned to the closest centroid (Euclidean).
/// With `genes`, only those columns are used. Errors if the data set has no labels or a class is
/// too small to split.
pub fn nearest_centroid_accuracy(
    dataset: &Dataset,
    genes: Option<&[usize]>,
    test_fraction: f64,
    seed: u64,
) -> Result<f64> {
    let labels = dataset.require_labels()?;
    let split = kratos_data::stratified_split(labels, test_fraction, seed)?;
    let all: Vec<usize>;
    let genes = match genes {
        Some(g) => g,
        None => {
            all = (0..dataset.n_genes()).collect();
            &all
        }
    };
    let log = |i: usize, j: usize| (dataset.get(i, j) as f64).ln_1p();
    let n_classes = labels.n_classes();
    let mut centroids = vec![vec![0f64; genes.len()]; n_classes];
    let mut counts = vec![0usize; n_classes];
    for &i in &split.train {
        let c = labels.assignments()[i];
        counts[c] += 1;
        for (s, &j) in centroids[c].iter_mut().zip(genes) {
            *s += log(i, j);
        }
    }
    for (centroid, &n) in centroids.iter_mut().zip(&counts) {
        centroid.iter_mut().for_each(|s| *s /= n.max(1) as f64);
    }
    let correct = split
        .test
        .iter()
        .filter(|&&i| {
            let distance = |c: &[f64]| -> f64 {
                c.iter()
                    .zip(genes)
                    .map(|(m, &j)| (log(i, j) - m).powi(2))
                    .sum()
            };
            let best = (0..n_classes)
                .filter(|&c| counts[c] > 0)
                .min_by(|&a, &b| distance(&centroids[a]).total_cmp(&distance(&centroids[b])));
            best == Some(labels.assignments()[i])
        })
        .count();
    Ok(correct as f64 / split.test.len().max(1) as f64)
}

/// Everything the calibration table of `docs/simulation.md` shows for one data set.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationReport {
    /// Cells.
    pub n_cells: usize,
    /// Genes.
    pub n_genes: usize,
    /// Per-role gene statistics (causal, dependent, noise).
    pub roles: Vec<RoleStats>,
    /// Library sizes.
    pub library: LibrarySize,
    /// The `k` of the Wilcoxon top-k counts.
    pub top_k: usize,
    /// Per class: causal/dependent/noise genes in the top k by signed z.
    pub wilcoxon_signed: Vec<[usize; 3]>,
    /// Per class: causal/dependent/noise genes in the top k by |z|.
    pub wilcoxon_absolute: Vec<[usize; 3]>,
    /// Nearest-centroid accuracy on log1p values, all genes, 70/30 split (seed 7).
    pub nearest_centroid: f64,
    /// The best nearest-centroid accuracy of a single gene (same split).
    pub best_single_gene: f64,
}

impl CalibrationReport {
    /// Computes the report for a labelled data set with known gene roles (top `k` genes per
    /// class in the Wilcoxon counts).
    pub fn new(dataset: &Dataset, roles: &[GeneRole], k: usize) -> Result<Self> {
        if roles.len() != dataset.n_genes() {
            return Err(SimError::Invalid(format!(
                "{} roles for {} genes",
                roles.len(),
                dataset.n_genes()
            )));
        }
        let z = wilcoxon_z(dataset)?;
        let names = dataset.gene_names();
        let mut best_single_gene = 0f64;
        for j in 0..dataset.n_genes() {
            best_single_gene =
                best_single_gene.max(nearest_centroid_accuracy(dataset, Some(&[j]), 0.3, 7)?);
        }
        Ok(CalibrationReport {
            n_cells: dataset.n_cells(),
            n_genes: dataset.n_genes(),
            roles: role_stats(dataset, roles),
            library: library_size(dataset),
            top_k: k,
            wilcoxon_signed: top_k_role_counts(&z, names, roles, k, Ranking::Signed),
            wilcoxon_absolute: top_k_role_counts(&z, names, roles, k, Ranking::Absolute),
            nearest_centroid: nearest_centroid_accuracy(dataset, None, 0.3, 7)?,
            best_single_gene,
        })
    }

    /// Sum over classes of the top-k counts: `[causal, dependent, noise]`.
    pub fn totals(counts: &[[usize; 3]]) -> [usize; 3] {
        counts.iter().fold([0; 3], |acc, c| {
            [acc[0] + c[0], acc[1] + c[1], acc[2] + c[2]]
        })
    }
}

impl fmt::Display for CalibrationReport {
    /// A Markdown summary: one line of shape and library sizes, a per-role table, the Wilcoxon
    /// counts and the accuracies.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.library;
        writeln!(
            f,
            "{} cells x {} genes; library size mean {:.0}, median {:.0}, sd {:.0}, min {:.0}, max {:.0}",
            self.n_cells, self.n_genes, l.mean, l.median, l.sd, l.min, l.max
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "| role | genes | gene mean: median (q10–q90) | dropout: mean / median | Wilcoxon top-{k} by z | top-{k} by abs(z) |",
            k = self.top_k
        )?;
        writeln!(f, "|---|---|---|---|---|---|")?;
        let signed = Self::totals(&self.wilcoxon_signed);
        let absolute = Self::totals(&self.wilcoxon_absolute);
        for (r, s) in self.roles.iter().enumerate() {
            writeln!(
                f,
                "| {} | {} | {:.1} ({:.1}–{:.1}) | {:.3} / {:.3} | {} | {} |",
                s.role,
                s.n_genes,
                s.median_mean,
                s.q10_mean,
                s.q90_mean,
                s.mean_dropout,
                s.median_dropout,
                signed[r],
                absolute[r]
            )?;
        }
        writeln!(f)?;
        let per_class = |counts: &[[usize; 3]]| {
            counts
                .iter()
                .map(|c| format!("{}/{}/{}", c[0], c[1], c[2]))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            f,
            "Wilcoxon top-{} causal/dependent/noise per class, by z: {}; by abs(z): {}",
            self.top_k,
            per_class(&self.wilcoxon_signed),
            per_class(&self.wilcoxon_absolute)
        )?;
        writeln!(
            f,
            "Nearest-centroid accuracy (log1p, 70/30 split, seed 7): all genes {:.3}, best single gene {:.3}",
            self.nearest_centroid, self.best_single_gene
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kratos_data::Labels;

    #[test]
    fn wilcoxon_matches_a_hand_computed_example() {
        // Gene 0 separates the classes perfectly; gene 1 has ties.
        let ds = Dataset::from_matrix(vec![5.0, 1.0, 6.0, 1.0, 1.0, 0.0, 2.0, 1.0], 4, 2)
            .unwrap()
            .with_labels(Labels::from_names(&["a", "a", "b", "b"]).unwrap())
            .unwrap();
        let z = wilcoxon_z(&ds).unwrap();
        // Class a, gene 0: ranks 3, 4 -> U = 7 - 3 = 4, z = (4 - 2) / sqrt(4 · 5 / 12).
        let sd = (4.0f64 * 5.0 / 12.0).sqrt();
        assert!((z[0][0] - 2.0 / sd).abs() < 1e-12);
        assert!((z[1][0] + 2.0 / sd).abs() < 1e-12);
        // Gene 1: values 1, 1, 0, 1 -> ranks 3, 3, 1, 3; class a: U = 6 - 3 = 3, z = 1 / sd.
        assert!((z[0][1] - 1.0 / sd).abs() < 1e-12);
        let names: Vec<String> = vec!["x".into(), "y".into()];
        let roles = [GeneRole::Noise, GeneRole::Causal];
        let top1 = top_k_role_counts(&z, &names, &roles, 1, Ranking::Signed);
        assert_eq!(top1, vec![[0, 0, 1], [1, 0, 0]]);
        let top1 = top_k_role_counts(&z, &names, &roles, 1, Ranking::Absolute);
        assert_eq!(top1, vec![[0, 0, 1], [0, 0, 1]]);
    }

    #[test]
    fn summaries_of_a_small_matrix() {
        let ds = Dataset::from_matrix(vec![0.0, 4.0, 2.0, 0.0, 4.0, 8.0], 3, 2).unwrap();
        let stats = role_stats(&ds, &[GeneRole::Causal, GeneRole::Noise]);
        assert_eq!(stats[0].median_mean, 2.0);
        assert!((stats[0].mean_dropout - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(stats[1].n_genes, 0); // no dependent gene
        assert_eq!((stats[2].n_genes, stats[2].median_mean), (1, 4.0));
        let lib = library_size(&ds);
        assert_eq!((lib.min, lib.median, lib.max), (2.0, 4.0, 12.0));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
    }
}
