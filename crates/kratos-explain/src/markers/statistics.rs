//! Per-class expression statistics used by the default panel's combination: the change in mean
//! expression and the two-sided rank test.

use kratos_data::Dataset;

use crate::panel::require_labels;
use crate::{GenePanel, Result};

/// One-vs-rest expression change of every gene for each of `class_names`: |mean over the
/// class's cells − mean over all other labelled cells| of the values of `data` (pass them in
/// the units the model sees, e.g. log expression). Cells whose label is not among
/// `class_names` are ignored; a class without cells, or without other cells, scores 0 for
/// every gene. Named `expression-change`; `cells_used` counts each class's cells.
pub fn expression_change_panel(data: &Dataset, class_names: &[String]) -> Result<GenePanel> {
    let (mut scores, counts) = mean_differences(data, None, class_names, "the expression change")?;
    scores.iter_mut().flatten().for_each(|v| *v = v.abs());
    GenePanel::from_scores(
        "expression-change",
        data.gene_names().to_vec(),
        class_names.to_vec(),
        scores,
        counts,
    )
}

/// The signed [`expression_change_panel`]: mean over the class's cells − mean over all other
/// labelled cells, so genes higher in the class rank first and genes lower in it last. Named
/// `mean-difference`. (As the default's expression term it lost panel quality:
/// docs/reproduction.md, "Up-regulation instead of the absolute expression change".)
pub fn mean_difference_panel(data: &Dataset, class_names: &[String]) -> Result<GenePanel> {
    let (scores, counts) = mean_differences(data, None, class_names, "the mean difference")?;
    GenePanel::from_scores(
        "mean-difference",
        data.gene_names().to_vec(),
        class_names.to_vec(),
        scores,
        counts,
    )
}

/// One-vs-rest two-sided Wilcoxon rank-sum |z| of every gene for each of `class_names`, over
/// the labelled cells of `data` ([`crate::wilcoxon_test`], no tie correction, as scanpy's
/// default): how consistently a gene's values in the class sit above or below those of the
/// other cells. A class of `class_names` that `data`'s labels do not have, or that has no cells
/// or no other cells, scores 0 for every gene. Named `rank-test`; `cells_used` counts each
/// class's cells.
///
/// ```
/// use kratos_data::{Dataset, Labels};
/// use kratos_explain::rank_test_panel;
/// // gene0 is higher in A, gene1 lower in A, gene2 the same everywhere.
/// let values = vec![5.0, 0.0, 1.0, 6.0, 1.0, 1.0, 0.0, 5.0, 1.0, 1.0, 6.0, 1.0];
/// let data = Dataset::from_matrix(values, 4, 3)?
///     .with_labels(Labels::from_names(&["A", "A", "B", "B"])?)?;
/// let classes = vec!["A".to_string(), "B".to_string()];
/// let panel = rank_test_panel(&data, &classes)?;
/// assert_eq!(panel.scores(0)[0], panel.scores(0)[1]); // up and down count alike
/// assert_eq!(panel.scores(0)[2], 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rank_test_panel(data: &Dataset, class_names: &[String]) -> Result<GenePanel> {
    // The test's panel has the labels' classes, with each class's cell count as `cells_used`.
    let test = super::wilcoxon_panel(
        data,
        &super::WilcoxonParams::new().direction(super::MarkerDirection::Absolute),
    )?;
    let g = data.n_genes();
    let (scores, cells): (Vec<Vec<f32>>, Vec<usize>) = class_names
        .iter()
        .map(
            |name| match test.class_names().iter().position(|c| c == name) {
                Some(c) => (test.scores(c).to_vec(), test.cells_used()[c]),
                None => (vec![0.0; g], 0),
            },
        )
        .unzip();
    GenePanel::from_scores(
        "rank-test",
        data.gene_names().to_vec(),
        class_names.to_vec(),
        scores,
        cells,
    )
}

/// Per class of `class_names` and gene: mean over the class's cells − mean over all other
/// labelled cells (0 for a class without cells or without other cells), and each class's
/// number of cells; over the cells `cells` only (row indices) when given. `what` names the
/// caller in the error for unlabelled data.
pub(crate) fn mean_differences(
    data: &Dataset,
    cells: Option<&[usize]>,
    class_names: &[String],
    what: &str,
) -> Result<(Vec<Vec<f32>>, Vec<usize>)> {
    let labels = require_labels(data, what)?;
    let k = class_names.len();
    let g = data.n_genes();
    let slot: Vec<Option<usize>> = labels
        .class_names()
        .iter()
        .map(|name| class_names.iter().position(|c| c == name))
        .collect();
    let mut sums = vec![vec![0f64; g]; k];
    let mut counts = vec![0usize; k];
    let mut total = vec![0f64; g];
    let mut n_total = 0usize;
    let all: Vec<usize>;
    let cells = match cells {
        Some(c) => c,
        None => {
            all = (0..data.n_cells()).collect();
            &all
        }
    };
    for &i in cells {
        let Some(c) = slot[labels.assignments()[i]] else {
            continue;
        };
        counts[c] += 1;
        n_total += 1;
        for (j, v) in data.row(i).nonzeros() {
            sums[c][j] += v as f64;
            total[j] += v as f64;
        }
    }
    let scores = (0..k)
        .map(|c| {
            let (n_in, n_out) = (counts[c], n_total - counts[c]);
            (0..g)
                .map(|j| {
                    if n_in == 0 || n_out == 0 {
                        return 0.0;
                    }
                    let mean_in = sums[c][j] / n_in as f64;
                    let mean_out = (total[j] - sums[c][j]) / n_out as f64;
                    (mean_in - mean_out) as f32
                })
                .collect()
        })
        .collect();
    Ok((scores, counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn expression_change_is_the_absolute_mean_difference() {
        use kratos_data::Labels;
        let data = Dataset::from_matrix(vec![4.0, 1.0, 2.0, 1.0, 0.0, 3.0, 0.0, 1.0], 4, 2)
            .unwrap()
            .with_labels(Labels::from_names(&["A", "A", "B", "B"]).unwrap())
            .unwrap();
        let p = expression_change_panel(&data, &names(&["B", "A", "C"])).unwrap();
        // A: gene0 mean 3 vs 0 → 3; gene1 mean 1 vs 2 → 1.
        assert_eq!(p.scores(1), &[3.0, 1.0]);
        assert_eq!(p.scores(0), &[3.0, 1.0]);
        assert_eq!(p.scores(2), &[0.0, 0.0]);
        assert_eq!(p.cells_used(), &[2, 2, 0]);
        let signed = mean_difference_panel(&data, &names(&["B", "A", "C"])).unwrap();
        assert_eq!(signed.scores(1), &[3.0, -1.0]);
        assert_eq!(signed.scores(0), &[-3.0, 1.0]);
        assert_eq!(signed.scores(2), &[0.0, 0.0]);
    }
}
