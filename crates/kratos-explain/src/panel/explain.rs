//! Panels from an explainer: the cells of each class (correctly classified, capped per class),
//! their attributions in batches, aggregated per class — for one model, or for several models
//! that each explain their own share of the cells.

use kratos_data::{Dataset, Labels};
use kratos_model::{AutodiffBackend, MAX_BATCH_VALUES, TrainedModel};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::{Aggregation, GenePanel, ValidPanelOptions};
use crate::{CellBatch, ExplainError, Explainer, Result};

/// Cells scaled per batch while the gene statistics are gathered.
const STATISTICS_BATCH: usize = 4096;

/// The labels of `data`, or an input error "`what` needs labelled cells".
pub(crate) fn require_labels<'a>(data: &'a Dataset, what: &str) -> Result<&'a Labels> {
    data.labels()
        .ok_or_else(|| ExplainError::InvalidInput(format!("{what} needs labelled cells")))
}

/// What the panel builders know of the cells one model explains: the candidate cells (row
/// indices of the data), each one's class in the model's numbering (`None` if the model lacks
/// it) and predicted class, and the per-gene mean and standard deviation (scaled) over them.
struct Prepared {
    cells: Vec<usize>,
    classes: Vec<Option<usize>>,
    predicted: Vec<usize>,
    gene_mean: Vec<f32>,
    gene_std: Vec<f32>,
}

fn prepare<B: AutodiffBackend>(
    model: &TrainedModel<B>,
    data: &Dataset,
    cells: Vec<usize>,
) -> Result<Prepared> {
    let labels = require_labels(data, "explaining a panel")?;
    let predicted = model.predict_cells(data, &cells)?;
    let by_name: Vec<Option<usize>> = labels
        .class_names()
        .iter()
        .map(|name| model.class_names().iter().position(|c| c == name))
        .collect();
    let classes = cells
        .iter()
        .map(|&i| by_name[labels.assignments()[i]])
        .collect();
    // Gene statistics of the scaled cells, scaled batch by batch (no scaled copy of the data).
    let g = data.n_genes();
    let mut mean = vec![0f64; g];
    let mut square = vec![0f64; g];
    let mut values = Vec::new();
    for batch in cells.chunks(STATISTICS_BATCH) {
        gather_scaled(model, data, batch, &mut values)?;
        for row in values.chunks_exact(g) {
            for ((m, q), &v) in mean.iter_mut().zip(square.iter_mut()).zip(row) {
                *m += v as f64;
                *q += (v as f64) * (v as f64);
            }
        }
    }
    let n = cells.len().max(1) as f64;
    let gene_std = mean
        .iter()
        .zip(&square)
        .map(|(s, q)| ((q / n - (s / n).powi(2)).max(0.0)).sqrt() as f32)
        .collect();
    let gene_mean = mean.iter().map(|s| (s / n) as f32).collect();
    Ok(Prepared {
        cells,
        classes,
        predicted,
        gene_mean,
        gene_std,
    })
}

/// The rows `cells` of `data`, min-max scaled by `model`, into `out` (row-major).
fn gather_scaled<B: AutodiffBackend>(
    model: &TrainedModel<B>,
    data: &Dataset,
    cells: &[usize],
    out: &mut Vec<f32>,
) -> Result<()> {
    out.clear();
    data.gather_rows(cells, out);
    model.scaler().transform_in_place(out)?;
    Ok(())
}

/// The cells to explain for each model class: labelled with it (and correctly classified if
/// asked), subsampled to the per-class maximum.
fn select_cells(p: &Prepared, n_classes: usize, options: &ValidPanelOptions) -> Vec<Vec<usize>> {
    let mut members = vec![Vec::new(); n_classes];
    for (t, &cell) in p.cells.iter().enumerate() {
        if let Some(c) = p.classes[t]
            && (!options.correct_only || p.predicted[t] == c)
        {
            members[c].push(cell);
        }
    }
    let counts: Vec<usize> = members.iter().map(Vec::len).collect();
    if let Some(max) = options.class_cap(&counts) {
        cap_per_class(&mut members, max, options.seed);
    }
    members
}

/// Keeps a seeded random `max` of every class's cells (`members[c]`, sorted afterwards) where a
/// class has more; the classes draw from one generator in class order.
pub(crate) fn cap_per_class(members: &mut [Vec<usize>], max: usize, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for m in members.iter_mut() {
        if m.len() > max {
            m.shuffle(&mut rng);
            m.truncate(max);
            m.sort_unstable();
        }
    }
}

/// The labelled cells of `data` dealt to `members` shares: the k-th cell of each class goes to
/// share k mod members, so every share holds about the same fraction of every class.
///
/// A class with more cells than `options`' cap ([`super::PanelOptions::class_cap`] of the
/// classes' sizes) first keeps a seeded random cap of them, so that the shares together explain
/// at most that many cells per class (the same bound as one model explaining with `options`).
pub(crate) fn cell_shares(
    data: &Dataset,
    members: usize,
    options: &ValidPanelOptions,
) -> Result<Vec<Vec<usize>>> {
    let labels = require_labels(data, "explaining a panel")?;
    let seed = options.seed;
    let mut keep = vec![true; data.n_cells()];
    if let Some(max) = options.class_cap(&labels.class_counts()) {
        let mut by_class = vec![Vec::new(); labels.n_classes()];
        for (i, &c) in labels.assignments().iter().enumerate() {
            by_class[c].push(i);
        }
        cap_per_class(&mut by_class, max, seed);
        keep.fill(false);
        for &i in by_class.iter().flatten() {
            keep[i] = true;
        }
    }
    let mut seen = vec![0usize; labels.n_classes()];
    let mut shares = vec![Vec::new(); members];
    for (i, &c) in labels.assignments().iter().enumerate() {
        if keep[i] {
            shares[seen[c] % members].push(i);
            seen[c] += 1;
        }
    }
    Ok(shares)
}

/// Per-class sums of aggregated attributions and the cells they come from: one model's part
/// of a panel, added up over an ensemble.
#[derive(Debug, Clone)]
pub(crate) struct Sums {
    sums: Vec<Vec<f64>>,
    counts: Vec<usize>,
}

impl Sums {
    fn new(n_classes: usize, n_genes: usize) -> Self {
        Sums {
            sums: vec![vec![0f64; n_genes]; n_classes],
            counts: vec![0; n_classes],
        }
    }

    /// Adds another model's sums (same classes and genes).
    pub(crate) fn add(&mut self, other: &Sums) {
        for (s, o) in self.sums.iter_mut().zip(&other.sums) {
            s.iter_mut().zip(o).for_each(|(s, o)| *s += o);
        }
        for (c, o) in self.counts.iter_mut().zip(&other.counts) {
            *c += o;
        }
    }

    /// The panel of these sums: per class, the mean over the cells (|mean| for
    /// [`Aggregation::AbsoluteMean`]).
    pub(crate) fn panel<B: AutodiffBackend>(
        &self,
        method: String,
        model: &TrainedModel<B>,
        aggregation: Aggregation,
    ) -> Result<GenePanel> {
        let (scores, counts) = self.finish(aggregation);
        GenePanel::from_scores(
            method,
            model.gene_names().to_vec(),
            model.class_names().to_vec(),
            scores,
            counts,
        )
    }

    /// Means over the cells, and the counts.
    fn finish(&self, aggregation: Aggregation) -> (Vec<Vec<f32>>, Vec<usize>) {
        let scores = self
            .sums
            .iter()
            .zip(&self.counts)
            .map(|(s, &n)| {
                s.iter()
                    .map(|&v| {
                        let mean = if n == 0 { 0.0 } else { v / n as f64 };
                        (match aggregation {
                            Aggregation::MeanAbsolute => mean,
                            Aggregation::AbsoluteMean => mean.abs(),
                        }) as f32
                    })
                    .collect()
            })
            .collect();
        (scores, self.counts.clone())
    }
}

/// One model's job: explain `cells` (each for its class `classes[i]`, against `versus[i]` for
/// one-vs-one methods) and add each cell's aggregated attribution to `sums` at `slots[i]`.
struct Job<'a> {
    cells: &'a [usize],
    classes: &'a [usize],
    versus: Option<&'a [usize]>,
    slots: &'a [usize],
}

/// Runs `explainer` over a job's cells in batches of scaled rows.
fn accumulate<B: AutodiffBackend, E: Explainer<B> + ?Sized>(
    explainer: &E,
    model: &TrainedModel<B>,
    data: &Dataset,
    p: &Prepared,
    job: Job<'_>,
    sums: &mut Sums,
    options: &ValidPanelOptions,
) -> Result<()> {
    let g = model.gene_names().len();
    // With thousands of genes fewer cells than `batch_cells` go in a batch, so that the
    // explainers' per-batch arrays (CW holds five of that size) stay at tens of megabytes.
    let batch_cells = options
        .batch_cells
        .min((MAX_BATCH_VALUES / g.max(1)).max(1));
    let mut values = Vec::new();
    for (b, start) in (0..job.cells.len()).step_by(batch_cells).enumerate() {
        let end = (start + batch_cells).min(job.cells.len());
        gather_scaled(model, data, &job.cells[start..end], &mut values)?;
        let mut batch = CellBatch::new(&values, g, &job.classes[start..end])
            .gene_stats(&p.gene_mean, &p.gene_std)
            .seed(
                options
                    .seed
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .wrapping_add(b as u64),
            );
        if let Some(v) = job.versus {
            batch = batch.versus(&v[start..end]);
        }
        let attributions = explainer.attribute(model, &batch)?;
        if attributions.len() != values.len() {
            return Err(ExplainError::InvalidInput(format!(
                "explainer `{}` returned {} values for {} cells x {g} genes",
                explainer.name(),
                attributions.len(),
                end - start
            )));
        }
        for (i, row) in attributions.chunks_exact(g).enumerate() {
            let slot = job.slots[start + i];
            sums.counts[slot] += 1;
            let sum = &mut sums.sums[slot];
            for (s, &a) in sum.iter_mut().zip(row) {
                *s += match options.aggregation {
                    Aggregation::MeanAbsolute => a.abs() as f64,
                    Aggregation::AbsoluteMean => a as f64,
                };
            }
        }
    }
    Ok(())
}

/// Errors unless `models` is non-empty and every model has the first one's genes and classes.
fn check_models<B: AutodiffBackend>(models: &[TrainedModel<B>]) -> Result<&TrainedModel<B>> {
    let first = models
        .first()
        .ok_or_else(|| ExplainError::InvalidInput("no model to explain".into()))?;
    if models
        .iter()
        .any(|m| m.gene_names() != first.gene_names() || m.class_names() != first.class_names())
    {
        return Err(ExplainError::InvalidInput(
            "the models of an ensemble must have the same genes and classes".into(),
        ));
    }
    Ok(first)
}

/// The panel of every class: runs `explainer` over the (correctly classified) cells of each
/// class of the labelled `data` (raw values of the model's genes) and ranks genes by the
/// aggregated attribution.
pub fn explain_panel<B: AutodiffBackend, E: Explainer<B> + ?Sized>(
    explainer: &E,
    model: &TrainedModel<B>,
    data: &Dataset,
    options: &ValidPanelOptions,
) -> Result<GenePanel> {
    explain_ensemble(explainer, std::slice::from_ref(model), data, options)
}

/// The panel of every class from an ensemble: each model explains its own share of the cells
/// (the k-th labelled cell of each class goes to model k mod the number of models; with
/// [`super::PanelOptions::max_cells_per_class`] the class is first capped), and a gene's score
/// is the aggregated attribution over all explained cells of the class, each explained by its
/// model. One model explains all cells: [`explain_panel`].
pub fn explain_ensemble<B: AutodiffBackend, E: Explainer<B> + ?Sized>(
    explainer: &E,
    models: &[TrainedModel<B>],
    data: &Dataset,
    options: &ValidPanelOptions,
) -> Result<GenePanel> {
    let first = check_models(models)?;
    let mut total: Option<Sums> = None;
    for (model, share) in models.iter().zip(shares_for(data, models.len(), options)?) {
        let sums = explain_sums(explainer, model, data, share, options)?;
        match total.as_mut() {
            None => total = Some(sums),
            Some(t) => t.add(&sums),
        }
    }
    let total = total.expect("at least one model");
    total.panel(explainer.name(), first, options.aggregation)
}

/// One model's sums over the cells `cells` of `data` (row indices): its part of
/// [`explain_ensemble`], without copying the cells.
pub(crate) fn explain_sums<B: AutodiffBackend, E: Explainer<B> + ?Sized>(
    explainer: &E,
    model: &TrainedModel<B>,
    data: &Dataset,
    cells: Vec<usize>,
    options: &ValidPanelOptions,
) -> Result<Sums> {
    if explainer.is_one_vs_one() {
        return Err(ExplainError::InvalidInput(format!(
            "`{}` explains pairs of classes: use explain_pair",
            explainer.name()
        )));
    }
    let (k, g) = (model.n_classes(), model.gene_names().len());
    let mut sums = Sums::new(k, g);
    let p = prepare(model, data, cells)?;
    let members = select_cells(&p, k, options);
    let cells: Vec<usize> = members.iter().flatten().copied().collect();
    let classes: Vec<usize> = members
        .iter()
        .enumerate()
        .flat_map(|(c, m)| std::iter::repeat_n(c, m.len()))
        .collect();
    let job = Job {
        cells: &cells,
        classes: &classes,
        versus: None,
        slots: &classes,
    };
    accumulate(explainer, model, data, &p, job, &mut sums, options)?;
    Ok(sums)
}

/// The shares of [`explain_ensemble`] for `members` models.
pub(crate) fn shares_for(
    data: &Dataset,
    members: usize,
    options: &ValidPanelOptions,
) -> Result<Vec<Vec<usize>>> {
    if members == 1 {
        return Ok(vec![(0..data.n_cells()).collect()]);
    }
    cell_shares(data, members, options)
}

/// Several explainers over the same cells, one panel each.
pub fn explain_panels<B: AutodiffBackend>(
    explainers: &[&dyn Explainer<B>],
    model: &TrainedModel<B>,
    data: &Dataset,
    options: &ValidPanelOptions,
) -> Result<Vec<GenePanel>> {
    explainers
        .iter()
        .map(|e| explain_panel(*e, model, data, options))
        .collect()
}

/// The genes separating class `class` from class `versus` (both by name): a one-vs-one
/// explainer (e.g. [`crate::CwExplainer::one_vs_one`]) run over the cells of `class`, each
/// model of `models` over its share of them (see [`explain_ensemble`]). The panel has one
/// class, named `"<class> vs <versus>"`.
pub fn explain_pair<B: AutodiffBackend, E: Explainer<B> + ?Sized>(
    explainer: &E,
    models: &[TrainedModel<B>],
    data: &Dataset,
    class: &str,
    versus: &str,
    options: &ValidPanelOptions,
) -> Result<GenePanel> {
    let first = check_models(models)?;
    let find = |name: &str| {
        first
            .class_names()
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| {
                ExplainError::InvalidInput(format!(
                    "class `{name}` is not one of the model's classes ({})",
                    first.class_names().join(", ")
                ))
            })
    };
    let (ci, vi) = (find(class)?, find(versus)?);
    if ci == vi {
        return Err(ExplainError::InvalidInput(format!(
            "a pair needs two different classes, got `{class}` twice"
        )));
    }
    let g = first.gene_names().len();
    let mut sums = Sums::new(1, g);
    for (model, share) in models.iter().zip(shares_for(data, models.len(), options)?) {
        let p = prepare(model, data, share)?;
        let members = select_cells(&p, first.n_classes(), options);
        let cells = &members[ci];
        let classes = vec![ci; cells.len()];
        let versus_classes = vec![vi; cells.len()];
        let slots = vec![0; cells.len()];
        let job = Job {
            cells,
            classes: &classes,
            versus: explainer
                .is_one_vs_one()
                .then_some(versus_classes.as_slice()),
            slots: &slots,
        };
        accumulate(explainer, model, data, &p, job, &mut sums, options)?;
    }
    let (scores, counts) = sums.finish(options.aggregation);
    GenePanel::from_scores(
        explainer.name(),
        first.gene_names().to_vec(),
        vec![format!("{class} vs {versus}")],
        scores,
        counts,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PanelOptions;

    #[test]
    fn cell_shares_deal_every_class_round_robin() {
        let labels = Labels::from_names(&["a", "b", "a", "a", "b", "a", "b"]).unwrap();
        let data = Dataset::from_matrix(vec![0.0; 7], 7, 1)
            .unwrap()
            .with_labels(labels)
            .unwrap();
        let options = |cap| {
            PanelOptions::new()
                .max_cells_per_class(cap)
                .max_cells(None)
                .seed(1)
                .check()
                .unwrap()
        };
        let shares = cell_shares(&data, 3, &options(None)).unwrap();
        assert_eq!(shares, vec![vec![0, 1, 5], vec![2, 4], vec![3, 6]]);
        let mut all: Vec<usize> = shares.concat();
        all.sort_unstable();
        assert_eq!(all, (0..7).collect::<Vec<_>>());
        // A cap of 2 keeps two cells of class a (four cells) and all of b (three: over the
        // cap too, so two of them), dealt the same way; no cap above the class sizes changes
        // nothing.
        let capped = cell_shares(&data, 3, &options(Some(2))).unwrap();
        let kept: Vec<usize> = capped.concat();
        assert_eq!(kept.len(), 4);
        assert_eq!(
            kept.iter().filter(|&&i| [0, 2, 3, 5].contains(&i)).count(),
            2
        );
        assert_eq!(cell_shares(&data, 3, &options(Some(4))).unwrap(), shares);
        // A bound of 4 cells in all lowers both classes' caps to 2.
        let bounded = PanelOptions::new()
            .max_cells(Some(4))
            .seed(1)
            .check()
            .unwrap();
        assert_eq!(cell_shares(&data, 3, &bounded).unwrap(), capped);
    }
}
