use kratos_data::{Dataset, TrainTestSplit, stratified_split};
use kratos_explain::{Explainer, GenePanel, PanelOptions, explain_panel};
use kratos_model::{
    AutodiffBackend, DefaultBackend, EpochRecord, TrainedModel, TrainingConfig, fit_with_progress,
};

use crate::{Error, Result};

type ProgressFn<'a> = Box<dyn FnMut(&EpochRecord) + 'a>;

/// Builder of a kratos run: data, training parameters, split; [`Pipeline::train`] gives a
/// [`TrainedPipeline`] that explains, embeds and evaluates.
///
/// Defaults are the paper's: 70/30 stratified split, 100 epochs, learning rate 1e-3, seed 7.
pub struct Pipeline<'a, B: AutodiffBackend = DefaultBackend> {
    dataset: Option<Dataset>,
    config: TrainingConfig,
    test_fraction: f64,
    device: B::Device,
    progress: Option<ProgressFn<'a>>,
}

impl Default for Pipeline<'_, DefaultBackend> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Pipeline<'a, DefaultBackend> {
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

    /// Seed of the split, the weights and the batch order (default 7).
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Fraction of cells held out for testing (default 0.3).
    pub fn test_fraction(mut self, test_fraction: f64) -> Self {
        self.test_fraction = test_fraction;
        self
    }

    /// Replaces the whole training configuration (keeps its seed).
    pub fn training_config(mut self, config: TrainingConfig) -> Self {
        self.config = config;
        self
    }

    /// Called after every training epoch (e.g. to draw a progress bar).
    pub fn on_epoch(mut self, progress: impl FnMut(&EpochRecord) + 'a) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// Splits the data (stratified, seeded), trains the classifier on the training cells and
    /// returns the trained pipeline.
    pub fn train(mut self) -> Result<TrainedPipeline<B>> {
        let dataset = self.dataset.take().ok_or_else(|| {
            Error::Pipeline("no data set: call .dataset(...) before .train()".into())
        })?;
        let labels = dataset.require_labels()?;
        let split = stratified_split(labels, self.test_fraction, self.config.seed)?;
        let train = dataset.select_cells(&split.train);
        let mut progress = self.progress.take();
        let model = fit_with_progress::<B, _>(&train, &self.config, &self.device, |r| {
            if let Some(p) = progress.as_mut() {
                p(r)
            }
        })?;
        let test = dataset.select_cells(&split.test);
        let train_accuracy = model.accuracy(&train)?;
        let test_accuracy = model.accuracy(&test)?;
        Ok(TrainedPipeline {
            dataset,
            split,
            model,
            train_accuracy,
            test_accuracy,
            panel_options: PanelOptions {
                seed: self.config.seed,
                ..PanelOptions::default()
            },
        })
    }
}

/// A trained classifier with its data and split: explains, embeds and reports accuracy.
pub struct TrainedPipeline<B: AutodiffBackend = DefaultBackend> {
    dataset: Dataset,
    split: TrainTestSplit,
    model: TrainedModel<B>,
    train_accuracy: f64,
    test_accuracy: f64,
    panel_options: PanelOptions,
}

impl<B: AutodiffBackend> TrainedPipeline<B> {
    /// The trained model.
    pub fn model(&self) -> &TrainedModel<B> {
        &self.model
    }

    /// All cells (training and test).
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// The train/test split (cell indices into [`TrainedPipeline::dataset`]).
    pub fn split(&self) -> &TrainTestSplit {
        &self.split
    }

    /// Accuracy on the training cells.
    pub fn train_accuracy(&self) -> f64 {
        self.train_accuracy
    }

    /// Accuracy on the held-out test cells.
    pub fn test_accuracy(&self) -> f64 {
        self.test_accuracy
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
            &self.dataset,
            &self.panel_options,
        )?)
    }

    /// One panel per explainer.
    pub fn explain_with(&self, explainers: &[&dyn Explainer<B>]) -> Result<Vec<GenePanel>> {
        explainers
            .iter()
            .map(|e| {
                Ok(explain_panel(
                    *e,
                    &self.model,
                    &self.dataset,
                    &self.panel_options,
                )?)
            })
            .collect()
    }

    /// The 64-d embedding (row-major `cells x embedding size`) of all cells.
    pub fn embedding(&self) -> Result<Vec<f32>> {
        Ok(self.model.embedding(&self.dataset)?)
    }
}
