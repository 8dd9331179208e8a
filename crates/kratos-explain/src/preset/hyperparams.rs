use kratos_model::{TrainingConfig, ValidTrainingConfig};
use serde::{Deserialize, Serialize};

use super::Preprocessing;
use crate::{
    CwMode, CwParams, ExplainError, PanelOptions, RedundancyParams, Result, ValidPanelOptions,
};

/// The units in which a CW perturbation is measured when it becomes a gene's score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttributionUnits {
    /// Min-max scaled units, where every gene spans [0, 1] on the training cells (the paper).
    Scaled,
    /// The units of the model's input after preprocessing (log expression for counts):
    /// |d| times the gene's range on the training cells. Min-max scaling is a conditioning
    /// device for training; it stretches a gene that barely varies to the same [0, 1] as a
    /// gene that changes a hundredfold, so a small shift of the former looks as large as a
    /// big shift of the latter. In input units a perturbation is a change of (log)
    /// expression, comparable across genes. Constant genes score 0.
    Input,
}

/// How the per-model attribution scores become one ranking per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Combination {
    /// Rank by the attribution score alone (the paper). With several models, their scores are
    /// normalised to sum 1 per class and averaged.
    Attribution,
    /// Rank by the rank product (geometric mean of the two ranks) of the attribution score and
    /// the class's expression change (|mean of the class − mean of the other cells|, in input
    /// units; see [`crate::expression_change_panel`]). A marker must both drive the classifier's
    /// decision and change in level in its class: genes the network uses as weak, redundant
    /// evidence but whose expression barely moves drop, and so do genes that move but that
    /// the network does not need. The rank product is scale free (Breitling et al. 2004,
    /// RankProd), so neither score's units dominate. The panel's score is 1 / (geometric
    /// mean rank) divided by the class's best such value: 1 for the class's best gene, and
    /// 1 / √(r₁ r₂) for a gene ranked r₁ and r₂ when the best is ranked first by both.
    RankProductWithExpressionChange,
    /// Rank by the rank product of three ranks: the attribution score, the class's expression
    /// change (as in [`Combination::RankProductWithExpressionChange`]) and the class's
    /// two-sided Wilcoxon rank-sum |z| against the other cells (see [`crate::rank_test_panel`]).
    /// The rank test adds what the mean change misses: how consistently a gene separates the
    /// class's cells from the others. Not the default: in docs/reproduction.md ("A rank test
    /// in the rank product"; six seeds, with the re-ranking
    /// `RedundancyParams::new().significance(None).penalty(1.0).relevance_floor(Some(0.1))`)
    /// it raised the mean AUROC at the top 1% of genes on citeseq_cbmc (+0.023) and digits
    /// (+0.034) but lowered it on pbmc68k_reduced's bulk labels (−0.004), made the pbmc68k
    /// panels more redundant and let 3.3 noise genes on average into the simulation's top-20
    /// lists (the default: 0.3). The panel's score is 1 / (geometric mean rank), divided by
    /// the class's best such value (1 for the best gene).
    RankProductWithChangeAndRankTest,
}

/// Everything needed to go from data to a marker panel: preprocessing, the classifier and its
/// training, the ensemble, the CW explainer, which cells are explained and how the per-model
/// scores become one panel. Build with [`Preset::default`] (`kratos`) or [`Preset::paper`] and
/// the builder methods; [`Preset::check`] names the first bad value or gives the
/// [`ValidPreset`] a pipeline trains and explains with.
///
/// ```
/// use kratos_explain::{AttributionUnits, Preset, Preprocessing};
/// let quick = Preset::default().ensemble_size(1).seed(3).check()?;
/// assert_eq!(quick.member_seeds(), vec![3]);
/// assert_eq!(Preset::paper().preprocessing, Preprocessing::AsIs);
/// assert_eq!(Preset::default().units, AttributionUnits::Input);
/// # Ok::<(), kratos_explain::ExplainError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    /// Method name of the panel the preset produces (`paper`, `kratos`).
    pub name: String,
    /// Transform applied before min-max scaling.
    pub preprocessing: Preprocessing,
    /// The classifier and its training (its `seed` is the seed of the first model).
    pub training: TrainingConfig,
    /// Models trained with different seeds (see [`Preset::member_seeds`]).
    pub ensemble_size: usize,
    /// The CW explainer's parameters (one-vs-rest).
    pub cw: CwParams,
    /// Units of the CW perturbation in the scores.
    pub units: AttributionUnits,
    /// Which cells are explained and how their attributions are averaged.
    pub panel_options: PanelOptions,
    /// How scores become the final ranking.
    pub combination: Combination,
    /// Ensemble members explain disjoint shares of the cells (the k-th cell of each class goes
    /// to member k mod ensemble size) instead of every member explaining all of them: the
    /// ensemble then costs one CW pass over the cells plus its trainings (true in the default
    /// preset, false in the paper's, whose single model explains every cell).
    pub split_cells: bool,
    /// Ensemble members share the training's epochs: each trains ⌈epochs / ensemble size⌉
    /// epochs instead of all of them, so the ensemble's trainings together cost about one
    /// training (true in the default preset, false in the paper's). See
    /// [`Preset::member_training`].
    pub split_epochs: bool,
    /// Redundancy-aware re-ranking of the final panel ([`crate::decorrelate_with_relevance`],
    /// with the ensemble's attribution as relevance): [`Preset::floored_redundancy`] in the
    /// default preset, none in the paper's.
    pub redundancy: Option<RedundancyParams>,
    /// At most this many genes enter the models and the explainers: on data with more, the
    /// genes whose mean changes most in some class ([`crate::screen_genes`]); every other gene
    /// keeps a rank after them in every panel. [`Preset::DEFAULT_MAX_GENES`] in the default
    /// preset, none (all genes) in the paper's.
    pub max_genes: Option<usize>,
    /// At most this many training cells per class (a seeded draw where a class has more), so
    /// that training costs the same on an atlas as on a few thousand cells:
    /// [`Preset::DEFAULT_MAX_TRAIN_CELLS_PER_CLASS`] in the default preset, none in the paper's.
    pub max_train_cells_per_class: Option<usize>,
}

impl Default for Preset {
    /// The `kratos` preset: the paper's network, training and CW parameters, plus log1p for
    /// count input, a 3-model ensemble, CW scores in input units and the rank product with
    /// the expression change, re-ranked for less redundancy ([`Preset::floored_redundancy`];
    /// see the module documentation). The three models share the paper's 100 epochs (34
    /// each) and each explains a third of the cells, so the preset costs about one training
    /// and one CW pass (docs/reproduction.md, "Members sharing the training epochs": members
    /// trained 34 epochs give the panels of members trained 100 within ±0.005 AUROC at the
    /// top 1% on six data sets).
    fn default() -> Self {
        Preset {
            name: "kratos".into(),
            preprocessing: Preprocessing::Log1pIfCounts,
            ensemble_size: 3,
            split_cells: true,
            split_epochs: true,
            redundancy: Some(Preset::floored_redundancy()),
            units: AttributionUnits::Input,
            combination: Combination::RankProductWithExpressionChange,
            max_genes: Some(Preset::DEFAULT_MAX_GENES),
            max_train_cells_per_class: Some(Preset::DEFAULT_MAX_TRAIN_CELLS_PER_CLASS),
            training: TrainingConfig::new().with_max_steps(Some(Preset::DEFAULT_MAX_STEPS)),
            ..Preset::paper()
        }
    }
}

/// Seeds of ensemble members after the first: SplitMix64 of the base seed and the member
/// index, so ensembles built on neighbouring base seeds do not share members.
fn derived_seed(seed: u64, member: u64) -> u64 {
    let mut z = seed.wrapping_add(member.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Preset {
    /// The default preset's gene screen: more genes than the data sets its quality was
    /// measured on (at most 2,668), a tenth of a whole transcriptome (docs/reproduction.md,
    /// "Screening genes").
    pub const DEFAULT_MAX_GENES: usize = 3000;

    /// The default preset's cap on training cells per class.
    pub const DEFAULT_MAX_TRAIN_CELLS_PER_CLASS: usize = 5000;

    /// The default preset's bound on each member's mini-batches: more than the data sets its
    /// quality was measured on need (at most 2,620), so there the members train their 34 epochs.
    pub const DEFAULT_MAX_STEPS: usize = 3000;

    /// A redundancy-aware re-ranking that keeps genes the model ignores out of the top: the
    /// best 40 genes of each class re-ordered with penalty 0.5, among the genes whose ensemble
    /// attribution is at least 0.2 of the class's best (no significance gate). In
    /// docs/reproduction.md ("Redundancy-aware re-ranking") it made the default's panels less
    /// redundant on all six real data sets (|PCC| at the top 1% −0.012 to −0.071; digits, whose
    /// top 1% is one pixel, −0.062 at the top 5%) at the same AUROC (within 0.001 at the top
    /// 1%, over three seeds) and left the simulation's top-20 lists as they were over seeds
    /// 1–10. Re-ordering the best 100 at floor 0.1 removed more redundancy but cost
    /// citeseq_cbmc 0.010 AUROC at the top 1%, and with members trained 100 epochs each let 8
    /// noise genes into one class's top 20 at seed 7.
    /// `Preset::default().redundancy(None)` turns it off.
    pub fn floored_redundancy() -> RedundancyParams {
        RedundancyParams::new()
            .significance(None)
            .candidates(40)
            .relevance_floor(Some(0.2))
    }

    /// The published method: values as given, min-max scaled on the training cells; one
    /// 256-64-K network trained with binary cross-entropy, Adam lr 1e-3, batch 64, 100 epochs,
    /// 10% validation, seed 7; CW one-vs-rest with λ 100, lr 1e-3, α 0, 500 iterations,
    /// starting at d = 0.001; genes ranked by mean |d| (min-max units) over the correctly
    /// classified cells of each class.
    pub fn paper() -> Self {
        Preset {
            name: "paper".into(),
            preprocessing: Preprocessing::AsIs,
            training: TrainingConfig::new(),
            ensemble_size: 1,
            cw: CwParams::default(),
            units: AttributionUnits::Scaled,
            panel_options: PanelOptions::default(),
            combination: Combination::Attribution,
            split_cells: false,
            split_epochs: false,
            redundancy: None,
            max_genes: None,
            max_train_cells_per_class: None,
        }
    }

    /// Sets the method name of the panel.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the preprocessing step.
    pub fn preprocessing(mut self, preprocessing: Preprocessing) -> Self {
        self.preprocessing = preprocessing;
        self
    }

    /// Replaces the training configuration (its seed becomes the first model's seed).
    pub fn training(mut self, training: TrainingConfig) -> Self {
        self.training = training;
        self
    }

    /// Sets the number of models.
    pub fn ensemble_size(mut self, ensemble_size: usize) -> Self {
        self.ensemble_size = ensemble_size;
        self
    }

    /// Sets the CW parameters.
    pub fn cw(mut self, cw: CwParams) -> Self {
        self.cw = cw;
        self
    }

    /// Sets the units of the CW scores.
    pub fn units(mut self, units: AttributionUnits) -> Self {
        self.units = units;
        self
    }

    /// Sets the panel options (cells explained, aggregation); their seed is kept as given.
    pub fn panel_options(mut self, panel_options: PanelOptions) -> Self {
        self.panel_options = panel_options;
        self
    }

    /// Sets the combination rule.
    pub fn combination(mut self, combination: Combination) -> Self {
        self.combination = combination;
        self
    }

    /// Lets ensemble members explain disjoint shares of the cells.
    pub fn split_cells(mut self, split_cells: bool) -> Self {
        self.split_cells = split_cells;
        self
    }

    /// Lets ensemble members share the training's epochs (see the field).
    pub fn split_epochs(mut self, split_epochs: bool) -> Self {
        self.split_epochs = split_epochs;
        self
    }

    /// Sets the redundancy-aware re-ranking of the final panel.
    pub fn redundancy(mut self, redundancy: Option<RedundancyParams>) -> Self {
        self.redundancy = redundancy;
        self
    }

    /// Sets the gene screen (`None`: every gene enters the models).
    pub fn max_genes(mut self, max_genes: Option<usize>) -> Self {
        self.max_genes = max_genes;
        self
    }

    /// Sets the cap on training cells per class (`None`: every training cell).
    pub fn max_train_cells_per_class(mut self, max: Option<usize>) -> Self {
        self.max_train_cells_per_class = max;
        self
    }

    /// Sets the seed of training (first model) and of the panel (cell subsampling).
    pub fn seed(mut self, seed: u64) -> Self {
        self.training.seed = seed;
        self.panel_options.seed = seed;
        self
    }

    /// Checks every value, naming the first bad one.
    pub fn check(&self) -> Result<ValidPreset> {
        if self.name.trim().is_empty() {
            return Err(ExplainError::invalid("name", "must not be empty"));
        }
        if self.ensemble_size == 0 {
            return Err(ExplainError::invalid("ensemble_size", "must be at least 1"));
        }
        let training = self.training.check()?;
        self.cw.check()?;
        if self.cw.mode != CwMode::OneVsRest {
            return Err(ExplainError::invalid(
                "cw.mode",
                "a preset builds one-vs-rest panels; use explain_pair for one-vs-one",
            ));
        }
        let panel_options = self.panel_options.check()?;
        if let Some(r) = &self.redundancy {
            r.check()?;
        }
        if self.max_train_cells_per_class == Some(0) {
            return Err(ExplainError::invalid(
                "max_train_cells_per_class",
                "must be at least 1 (or unset: every training cell)",
            ));
        }
        if self.max_genes == Some(0) {
            return Err(ExplainError::invalid(
                "max_genes",
                "must be at least 1 (or unset: every gene)",
            ));
        }
        Ok(ValidPreset {
            preset: self.clone(),
            training,
            panel_options,
        })
    }

    /// The training seed of every model: the configured seed for the first, then seeds
    /// derived from it (SplitMix64).
    pub fn member_seeds(&self) -> Vec<u64> {
        (0..self.ensemble_size)
            .map(|k| self.member_seed(k))
            .collect()
    }

    /// The training seed of member `member` (see [`Preset::member_seeds`]).
    fn member_seed(&self, member: usize) -> u64 {
        if member == 0 {
            self.training.seed
        } else {
            derived_seed(self.training.seed, member as u64)
        }
    }

    /// The training configuration of ensemble member `member` (0-based): the preset's with the
    /// member's seed (see [`Preset::member_seeds`]) and, with [`Preset::split_epochs`],
    /// ⌈epochs / ensemble size⌉ epochs.
    ///
    /// ```
    /// use kratos_explain::Preset;
    /// let kratos = Preset::default();
    /// assert_eq!(kratos.training.epochs, 100);
    /// assert_eq!(kratos.member_training(1).epochs, 34); // three members share 100 epochs
    /// assert_eq!(Preset::paper().member_training(0).epochs, 100);
    /// ```
    pub fn member_training(&self, member: usize) -> TrainingConfig {
        let mut config = self.training.clone().with_seed(self.member_seed(member));
        if self.split_epochs && self.ensemble_size > 1 {
            config.epochs = self.training.epochs.div_ceil(self.ensemble_size);
        }
        config
    }
}

/// A checked [`Preset`]: what a pipeline trains and explains with. Reads like the preset.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidPreset {
    preset: Preset,
    training: ValidTrainingConfig,
    panel_options: ValidPanelOptions,
}

impl ValidPreset {
    /// The checked preset.
    pub fn preset(&self) -> &Preset {
        &self.preset
    }

    /// The checked panel options.
    pub fn panel_options(&self) -> &ValidPanelOptions {
        &self.panel_options
    }

    /// The checked training configuration of ensemble member `member`
    /// ([`Preset::member_training`]).
    pub fn member_training(&self, member: usize) -> ValidTrainingConfig {
        let config = self.preset.member_training(member);
        self.training
            .with_seed(config.seed)
            .with_epochs(config.epochs)
    }
}

impl std::ops::Deref for ValidPreset {
    type Target = Preset;

    fn deref(&self) -> &Preset {
        &self.preset
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Aggregation;
    use kratos_model::LossKind;

    #[test]
    fn a_bad_redundancy_setting_is_named() {
        let p = Preset::default().redundancy(Some(RedundancyParams::new().candidates(0)));
        assert!(p.check().unwrap_err().to_string().contains("candidates"));
    }

    #[test]
    fn paper_preset_is_the_published_method() {
        let p = Preset::paper();
        assert_eq!(p.name, "paper");
        assert_eq!(p.preprocessing, Preprocessing::AsIs);
        assert_eq!(p.training, TrainingConfig::new());
        assert_eq!(p.training.loss, LossKind::BinaryCrossEntropy);
        assert_eq!((p.training.epochs, p.training.batch_size), (100, 64));
        assert_eq!(p.training.learning_rate, 1e-3);
        assert_eq!(p.ensemble_size, 1);
        assert_eq!(p.cw, CwParams::default());
        assert_eq!(
            (p.cw.lambda, p.cw.learning_rate, p.cw.alpha, p.cw.max_iter),
            (100.0, 1e-3, 0.0, 500)
        );
        assert_eq!(p.units, AttributionUnits::Scaled);
        assert_eq!(p.panel_options.aggregation, Aggregation::MeanAbsolute);
        assert!(p.panel_options.correct_only);
        assert_eq!(p.combination, Combination::Attribution);
        assert_eq!(p.member_seeds(), vec![7]);
        p.check().unwrap();
    }

    #[test]
    fn default_preset_differs_only_where_documented() {
        let d = Preset::default();
        let p = Preset::paper();
        assert_eq!(d.name, "kratos");
        assert_eq!(
            d.training,
            p.training
                .clone()
                .with_max_steps(Some(Preset::DEFAULT_MAX_STEPS))
        );
        assert_eq!(d.cw, p.cw);
        assert_eq!(d.panel_options, p.panel_options);
        assert_eq!(d.preprocessing, Preprocessing::Log1pIfCounts);
        assert_eq!(d.ensemble_size, 3);
        let seeds = d.member_seeds();
        assert_eq!(seeds[0], 7);
        assert_eq!(seeds.len(), 3);
        assert!(seeds[1] != seeds[2] && seeds[1] != 7 && seeds[1] != 8);
        let valid = d.check().unwrap();
        assert_eq!(valid.member_training(2).epochs, 34);
        assert_eq!(valid.member_training(2).seed, seeds[2]);
    }

    #[test]
    fn bad_values_are_named() {
        let e = Preset::default().ensemble_size(0).check().unwrap_err();
        assert!(e.to_string().contains("ensemble_size"), "{e}");
        let e = Preset::paper()
            .cw(CwParams::new().lambda(-1.0))
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("lambda"), "{e}");
        let e = Preset::paper()
            .training(TrainingConfig::new().with_epochs(0))
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("epochs"), "{e}");
        let e = Preset::paper()
            .cw(CwParams::new().mode(CwMode::OneVsOne))
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("cw.mode"), "{e}");
        let e = Preset::paper()
            .panel_options(PanelOptions::new().max_cells_per_class(Some(0)))
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("max_cells_per_class"), "{e}");
    }
}
