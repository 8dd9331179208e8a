use kratos_data::Dataset;
use kratos_metrics::{
    LogisticFit, LogisticOptions, Standardizer, fit_logistic, fit_logistic_with_offset,
};
use ndarray::{Array2, Axis};
use serde::{Deserialize, Serialize};

use super::hyperparams::{ClassWeighting, DesignScore, ValidDesignParams};
use crate::{ExplainError, GenePanel, Result};

/// One gene of a [`DesignedPanel`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignedGene {
    /// Gene name.
    pub gene: String,
    /// Its column in the data the panel was designed on.
    pub index: usize,
    /// The types it was chosen for: those whose fit it improved most when it was added (the
    /// classes of its selection gradient at least half as large as the largest).
    pub serves: Vec<String>,
    /// Marginal gain: how much the weighted cross-entropy (with its penalty) of the selection's
    /// logistic regression on the training cells fell when the gene was added (nats per cell).
    pub gain: f64,
    /// Forced in by [`crate::DesignParams::include`].
    pub included: bool,
}

/// N genes chosen together to tell every type apart ([`design_panel`]), in order of selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignedPanel {
    /// The classes, in the data's order.
    pub class_names: Vec<String>,
    /// The genes, in order of selection (included genes first).
    pub genes: Vec<DesignedGene>,
    /// The selection's training loss with no gene (intercepts only).
    pub initial_loss: f64,
    /// Genes that could be chosen.
    pub candidates: usize,
}

impl DesignedPanel {
    /// The gene names, in order of selection.
    pub fn gene_names(&self) -> Vec<&str> {
        self.genes.iter().map(|g| g.gene.as_str()).collect()
    }

    /// The genes' columns in the data, in order of selection.
    pub fn indices(&self) -> Vec<usize> {
        self.genes.iter().map(|g| g.index).collect()
    }

    /// The panel as a TSV table: header `rank  gene  serves  gain`, one row per gene in order
    /// of selection (rank from 1), `serves` the types it was chosen for joined by commas,
    /// `gain` its marginal gain in nats per cell.
    ///
    /// ```
    /// use kratos_explain::{DesignedGene, DesignedPanel};
    /// let panel = DesignedPanel {
    ///     class_names: vec!["B".into(), "T".into()],
    ///     genes: vec![DesignedGene {
    ///         gene: "MS4A1".into(), index: 3, serves: vec!["B".into()], gain: 0.25,
    ///         included: false,
    ///     }],
    ///     initial_loss: 0.69,
    ///     candidates: 10,
    /// };
    /// assert_eq!(panel.to_tsv(), "rank\tgene\tserves\tgain\n1\tMS4A1\tB\t0.25\n");
    /// ```
    pub fn to_tsv(&self) -> String {
        let mut out = String::from("rank\tgene\tserves\tgain\n");
        for (r, g) in self.genes.iter().enumerate() {
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\n",
                r + 1,
                g.gene,
                g.serves.join(","),
                g.gain
            ));
        }
        out
    }
}

/// The genes of `data` a design chooses among: the union of each class's `per_class` best
/// genes in `panel` (matched by name), in order of rank and class.
pub fn design_candidates(panel: &GenePanel, data: &Dataset, per_class: usize) -> Vec<usize> {
    let mut seen = vec![false; data.n_genes()];
    let mut out = Vec::new();
    for rank in 0..per_class {
        for class in 0..panel.n_classes() {
            if let Some(&g) = panel.ranking(class).get(rank)
                && let Some(j) = data.gene_index(&panel.gene_names()[g])
                && !seen[j]
            {
                seen[j] = true;
                out.push(j);
            }
        }
    }
    out
}

/// Designs a panel of `params.genes` genes that together tell all of `data`'s classes apart,
/// selected on the cells `cells` (e.g. the training cells) among the gene columns
/// `candidates` (the included genes are always allowed, the excluded never).
///
/// Greedy forward selection for a class-weighted, L2-penalised multinomial logistic regression
/// on the standardised genes (gradient-guided, as in "grafting", Perkins et al. 2003): starting
/// from the included genes (or none), each step scores every candidate by the loss decrease one
/// Newton step on its class weights would give (from the residuals of the current fit), tries
/// the best [`crate::DesignParams::refits`] by fitting each on top of the current model, adds
/// the one that lowers the loss most, and refits. A gene that only repeats what
/// the chosen genes already say has small residual gradients, so the panel is chosen jointly,
/// not one class at a time. Values are used as given (log1p counts first).
///
/// Errors if `params.genes` is more than the genes that can be chosen, a named gene is not in
/// the data, or the data has fewer than two classes among `cells`.
///
/// ```
/// use kratos_data::{Dataset, Labels};
/// use kratos_explain::{DesignParams, design_panel};
/// // Three types: gene 0 marks A, gene 1 marks B, genes 2-3 are noise.
/// let values: Vec<f32> = (0..90)
///     .flat_map(|i| [(i % 3 == 0) as u8 as f32 * 3.0, (i % 3 == 1) as u8 as f32 * 3.0,
///                    (i % 5) as f32, (i % 7) as f32])
///     .collect();
/// let names: Vec<&str> = (0..90).map(|i| ["A", "B", "C"][i % 3]).collect();
/// let data = Dataset::from_matrix(values, 90, 4)?.with_labels(Labels::from_names(&names)?)?;
/// let cells: Vec<usize> = (0..90).collect();
/// let panel = design_panel(&data, &cells, &[0, 1, 2, 3], &DesignParams::new(2).check()?)?;
/// let mut genes = panel.gene_names();
/// genes.sort();
/// assert_eq!(genes, ["gene0", "gene1"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn design_panel(
    data: &Dataset,
    cells: &[usize],
    candidates: &[usize],
    params: &ValidDesignParams,
) -> Result<DesignedPanel> {
    let labels = data.require_labels()?;
    let (included, exclude) = params.gene_columns(data)?;
    let mut excluded = vec![false; data.n_genes()];
    for g in exclude {
        excluded[g] = true;
    }
    // The pool: included genes first, then the allowed candidates, each once.
    let mut in_pool = vec![false; data.n_genes()];
    let mut pool: Vec<usize> = Vec::new();
    for &g in included.iter().chain(candidates) {
        if g < data.n_genes() && !in_pool[g] && (!excluded[g] || included.contains(&g)) {
            in_pool[g] = true;
            pool.push(g);
        }
    }
    if params.genes > pool.len() {
        return Err(ExplainError::invalid(
            "genes",
            format!(
                "a panel of {} genes asked for, but only {} genes can be chosen{}",
                params.genes,
                pool.len(),
                if pool.len() < data.n_genes() {
                    " (the candidates less the excluded genes)"
                } else {
                    ""
                }
            ),
        ));
    }
    if let Some(&i) = cells.iter().find(|&&i| i >= data.n_cells()) {
        return Err(ExplainError::InvalidInput(format!(
            "cell index {i} is out of range (the data has {} cells)",
            data.n_cells()
        )));
    }
    // The classes present among the cells, numbered in the data's order.
    let assignments = labels.assignments();
    let mut present = vec![false; labels.n_classes()];
    for &i in cells {
        present[assignments[i]] = true;
    }
    let mut class_of = vec![usize::MAX; labels.n_classes()];
    let mut names = Vec::new();
    for (c, _) in present.iter().enumerate().filter(|(_, p)| **p) {
        class_of[c] = names.len();
        names.push(labels.class_names()[c].clone());
    }
    let y: Vec<usize> = cells.iter().map(|&i| class_of[assignments[i]]).collect();
    let k = names.len();
    if k < 2 {
        return Err(ExplainError::InvalidInput(format!(
            "a panel design needs at least two classes among the cells it selects on, found {k}"
        )));
    }
    let mut per_class = vec![0usize; k];
    for &c in &y {
        per_class[c] += 1;
    }
    let raw: Vec<f64> = y
        .iter()
        .map(|&c| match params.weighting {
            ClassWeighting::Equal => 1.0,
            ClassWeighting::SquareRoot => 1.0 / (per_class[c] as f64).sqrt(),
            ClassWeighting::Balanced => 1.0 / per_class[c] as f64,
        })
        .collect();
    // Mean weight 1, so that the penalty per cell means the same under every weighting.
    let mean = raw.iter().sum::<f64>() / raw.len() as f64;
    let weights: Vec<f64> = raw.iter().map(|w| w / mean).collect();
    let total_weight: f64 = weights.iter().sum();

    let columns = data.columns(&pool);
    let x = Standardizer::fit(&columns, cells).matrix(&columns, cells);
    drop(columns);
    let options = LogisticOptions {
        c: 1.0 / (params.penalty * total_weight),
        max_iter: 300,
        tol: 1e-5,
    };
    let fit_on = |chosen: &[usize], start: Option<&LogisticFit>| {
        let xs = x.select(Axis(1), chosen);
        fit_logistic(xs.view(), &y, k, Some(&weights), start, &options)
    };
    let mut chosen: Vec<usize> = Vec::with_capacity(params.genes); // positions in `pool`
    let mut taken = vec![false; pool.len()];
    let mut fit = fit_on(&[], None);
    let initial_loss = fit.loss;
    let mut genes = Vec::with_capacity(params.genes);
    let squares = x.mapv(|v| v * v);
    while chosen.len() < params.genes {
        let step = Step::at(
            &x,
            &squares,
            &fit,
            &chosen,
            &y,
            &weights,
            total_weight,
            options.c,
        );
        let position = if chosen.len() < included.len() {
            chosen.len()
        } else {
            let mut ranked: Vec<(f64, usize)> = (0..pool.len())
                .filter(|&p| !taken[p])
                .map(|p| (step.score(p, params.score), p))
                .collect();
            // Best score first; equal scores by pool position, so that the order is fixed.
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            if params.refits <= 1 {
                ranked[0].1
            } else {
                use rayon::prelude::*;
                // A candidate is tried by fitting its class weights (and the intercepts) on top
                // of the current model's scores, the other weights held: cheap, and close to the
                // loss a full refit with it would reach.
                let xs = x.select(Axis(1), &chosen);
                let scores = fit.decision(xs.view());
                ranked
                    .par_iter()
                    .take(params.refits)
                    .map(|&(_, p)| {
                        let column = x.slice(ndarray::s![.., p..p + 1]);
                        let tried = fit_logistic_with_offset(
                            column,
                            &y,
                            k,
                            Some(&weights),
                            Some(scores.view()),
                            None,
                            &options,
                        );
                        (p, tried.loss)
                    })
                    .collect::<Vec<_>>()
                    .into_iter()
                    .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
                    .expect("at least one candidate is left")
                    .0
            }
        };
        taken[position] = true;
        chosen.push(position);
        let next = fit_on(&chosen, Some(&fit));
        let row = step.gradient.row(position);
        let largest = row.iter().fold(0f64, |m, v| m.max(v.abs()));
        let serves = (0..k)
            .filter(|&c| largest > 0.0 && row[c].abs() >= 0.5 * largest)
            .map(|c| names[c].clone())
            .collect();
        genes.push(DesignedGene {
            gene: data.gene_names()[pool[position]].clone(),
            index: pool[position],
            serves,
            gain: fit.loss - next.loss,
            included: position < included.len(),
        });
        fit = next;
    }
    Ok(DesignedPanel {
        class_names: names,
        genes,
        initial_loss,
        candidates: pool.len(),
    })
}

/// What one step of the selection knows about every pool gene: the gradient of the weighted,
/// normalised loss with respect to the gene's class weights (pool genes x classes), at weight 0
/// for the genes not yet chosen — `Xᵀ R` with the residuals `R = w (P − Y) / Σw` of the current
/// fit — and the diagonal of the Hessian there, `(X²)ᵀ (w P (1 − P) / Σw) + 1 / (C Σw)`.
struct Step {
    gradient: Array2<f64>,
    curvature: Array2<f64>,
}

impl Step {
    #[allow(clippy::too_many_arguments)] // the state of one step, passed as it is kept
    fn at(
        x: &Array2<f64>,
        squares: &Array2<f64>,
        fit: &LogisticFit,
        chosen: &[usize],
        y: &[usize],
        weights: &[f64],
        total_weight: f64,
        c: f64,
    ) -> Self {
        let xs = x.select(Axis(1), chosen);
        let probabilities = fit.probabilities(xs.view());
        let mut residual = probabilities.clone();
        let mut spread = probabilities;
        for (i, (mut r, mut s)) in residual
            .rows_mut()
            .into_iter()
            .zip(spread.rows_mut())
            .enumerate()
        {
            let w = weights[i] / total_weight;
            r[y[i]] -= 1.0;
            r.mapv_inplace(|v| v * w);
            s.mapv_inplace(|p| w * p * (1.0 - p));
        }
        let gradient = x.t().dot(&residual);
        let mut curvature = squares.t().dot(&spread);
        curvature.mapv_inplace(|h| h + 1.0 / (c * total_weight));
        Step {
            gradient,
            curvature,
        }
    }

    fn score(&self, gene: usize, score: DesignScore) -> f64 {
        let g = self.gradient.row(gene);
        match score {
            DesignScore::Gradient => g.iter().map(|v| v * v).sum(),
            DesignScore::Newton => g
                .iter()
                .zip(self.curvature.row(gene))
                .map(|(v, h)| 0.5 * v * v / h)
                .sum(),
        }
    }
}
