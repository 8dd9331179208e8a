use kratos_data::{Dataset, TrainTestSplit, preprocess, stratified_split};
use kratos_explain::{
    CwExplainer, Explainer, GenePanel, PanelOptions, Preprocessing, Preset, PresetRun,
    explain_pair, explain_panel,
};
use kratos_metrics::{PanelEvaluation, PanelEvaluationParams};
use kratos_model::{
    AutodiffBackend, DefaultBackend, EpochRecord, TrainedModel, TrainingConfig, TrainingHistory,
    fit_cells_with_progress,
};

use crate::evaluation::{EmbeddingQuality, evaluate_panel_with_progress};
use crate::{Error, Result};

type ProgressFn<'a> = Box<dyn FnMut(&EpochRecord) + 'a>;

/// Builder of a kratos run: data, preprocessing, training parameters, split;
/// [`Pipeline::train`] gives a [`TrainedPipeline`] that explains, embeds and evaluates.
///
/// Defaults are the paper's: values as given (min-max scaled on the training cells inside the
/// model), 70/30 stratified split, 100 epochs, learning rate 1e-3, seed 7. The `kratos`
/// command uses [`Preprocessing::Log1pIfCounts`] (the default of [`Preset::default`]).
pub struct Pipeline<'a, B: AutodiffBackend = DefaultBackend> {
    dataset: Option<Dataset>,
    config: TrainingConfig,
    test_fraction: f64,
    preprocessing: Preprocessing,
    panel_options: Option<PanelOptions>,
    device: B::Device,
    progress: Option<ProgressFn<'a>>,
}

impl Default for Pipeline<'_, DefaultBackend> {
    fn default() -> Self {
        Self::new()
    }
}

impl Pipeline<'_, DefaultBackend> {
    /// A pipeline on the default CPU backend with the paper's settings.
    pub fn new() -> Self {
        Self::on_device(Default::default())
    }
}

impl<'a, B: AutodiffBackend> Pipeline<'a, B> {
    /// A pipeline on another Burn backend and device.
    pub fn on_device(device: B::Device) -> Self {
        Pipeline {
            dataset: None,
            config: TrainingConfig::new(),
            test_fraction: 0.3,
            preprocessing: Preprocessing::AsIs,
            panel_options: None,
            device,
            progress: None,
        }
    }

    /// The labelled cells x genes data (raw values; min-max scaling is part of the model).
    pub fn dataset(mut self, dataset: Dataset) -> Self {
        self.dataset = Some(dataset);
        self
    }

    /// Training epochs (default 100).
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.config.epochs = epochs;
        self
    }

    /// Adam learning rate (default 1e-3).
    pub fn learning_rate(mut self, learning_rate: f64) -> Self {
        self.config.learning_rate = learning_rate;
        self
    }

    /// Seed of the split, the weights, the batch order and the explainers (default 7).
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Fraction of cells held out for testing (default 0.3).
    pub fn test_fraction(mut self, test_fraction: f64) -> Self {
        self.test_fraction = test_fraction;
        self
    }

    /// A transform applied before the model's min-max scaling (default
    /// [`Preprocessing::AsIs`], the paper). The decision of
    /// [`Preprocessing::Log1pIfCounts`] is made on the training cells and applied to all.
    pub fn preprocessing(mut self, preprocessing: Preprocessing) -> Self {
        self.preprocessing = preprocessing;
        self
    }

    /// Replaces the whole training configuration (including its seed).
    pub fn training_config(mut self, config: TrainingConfig) -> Self {
        self.config = config;
        self
    }

    /// Options of [`TrainedPipeline::explain`] (which cells, aggregation); by default
    /// [`PanelOptions::default`] with the pipeline's seed.
    pub fn panel_options(mut self, options: PanelOptions) -> Self {
        self.panel_options = Some(options);
        self
    }

    /// Called after every training epoch (e.g. to draw a progress bar).
    pub fn on_epoch(mut self, progress: impl FnMut(&EpochRecord) + 'a) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// Splits the data (stratified, seeded), applies the preprocessing, trains the classifier
    /// on the training cells and returns the trained pipeline.
    pub fn train(mut self) -> Result<TrainedPipeline<B>> {
        let dataset = self.dataset.take().ok_or_else(|| {
            Error::Pipeline("no data set: call .dataset(...) before .train()".into())
        })?;
        if !(self.test_fraction > 0.0 && self.test_fraction < 1.0) {
            return Err(Error::Pipeline(format!(
                "test_fraction must lie in (0, 1), got {}",
                self.test_fraction
            )));
        }
        self.config.check()?;
        let labels = dataset.require_labels()?;
        let split = stratified_split(labels, self.test_fraction, self.config.seed)?;
        let log1p = self.preprocessing.applies_to_cells(&dataset, &split.train);
        // One copy of the cells: log1p (if it applies) replaces the values in place.
        let mut input = dataset;
        if log1p {
            preprocess::log1p(&mut input)?;
        }
        let mut progress = self.progress.take();
        let model = fit_cells_with_progress::<B, _>(
            &input,
            &split.train,
            &self.config,
            &self.device,
            |r| {
                if let Some(p) = progress.as_mut() {
                    p(r)
                }
            },
        )?;
        let train_accuracy = model.accuracy_on_cells(&input, &split.train)?;
        let test_accuracy = model.accuracy_on_cells(&input, &split.test)?;
        let panel_options = self.panel_options.take().unwrap_or(PanelOptions {
            seed: self.config.seed,
            ..PanelOptions::default()
        });
        Ok(TrainedPipeline {
            input,
            log1p,
            split,
            model,
            train_accuracy,
            test_accuracy,
            panel_options,
            preprocessing: self.preprocessing,
        })
    }
}

/// A trained classifier with its data and split: explains, embeds, evaluates and reports
/// accuracy.
pub struct TrainedPipeline<B: AutodiffBackend = DefaultBackend> {
    /// All cells as the model sees them (log1p applied in place when it applies).
    input: Dataset,
    log1p: bool,
    split: TrainTestSplit,
    model: TrainedModel<B>,
    train_accuracy: f64,
    test_accuracy: f64,
    panel_options: PanelOptions,
    preprocessing: Preprocessing,
}

impl<B: AutodiffBackend> TrainedPipeline<B> {
    /// The trained model. It expects cells as [`TrainedPipeline::model_input`] holds them
    /// (after the preprocessing; see [`TrainedPipeline::prepare`]).
    pub fn model(&self) -> &TrainedModel<B> {
        &self.model
    }

    /// All cells (training and test): the same as [`TrainedPipeline::model_input`]. The
    /// pipeline keeps one copy of the cells, so when log1p applies (see
    /// [`TrainedPipeline::log1p_applied`]) these are the log1p values, not the raw ones; apply
    /// `exp(x) − 1` to get the raw values back.
    pub fn dataset(&self) -> &Dataset {
        &self.input
    }

    /// All cells as the model sees them: after log1p if it was applied, else as given.
    pub fn model_input(&self) -> &Dataset {
        &self.input
    }

    /// The train/test split (cell indices into [`TrainedPipeline::dataset`]).
    pub fn split(&self) -> &TrainTestSplit {
        &self.split
    }

    /// The preprocessing that was asked for.
    pub fn preprocessing(&self) -> Preprocessing {
        self.preprocessing
    }

    /// Whether log1p was applied before scaling.
    pub fn log1p_applied(&self) -> bool {
        self.log1p
    }

    /// Applies the pipeline's preprocessing to other cells (raw values of the model's genes),
    /// ready for the model's `predict` and `embedding`.
    pub fn prepare(&self, data: &Dataset) -> Result<Dataset> {
        let mut d = data.clone();
        if self.log1p_applied() {
            preprocess::log1p(&mut d)?;
        }
        Ok(d)
    }

    /// Accuracy on the training cells.
    pub fn train_accuracy(&self) -> f64 {
        self.train_accuracy
    }

    /// Accuracy on the held-out test cells.
    pub fn test_accuracy(&self) -> f64 {
        self.test_accuracy
    }

    /// Loss and accuracy of every training epoch.
    pub fn history(&self) -> &TrainingHistory {
        self.model.history()
    }

    /// The options used by [`TrainedPipeline::explain`].
    pub fn panel_options(&self) -> &PanelOptions {
        &self.panel_options
    }

    /// Replaces the options used by [`TrainedPipeline::explain`] (which cells, aggregation).
    pub fn with_panel_options(mut self, options: PanelOptions) -> Self {
        self.panel_options = options;
        self
    }

    /// The marker panel of every class according to `explainer`, over the correctly classified
    /// cells of all cells (as the paper does).
    pub fn explain<E: Explainer<B>>(&self, explainer: E) -> Result<GenePanel> {
        Ok(explain_panel(
            &explainer,
            &self.model,
            self.model_input(),
            &self.panel_options,
        )?)
    }

    /// One panel per explainer (any mix of provided and your own [`Explainer`]s).
    pub fn explain_with(&self, explainers: &[&dyn Explainer<B>]) -> Result<Vec<GenePanel>> {
        explainers
            .iter()
            .map(|e| {
                Ok(explain_panel(
                    *e,
                    &self.model,
                    self.model_input(),
                    &self.panel_options,
                )?)
            })
            .collect()
    }

    /// The genes separating class `class` from class `versus` (one-vs-one CW), as a panel
    /// with one class named `"<class> vs <versus>"`.
    pub fn explain_pair(&self, class: &str, versus: &str) -> Result<GenePanel> {
        Ok(explain_pair(
            &CwExplainer::one_vs_one(),
            &self.model,
            self.model_input(),
            class,
            versus,
            &self.panel_options,
        )?)
    }

    /// One-vs-one CW for every ordered pair of classes, as one panel (method `cw-ovo`) whose
    /// classes are named `"A vs B"`. `on_pair` is called after each pair (for progress).
    pub fn explain_all_pairs(&self, mut on_pair: impl FnMut(usize, usize)) -> Result<GenePanel> {
        let names = self.model.class_names().to_vec();
        let total = names.len() * names.len().saturating_sub(1);
        let (mut classes, mut scores, mut counts) = (Vec::new(), Vec::new(), Vec::new());
        for a in &names {
            for b in names.iter().filter(|b| *b != a) {
                let p = self.explain_pair(a, b)?;
                classes.push(p.class_names()[0].clone());
                scores.push(p.scores(0).to_vec());
                counts.push(p.cells_used()[0]);
                on_pair(classes.len(), total);
            }
        }
        Ok(GenePanel::from_scores(
            "cw-ovo",
            self.model.gene_names().to_vec(),
            classes,
            scores,
            counts,
        )?)
    }

    /// The 64-d embedding (row-major `cells x embedding size`) of all cells.
    pub fn embedding(&self) -> Result<Vec<f32>> {
        Ok(self.model.embedding(self.model_input())?)
    }

    /// ARI and AMI of k-means (K = number of classes, seeded) on the embedding of all cells
    /// against the true labels, and the silhouette of the true labels in the embedding.
    pub fn embedding_quality(&self, seed: u64) -> Result<EmbeddingQuality> {
        let embedding = self.embedding()?;
        let labels = self.input.require_labels()?;
        EmbeddingQuality::of(
            &embedding,
            self.input.n_cells(),
            self.model.embedding_size(),
            labels,
            seed,
        )
    }

    /// The paper's SVM top-k protocol (and PCC redundancy) for `panel` on all cells as the
    /// model sees them ([`TrainedPipeline::model_input`], as `kratos reproduce` evaluates).
    /// The panel's classes are matched to the data's by name.
    pub fn evaluate(
        &self,
        panel: &GenePanel,
        params: &PanelEvaluationParams,
    ) -> Result<PanelEvaluation> {
        evaluate_panel_with_progress(&self.input, panel, params, |_, _| {})
    }

    /// Runs a [`Preset`] (e.g. [`Preset::default`], the `kratos` panel) on this pipeline's
    /// training cells, explaining all cells. The preset trains its own models, except that
    /// the pipeline's model serves as the first one when the preset's first training
    /// configuration ([`Preset::member_training`]) is the pipeline's: the same cells and
    /// configuration would train the same model. (The default preset's members share the
    /// epochs, [`Preset::split_epochs`], so they are never the pipeline's model.)
    ///
    /// With the pipeline's own preprocessing (the usual case) the preset runs on the cells the
    /// pipeline holds, without a copy. A preset with another preprocessing needs the raw values:
    /// that works when the pipeline left the cells as given, and is an error when the pipeline
    /// applied log1p.
    pub fn run_preset(&self, preset: &Preset) -> Result<PresetRun<B>> {
        let device = self.model.device();
        if preset.preprocessing == self.preprocessing {
            // Same setting, same training cells: the preset would decide as the pipeline did,
            // and the pipeline's model is its first member when the configurations agree.
            return Ok(preset.run_prepared_with_model::<B>(
                &self.input,
                &self.split.train,
                self.log1p,
                &self.model,
                device,
            )?);
        }
        if self.log1p {
            return Err(Error::Pipeline(format!(
                "the preset's preprocessing ({:?}) differs from the pipeline's ({:?}), which has \
                 already replaced the cells by their log1p: give the preset the pipeline's \
                 preprocessing (`preset.with_preprocessing(...)`) or train the pipeline with \
                 the preset's",
                preset.preprocessing, self.preprocessing
            )));
        }
        let train = self.input.select_cells(&self.split.train);
        Ok(preset.run::<B>(&train, &self.input, device)?)
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

    /// `run_preset` reuses the pipeline's model as the preset's first member when the
    /// training settings agree, and the panel is the one of a run that trains it afresh.
    #[test]
    fn run_preset_reuses_the_pipeline_model_without_changing_the_panel() {
        let trained = Pipeline::new()
            .dataset(two_types())
            .epochs(20)
            .learning_rate(1e-2)
            .seed(7)
            .train()
            .unwrap();
        // Members that train all the epochs (the default shares them, so its members differ
        // from the pipeline's model: checked at the end).
        let preset = Preset::default()
            .with_preprocessing(trained.preprocessing())
            .with_training(trained.model().config().clone())
            .with_split_epochs(false)
            .with_seed(7);
        let reused = trained.run_preset(&preset).unwrap();
        assert_eq!(reused.description().first_model_reused, Some(true));
        let fresh = preset
            .run_prepared::<DefaultBackend>(
                &trained.input,
                &trained.split.train,
                trained.log1p,
                trained.model.device(),
            )
            .unwrap();
        assert_eq!(fresh.description().first_model_reused, Some(false));
        assert_eq!(reused.panel(), fresh.panel());

        // Another seed means another first model: trained, not reused.
        let other = trained.run_preset(&preset.clone().with_seed(8)).unwrap();
        assert_eq!(other.description().first_model_reused, Some(false));
        // So do members that train ⌈20 / 3⌉ = 7 epochs.
        let shared = trained
            .run_preset(&preset.clone().with_split_epochs(true))
            .unwrap();
        assert_eq!(shared.description().first_model_reused, Some(false));
        assert_eq!(shared.models()[0].config().epochs, 7);
    }
}
