//! The panel a preset makes from its trained models: each member's CW panel over its share of
//! the cells, in the preset's units, combined (normalised mean, rank product with expression
//! statistics) and re-ranked for less redundancy.

use kratos_data::Dataset;
use kratos_model::{AutodiffBackend, TrainedModel};

use super::{AttributionUnits, Combination, PresetDescription, ValidPreset};
use crate::panel::{Sums, explain_sums, shares_for};
use crate::{
    ExplainError, GenePanel, Result, decorrelate_with_relevance, expression_change_panel,
    mean_normalised, rank_product, rank_test_panel,
};

/// The panel of a preset and what it was made of, for reports and for measuring levers.
#[derive(Debug, Clone)]
pub struct PanelRun {
    panel: GenePanel,
    cw: GenePanel,
    member_panels: Vec<GenePanel>,
    expression_change: Option<GenePanel>,
    rank_test: Option<GenePanel>,
    attribution: GenePanel,
    before_redundancy: Option<GenePanel>,
    description: PresetDescription,
}

impl PanelRun {
    /// The combined marker panel (method: the preset's name).
    pub fn panel(&self) -> &GenePanel {
        &self.panel
    }

    /// The combined marker panel, dropping the rest.
    pub fn into_panel(self) -> GenePanel {
        self.panel
    }

    /// The ensemble's CW panel in min-max units (method `cw`): the mean |d| over every
    /// explained cell of each class, each cell explained by its member. With the members
    /// explaining disjoint shares (the default), it is the panel of explaining the same models
    /// with the preset's CW ([`crate::explain_ensemble`]), computed once for both.
    pub fn cw(&self) -> &GenePanel {
        &self.cw
    }

    /// Each model's CW panel (in the preset's units), before combination.
    pub fn member_panels(&self) -> &[GenePanel] {
        &self.member_panels
    }

    /// The ensemble's attribution: the member panels' scores averaged by [`mean_normalised`]
    /// (the only member's panel for one model) — the relevance the redundancy re-ranking's
    /// floor reads ([`crate::decorrelate_with_relevance`]).
    pub fn attribution(&self) -> &GenePanel {
        &self.attribution
    }

    /// The combined panel before the redundancy-aware re-ranking; the same as
    /// [`PanelRun::panel`] when the preset has none.
    pub fn panel_before_redundancy(&self) -> &GenePanel {
        self.before_redundancy.as_ref().unwrap_or(&self.panel)
    }

    /// The expression-change panel, if the combination used it.
    pub fn expression_change(&self) -> Option<&GenePanel> {
        self.expression_change.as_ref()
    }

    /// The rank-test panel (two-sided Wilcoxon |z|, [`rank_test_panel`]), if the combination
    /// used it.
    pub fn rank_test(&self) -> Option<&GenePanel> {
        self.rank_test.as_ref()
    }

    /// What the preset is made of, including whether log1p was applied.
    pub fn description(&self) -> &PresetDescription {
        &self.description
    }

    /// The run of models that saw only the genes `kept` (column indices of `all`) with its
    /// panels — the combined panel, the CW panel and the panel before re-ranking — extended to
    /// every gene of `all` ([`crate::extend_panel`]); the member panels, the attribution and
    /// the statistics stay those of the kept genes.
    pub fn extended(mut self, all: &Dataset, kept: &[usize]) -> Result<PanelRun> {
        let order = expression_change_panel(all, self.panel.class_names())?;
        let extend = |p: &GenePanel| p.extended(all.gene_names(), kept, &order);
        self.panel = extend(&self.panel)?;
        self.cw = extend(&self.cw)?;
        self.before_redundancy = self.before_redundancy.as_ref().map(extend).transpose()?;
        Ok(self)
    }
}

/// max − min of every gene over the cells `cells` of `data` (0 for constant genes).
fn gene_ranges(data: &Dataset, cells: &[usize]) -> Vec<f32> {
    let (lo, hi) = data.gene_ranges(cells);
    lo.iter()
        .zip(&hi)
        .map(|(l, h)| if h > l { h - l } else { 0.0 })
        .collect()
}

/// Every class's scores divided by the class's best, so that the best gene scores 1 (scores of
/// a class whose best is not a positive number are kept). Division by one positive number per
/// class keeps the order; the caller keeps the ranking as it was anyway
/// ([`GenePanel::rescored`]), so that rounding can never reorder genes.
fn relative_to_best(panel: &GenePanel) -> Vec<Vec<f32>> {
    (0..panel.n_classes())
        .map(|c| {
            let s = panel.scores(c);
            let best = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            if best.is_finite() && best > 0.0 {
                s.iter()
                    .map(|&v| (f64::from(v) / f64::from(best)) as f32)
                    .collect()
            } else {
                s.to_vec()
            }
        })
        .collect()
}

/// The panel with every gene's score multiplied by `factors[gene]`, re-ranked.
fn rescale_genes(panel: &GenePanel, factors: &[f32]) -> Result<GenePanel> {
    let scores = (0..panel.n_classes())
        .map(|c| {
            panel
                .scores(c)
                .iter()
                .zip(factors)
                .map(|(s, f)| s * f)
                .collect()
        })
        .collect();
    panel.with_scores(scores)
}

impl ValidPreset {
    /// The preset's panel from its trained models (one per member, trained with
    /// [`ValidPreset::member_training`] on the cells `train_cells` of `data`): `data` holds all
    /// cells as the models see them (after the preprocessing; `log1p_applied` says whether
    /// ln(1 + x) was applied, for the description), and every labelled cell is explained.
    /// Everything is seeded: the same models and data give the same panel.
    pub fn panel_from_models<B: AutodiffBackend>(
        &self,
        models: &[TrainedModel<B>],
        data: &Dataset,
        train_cells: &[usize],
        log1p_applied: bool,
    ) -> Result<PanelRun> {
        if models.len() != self.ensemble_size {
            return Err(ExplainError::InvalidInput(format!(
                "the preset has {} ensemble members, {} models were given",
                self.ensemble_size,
                models.len()
            )));
        }
        if let Some(&bad) = train_cells.iter().find(|&&c| c >= data.n_cells()) {
            return Err(ExplainError::InvalidInput(format!(
                "training cell index {bad} is out of range for {} cells",
                data.n_cells()
            )));
        }
        let cw = self.cw.check()?;
        let options = self.panel_options();
        let shares = if self.split_cells {
            shares_for(data, models.len(), options)?
        } else {
            vec![(0..data.n_cells()).collect(); models.len()]
        };
        let ranges = gene_ranges(data, train_cells);
        let mut total: Option<Sums> = None;
        let mut member_panels = Vec::with_capacity(models.len());
        for (model, share) in models.iter().zip(shares) {
            let sums = explain_sums(&cw, model, data, share, options)?;
            let mut panel = sums.panel("cw".into(), model, options.aggregation)?;
            if self.units == AttributionUnits::Input {
                panel = rescale_genes(&panel, &ranges)?;
            }
            member_panels.push(panel);
            match total.as_mut() {
                None => total = Some(sums),
                Some(t) => t.add(&sums),
            }
        }
        let cw_panel = total.expect("at least one member").panel(
            "cw".into(),
            &models[0],
            options.aggregation,
        )?;
        let attribution = if member_panels.len() == 1 {
            member_panels[0].clone()
        } else {
            mean_normalised(&member_panels)?
        };
        let class_names = models[0].class_names();
        let (panel, expression_change, rank_test) = match self.combination {
            Combination::Attribution => (attribution.clone(), None, None),
            Combination::RankProductWithExpressionChange => {
                let change = expression_change_panel(data, class_names)?;
                // `cells_used` is the smallest of the parts': the cells explained.
                (rank_product(&[&attribution, &change])?, Some(change), None)
            }
            Combination::RankProductWithChangeAndRankTest => {
                let change = expression_change_panel(data, class_names)?;
                let test = rank_test_panel(data, class_names)?;
                (
                    rank_product(&[&attribution, &change, &test])?,
                    Some(change),
                    Some(test),
                )
            }
        };
        // A rank product's score, 1 / geometric mean of the ranks, says little on its own; as
        // a fraction of the class's best it reads as "how close to the best marker".
        let panel = match self.combination {
            Combination::Attribution => panel,
            _ => panel.rescored(relative_to_best(&panel))?,
        };
        let (panel, before_redundancy) = match &self.redundancy {
            Some(params) => {
                // The re-ranking scores genes by their new position; each gene keeps the
                // combined score instead, in the new order.
                let scores = (0..panel.n_classes())
                    .map(|c| panel.scores(c).to_vec())
                    .collect();
                let reordered = decorrelate_with_relevance(&panel, &attribution, data, params)?
                    .rescored(scores)?;
                (reordered, Some(panel.with_method(self.name.clone())))
            }
            None => (panel, None),
        };
        let mut description = self.description();
        description.log1p_applied = Some(log1p_applied);
        Ok(PanelRun {
            panel: panel.with_method(self.name.clone()),
            cw: cw_panel,
            member_panels,
            expression_change,
            rank_test,
            attribution,
            before_redundancy,
            description,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_relative_to_the_best_put_the_best_at_one() {
        let genes: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let p = GenePanel::from_scores(
            "p",
            genes,
            vec!["X".into(), "Y".into()],
            vec![vec![0.25, 0.5, 0.125], vec![0.0, 0.0, 0.0]],
            vec![1, 1],
        )
        .unwrap();
        let s = relative_to_best(&p);
        assert_eq!(s[0], vec![0.5, 1.0, 0.25]);
        // No positive best: kept as it is.
        assert_eq!(s[1], vec![0.0, 0.0, 0.0]);
        let q = p.rescored(s).unwrap();
        assert_eq!(q.rankings(), p.rankings());
    }
}
