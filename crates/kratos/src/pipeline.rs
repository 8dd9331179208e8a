use kratos_data::{Dataset, TrainTestSplit, preprocess, stratified_split};
use kratos_explain::{
    CwExplainer, DesignParams, DesignedPanel, Explainer, GenePanel, PanelOptions, PanelRun,
    Preprocessing, Preset, ValidDesignParams, ValidPanelOptions, ValidPreset, design_candidates,
    design_panel, explain_ensemble, explain_pair, extend_panel, screen_genes,
};
use kratos_metrics::{PanelEvaluation, ValidPanelEvaluationParams};
use kratos_model::{
    AutodiffBackend, DefaultBackend, EpochRecord, TrainedModel, TrainingConfig, TrainingHistory,
    fit_cells_with_progress,
};

use crate::evaluation::{EmbeddingQuality, evaluate_panel};
use crate::{Error, Result};

type ProgressFn<'a> = Box<dyn FnMut(usize, &EpochRecord) + 'a>;

/// Builder of a kratos run: data, a [`Preset`] (preprocessing, training, ensemble, panel
/// options), split; [`Pipeline::train`] trains the preset's models once and gives a
/// [`TrainedPipeline`] that makes the panel, explains with any [`Explainer`], embeds and
/// evaluates.
///
/// [`Pipeline::new`] is the kratos default ([`Preset::default`]: log1p for counts, an ensemble
/// of three models sharing 100 epochs, CW in input units ranked with the expression change and
/// re-ranked for less redundancy); [`Pipeline::paper`] is the published method
/// ([`Preset::paper`]). Both split the cells 70/30, stratified and seeded (seed 7).
///
/// ```
/// use kratos::{Pipeline, SimulationParams};
/// let cells = SimulationParams::clean().seed(3).check()?.simulate()?.dataset;
/// let trained = Pipeline::new().dataset(cells).epochs(30).seed(3).train()?;
/// assert_eq!(trained.models().len(), 3); // the default panel's ensemble
/// let panel = trained.panel()?;
/// assert_eq!(panel.method(), "kratos");
/// # Ok::<(), kratos::Error>(())
/// ```
pub struct Pipeline<'a, B: AutodiffBackend = DefaultBackend> {
    dataset: Option<Dataset>,
    preset: Preset,
    seed: Option<u64>,
    test_fraction: f64,
    device: B::Device,
    progress: Option<ProgressFn<'a>>,
}

impl Default for Pipeline<'_, DefaultBackend> {
    fn default() -> Self {
        Self::new()
    }
}

impl Pipeline<'_, DefaultBackend> {
    /// The kratos default ([`Preset::default`]) on the CPU backend.
    pub fn new() -> Self {
        Self::with_preset(Preset::default())
    }

    /// The published method ([`Preset::paper`]) on the CPU backend: one model trained on the
    /// values as given, CW with the paper's parameters.
    pub fn paper() -> Self {
        Self::with_preset(Preset::paper())
    }

    /// Any preset on the CPU backend.
    pub fn with_preset(preset: Preset) -> Self {
        Self::on_device(preset, Default::default())
    }
}

impl<'a, B: AutodiffBackend> Pipeline<'a, B> {
    /// A pipeline of `preset` on another Burn backend and device.
    pub fn on_device(preset: Preset, device: B::Device) -> Self {
        Pipeline {
            dataset: None,
            preset,
            seed: None,
            test_fraction: 0.3,
            device,
            progress: None,
        }
    }

    /// The labelled cells x genes data (raw values; the preprocessing and min-max scaling are
    /// part of the pipeline).
    pub fn dataset(mut self, dataset: Dataset) -> Self {
        self.dataset = Some(dataset);
        self
    }

    /// Training epochs (default 100; an ensemble that shares its epochs splits them).
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.preset.training.epochs = epochs;
        self
    }

    /// Adam learning rate (default 1e-3).
    pub fn learning_rate(mut self, learning_rate: f64) -> Self {
        self.preset.training.learning_rate = learning_rate;
        self
    }

    /// Seed of the split, the weights, the batch order, the cells explained and stochastic
    /// explainers (default 7). It wins over the seeds of [`Pipeline::training`] and
    /// [`Pipeline::panel_options`], whatever the order of the calls.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Fraction of cells held out for testing (default 0.3).
    pub fn test_fraction(mut self, test_fraction: f64) -> Self {
        self.test_fraction = test_fraction;
        self
    }

    /// The transform applied before the model's min-max scaling; the decision of
    /// [`Preprocessing::Log1pIfCounts`] is made on the training cells and applied to all.
    pub fn preprocessing(mut self, preprocessing: Preprocessing) -> Self {
        self.preset.preprocessing = preprocessing;
        self
    }

    /// Replaces the whole training configuration (its seed is the first model's).
    pub fn training(mut self, config: TrainingConfig) -> Self {
        self.preset.training = config;
        self
    }

    /// Models of the ensemble (default: the preset's; 3 for the kratos default, 1 for the
    /// paper's).
    pub fn ensemble_size(mut self, members: usize) -> Self {
        self.preset.ensemble_size = members;
        self
    }

    /// Which cells are explained and how their attributions are combined, for the panel and
    /// for [`TrainedPipeline::explain`].
    pub fn panel_options(mut self, options: PanelOptions) -> Self {
        self.preset.panel_options = options;
        self
    }

    /// Replaces the whole preset.
    pub fn preset(mut self, preset: Preset) -> Self {
        self.preset = preset;
        self
    }

    /// Called after every training epoch with the member's index (0-based) and the epoch's
    /// record, e.g. to draw a progress bar over [`Pipeline::total_epochs`].
    pub fn on_epoch(mut self, progress: impl FnMut(usize, &EpochRecord) + 'a) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// The epochs all members train together (at most; early stopping may end them sooner).
    pub fn total_epochs(&self) -> usize {
        (0..self.preset.ensemble_size.max(1))
            .map(|k| self.preset.member_training(k).epochs)
            .sum()
    }

    /// Splits the data (stratified, seeded), applies the preprocessing, trains every model of
    /// the preset's ensemble on the training cells and returns the trained pipeline.
    pub fn train(mut self) -> Result<TrainedPipeline<B>> {
        let dataset = self.dataset.take().ok_or(Error::NoData)?;
        if !(self.test_fraction > 0.0 && self.test_fraction < 1.0) {
            return Err(Error::InvalidParameter {
                name: "test_fraction",
                problem: format!("must lie in (0, 1), got {}", self.test_fraction),
            });
        }
        let mut preset = self.preset.clone();
        if let Some(seed) = self.seed {
            preset = preset.seed(seed);
        }
        let preset = preset.check()?;
        let labels = dataset.require_labels()?;
        let mut split = stratified_split(labels, self.test_fraction, preset.training.seed)?;
        if let Some(max) = preset.max_train_cells_per_class {
            split.train = cap_per_class(
                &split.train,
                labels.assignments(),
                max,
                preset.training.seed,
            );
        }
        let log1p = preset
            .preprocessing
            .applies_to_cells(&dataset, &split.train);
        // One copy of the cells: log1p (if it applies) replaces the values in place. With more
        // genes than the preset's screen allows, the models see a copy of the screened genes.
        let mut all = dataset;
        if log1p {
            preprocess::log1p(&mut all)?;
        }
        let (input, screen) = match preset.max_genes {
            Some(max) if all.n_genes() > max => {
                let kept = screen_genes(&all, &split.train, max)?;
                (all.select_genes(&kept), Some(Screen { all, kept }))
            }
            _ => (all, None),
        };
        if std::env::var_os("KRATOS_MEM_TRACE").is_some() {
            eprintln!(
                "MEM screened: input {} stored, all {:?} stored, peak {:?} MB",
                input.stored_values().len(),
                screen.as_ref().map(|s| s.all.stored_values().len()),
                crate::analysis::peak_memory_bytes().map(|b| b / 1_000_000)
            );
        }
        let mut progress = self.progress.take();
        let models = (0..preset.ensemble_size)
            .map(|member| {
                fit_cells_with_progress::<B, _>(
                    &input,
                    &split.train,
                    &preset.member_training(member),
                    &self.device,
                    |r| {
                        if let Some(p) = progress.as_mut() {
                            p(member, r)
                        }
                    },
                )
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let train_accuracy = models[0].accuracy_on_cells(&input, &split.train)?;
        let test_accuracy = models[0].accuracy_on_cells(&input, &split.test)?;
        Ok(TrainedPipeline {
            input,
            screen,
            log1p,
            split,
            models,
            train_accuracy,
            test_accuracy,
            preset,
        })
    }
}

/// `cells` with at most `max` of each class (by `assignments`), a seeded draw where a class has
/// more; in ascending order.
fn cap_per_class(cells: &[usize], assignments: &[usize], max: usize, seed: u64) -> Vec<usize> {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let classes = assignments.iter().copied().max().map_or(0, |m| m + 1);
    let mut by_class = vec![Vec::new(); classes];
    for &c in cells {
        by_class[assignments[c]].push(c);
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut kept: Vec<usize> = Vec::with_capacity(cells.len());
    for mut members in by_class {
        if members.len() > max {
            members.shuffle(&mut rng);
            members.truncate(max);
        }
        kept.extend(members);
    }
    kept.sort_unstable();
    kept
}

/// All genes of data whose genes were screened ([`Preset::max_genes`]), and the screened ones.
struct Screen {
    /// Every cell and gene, after the preprocessing.
    all: Dataset,
    /// The genes the models see (column indices of `all`, ascending).
    kept: Vec<usize>,
}

/// The trained models of a preset with their data and split: makes the preset's panel,
/// explains with any [`Explainer`], embeds, evaluates and reports accuracy.
///
/// Every panel uses all of the ensemble: each model explains its own share of the cells
/// ([`explain_ensemble`]). Prediction and the embedding use the first model
/// ([`TrainedPipeline::model`]), which is also the one a run saves. On data with more genes than
/// the preset's screen ([`Preset::max_genes`]) the models see the screened genes
/// ([`TrainedPipeline::model_input`]) and every panel lists the other genes after them
/// ([`kratos_explain::extend_panel`]).
pub struct TrainedPipeline<B: AutodiffBackend = DefaultBackend> {
    /// All cells as the models see them (log1p applied in place when it applies).
    input: Dataset,
    /// Every gene, when the models see only some.
    screen: Option<Screen>,
    log1p: bool,
    split: TrainTestSplit,
    models: Vec<TrainedModel<B>>,
    train_accuracy: f64,
    test_accuracy: f64,
    preset: ValidPreset,
}

impl<B: AutodiffBackend> TrainedPipeline<B> {
    /// The first model of the ensemble: prediction and embedding. It expects cells as
    /// [`TrainedPipeline::model_input`] holds them (after the preprocessing; see
    /// [`TrainedPipeline::prepare`]).
    pub fn model(&self) -> &TrainedModel<B> {
        &self.models[0]
    }

    /// Every model of the ensemble, in the order of [`Preset::member_seeds`].
    pub fn models(&self) -> &[TrainedModel<B>] {
        &self.models
    }

    /// The checked preset the pipeline was trained with.
    pub fn preset(&self) -> &ValidPreset {
        &self.preset
    }

    /// All cells (training and test) as the models see them: after log1p if it was applied
    /// (see [`TrainedPipeline::log1p_applied`]; `exp(x) − 1` gives the raw values back), else
    /// as given; only the screened genes when there was a screen.
    pub fn model_input(&self) -> &Dataset {
        &self.input
    }

    /// All cells and genes after the preprocessing: [`TrainedPipeline::model_input`] unless the
    /// genes were screened, then every gene (what the marker tests and the panels' other genes
    /// are computed on).
    pub fn all_genes_input(&self) -> &Dataset {
        self.screen.as_ref().map_or(&self.input, |s| &s.all)
    }

    /// The genes the models see (column indices of [`TrainedPipeline::all_genes_input`]), or
    /// `None` when they see every gene.
    pub fn screened_genes(&self) -> Option<&[usize]> {
        self.screen.as_ref().map(|s| s.kept.as_slice())
    }

    /// `panel` of the models' genes as a panel of every gene (unchanged without a screen); the
    /// other genes of a class that is not one of the data's (a pair) keep their column order.
    fn extend(&self, panel: GenePanel) -> Result<GenePanel> {
        match &self.screen {
            Some(s) => Ok(extend_panel(&panel, &s.all, &s.kept)?),
            None => Ok(panel),
        }
    }

    /// The train/test split (cell indices into [`TrainedPipeline::model_input`]).
    pub fn split(&self) -> &TrainTestSplit {
        &self.split
    }

    /// The preprocessing that was asked for.
    pub fn preprocessing(&self) -> Preprocessing {
        self.preset.preprocessing
    }

    /// Whether log1p was applied before scaling.
    pub fn log1p_applied(&self) -> bool {
        self.log1p
    }

    /// Applies the pipeline's preprocessing to other cells (raw values of the genes the
    /// pipeline was given, in its order), ready for the models' `predict` and `embedding`:
    /// log1p if it applied, and the screen's genes if there was one.
    pub fn prepare(&self, data: &Dataset) -> Result<Dataset> {
        let mut d = match &self.screen {
            Some(s) => {
                if data.gene_names() != s.all.gene_names() {
                    return Err(Error::InvalidParameter {
                        name: "data",
                        problem: format!(
                            "has {} genes where the pipeline was given {}; give its genes in its order",
                            data.n_genes(),
                            s.all.n_genes()
                        ),
                    });
                }
                data.select_genes(&s.kept)
            }
            None => data.clone(),
        };
        if self.log1p {
            preprocess::log1p(&mut d)?;
        }
        Ok(d)
    }

    /// Accuracy of the first model on the training cells.
    pub fn train_accuracy(&self) -> f64 {
        self.train_accuracy
    }

    /// Accuracy of the first model on the held-out test cells.
    pub fn test_accuracy(&self) -> f64 {
        self.test_accuracy
    }

    /// Loss and accuracy of every training epoch of the first model.
    pub fn history(&self) -> &TrainingHistory {
        self.models[0].history()
    }

    /// The options of every panel (which cells, aggregation).
    pub fn panel_options(&self) -> &ValidPanelOptions {
        self.preset.panel_options()
    }

    /// The preset's panel with what it was made of (the ensemble's CW panel, the member panels,
    /// the statistics it combined), explaining every labelled cell as the paper does. After a
    /// gene screen its panels rank every gene ([`PanelRun::extended`]).
    pub fn panel_run(&self) -> Result<PanelRun> {
        let run = self.preset.panel_from_models(
            &self.models,
            &self.input,
            &self.split.train,
            self.log1p,
        )?;
        match &self.screen {
            Some(s) => Ok(run.extended(&s.all, &s.kept)?),
            None => Ok(run),
        }
    }

    /// The preset's marker panel of every class: the kratos default panel for
    /// [`Pipeline::new`], the paper's CW panel for [`Pipeline::paper`].
    pub fn panel(&self) -> Result<GenePanel> {
        Ok(self.panel_run()?.into_panel())
    }

    /// A panel of `genes` genes chosen together to tell every type apart
    /// ([`kratos_explain::design_panel`]): the candidates are each class's best genes of the
    /// preset's panel (the models' attributions), the selection runs on the training cells of
    /// every gene after the preprocessing. Genes in order of selection, each with the types it
    /// serves and its marginal gain.
    ///
    /// ```
    /// use kratos::{Pipeline, SimulationParams};
    /// let cells = SimulationParams::clean().seed(3).check()?.simulate()?.dataset;
    /// let trained = Pipeline::new().dataset(cells).epochs(30).seed(3).train()?;
    /// let panel = trained.design_panel(10)?;
    /// assert_eq!(panel.genes.len(), 10);
    /// assert!(trained.design_panel(0).is_err());
    /// # Ok::<(), kratos::Error>(())
    /// ```
    pub fn design_panel(&self, genes: usize) -> Result<DesignedPanel> {
        self.design_panel_with(&DesignParams::new(genes))
    }

    /// [`TrainedPipeline::design_panel`] with every parameter (genes to include or exclude,
    /// candidates per class, the selection's penalty).
    pub fn design_panel_with(&self, params: &DesignParams) -> Result<DesignedPanel> {
        let params = params.check()?;
        let panel = self.panel()?;
        self.design_from_panel(&panel, &params)
    }

    /// A design whose candidates come from `panel` (e.g. the preset's panel made once for
    /// several designs).
    pub fn design_from_panel(
        &self,
        panel: &GenePanel,
        params: &ValidDesignParams,
    ) -> Result<DesignedPanel> {
        let data = self.all_genes_input();
        // More candidates per class when the panel asked for needs them (overlaps between the
        // classes' lists can leave fewer than N).
        let mut per_class = params.candidates_per_class;
        let mut candidates = design_candidates(panel, data, per_class);
        while candidates.len() < params.genes + params.exclude.len() && per_class < data.n_genes() {
            per_class *= 2;
            candidates = design_candidates(panel, data, per_class);
        }
        Ok(design_panel(data, &self.split.train, &candidates, params)?)
    }

    /// The marker panel of every class according to `explainer`, over the correctly classified
    /// cells of all cells (as the paper does), each model of the ensemble explaining its share.
    pub fn explain<E: Explainer<B>>(&self, explainer: E) -> Result<GenePanel> {
        self.extend(explain_ensemble(
            &explainer,
            &self.models,
            &self.input,
            self.panel_options(),
        )?)
    }

    /// One panel per explainer (any mix of provided and your own [`Explainer`]s).
    pub fn explain_with(&self, explainers: &[&dyn Explainer<B>]) -> Result<Vec<GenePanel>> {
        explainers
            .iter()
            .map(|e| {
                self.extend(explain_ensemble(
                    *e,
                    &self.models,
                    &self.input,
                    self.panel_options(),
                )?)
            })
            .collect()
    }

    /// The genes separating class `class` from class `versus` (one-vs-one CW), as a panel
    /// with one class named `"<class> vs <versus>"`.
    pub fn explain_pair(&self, class: &str, versus: &str) -> Result<GenePanel> {
        let pair = self.pair(class, versus)?;
        self.extend(pair)
    }

    /// [`TrainedPipeline::explain_pair`] on the models' genes.
    fn pair(&self, class: &str, versus: &str) -> Result<GenePanel> {
        Ok(explain_pair(
            &CwExplainer::one_vs_one(),
            &self.models,
            &self.input,
            class,
            versus,
            self.panel_options(),
        )?)
    }

    /// One-vs-one CW for every ordered pair of classes, as one panel (method `cw-ovo`) whose
    /// classes are named `"A vs B"`. `on_pair` is called after each pair (for progress).
    pub fn explain_all_pairs(&self, mut on_pair: impl FnMut(usize, usize)) -> Result<GenePanel> {
        let names = self.model().class_names().to_vec();
        let total = names.len() * names.len().saturating_sub(1);
        let (mut classes, mut scores, mut counts) = (Vec::new(), Vec::new(), Vec::new());
        for a in &names {
            for b in names.iter().filter(|b| *b != a) {
                let p = self.pair(a, b)?;
                classes.push(p.class_names()[0].clone());
                scores.push(p.scores(0).to_vec());
                counts.push(p.cells_used()[0]);
                on_pair(classes.len(), total);
            }
        }
        let panel = GenePanel::from_scores(
            "cw-ovo",
            self.model().gene_names().to_vec(),
            classes,
            scores,
            counts,
        )?;
        // The pairs are not classes of the data: their other genes keep their column order.
        self.extend(panel)
    }

    /// The embedding (row-major `cells x embedding size`) of all cells by the first model.
    pub fn embedding(&self) -> Result<Vec<f32>> {
        Ok(self.model().embedding(&self.input)?)
    }

    /// How well the embedding separates the labelled classes ([`EmbeddingQuality::of`],
    /// k-means seeded with `seed`).
    pub fn embedding_quality(&self, seed: u64) -> Result<EmbeddingQuality> {
        let embedding = self.embedding()?;
        let labels = self.input.require_labels()?;
        EmbeddingQuality::of(
            &embedding,
            self.input.n_cells(),
            self.model().embedding_size(),
            labels,
            seed,
        )
    }

    /// The paper's SVM top-k protocol (and PCC redundancy) for `panel` on all cells and genes
    /// after the preprocessing ([`TrainedPipeline::all_genes_input`]). The panel's classes and
    /// genes are matched to the data's by name.
    pub fn evaluate(
        &self,
        panel: &GenePanel,
        params: &ValidPanelEvaluationParams,
    ) -> Result<PanelEvaluation> {
        evaluate_panel(self.all_genes_input(), panel, params, |_, _| {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kratos_data::Labels;

    /// 60 cells of two types; gene 0 marks A, gene 1 marks B, genes 2–3 are noise.
    fn two_types() -> Dataset {
        let values: Vec<f32> = (0..60)
            .flat_map(|i| {
                let a = i % 2 == 0;
                [
                    if a { 4.0 } else { 0.0 },
                    if a { 0.0 } else { 4.0 },
                    (i % 5) as f32,
                    (i % 3) as f32,
                ]
            })
            .collect();
        let labels: Vec<&str> = (0..60)
            .map(|i| if i % 2 == 0 { "A" } else { "B" })
            .collect();
        Dataset::from_matrix(values, 60, 4)
            .unwrap()
            .with_labels(Labels::from_names(&labels).unwrap())
            .unwrap()
    }

    #[test]
    fn the_seed_wins_over_the_seeds_of_the_parts_whatever_the_order() {
        let trained = Pipeline::new()
            .dataset(two_types())
            .seed(5)
            .training(TrainingConfig::new().with_epochs(6).with_seed(1))
            .panel_options(PanelOptions::new().seed(2))
            .train()
            .unwrap();
        assert_eq!(trained.preset().training.seed, 5);
        assert_eq!(trained.panel_options().seed, 5);
        assert_eq!(trained.models()[0].config().seed, 5);
        assert_eq!(trained.models()[0].config().epochs, 2);
    }

    #[test]
    fn configuration_errors_name_what_to_fix() {
        let e = Pipeline::new().train().err().unwrap();
        assert!(matches!(e, Error::NoData), "{e}");
        let e = Pipeline::new()
            .dataset(two_types())
            .test_fraction(1.0)
            .train()
            .err()
            .unwrap();
        assert!(e.to_string().contains("test_fraction"), "{e}");
        let e = Pipeline::new()
            .dataset(two_types())
            .ensemble_size(0)
            .train()
            .err()
            .unwrap();
        assert!(e.to_string().contains("ensemble_size"), "{e}");
    }
}
