//! What a biologist reads first about a marker: is it higher or lower in the class, by how
//! much, and in how many cells of the class and of the rest is it expressed.

use kratos_data::Dataset;
use serde::{Deserialize, Serialize};

use super::{labels_and_counts, per_gene};
use crate::{ExplainError, Result};

/// Whether a gene is higher or lower in a class than in the rest of the cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Mean expression in the class at least that of the other cells.
    Up,
    /// Mean expression in the class below that of the other cells.
    Down,
}

impl Direction {
    /// `"up"` or `"down"`, as written in panel files.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One-vs-rest statistics of every class (of the data's labels, in their order) and gene:
/// the mean in the class and in the rest, the log2 fold change, and the fraction of cells
/// expressing the gene (value ≠ 0) in the class and in the rest.
///
/// The fold change is scanpy's (`rank_genes_groups`' `logfoldchanges`): the values are taken
/// to be log1p-transformed, so it is
/// `log2((expm1(mean_in) + 1e-9) / (expm1(mean_rest) + 1e-9))`. The fractions are scanpy's
/// `pts` and `pts_rest`. A class without cells, or without other cells, has means and
/// fractions 0 on that side.
///
/// ```
/// use kratos_data::{Dataset, Labels};
/// use kratos_explain::{Direction, GeneStatistics};
/// // gene0 is higher in A, gene1 lower in A.
/// let values = vec![2.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 2.0];
/// let data = Dataset::from_matrix(values, 4, 2)?
///     .with_labels(Labels::from_names(&["A", "A", "B", "B"])?)?;
/// let stats = GeneStatistics::of(&data)?;
/// assert_eq!(stats.direction(0, 0), Direction::Up);
/// assert_eq!(stats.direction(0, 1), Direction::Down);
/// assert_eq!(stats.fraction_in(0)[0], 1.0);
/// assert_eq!(stats.fraction_rest(0)[0], 0.0);
/// assert!(stats.log_fold_change(0)[0] > 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneStatistics {
    class_names: Vec<String>,
    gene_names: Vec<String>,
    cells: Vec<usize>,
    mean_in: Vec<Vec<f32>>,
    mean_rest: Vec<Vec<f32>>,
    log_fold_change: Vec<Vec<f32>>,
    fraction_in: Vec<Vec<f32>>,
    fraction_rest: Vec<Vec<f32>>,
}

impl GeneStatistics {
    /// The statistics of every class of `data`'s labels and every gene, in one pass over the
    /// stored (non-zero) values. Pass the values in log1p units (what `kratos run` and the
    /// models see) for the fold change to mean what scanpy's does.
    pub fn of(data: &Dataset) -> Result<Self> {
        let (labels, counts) = labels_and_counts(data, "gene statistics")?;
        let k = labels.n_classes();
        let n = data.n_cells();
        let assignments = labels.assignments();
        // Per gene: the sum and the number of non-zero values in each class.
        let per_gene_sums: Vec<(Vec<f64>, Vec<u32>)> = per_gene(
            data,
            || (),
            |_, cells, values| {
                let mut sums = vec![0f64; k];
                let mut nonzero = vec![0u32; k];
                for (&i, &v) in cells.iter().zip(values) {
                    let c = assignments[i as usize];
                    sums[c] += f64::from(v);
                    if v != 0.0 {
                        nonzero[c] += 1;
                    }
                }
                (sums, nonzero)
            },
        );
        let g = data.n_genes();
        let mut stats = GeneStatistics {
            class_names: labels.class_names().to_vec(),
            gene_names: data.gene_names().to_vec(),
            cells: counts.clone(),
            mean_in: vec![vec![0.0; g]; k],
            mean_rest: vec![vec![0.0; g]; k],
            log_fold_change: vec![vec![0.0; g]; k],
            fraction_in: vec![vec![0.0; g]; k],
            fraction_rest: vec![vec![0.0; g]; k],
        };
        let ratio = |num: f64, den: usize| if den == 0 { 0.0 } else { num / den as f64 };
        for (j, (sums, nonzero)) in per_gene_sums.iter().enumerate() {
            let total: f64 = sums.iter().sum();
            let total_nonzero: u32 = nonzero.iter().sum();
            for c in 0..k {
                let rest = n - counts[c];
                let mean_in = ratio(sums[c], counts[c]);
                let mean_rest = ratio(total - sums[c], rest);
                stats.mean_in[c][j] = mean_in as f32;
                stats.mean_rest[c][j] = mean_rest as f32;
                stats.log_fold_change[c][j] =
                    ((mean_in.exp_m1() + 1e-9) / (mean_rest.exp_m1() + 1e-9)).log2() as f32;
                stats.fraction_in[c][j] = ratio(f64::from(nonzero[c]), counts[c]) as f32;
                stats.fraction_rest[c][j] =
                    ratio(f64::from(total_nonzero - nonzero[c]), rest) as f32;
            }
        }
        Ok(stats)
    }

    /// The classes, in the order of the data's labels.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// The genes, in the data's order.
    pub fn gene_names(&self) -> &[String] {
        &self.gene_names
    }

    /// The number of cells of each class.
    pub fn cells(&self) -> &[usize] {
        &self.cells
    }

    /// The index of class `name`, if the statistics have it.
    pub fn class_index(&self, name: &str) -> Option<usize> {
        self.class_names.iter().position(|c| c == name)
    }

    /// The index in these statistics of every gene of `genes` and every class of `classes`
    /// (matched by name), e.g. of a panel's; a missing one is an error naming it.
    pub fn indices_of(
        &self,
        genes: &[String],
        classes: &[String],
    ) -> Result<(Vec<usize>, Vec<usize>)> {
        let index: std::collections::HashMap<&str, usize> = self
            .gene_names()
            .iter()
            .enumerate()
            .map(|(i, g)| (g.as_str(), i))
            .collect();
        let genes = genes
            .iter()
            .map(|g| {
                index.get(g.as_str()).copied().ok_or_else(|| {
                    ExplainError::InvalidInput(format!(
                        "gene `{g}` of the panel is not in the gene statistics"
                    ))
                })
            })
            .collect::<Result<Vec<usize>>>()?;
        let classes = classes
            .iter()
            .map(|c| {
                self.class_index(c).ok_or_else(|| {
                    ExplainError::InvalidInput(format!(
                        "class `{c}` of the panel is not a class of the gene statistics ({})",
                        self.class_names().join(", ")
                    ))
                })
            })
            .collect::<Result<Vec<usize>>>()?;
        Ok((genes, classes))
    }

    /// Mean value of every gene over the cells of `class`.
    pub fn mean_in(&self, class: usize) -> &[f32] {
        &self.mean_in[class]
    }

    /// Mean value of every gene over the cells outside `class`.
    pub fn mean_rest(&self, class: usize) -> &[f32] {
        &self.mean_rest[class]
    }

    /// scanpy's log2 fold change of every gene, `class` against the rest.
    pub fn log_fold_change(&self, class: usize) -> &[f32] {
        &self.log_fold_change[class]
    }

    /// Fraction of the cells of `class` in which each gene is not zero.
    pub fn fraction_in(&self, class: usize) -> &[f32] {
        &self.fraction_in[class]
    }

    /// Fraction of the cells outside `class` in which each gene is not zero.
    pub fn fraction_rest(&self, class: usize) -> &[f32] {
        &self.fraction_rest[class]
    }

    /// Whether `gene` is higher ([`Direction::Up`], ties included) or lower in `class`.
    pub fn direction(&self, class: usize, gene: usize) -> Direction {
        if self.mean_in[class][gene] >= self.mean_rest[class][gene] {
            Direction::Up
        } else {
            Direction::Down
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kratos_data::Labels;

    fn data() -> Dataset {
        // 3 cells of A, 2 of B; gene0 up in A, gene1 down in A, gene2 never expressed.
        let values = vec![
            1.0, 0.0, 0.0, //
            3.0, 0.0, 0.0, //
            0.0, 1.0, 0.0, //
            0.0, 2.0, 0.0, //
            0.0, 2.0, 0.0,
        ];
        Dataset::from_matrix(values, 5, 3)
            .unwrap()
            .with_labels(Labels::from_names(&["A", "A", "A", "B", "B"]).unwrap())
            .unwrap()
    }

    #[test]
    fn means_fractions_and_fold_change_match_hand_values() {
        let s = GeneStatistics::of(&data()).unwrap();
        assert_eq!(s.cells(), &[3, 2]);
        assert!((s.mean_in(0)[0] - 4.0 / 3.0).abs() < 1e-6);
        assert_eq!(s.mean_rest(0)[0], 0.0);
        assert!((s.mean_in(0)[1] - 1.0 / 3.0).abs() < 1e-6);
        assert!((s.mean_rest(0)[1] - 2.0).abs() < 1e-6);
        assert!((s.fraction_in(0)[0] - 2.0 / 3.0).abs() < 1e-6);
        assert_eq!(s.fraction_rest(1)[0], 2.0 / 3.0);
        assert_eq!(s.fraction_in(1)[1], 1.0);
        let expected = (((4.0f64 / 3.0).exp_m1() + 1e-9) / 1e-9).log2() as f32;
        assert!((s.log_fold_change(0)[0] - expected).abs() < 1e-3);
        assert_eq!(s.direction(0, 0), Direction::Up);
        assert_eq!(s.direction(0, 1), Direction::Down);
        assert_eq!(s.direction(1, 1), Direction::Up);
        // Never expressed: no change, counted as up, in no cell.
        assert_eq!(s.log_fold_change(0)[2], 0.0);
        assert_eq!(s.direction(0, 2), Direction::Up);
        assert_eq!(s.fraction_in(0)[2], 0.0);
    }

    #[test]
    fn unlabelled_data_is_an_error() {
        let d = Dataset::from_matrix(vec![1.0, 2.0], 1, 2).unwrap();
        assert!(GeneStatistics::of(&d).is_err());
    }
}
