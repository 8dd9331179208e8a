//! Wilcoxon rank-sum one-vs-rest test.

use kratos_data::Dataset;

use super::{MarkerTest, WilcoxonParams, assemble, labels_and_counts, per_gene};
use crate::{GenePanel, Result};

/// One-vs-rest Wilcoxon rank-sum marker panel (scanpy's `rank_genes_groups` default): for every
/// class and gene, the z-score of the Mann–Whitney U of the class's cells against all other
/// cells; genes ranked by z descending (see [`WilcoxonParams::direction`]), ties by column
/// position. Named `wilcoxon`; `cells_used` counts each class's cells.
///
/// Per gene, all cells are ranked together (tied values get their average rank, as
/// `scipy.stats.rankdata`); with R the sum of the class's ranks, n₁ its cells, n₂ the rest's
/// and n = n₁ + n₂,
/// U = R − n₁(n₁ + 1)/2 and z = (U − n₁n₂/2) / √(n₁n₂(n + 1)/12), without tie correction unless
/// [`WilcoxonParams::tie_correction`] is set. A constant gene scores 0. Use [`wilcoxon_test`]
/// for the p-values as well.
///
/// Errors if `data` has no labels, no cells or no genes, or if `params` is invalid.
///
/// ```
/// use kratos_data::{Dataset, Labels};
/// use kratos_explain::{WilcoxonParams, wilcoxon_panel};
///
/// // Gene 0 is high in class A, gene 1 in class B; gene 2 is noise.
/// let values: Vec<f32> = (0..40)
///     .flat_map(|i| {
///         let a = i % 2 == 0;
///         [if a { 3.0 } else { 1.0 }, if a { 0.0 } else { 2.0 }, (i % 7) as f32]
///     })
///     .collect();
/// let labels: Vec<&str> = (0..40).map(|i| if i % 2 == 0 { "A" } else { "B" }).collect();
/// let data = Dataset::from_matrix(values, 40, 3)?.with_labels(Labels::from_names(&labels)?)?;
///
/// let panel = wilcoxon_panel(&data, &WilcoxonParams::default())?;
/// assert_eq!(panel.method(), "wilcoxon");
/// assert_eq!(panel.top_genes(0, 1), ["gene0"]); // class A
/// assert_eq!(panel.top_genes(1, 1), ["gene1"]); // class B
/// assert!(panel.scores(0)[0] > 5.0); // z of gene 0 for class A
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn wilcoxon_panel(data: &Dataset, params: &WilcoxonParams) -> Result<GenePanel> {
    wilcoxon_test(data, params).map(MarkerTest::into_panel)
}

/// [`wilcoxon_panel`] with the statistics: [`MarkerTest::statistic`] is the signed z,
/// [`MarkerTest::p_values`] the two-sided normal p-value 2·(1 − Φ(|z|)) and
/// [`MarkerTest::p_adjusted`] its Benjamini–Hochberg adjustment over the genes of each class
/// (scanpy's `pvals` and `pvals_adj`). Classes below [`WilcoxonParams::min_cells`] get z 0 and
/// p-value 1.
pub fn wilcoxon_test(data: &Dataset, params: &WilcoxonParams) -> Result<MarkerTest> {
    params.check()?;
    let (labels, counts) = labels_and_counts(data, "Wilcoxon")?;
    let assignments = labels.assignments();
    let k = labels.n_classes();
    let n = data.n_cells();
    let nf = n as f64;
    let min_cells = params.min_cells;
    let tie_correction = params.tie_correction;
    let per_gene: Vec<Vec<(f64, f64)>> = per_gene(
        data,
        || (Vec::new(), vec![0usize; k], vec![0f64; k]),
        |(order, zeros, rank_sums), cells, values| {
            // The non-zero (value, cell) pairs sorted by value; the zeros are one group of
            // tied values between the negative and the positive ones. The rank sums add the
            // same ranks in the same order as sorting every cell would.
            order.clear();
            order.extend(
                cells
                    .iter()
                    .zip(values)
                    .map(|(&cell, &value)| (value, cell)),
            );
            order.sort_unstable_by(|a: &(f32, u32), b| a.0.total_cmp(&b.0));
            zeros.copy_from_slice(&counts);
            for &(_, cell) in order.iter() {
                zeros[assignments[cell as usize]] -= 1;
            }
            let n_zeros = n - order.len();
            let negative = order.partition_point(|&(v, _)| v < 0.0);
            rank_sums.iter_mut().for_each(|s| *s = 0.0);
            let mut ties = 0f64; // Σ (t³ − t) over groups of tied values
            add_tied_groups(&order[..negative], 0, assignments, rank_sums, &mut ties);
            if n_zeros > 0 {
                let rank = (2 * negative + n_zeros + 1) as f64 / 2.0;
                for (sum, &z) in rank_sums.iter_mut().zip(zeros.iter()) {
                    for _ in 0..z {
                        *sum += rank;
                    }
                }
                let t = n_zeros as f64;
                ties += t * t * t - t;
            }
            add_tied_groups(
                &order[negative..],
                negative + n_zeros,
                assignments,
                rank_sums,
                &mut ties,
            );
            let correction = if tie_correction && n > 1 {
                1.0 - ties / (nf * nf * nf - nf)
            } else {
                1.0
            };
            (0..k)
                .map(|c| {
                    let (n1, n2) = (counts[c], n - counts[c]);
                    if n1 < min_cells || n2 < min_cells {
                        return (0.0, 1.0);
                    }
                    let (n1, n2) = (n1 as f64, n2 as f64);
                    // U − n₁n₂/2 = R − n₁(n + 1)/2.
                    let centred = rank_sums[c] - n1 * (nf + 1.0) / 2.0;
                    let variance = n1 * n2 * (nf + 1.0) / 12.0 * correction;
                    if variance <= 0.0 || centred == 0.0 {
                        return (0.0, 1.0);
                    }
                    let z = centred / variance.sqrt();
                    (z, normal_two_sided(z))
                })
                .collect()
        },
    );
    assemble("wilcoxon", data, labels, counts, params.direction, per_gene)
}

/// Adds the ranks of the sorted (value, cell) pairs `sorted`, whose first sits at position
/// `first` of all cells, to each cell's class's rank sum (tied values share their mean rank),
/// and Σ (t³ − t) over the groups of tied values to `ties`.
fn add_tied_groups(
    sorted: &[(f32, u32)],
    first: usize,
    assignments: &[usize],
    rank_sums: &mut [f64],
    ties: &mut f64,
) {
    let mut start = 0;
    while start < sorted.len() {
        let value = sorted[start].0;
        let mut end = start + 1;
        while end < sorted.len() && sorted[end].0 == value {
            end += 1;
        }
        // Positions first + start .. first + end hold ranks first + start + 1 ..= first + end.
        let rank = (2 * first + start + end + 1) as f64 / 2.0;
        for &(_, cell) in &sorted[start..end] {
            rank_sums[assignments[cell as usize]] += rank;
        }
        let t = (end - start) as f64;
        *ties += t * t * t - t;
        start = end;
    }
}

/// 2·(1 − Φ(|z|)), accurate in the far tail.
fn normal_two_sided(z: f64) -> f64 {
    statrs::function::erf::erfc(z.abs() / std::f64::consts::SQRT_2)
}
