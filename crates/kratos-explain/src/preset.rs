//! Presets: everything from raw data to a marker panel in one checked, serialisable value.
//!
//! A [`Preset`] names a preprocessing step, the classifier's training configuration, how many
//! models are trained, the CW explainer's parameters, which cells are explained and how the
//! per-model scores become one panel. Two presets are provided:
//!
//! - [`Preset::paper`]: the published method, faithfully (no extra preprocessing, one model,
//!   CW with the paper's parameters, genes ranked by mean |d| over correctly classified cells).
//! - [`Preset::default`] (`kratos`): the same network and explainer with five general changes,
//!   each measured in `docs/reproduction.md` (sections "Simulation: marker genes in the top 20"
//!   and "Issue #10") and none tied to a data set:
//!   1. count data (non-negative integers) is log1p-transformed before min-max scaling;
//!   2. three models with different seeds are trained, each for a third of the epochs and
//!      each explaining its own third of the cells (so the ensemble costs about one training
//!      and one CW pass over the cells), and their per-class scores are averaged after
//!      normalising each model's scores to sum 1;
//!   3. the CW perturbation is measured in the units of the input (log expression for counts)
//!      rather than in min-max units;
//!   4. each class's ranking is the rank product of that score and the class's change in mean
//!      expression against the other cells;
//!   5. the top 40 genes of each class are re-ordered so that they repeat each other less
//!      (greedy relevance − 0.5 × max |PCC| with the genes already chosen), moving only genes
//!      with at least a fifth of the class's best ensemble attribution
//!      ([`Preset::floored_redundancy`]).
//!
//! [`Preset::run`] trains and explains; the [`PresetRun`] it returns holds the models (the
//! first one for embedding and prediction), the panel and a serialisable
//! [`PresetDescription`] for reports.

use std::fmt::Write as _;

use kratos_data::Dataset;
use std::borrow::Cow;

use kratos_model::{
    AutodiffBackend, LossKind, TrainedModel, TrainingConfig, fit_cells_with_progress,
};
use serde::{Deserialize, Serialize};

use crate::panel::{cap_per_class, require_labels};
use crate::{
    Aggregation, CwExplainer, CwMode, CwParams, ExplainError, GenePanel, PanelOptions,
    RedundancyParams, Result, decorrelate_with_relevance, explain_panel,
};

/// A transform applied to every value before the model's min-max scaling (to the training
/// cells and, identically, to the cells explained).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preprocessing {
    /// Values are used as given (the paper).
    AsIs,
    /// `ln(1 + x)` of every value (values must be > −1).
    Log1p,
    /// `ln(1 + x)` when the training data look like counts (every value a non-negative
    /// integer, see [`looks_like_counts`]), otherwise as given. Single-cell counts span orders
    /// of magnitude: min-max scaling of raw counts squeezes most cells of a gene with a few
    /// large outliers into a sliver near 0, whereas log expression is the standard scale on
    /// which expression changes are compared. Data already log-normalised or scaled (not
    /// integer) are left alone.
    Log1pIfCounts,
}

impl Preprocessing {
    /// Whether this step transforms `training` data: always for [`Preprocessing::Log1p`],
    /// never for [`Preprocessing::AsIs`], and for [`Preprocessing::Log1pIfCounts`] when the
    /// data look like counts.
    pub fn applies_to(self, training: &Dataset) -> bool {
        match self {
            Preprocessing::AsIs => false,
            Preprocessing::Log1p => true,
            Preprocessing::Log1pIfCounts => looks_like_counts(training),
        }
    }

    /// [`Preprocessing::applies_to`] for the training cells `cells` (row indices) of `data`,
    /// without copying them out. Indices past the last cell are ignored.
    pub fn applies_to_cells(self, data: &Dataset, cells: &[usize]) -> bool {
        match self {
            Preprocessing::AsIs => false,
            Preprocessing::Log1p => true,
            Preprocessing::Log1pIfCounts => rows_look_like_counts(|| {
                cells
                    .iter()
                    .filter(|&&c| c < data.n_cells())
                    .flat_map(|&c| data.row(c).iter().copied())
            }),
        }
    }
}

/// Whether every value of `data` is a non-negative integer and at least one is above 1 — what
/// raw UMI or read counts look like (log-normalised or scaled data have fractional values).
///
/// ```
/// use kratos_data::Dataset;
/// use kratos_explain::looks_like_counts;
/// assert!(looks_like_counts(&Dataset::from_matrix(vec![0.0, 3.0, 12.0, 1.0], 2, 2)?));
/// assert!(!looks_like_counts(&Dataset::from_matrix(vec![0.0, 0.69, 2.5, 1.1], 2, 2)?));
/// # Ok::<(), kratos_data::DataError>(())
/// ```
pub fn looks_like_counts(data: &Dataset) -> bool {
    rows_look_like_counts(|| data.values().iter().copied())
}

/// The test of [`looks_like_counts`] on the values `values()` yields (called twice).
fn rows_look_like_counts<I: Iterator<Item = f32>>(values: impl Fn() -> I) -> bool {
    values().all(|v| v >= 0.0 && v.fract() == 0.0) && values().any(|v| v > 1.0)
}

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
    /// units; see [`expression_change_panel`]). A marker must both drive the classifier's
    /// decision and change in level in its class: genes the network uses as weak, redundant
    /// evidence but whose expression barely moves drop, and so do genes that move but that
    /// the network does not need. The rank product is scale free (Breitling et al. 2004,
    /// RankProd), so neither score's units dominate. The panel's score is 1 / (geometric
    /// mean rank): 1 for a gene ranked first by both.
    RankProductWithExpressionChange,
    /// Rank by the rank product of three ranks: the attribution score, the class's expression
    /// change (as in [`Combination::RankProductWithExpressionChange`]) and the class's
    /// two-sided Wilcoxon rank-sum |z| against the other cells (see [`rank_test_panel`]).
    /// The rank test adds what the mean change misses: how consistently a gene separates the
    /// class's cells from the others. Not the default: in docs/reproduction.md ("A rank test
    /// in the rank product", session 12; six seeds, with the re-ranking
    /// `RedundancyParams::new().significance(None).penalty(1.0).relevance_floor(Some(0.1))`)
    /// it raised the mean AUROC at the top 1% of genes on citeseq_cbmc (+0.023) and digits
    /// (+0.035) but lowered it on pbmc68k_reduced's bulk labels (−0.004), made the pbmc68k
    /// panels more redundant and let 3.3 noise genes on average into the simulation's top-20
    /// lists (the default: 0.3). The panel's score is 1 / (geometric mean rank).
    RankProductWithChangeAndRankTest,
}

/// Everything needed to go from data to a marker panel. Build with [`Preset::paper`] or
/// [`Preset::default`] and the builder methods; [`Preset::check`] names the first bad value
/// (and [`Preset::run`] calls it).
///
/// ```
/// use kratos_explain::{AttributionUnits, Preset, Preprocessing};
/// let quick = Preset::default().with_ensemble_size(1).with_seed(3);
/// quick.check()?;
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
    pub panel: PanelOptions,
    /// How scores become the final ranking.
    pub combination: Combination,
    /// Ensemble members explain disjoint shares of the cells (the k-th cell of each class goes
    /// to member k mod ensemble size) instead of every member explaining all of them: the
    /// ensemble then costs one CW pass over the cells plus its trainings (true in the default
    /// preset, false in the paper's, whose single model explains every cell).
    #[serde(default)]
    pub split_cells: bool,
    /// Ensemble members share the training's epochs: each trains ⌈epochs / ensemble size⌉
    /// epochs instead of all of them, so the ensemble's trainings together cost about one
    /// training (true in the default preset, false in the paper's). See
    /// [`Preset::member_training`].
    #[serde(default)]
    pub split_epochs: bool,
    /// Redundancy-aware re-ranking of the final panel ([`crate::decorrelate_with_relevance`],
    /// with the ensemble's attribution as relevance): [`Preset::floored_redundancy`] in the
    /// default preset, none in the paper's.
    #[serde(default)]
    pub redundancy: Option<RedundancyParams>,
}

impl Default for Preset {
    /// The `kratos` preset: the paper's network, training and CW parameters, plus log1p for
    /// count input, a 3-model ensemble, CW scores in input units and the rank product with
    /// the expression change, re-ranked for less redundancy ([`Preset::floored_redundancy`];
    /// see the module documentation). The three models share the paper's 100 epochs (34
    /// each) and each explains a third of the cells, so the preset costs
    /// about one training and one CW pass (docs/reproduction.md, "Issue #10": members trained
    /// 34 epochs give the panels of members trained 100 within ±0.005 AUROC at the top 1% on
    /// six data sets, at 0.9–2.1x the paper preset's CW time).
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
            ..Preset::paper()
        }
    }
}

/// An error naming the first of `train_cells` that is not a row of `data`.
fn check_train_cells(data: &Dataset, train_cells: &[usize]) -> Result<()> {
    match train_cells.iter().find(|&&c| c >= data.n_cells()) {
        Some(&bad) => Err(ExplainError::InvalidInput(format!(
            "training cell index {bad} is out of range for {} cells",
            data.n_cells()
        ))),
        None => Ok(()),
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
    /// A redundancy-aware re-ranking that keeps genes the model ignores out of the top: the
    /// best 40 genes of each class re-ordered with penalty 0.5, among the genes whose ensemble
    /// attribution is at least 0.2 of the class's best (no significance gate). In
    /// docs/reproduction.md ("Issue #10") it made the default's panels less redundant on all
    /// six real data sets (|PCC| at the top 1% −0.012 to −0.071; digits, whose top 1% is one
    /// pixel, −0.062 at the top 5%) at the same AUROC (within 0.001 at the top 1%, over three
    /// seeds) and left the simulation's top-20 lists as they were over seeds 1–10.
    /// Re-ordering the best 100 at floor 0.1 removed more redundancy but cost citeseq_cbmc
    /// 0.010 AUROC at the top 1%, and with members trained 100 epochs each let 8 noise genes
    /// into one class's top 20 at seed 7.
    /// `Preset::default().with_redundancy(None)` turns it off.
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
            panel: PanelOptions::default(),
            combination: Combination::Attribution,
            split_cells: false,
            split_epochs: false,
            redundancy: None,
        }
    }

    /// Sets the method name of the panel.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the preprocessing step.
    pub fn with_preprocessing(mut self, preprocessing: Preprocessing) -> Self {
        self.preprocessing = preprocessing;
        self
    }

    /// Replaces the training configuration (its seed becomes the first model's seed).
    pub fn with_training(mut self, training: TrainingConfig) -> Self {
        self.training = training;
        self
    }

    /// Sets the number of models.
    pub fn with_ensemble_size(mut self, ensemble_size: usize) -> Self {
        self.ensemble_size = ensemble_size;
        self
    }

    /// Sets the CW parameters.
    pub fn with_cw(mut self, cw: CwParams) -> Self {
        self.cw = cw;
        self
    }

    /// Sets the units of the CW scores.
    pub fn with_units(mut self, units: AttributionUnits) -> Self {
        self.units = units;
        self
    }

    /// Sets the panel options (cells explained, aggregation, subsampling).
    pub fn with_panel_options(mut self, panel: PanelOptions) -> Self {
        self.panel = panel;
        self
    }

    /// Sets the combination rule.
    pub fn with_combination(mut self, combination: Combination) -> Self {
        self.combination = combination;
        self
    }

    /// Lets ensemble members explain disjoint shares of the cells.
    pub fn with_split_cells(mut self, split_cells: bool) -> Self {
        self.split_cells = split_cells;
        self
    }

    /// Lets ensemble members share the training's epochs (see the field).
    pub fn with_split_epochs(mut self, split_epochs: bool) -> Self {
        self.split_epochs = split_epochs;
        self
    }

    /// Sets the redundancy-aware re-ranking of the final panel.
    pub fn with_redundancy(mut self, redundancy: Option<RedundancyParams>) -> Self {
        self.redundancy = redundancy;
        self
    }

    /// Sets the seed of training (first model) and of the panel (cell subsampling).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.training.seed = seed;
        self.panel.seed = seed;
        self
    }

    /// Checks every value, naming the first bad one.
    pub fn check(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(ExplainError::invalid("name", "must not be empty"));
        }
        if self.ensemble_size == 0 {
            return Err(ExplainError::invalid("ensemble_size", "must be at least 1"));
        }
        self.training.check()?;
        self.cw.check()?;
        if self.cw.mode != CwMode::OneVsRest {
            return Err(ExplainError::invalid(
                "cw.mode",
                "a preset builds one-vs-rest panels; use explain_pair for one-vs-one",
            ));
        }
        if self.panel.batch_cells == 0 {
            return Err(ExplainError::invalid(
                "panel.batch_cells",
                "must be at least 1",
            ));
        }
        if let Some(r) = &self.redundancy {
            r.check()?;
        }
        if self.panel.max_cells_per_class == Some(0) {
            return Err(ExplainError::invalid(
                "panel.max_cells_per_class",
                "must be at least 1 (or unset)",
            ));
        }
        Ok(())
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
    /// member's seed (see [`Preset::member_seeds`]) and, with
    /// [`Preset::split_epochs`], ⌈epochs / ensemble size⌉ epochs.
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

    /// A one-paragraph description of what the preset does, for logs and reports.
    pub fn describe(&self) -> String {
        let t = &self.training;
        let c = &self.cw;
        let mut s = format!("{}: ", self.name);
        s.push_str(match self.preprocessing {
            Preprocessing::AsIs => "values as given",
            Preprocessing::Log1p => "log1p of the values",
            Preprocessing::Log1pIfCounts => "log1p when the input is counts",
        });
        let _ = write!(
            s,
            ", min-max scaled on the training cells; {} {} ({}, {} epochs, Adam lr {}, batch {}, \
             hidden {:?}{}{}, seed {}); CW one-vs-rest (λ {}, lr {}, α {}, {} iterations), \
             |d| in {} units",
            self.ensemble_size,
            if self.ensemble_size == 1 {
                "model"
            } else {
                "models"
            },
            match t.loss {
                LossKind::BinaryCrossEntropy => "binary cross-entropy",
                LossKind::CategoricalCrossEntropy => "categorical cross-entropy",
            },
            self.member_training(0).epochs,
            t.learning_rate,
            t.batch_size,
            t.hidden_sizes,
            if t.early_stopping.is_some() {
                ", early stopping"
            } else {
                ""
            },
            if t.dropout > 0.0 || t.input_noise > 0.0 || t.l1_first_layer > 0.0 {
                ", regularised"
            } else {
                ""
            },
            t.seed,
            c.lambda,
            c.learning_rate,
            c.alpha,
            c.max_iter,
            match self.units {
                AttributionUnits::Scaled => "min-max",
                AttributionUnits::Input => "input",
            },
        );
        let _ = write!(
            s,
            ", {} over the {} cells of each class",
            match self.panel.aggregation {
                Aggregation::MeanAbsolute => "mean |d|",
                Aggregation::AbsoluteMean => "|mean d|",
            },
            if self.panel.correct_only {
                "correctly classified"
            } else {
                "labelled"
            }
        );
        if self.ensemble_size > 1 {
            s.push_str("; per-model scores normalised to sum 1 and averaged");
        }
        match self.combination {
            Combination::Attribution => {}
            Combination::RankProductWithExpressionChange => {
                s.push_str("; ranked by the rank product with |Δ mean expression| (class vs rest)")
            }
            Combination::RankProductWithChangeAndRankTest => s.push_str(
                "; ranked by the rank product with |Δ mean expression| and the Wilcoxon \
                 rank-sum |z| (class vs rest)",
            ),
        }
        if self.split_cells && self.ensemble_size > 1 {
            s.push_str("; each model explains its own share of the cells");
        }
        if self.split_epochs && self.ensemble_size > 1 {
            let _ = write!(
                s,
                "; the models share the {} epochs of one training",
                t.epochs
            );
        }
        if let Some(r) = &self.redundancy {
            let _ = write!(
                s,
                "; redundancy-aware re-ranking of the top {} genes (penalty {}{}{})",
                r.candidates,
                r.penalty,
                match r.significance {
                    Some(a) => format!(", genes significantly higher in the class at q < {a}"),
                    None => String::new(),
                },
                match r.relevance_floor {
                    Some(f) => format!(", attribution at least {f} of the class's best"),
                    None => String::new(),
                }
            );
        }
        s
    }

    /// The serialisable description of the preset (before a run).
    pub fn description(&self) -> PresetDescription {
        PresetDescription {
            summary: self.describe(),
            member_seeds: self.member_seeds(),
            preset: self.clone(),
            log1p_applied: None,
            first_model_reused: None,
        }
    }

    /// Trains the preset's models on the labelled `train` cells and explains the labelled
    /// `explain_on` cells (raw values with the same genes, e.g. all cells as the paper does,
    /// or held-out cells). Everything is seeded: the same inputs give the same panel.
    ///
    /// The preprocessing decision ([`Preprocessing::applies_to`]) is made on `train` and
    /// applied identically to `explain_on`; use [`PresetRun::prepare`] for other cells.
    pub fn run<B: AutodiffBackend>(
        &self,
        train: &Dataset,
        explain_on: &Dataset,
        device: &B::Device,
    ) -> Result<PresetRun<B>> {
        self.check()?;
        if train.gene_names() != explain_on.gene_names() {
            return Err(ExplainError::InvalidInput(format!(
                "the cells to explain must have the training genes in the same order \
                 ({} training genes, {} genes to explain)",
                train.n_genes(),
                explain_on.n_genes()
            )));
        }
        let log1p = self.preprocessing.applies_to(train);
        let train = apply_preprocessing(train, log1p)?;
        let explain_on = apply_preprocessing(explain_on, log1p)?;
        let cells: Vec<usize> = (0..train.n_cells()).collect();
        self.run_inner(&train, &cells, &explain_on, log1p, None, device)
    }

    /// [`Preset::run`] on data the caller has already preprocessed the way this preset would
    /// (`log1p_applied`: whether ln(1 + x) was applied, recorded in the run's description):
    /// trains on the cells `train_cells` (row indices) of `data` and explains all its cells,
    /// without copying the matrix. The `kratos` facade's `TrainedPipeline::run_preset` uses it,
    /// so that a large data set is held once.
    ///
    /// Gives the same panel as `run(&raw.select_cells(train_cells), &raw, device)` on the
    /// raw values `raw` behind `data`.
    pub fn run_prepared<B: AutodiffBackend>(
        &self,
        data: &Dataset,
        train_cells: &[usize],
        log1p_applied: bool,
        device: &B::Device,
    ) -> Result<PresetRun<B>> {
        self.check()?;
        check_train_cells(data, train_cells)?;
        self.run_inner(data, train_cells, data, log1p_applied, None, device)
    }

    /// [`Preset::run_prepared`] when the caller already holds a model trained on the same
    /// cells (`fit_cells*` on `data` and `train_cells`): if `trained`'s training configuration
    /// is the preset's first one ([`Preset::member_training`] of member 0),
    /// it serves as the first member instead of a second, identical training — training is
    /// deterministic, so the panel is the one `run_prepared` gives. Otherwise the first member
    /// is trained as usual. The run's description says which happened
    /// (`first_model_reused`). `TrainedPipeline::run_preset` in the `kratos` facade uses it.
    pub fn run_prepared_with_model<B: AutodiffBackend>(
        &self,
        data: &Dataset,
        train_cells: &[usize],
        log1p_applied: bool,
        trained: &TrainedModel<B>,
        device: &B::Device,
    ) -> Result<PresetRun<B>> {
        self.check()?;
        check_train_cells(data, train_cells)?;
        let reusable = *trained.config() == self.member_training(0)
            && trained.network().n_genes() == data.n_genes();
        self.run_inner(
            data,
            train_cells,
            data,
            log1p_applied,
            reusable.then_some(trained),
            device,
        )
    }

    /// The run on preprocessed data: train on `train_cells` of `train_data` (the first member
    /// is `first` when given), explain `explain_on`.
    fn run_inner<B: AutodiffBackend>(
        &self,
        train_data: &Dataset,
        train_cells: &[usize],
        explain_on: &Dataset,
        log1p: bool,
        first: Option<&TrainedModel<B>>,
        device: &B::Device,
    ) -> Result<PresetRun<B>> {
        let ranges = gene_ranges(train_data, train_cells);
        let cw = CwExplainer::new(self.cw)?;
        let members = self.ensemble_size;
        let mut models = Vec::with_capacity(members);
        let mut member_panels = Vec::with_capacity(members);
        let shares = if self.split_cells && members > 1 {
            Some(cell_shares(
                explain_on,
                members,
                self.panel.max_cells_per_class,
                self.panel.seed,
            )?)
        } else {
            None
        };
        for member in 0..members {
            let model = match first {
                Some(trained) if member == 0 => trained.clone(),
                _ => {
                    let config = self.member_training(member);
                    fit_cells_with_progress::<B, _>(
                        train_data,
                        train_cells,
                        &config,
                        device,
                        |_| {},
                    )?
                }
            };
            let mut panel = match &shares {
                Some(shares) => explain_panel(
                    &cw,
                    &model,
                    &explain_on.select_cells(&shares[member]),
                    &self.panel,
                )?,
                None => explain_panel(&cw, &model, explain_on, &self.panel)?,
            };
            if self.units == AttributionUnits::Input {
                panel = rescale_genes(&panel, &ranges)?;
            }
            member_panels.push(panel);
            models.push(model);
        }
        let attribution = if member_panels.len() == 1 {
            member_panels[0].clone()
        } else {
            mean_normalised(&member_panels)?
        };
        let class_names = models[0].class_names();
        let (panel, expression_change, rank_test) = match self.combination {
            Combination::Attribution => (attribution.clone(), None, None),
            Combination::RankProductWithExpressionChange => {
                let change = expression_change_panel(explain_on, class_names)?;
                // `cells_used` is the smallest of the parts': the cells explained.
                (rank_product(&[&attribution, &change])?, Some(change), None)
            }
            Combination::RankProductWithChangeAndRankTest => {
                let change = expression_change_panel(explain_on, class_names)?;
                let test = rank_test_panel(explain_on, class_names)?;
                (
                    rank_product(&[&attribution, &change, &test])?,
                    Some(change),
                    Some(test),
                )
            }
        };
        let (panel, before_redundancy) = match &self.redundancy {
            Some(params) => (
                decorrelate_with_relevance(&panel, &attribution, explain_on, params)?,
                Some(panel.with_method(self.name.clone())),
            ),
            None => (panel, None),
        };
        let mut description = self.description();
        description.log1p_applied = Some(log1p);
        description.first_model_reused = Some(first.is_some());
        Ok(PresetRun {
            panel: panel.with_method(self.name.clone()),
            models,
            member_panels,
            expression_change,
            rank_test,
            attribution,
            before_redundancy,
            log1p,
            description,
        })
    }
}

/// The cells of `data` dealt to `members` shares: the k-th cell of each class goes to share
/// k mod members, so every share holds about the same fraction of every class.
///
/// With `cap = Some(max)`, a class with more than `max` cells first keeps a seeded random
/// `max` of them, so that the shares together explain at most `max` cells per class (the
/// same bound as one model explaining with [`PanelOptions::max_cells_per_class`]).
fn cell_shares(
    data: &Dataset,
    members: usize,
    cap: Option<usize>,
    seed: u64,
) -> Result<Vec<Vec<usize>>> {
    let labels = require_labels(data, "explaining a panel")?;
    let mut keep = vec![true; data.n_cells()];
    if let Some(max) = cap {
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

/// `data` after ln(1 + x) if `log1p`, else `data` itself (no copy).
fn apply_preprocessing(data: &Dataset, log1p: bool) -> Result<Cow<'_, Dataset>> {
    if !log1p {
        return Ok(Cow::Borrowed(data));
    }
    let mut out = data.clone();
    kratos_data::preprocess::log1p(&mut out)?;
    Ok(Cow::Owned(out))
}

/// max − min of every gene over the cells `cells` of `data` (0 for constant genes).
fn gene_ranges(data: &Dataset, cells: &[usize]) -> Vec<f32> {
    let g = data.n_genes();
    let mut lo = vec![f32::INFINITY; g];
    let mut hi = vec![f32::NEG_INFINITY; g];
    for &i in cells {
        for (j, &v) in data.row(i).iter().enumerate() {
            lo[j] = lo[j].min(v);
            hi[j] = hi[j].max(v);
        }
    }
    lo.iter()
        .zip(&hi)
        .map(|(l, h)| if h > l { h - l } else { 0.0 })
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

pub(crate) fn check_same_layout(panels: &[&GenePanel]) -> Result<()> {
    let first = panels
        .first()
        .ok_or_else(|| ExplainError::InvalidInput("no panels to combine".into()))?;
    for p in &panels[1..] {
        if p.gene_names() != first.gene_names() || p.class_names() != first.class_names() {
            return Err(ExplainError::InvalidInput(format!(
                "panels `{}` and `{}` do not have the same genes and classes in the same order",
                first.method(),
                p.method()
            )));
        }
    }
    Ok(())
}

/// Averages panels of the same genes and classes (e.g. one per ensemble member) after
/// normalising each panel's scores to sum 1 within each class, so that no model weighs more
/// because its scores are larger. A class whose scores sum to 0 contributes zeros. The
/// result's method is the first panel's and its `cells_used` the smallest over panels.
pub fn mean_normalised(panels: &[GenePanel]) -> Result<GenePanel> {
    let refs: Vec<&GenePanel> = panels.iter().collect();
    check_same_layout(&refs)?;
    let first = &panels[0];
    let (k, g) = (first.n_classes(), first.gene_names().len());
    let mut scores = vec![vec![0f64; g]; k];
    for p in panels {
        for (c, acc) in scores.iter_mut().enumerate() {
            let s = p.scores(c);
            let total: f64 = s.iter().map(|&v| v as f64).sum();
            if total > 0.0 && total.is_finite() {
                for (a, &v) in acc.iter_mut().zip(s) {
                    *a += v as f64 / total;
                }
            }
        }
    }
    let n = panels.len() as f64;
    let cells_used = (0..k)
        .map(|c| panels.iter().map(|p| p.cells_used()[c]).min().unwrap_or(0))
        .collect();
    GenePanel::from_scores(
        first.method(),
        first.gene_names().to_vec(),
        first.class_names().to_vec(),
        scores
            .into_iter()
            .map(|s| s.into_iter().map(|v| (v / n) as f32).collect())
            .collect(),
        cells_used,
    )
}

/// Ranks (1 = highest score) with ties given their average rank; NaN ranks last.
fn average_ranks(scores: &[f32]) -> Vec<f64> {
    let key = |v: f32| if v.is_nan() { f32::NEG_INFINITY } else { v };
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| key(scores[b]).total_cmp(&key(scores[a])));
    let mut ranks = vec![0f64; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && key(scores[order[j + 1]]) == key(scores[order[i]]) {
            j += 1;
        }
        let average = (i + j) as f64 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            ranks[o] = average;
        }
        i = j + 1;
    }
    ranks
}

/// The rank product of panels of the same genes and classes: per class, each gene's score is
/// 1 / (geometric mean of its ranks in the panels), ranks from 1 (best) with ties averaged.
/// Named `rank-product`; `cells_used` is the smallest over panels.
///
/// ```
/// use kratos_explain::{GenePanel, rank_product};
/// let genes: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
/// let x = GenePanel::from_scores("x", genes.clone(), vec!["T".into()], vec![vec![3.0, 2.0, 1.0]], vec![5])?;
/// let y = GenePanel::from_scores("y", genes, vec!["T".into()], vec![vec![1.0, 3.0, 2.0]], vec![5])?;
/// let both = rank_product(&[&x, &y])?;
/// assert_eq!(both.top_genes(0, 1), ["b"]); // ranks 2 and 1 beat 1 and 3
/// # Ok::<(), kratos_explain::ExplainError>(())
/// ```
pub fn rank_product(panels: &[&GenePanel]) -> Result<GenePanel> {
    check_same_layout(panels)?;
    let first = panels[0];
    let k = first.n_classes();
    let n = panels.len() as f64;
    let scores = (0..k)
        .map(|c| {
            let ranks: Vec<Vec<f64>> = panels.iter().map(|p| average_ranks(p.scores(c))).collect();
            (0..first.gene_names().len())
                .map(|j| {
                    let log_mean = ranks.iter().map(|r| r[j].ln()).sum::<f64>() / n;
                    (-log_mean).exp() as f32
                })
                .collect()
        })
        .collect();
    let cells_used = (0..k)
        .map(|c| panels.iter().map(|p| p.cells_used()[c]).min().unwrap_or(0))
        .collect();
    GenePanel::from_scores(
        "rank-product",
        first.gene_names().to_vec(),
        first.class_names().to_vec(),
        scores,
        cells_used,
    )
}

/// One-vs-rest expression change of every gene for each of `class_names`: |mean over the
/// class's cells − mean over all other labelled cells| of the values of `data` (pass them in
/// the units the model sees, e.g. log expression). Cells whose label is not among
/// `class_names` are ignored; a class without cells, or without other cells, scores 0 for
/// every gene. Named `expression-change`; `cells_used` counts each class's cells.
pub fn expression_change_panel(data: &Dataset, class_names: &[String]) -> Result<GenePanel> {
    let (mut scores, counts) = mean_differences(data, class_names, "the expression change")?;
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
    let (scores, counts) = mean_differences(data, class_names, "the mean difference")?;
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
    let test = crate::wilcoxon_panel(
        data,
        &crate::WilcoxonParams::new().direction(crate::MarkerDirection::Absolute),
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
/// number of cells. `what` names the caller in the error for unlabelled data.
fn mean_differences(
    data: &Dataset,
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
    for (i, &a) in labels.assignments().iter().enumerate() {
        let Some(c) = slot[a] else { continue };
        counts[c] += 1;
        n_total += 1;
        for ((s, t), &v) in sums[c].iter_mut().zip(total.iter_mut()).zip(data.row(i)) {
            *s += v as f64;
            *t += v as f64;
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

/// What a preset is made of and what a run did, for `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresetDescription {
    /// One paragraph in words ([`Preset::describe`]).
    pub summary: String,
    /// The training seed of every model.
    pub member_seeds: Vec<u64>,
    /// Whether log1p was applied (known after a run; `None` before).
    pub log1p_applied: Option<bool>,
    /// Whether the first model was one the caller had already trained with the same
    /// configuration on the same cells ([`Preset::run_prepared_with_model`]) instead of a
    /// fresh training (known after a run; `None` before).
    #[serde(default)]
    pub first_model_reused: Option<bool>,
    /// The full preset.
    pub preset: Preset,
}

/// The result of [`Preset::run`]: the models, the panel and how they were made.
#[derive(Debug, Clone)]
pub struct PresetRun<B: AutodiffBackend> {
    models: Vec<TrainedModel<B>>,
    panel: GenePanel,
    member_panels: Vec<GenePanel>,
    expression_change: Option<GenePanel>,
    rank_test: Option<GenePanel>,
    attribution: GenePanel,
    before_redundancy: Option<GenePanel>,
    log1p: bool,
    description: PresetDescription,
}

impl<B: AutodiffBackend> PresetRun<B> {
    /// The combined marker panel (method: the preset's name).
    pub fn panel(&self) -> &GenePanel {
        &self.panel
    }

    /// The first model (trained with the preset's seed), for embedding and prediction. It
    /// expects cells preprocessed like the training cells: pass them through
    /// [`PresetRun::prepare`].
    pub fn model(&self) -> &TrainedModel<B> {
        &self.models[0]
    }

    /// Every model of the ensemble, in the order of [`Preset::member_seeds`].
    pub fn models(&self) -> &[TrainedModel<B>] {
        &self.models
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

    /// The combined panel before the redundancy-aware re-ranking ([`Preset::redundancy`]);
    /// the same as [`PresetRun::panel`] when the preset has none.
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

    /// Whether log1p was applied before scaling.
    pub fn log1p_applied(&self) -> bool {
        self.log1p
    }

    /// Applies the run's preprocessing to other cells (raw values, the model's genes), ready
    /// for the models' `predict`, `embedding` and explainers.
    pub fn prepare(&self, data: &Dataset) -> Result<Dataset> {
        Ok(apply_preprocessing(data, self.log1p)?.into_owned())
    }

    /// What the preset is made of, including whether log1p was applied.
    pub fn description(&self) -> &PresetDescription {
        &self.description
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn cell_shares_deal_every_class_round_robin() {
        use kratos_data::Labels;
        let labels = Labels::from_names(&["a", "b", "a", "a", "b", "a", "b"]).unwrap();
        let data = Dataset::from_matrix(vec![0.0; 7], 7, 1)
            .unwrap()
            .with_labels(labels)
            .unwrap();
        let shares = cell_shares(&data, 3, None, 1).unwrap();
        assert_eq!(shares, vec![vec![0, 1, 5], vec![2, 4], vec![3, 6]]);
        let mut all: Vec<usize> = shares.concat();
        all.sort_unstable();
        assert_eq!(all, (0..7).collect::<Vec<_>>());
        // A cap of 2 keeps two cells of class a (four cells) and all of b (three: over the
        // cap too, so two of them), dealt the same way; no cap above the class sizes changes
        // nothing.
        let capped = cell_shares(&data, 3, Some(2), 1).unwrap();
        let kept: Vec<usize> = capped.concat();
        assert_eq!(kept.len(), 4);
        assert_eq!(
            kept.iter().filter(|&&i| [0, 2, 3, 5].contains(&i)).count(),
            2
        );
        assert_eq!(cell_shares(&data, 3, Some(4), 1).unwrap(), shares);
    }

    #[test]
    fn preprocessing_decides_the_same_on_rows_as_on_a_copy() {
        let data = Dataset::from_matrix(vec![0.0, 3.0, 0.5, 1.0, 2.0, 0.0], 3, 2).unwrap();
        for rows in [vec![0, 2], vec![1], vec![0, 1, 2], vec![]] {
            for p in [
                Preprocessing::AsIs,
                Preprocessing::Log1p,
                Preprocessing::Log1pIfCounts,
            ] {
                assert_eq!(
                    p.applies_to_cells(&data, &rows),
                    p.applies_to(&data.select_cells(&rows)),
                    "{p:?} on {rows:?}"
                );
            }
        }
    }

    #[test]
    fn a_bad_redundancy_setting_is_named() {
        let p = Preset::default().with_redundancy(Some(RedundancyParams::new().candidates(0)));
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
        assert_eq!(p.panel.aggregation, Aggregation::MeanAbsolute);
        assert!(p.panel.correct_only);
        assert_eq!(p.combination, Combination::Attribution);
        assert_eq!(p.member_seeds(), vec![7]);
        p.check().unwrap();
    }

    #[test]
    fn default_preset_differs_only_where_documented() {
        let d = Preset::default();
        let p = Preset::paper();
        assert_eq!(d.name, "kratos");
        assert_eq!(d.training, p.training);
        assert_eq!(d.cw, p.cw);
        assert_eq!(d.panel, p.panel);
        assert_eq!(d.preprocessing, Preprocessing::Log1pIfCounts);
        assert_eq!(d.ensemble_size, 3);
        let seeds = d.member_seeds();
        assert_eq!(seeds[0], 7);
        assert_eq!(seeds.len(), 3);
        assert!(seeds[1] != seeds[2] && seeds[1] != 7 && seeds[1] != 8);
        d.check().unwrap();
        let text = d.describe();
        assert!(
            text.contains("log1p") && text.contains("3 models") && text.contains("rank product")
        );
        let json = serde_json::to_string(&d.description()).unwrap();
        let back: PresetDescription = serde_json::from_str(&json).unwrap();
        assert_eq!(back.preset, d);
    }

    #[test]
    fn bad_values_are_named() {
        let e = Preset::default().with_ensemble_size(0).check().unwrap_err();
        assert!(e.to_string().contains("ensemble_size"), "{e}");
        let e = Preset::paper()
            .with_cw(CwParams::new().lambda(-1.0))
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("lambda"), "{e}");
        let e = Preset::paper()
            .with_training(TrainingConfig::new().with_epochs(0))
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("epochs"), "{e}");
        let e = Preset::paper()
            .with_cw(CwParams::new().mode(CwMode::OneVsOne))
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("cw.mode"), "{e}");
    }

    #[test]
    fn counts_are_recognised() {
        let counts = Dataset::from_matrix(vec![0.0, 5.0, 2.0, 0.0], 2, 2).unwrap();
        let logged = Dataset::from_matrix(vec![0.0, 1.79, 1.1, 0.0], 2, 2).unwrap();
        let negative = Dataset::from_matrix(vec![-1.0, 5.0, 2.0, 0.0], 2, 2).unwrap();
        let binary = Dataset::from_matrix(vec![0.0, 1.0, 1.0, 0.0], 2, 2).unwrap();
        assert!(looks_like_counts(&counts));
        assert!(!looks_like_counts(&logged));
        assert!(!looks_like_counts(&negative));
        assert!(!looks_like_counts(&binary));
        assert!(Preprocessing::Log1pIfCounts.applies_to(&counts));
        assert!(!Preprocessing::Log1pIfCounts.applies_to(&logged));
        assert!(Preprocessing::Log1p.applies_to(&logged));
        assert!(!Preprocessing::AsIs.applies_to(&counts));
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            average_ranks(&[0.5, 0.9, 0.5, 0.1]),
            vec![2.5, 1.0, 2.5, 4.0]
        );
        assert_eq!(average_ranks(&[1.0, f32::NAN]), vec![1.0, 2.0]);
    }

    #[test]
    fn mean_normalised_weighs_models_equally() {
        let genes = names(&["a", "b", "c"]);
        let x = GenePanel::from_scores(
            "cw",
            genes.clone(),
            names(&["T"]),
            vec![vec![100.0, 0.0, 100.0]],
            vec![4],
        )
        .unwrap();
        let y = GenePanel::from_scores(
            "cw",
            genes,
            names(&["T"]),
            vec![vec![0.0, 0.2, 0.2]],
            vec![3],
        )
        .unwrap();
        let m = mean_normalised(&[x, y]).unwrap();
        let s = m.scores(0);
        assert!((s[0] - 0.25).abs() < 1e-6 && (s[1] - 0.25).abs() < 1e-6);
        assert!((s[2] - 0.5).abs() < 1e-6);
        assert_eq!(m.cells_used(), &[3]);
        assert_eq!(m.top_genes(0, 1), ["c"]);
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
