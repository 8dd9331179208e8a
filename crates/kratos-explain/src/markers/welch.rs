//! Welch's t-test, one class against the rest.

use kratos_data::Dataset;

use super::{MarkerTest, WelchParams, assemble, labels_and_counts, per_gene};
use crate::{GenePanel, Result};

/// One-vs-rest Welch t-test marker panel (scanpy's `rank_genes_groups(method="t-test")`): for
/// every class and gene,
/// t = (mean_in − mean_out) / √(var_in/n_in + var_out/n_out) with sample variances (ddof 1),
/// the class's cells against all other cells; genes ranked by t descending (see
/// [`WelchParams::direction`]), ties by column position. Named `t-test`; `cells_used` counts
/// each class's cells.
///
/// A gene with zero variance in both the class and the rest scores 0 (scanpy: 0 when the
/// means are equal, ±∞ otherwise), so every score is finite. Use [`welch_t_test`] for the
/// p-values as well.
///
/// Errors if `data` has no labels, no cells or no genes, or if `params` is invalid.
///
/// ```
/// use kratos_data::{Dataset, Labels};
/// use kratos_explain::{WelchParams, welch_t_panel};
///
/// let values: Vec<f32> = (0..40)
///     .flat_map(|i| [if i % 2 == 0 { 3.0 } else { 1.0 } + (i % 3) as f32, (i % 5) as f32])
///     .collect();
/// let labels: Vec<&str> = (0..40).map(|i| if i % 2 == 0 { "A" } else { "B" }).collect();
/// let data = Dataset::from_matrix(values, 40, 2)?.with_labels(Labels::from_names(&labels)?)?;
/// let panel = welch_t_panel(&data, &WelchParams::default())?;
/// assert_eq!(panel.top_genes(0, 1), ["gene0"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn welch_t_panel(data: &Dataset, params: &WelchParams) -> Result<GenePanel> {
    welch_t_test(data, params).map(MarkerTest::into_panel)
}

/// [`welch_t_panel`] with the statistics: [`MarkerTest::statistic`] is the signed t,
/// [`MarkerTest::p_values`] the two-sided p-value of the Student t distribution with the
/// Welch–Satterthwaite degrees of freedom
/// ν = (a + b)² / (a²/(n_in − 1) + b²/(n_out − 1)), a = var_in/n_in, b = var_out/n_out
/// (as `scipy.stats.ttest_ind(equal_var=False)`), and [`MarkerTest::p_adjusted`] its
/// Benjamini–Hochberg adjustment over the genes of each class. Genes with zero variance in
/// both groups, and classes below [`WelchParams::min_cells`], get t 0 and p-value 1.
pub fn welch_t_test(data: &Dataset, params: &WelchParams) -> Result<MarkerTest> {
    params.check()?;
    let (labels, counts) = labels_and_counts(data, "Welch t")?;
    let assignments = labels.assignments();
    let k = labels.n_classes();
    let n = data.n_cells();
    let min_cells = params.min_cells;
    let counts_ref = &counts;
    let per_gene: Vec<Vec<(f64, f64)>> = per_gene(
        data,
        || (vec![0f64; k], vec![0f64; k], vec![0f64; k], Vec::new()),
        |(sums, means, squares, column), cells, values| {
            // Every cell's value, in cell order (the sums add in the same order as on a
            // dense copy).
            column.clear();
            column.resize(n, 0f32);
            for (&c, &v) in cells.iter().zip(values) {
                column[c as usize] = v;
            }
            sums.iter_mut().for_each(|s| *s = 0.0);
            squares.iter_mut().for_each(|s| *s = 0.0);
            for (&v, &a) in column.iter().zip(assignments) {
                sums[a] += v as f64;
            }
            for c in 0..k {
                means[c] = if counts[c] > 0 {
                    sums[c] / counts[c] as f64
                } else {
                    0.0
                };
            }
            // Sums of squared deviations from each class's mean (two-pass: no cancellation).
            for (&v, &a) in column.iter().zip(assignments) {
                let d = v as f64 - means[a];
                squares[a] += d * d;
            }
            (0..k)
                .map(|c| {
                    let (n_in, n_out) = (counts[c], n - counts[c]);
                    if n_in < min_cells || n_out < min_cells {
                        return (0.0, 1.0);
                    }
                    // The rest: its mean from the other classes' sums (not total − class,
                    // so a constant rest has its value as mean exactly), and its squared
                    // deviations by the parallel-variance formula.
                    let others = || (0..k).filter(move |&o| o != c && counts_ref[o] > 0);
                    let mean_out = others().map(|o| sums[o]).sum::<f64>() / n_out as f64;
                    let ss_out: f64 = others()
                        .map(|o| {
                            let d = means[o] - mean_out;
                            squares[o] + counts[o] as f64 * d * d
                        })
                        .sum();
                    let a = squares[c] / (n_in - 1) as f64 / n_in as f64;
                    let b = ss_out / (n_out - 1) as f64 / n_out as f64;
                    let se2 = a + b;
                    if se2 <= 0.0 {
                        return (0.0, 1.0);
                    }
                    let t = (means[c] - mean_out) / se2.sqrt();
                    let df = se2 * se2 / (a * a / (n_in - 1) as f64 + b * b / (n_out - 1) as f64);
                    (t, student_t_two_sided(t, df))
                })
                .collect()
        },
    );
    assemble("t-test", data, labels, counts, params.direction, per_gene)
}

/// P(|T| ≥ |t|) for Student's t with `df` degrees of freedom: I_{ν/(ν+t²)}(ν/2, 1/2).
fn student_t_two_sided(t: f64, df: f64) -> f64 {
    if t == 0.0 {
        return 1.0;
    }
    let x = df / (df + t * t);
    statrs::function::beta::beta_reg(df / 2.0, 0.5, x).clamp(0.0, 1.0)
}
