//! Screening genes before training and explaining: on data with more genes than a preset's
//! `max_genes`, only the genes that change most in some class enter the models; the others keep a
//! rank after them in every panel.

use kratos_data::Dataset;

use crate::markers::mean_differences;
use crate::panel::require_labels;
use crate::{ExplainError, GenePanel, Result, expression_change_panel};

/// The `max_genes` genes (column indices, ascending) of `data` whose mean changes most between a
/// class and the other cells, over the training cells `train_cells`: every class's genes ranked
/// by |mean in the class − mean in the rest| (in the units the models see), the classes' lists
/// interleaved (each class's best gene not yet taken, class after class; ties by column) until
/// `max_genes` are taken. Genes that do not move in any class cannot mark it and come last. All
/// genes when `data` has no more than `max_genes`.
///
/// ```
/// use kratos_data::{Dataset, Labels};
/// use kratos_explain::screen_genes;
/// // gene1 marks A, gene2 marks B; gene0 and gene3 are flat.
/// let values = vec![1.0, 5.0, 0.0, 2.0, 1.0, 6.0, 0.0, 2.0, 1.0, 0.0, 4.0, 2.0, 1.0, 0.0, 5.0, 2.0];
/// let data = Dataset::from_matrix(values, 4, 4)?
///     .with_labels(Labels::from_names(&["A", "A", "B", "B"])?)?;
/// assert_eq!(screen_genes(&data, &[0, 1, 2, 3], 2)?, vec![1, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn screen_genes(data: &Dataset, train_cells: &[usize], max_genes: usize) -> Result<Vec<usize>> {
    let g = data.n_genes();
    if max_genes == 0 {
        return Err(ExplainError::invalid("max_genes", "must be at least 1"));
    }
    if g <= max_genes {
        return Ok((0..g).collect());
    }
    let labels = require_labels(data, "screening genes")?;
    let (change, _) = mean_differences(
        data,
        Some(train_cells),
        labels.class_names(),
        "screening genes",
    )?;
    let orders: Vec<Vec<usize>> = change
        .iter()
        .map(|row| {
            let mut order: Vec<usize> = (0..g).collect();
            order.sort_by(|&a, &b| row[b].abs().total_cmp(&row[a].abs()).then(a.cmp(&b)));
            order
        })
        .collect();
    let mut taken = vec![false; g];
    let mut kept = Vec::with_capacity(max_genes);
    let mut cursor = vec![0usize; orders.len()];
    'fill: while kept.len() < max_genes {
        let mut progressed = false;
        for (order, at) in orders.iter().zip(cursor.iter_mut()) {
            while *at < g && taken[order[*at]] {
                *at += 1;
            }
            if *at < g {
                let gene = order[*at];
                taken[gene] = true;
                kept.push(gene);
                progressed = true;
                if kept.len() == max_genes {
                    break 'fill;
                }
            }
        }
        if !progressed {
            break;
        }
    }
    kept.sort_unstable();
    Ok(kept)
}

/// `panel` (of the genes `kept`, column indices of `all`) extended to every gene of `all`: the
/// kept genes keep their scores and their order, then each class's other genes follow with
/// score 0, ordered by their expression change in the class on `all` (largest first). The
/// panel's classes must be classes of `all`'s labels.
pub fn extend_panel(panel: &GenePanel, all: &Dataset, kept: &[usize]) -> Result<GenePanel> {
    let change = expression_change_panel(all, panel.class_names())?;
    panel.extended(all.gene_names(), kept, &change)
}
