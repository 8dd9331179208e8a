use burn::config::Config;

use crate::{ModelError, Result};

/// Which loss the classifier is trained with.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum LossKind {
    /// Binary cross-entropy on the softmax outputs against one-hot labels, averaged over classes
    /// and cells, with probabilities clipped to [1e-7, 1 − 1e-7] (what the published Keras code
    /// does).
    BinaryCrossEntropy,
    /// Categorical cross-entropy (log-softmax of the logits).
    CategoricalCrossEntropy,
}

/// Early stopping on the validation loss.
#[derive(Config, Debug, PartialEq)]
pub struct EarlyStoppingConfig {
    /// Epochs without improvement of the validation loss before training stops.
    #[config(default = 10)]
    pub patience: usize,
    /// Smallest decrease of the validation loss that counts as an improvement.
    #[config(default = 0.0)]
    pub min_delta: f64,
    /// Keep the weights of the epoch with the lowest validation loss.
    #[config(default = true)]
    pub restore_best: bool,
}

/// Hyperparameters of the classifier and its training (defaults: the paper's).
///
/// Only `epochs` and `learning_rate` usually need changing. Build with [`TrainingConfig::new`]
/// and Burn's `with_*` methods; [`TrainingConfig::check`] names the first bad value or gives the
/// [`ValidTrainingConfig`] that training takes.
///
/// ```
/// use kratos_model::TrainingConfig;
/// let config = TrainingConfig::new().with_epochs(30).with_learning_rate(1e-2).check()?;
/// assert_eq!(config.epochs, 30);
/// assert!(TrainingConfig::new().with_epochs(0).check().is_err());
/// # Ok::<(), kratos_model::ModelError>(())
/// ```
#[derive(Config, Debug, PartialEq)]
pub struct TrainingConfig {
    /// Passes over the training cells.
    #[config(default = 100)]
    pub epochs: usize,
    /// Adam learning rate.
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// Cells per mini-batch.
    #[config(default = 64)]
    pub batch_size: usize,
    /// Fraction of the training cells held out (stratified) to report validation loss and
    /// accuracy and to drive early stopping. 0 disables validation.
    #[config(default = 0.1)]
    pub validation_fraction: f64,
    /// Widths of the hidden layers; the last one is the embedding.
    #[config(default = "vec![256, 64]")]
    pub hidden_sizes: Vec<usize>,
    /// Training loss.
    #[config(default = "LossKind::BinaryCrossEntropy")]
    pub loss: LossKind,
    /// Seed of weight initialisation, validation split, batch order and noise.
    #[config(default = 7)]
    pub seed: u64,
    /// Early stopping on the validation loss (off by default, as published).
    pub early_stopping: Option<EarlyStoppingConfig>,
    /// Standard deviation of Gaussian noise added to the (min-max scaled) inputs of every
    /// training batch; 0 (the default) adds none.
    #[config(default = 0.0)]
    pub input_noise: f64,
    /// Dropout rate on the hidden activations during training; 0 (the default) disables it.
    #[config(default = 0.0)]
    pub dropout: f64,
    /// L1 penalty on the first layer's weights (added to the loss as `l1 · Σ|w|`), which pushes
    /// the network to rely on few genes; 0 (the default, as published) disables it.
    #[config(default = 0.0)]
    pub l1_first_layer: f64,
    /// At most about this many mini-batches: the epochs are cut to ⌈max_steps / batches per
    /// epoch⌉ when there are more, so that large data sets cost a bounded training (`None`, the
    /// default: all `epochs`).
    pub max_steps: Option<usize>,
}

/// A [`TrainingConfig`] whose values have been checked ([`TrainingConfig::check`]): what
/// training takes. Reads like the configuration it wraps.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidTrainingConfig(TrainingConfig);

impl ValidTrainingConfig {
    /// The checked configuration.
    pub fn inner(&self) -> &TrainingConfig {
        &self.0
    }

    /// The same configuration with another seed (every seed is valid).
    pub fn with_seed(&self, seed: u64) -> Self {
        ValidTrainingConfig(self.0.clone().with_seed(seed))
    }

    /// The same configuration with another number of epochs, at least 1.
    pub fn with_epochs(&self, epochs: usize) -> Self {
        ValidTrainingConfig(self.0.clone().with_epochs(epochs.max(1)))
    }
}

impl std::ops::Deref for ValidTrainingConfig {
    type Target = TrainingConfig;

    fn deref(&self) -> &TrainingConfig {
        &self.0
    }
}

impl TryFrom<TrainingConfig> for ValidTrainingConfig {
    type Error = ModelError;

    fn try_from(config: TrainingConfig) -> Result<Self> {
        config.check()
    }
}

impl TrainingConfig {
    /// Checks every value, naming the first bad one, and returns the checked configuration.
    pub fn check(&self) -> Result<ValidTrainingConfig> {
        if self.epochs == 0 {
            return Err(ModelError::invalid("epochs", "must be at least 1"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(ModelError::invalid(
                "learning_rate",
                format!("must be a positive number, got {}", self.learning_rate),
            ));
        }
        if self.batch_size == 0 {
            return Err(ModelError::invalid("batch_size", "must be at least 1"));
        }
        if !(0.0..0.9).contains(&self.validation_fraction) {
            return Err(ModelError::invalid(
                "validation_fraction",
                format!("must lie in [0, 0.9), got {}", self.validation_fraction),
            ));
        }
        if self.hidden_sizes.is_empty() || self.hidden_sizes.contains(&0) {
            return Err(ModelError::invalid(
                "hidden_sizes",
                format!(
                    "needs at least one layer, each at least 1 wide, got {:?}",
                    self.hidden_sizes
                ),
            ));
        }
        if !(self.input_noise.is_finite() && self.input_noise >= 0.0) {
            return Err(ModelError::invalid(
                "input_noise",
                format!("must be a non-negative number, got {}", self.input_noise),
            ));
        }
        if !(self.l1_first_layer.is_finite() && self.l1_first_layer >= 0.0) {
            return Err(ModelError::invalid(
                "l1_first_layer",
                format!("must be a non-negative number, got {}", self.l1_first_layer),
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(ModelError::invalid(
                "dropout",
                format!("must lie in [0, 1), got {}", self.dropout),
            ));
        }
        if self.max_steps == Some(0) {
            return Err(ModelError::invalid(
                "max_steps",
                "must be at least 1 (or unset: every epoch)",
            ));
        }
        if let Some(es) = &self.early_stopping {
            if es.patience == 0 {
                return Err(ModelError::invalid(
                    "early_stopping.patience",
                    "must be at least 1",
                ));
            }
            if self.validation_fraction == 0.0 {
                return Err(ModelError::invalid(
                    "early_stopping",
                    "needs a validation split (validation_fraction > 0)",
                ));
            }
        }
        Ok(ValidTrainingConfig(self.clone()))
    }

    /// The epochs training runs on `cells` training cells: `epochs`, cut by `max_steps`
    /// (at least one).
    ///
    /// ```
    /// use kratos_model::TrainingConfig;
    /// let config = TrainingConfig::new().with_max_steps(Some(3000));
    /// assert_eq!(config.epochs_for(1_661), 100); // 26 batches an epoch
    /// assert_eq!(config.epochs_for(63_000), 4); // 985 batches an epoch
    /// ```
    pub fn epochs_for(&self, cells: usize) -> usize {
        let batches = cells.div_ceil(self.batch_size.max(1)).max(1);
        match self.max_steps {
            Some(steps) => self.epochs.min(steps.div_ceil(batches)).max(1),
            None => self.epochs,
        }
    }

    /// The width of the embedding (the last hidden layer).
    pub fn embedding_size(&self) -> usize {
        *self.hidden_sizes.last().unwrap_or(&0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_papers() {
        let c = TrainingConfig::new();
        assert_eq!(
            (c.epochs, c.batch_size, c.hidden_sizes.clone()),
            (100, 64, vec![256, 64])
        );
        assert_eq!(c.learning_rate, 1e-3);
        assert_eq!(c.validation_fraction, 0.1);
        assert_eq!(c.loss, LossKind::BinaryCrossEntropy);
        assert!(c.early_stopping.is_none());
        c.check().unwrap();
    }

    #[test]
    fn bad_values_are_named() {
        let e = TrainingConfig::new()
            .with_learning_rate(-1.0)
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("learning_rate"), "{e}");
        let e = TrainingConfig::new()
            .with_hidden_sizes(vec![])
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("hidden_sizes"), "{e}");
        let e = TrainingConfig::new()
            .with_validation_fraction(0.0)
            .with_early_stopping(Some(EarlyStoppingConfig::new()))
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("early_stopping"), "{e}");
    }
}
