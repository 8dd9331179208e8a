use std::fs;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use burn::module::Module;
use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder};
use burn::tensor::backend::AutodiffBackend;
use kratos_data::{Dataset, MinMaxScaler};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::host::{HostNetwork, HostPass, Rows};
use crate::train::EpochRecord;
use crate::{Classifier, ModelError, Result, TrainingConfig};

/// What happened during training: one record per epoch run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingHistory {
    /// One record per epoch that ran (fewer than configured if early stopping stopped it).
    pub epochs: Vec<EpochRecord>,
    /// With early stopping, the epoch whose weights were kept.
    pub restored_epoch: Option<usize>,
    /// Cells used for the weight updates.
    pub train_cells: usize,
    /// Cells held out for validation.
    pub validation_cells: usize,
}

/// The file of a saved model that holds everything but the weights.
const METADATA_FILE: &str = "kratos-model.json";
/// The file (without extension) of a saved model that holds the Burn record of the weights.
const WEIGHTS_FILE: &str = "weights";
const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Metadata {
    format_version: u32,
    kratos_version: String,
    n_genes: usize,
    class_names: Vec<String>,
    scaler: MinMaxScaler,
    config: TrainingConfig,
    history: TrainingHistory,
}

/// A trained classifier with everything needed to apply it to new cells: the fitted min-max
/// scaler (and so the gene names and order), the class names, the training configuration and
/// history.
///
/// All methods that take a [`Dataset`] expect raw (unscaled) values of the model's genes in the
/// model's order, and scale them with the fitted scaler.
#[derive(Debug, Clone)]
pub struct TrainedModel<B: AutodiffBackend> {
    network: Classifier<B>,
    /// The same weights on the host: every pass outside training.
    host: Arc<HostNetwork>,
    scaler: MinMaxScaler,
    class_names: Vec<String>,
    config: TrainingConfig,
    history: TrainingHistory,
    device: B::Device,
}

/// Most rows per forward pass when applying a model.
const INFERENCE_BATCH: usize = 4096;

/// Most values (cells x genes) in a batch of cells gathered from a data set, so that with
/// thousands of genes a batch stays at 16 MB (a cell's result never depends on its batch).
pub const MAX_BATCH_VALUES: usize = 1 << 22;

/// Cells per batch for data with `genes` genes: [`INFERENCE_BATCH`], or fewer so that a batch
/// holds at most [`MAX_BATCH_VALUES`] values.
fn inference_rows(genes: usize) -> usize {
    INFERENCE_BATCH.min(MAX_BATCH_VALUES / genes.max(1)).max(1)
}

/// The index of the largest probability (the first on ties).
fn most_probable(p: &[f32]) -> usize {
    p.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (j, &v)| {
            if v > best.1 { (j, v) } else { best }
        })
        .0
}

impl<B: AutodiffBackend> TrainedModel<B> {
    pub(crate) fn new(
        network: Classifier<B>,
        scaler: MinMaxScaler,
        class_names: Vec<String>,
        config: TrainingConfig,
        history: TrainingHistory,
        device: B::Device,
    ) -> Self {
        let host = Arc::new(HostNetwork::new(&network));
        TrainedModel {
            network,
            host,
            scaler,
            class_names,
            config,
            history,
            device,
        }
    }

    /// The Burn network on the autodiff backend, e.g. to differentiate something of your own
    /// with Burn (for input gradients of the class probabilities see
    /// [`TrainedModel::input_gradient`]).
    pub fn network(&self) -> &Classifier<B> {
        &self.network
    }

    /// The network as plain weights: the passes of prediction, embedding and the explainers.
    #[doc(hidden)]
    pub fn host_network(&self) -> &HostNetwork {
        &self.host
    }

    /// The device the model lives on.
    pub fn device(&self) -> &B::Device {
        &self.device
    }

    /// The min-max scaler fitted on the training cells.
    pub fn scaler(&self) -> &MinMaxScaler {
        &self.scaler
    }

    /// The genes the model was trained on, in input order.
    pub fn gene_names(&self) -> &[String] {
        self.scaler.gene_names()
    }

    /// The class names; output `k` is class `class_names()[k]`.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.class_names.len()
    }

    /// Width of the embedding.
    pub fn embedding_size(&self) -> usize {
        self.network.embedding_size()
    }

    /// The configuration the model was trained with.
    pub fn config(&self) -> &TrainingConfig {
        &self.config
    }

    /// Per-epoch losses and accuracies.
    pub fn history(&self) -> &TrainingHistory {
        &self.history
    }

    /// The scaled values (row-major) of `data`, after checking its genes are the model's.
    pub fn scaled_values(&self, data: &Dataset) -> Result<Vec<f32>> {
        self.check_genes(data)?;
        let mut values = data.to_dense_values();
        self.scaler.transform_in_place(&mut values)?;
        Ok(values)
    }

    /// Errors unless `data` has the model's genes in the model's order.
    fn check_genes(&self, data: &Dataset) -> Result<()> {
        let expected = self.gene_names();
        if data.gene_names() != expected {
            let detail = data
                .gene_names()
                .iter()
                .zip(expected)
                .position(|(a, b)| a != b)
                .map(|j| {
                    format!(
                        " (column {}: `{}` where the model has `{}`)",
                        j + 1,
                        data.gene_names()[j],
                        expected[j]
                    )
                })
                .unwrap_or_default();
            return Err(ModelError::GeneMismatch {
                expected: expected.len(),
                found: data.n_genes(),
                detail,
            });
        }
        Ok(())
    }

    /// `f(pass)` for the cells `cells` of `data` in batches of [`inference_rows`], each batch
    /// gathered and scaled when it is used (no scaled copy of the whole matrix); `f` appends
    /// what it reads from the pass.
    fn map_cells(
        &self,
        data: &Dataset,
        cells: &[usize],
        mut f: impl FnMut(&HostPass, &mut Vec<f32>),
    ) -> Result<Vec<f32>> {
        self.check_genes(data)?;
        let n = data.n_cells();
        if let Some(&bad) = cells.iter().find(|&&c| c >= n) {
            return Err(ModelError::invalid(
                "cells",
                format!("cell index {bad} is out of range for {n} cells"),
            ));
        }
        let g = data.n_genes();
        let mut out = Vec::new();
        let mut pass = HostPass::default();
        let mut values = Vec::new();
        for batch in cells.chunks(inference_rows(g)) {
            values.clear();
            data.gather_rows(batch, &mut values);
            self.scaler.transform_in_place(&mut values)?;
            self.host.forward(Rows::dense(&values, g), &mut pass);
            f(&pass, &mut out);
        }
        Ok(out)
    }

    /// `f(pass)` for already scaled cells (row-major), in batches.
    fn map_scaled(&self, scaled: &[f32], mut f: impl FnMut(&HostPass, &mut Vec<f32>)) -> Vec<f32> {
        let g = self.scaler.n_genes().max(1);
        let mut out = Vec::new();
        let mut pass = HostPass::default();
        for batch in scaled.chunks(inference_rows(g) * g) {
            self.host.forward(Rows::dense(batch, g), &mut pass);
            f(&pass, &mut out);
        }
        out
    }

    /// Class probabilities of already scaled cells (row-major, `n x n_classes`).
    pub fn probabilities_of_scaled(&self, scaled: &[f32]) -> Vec<f32> {
        self.map_scaled(scaled, |p, out| out.extend_from_slice(p.probabilities()))
    }

    /// Class probabilities (`n_cells x n_classes`, row-major) of the cells of `data`.
    pub fn probabilities(&self, data: &Dataset) -> Result<Vec<f32>> {
        let all: Vec<usize> = (0..data.n_cells()).collect();
        self.map_cells(data, &all, |p, out| {
            out.extend_from_slice(p.probabilities())
        })
    }

    /// The most probable class of every cell of `data` (ties: lowest class index).
    pub fn predict(&self, data: &Dataset) -> Result<Vec<usize>> {
        let all: Vec<usize> = (0..data.n_cells()).collect();
        self.predict_cells(data, &all)
    }

    /// The most probable class of the cells `cells` (row indices) of `data`, without copying
    /// them out (ties: lowest class index).
    pub fn predict_cells(&self, data: &Dataset, cells: &[usize]) -> Result<Vec<usize>> {
        let k = self.n_classes();
        Ok(self
            .map_cells(data, cells, |p, out| {
                out.extend_from_slice(p.probabilities())
            })?
            .chunks_exact(k)
            .map(most_probable)
            .collect())
    }

    /// Fraction of the cells of a labelled `data` set that the model classifies correctly.
    pub fn accuracy(&self, data: &Dataset) -> Result<f64> {
        let all: Vec<usize> = (0..data.n_cells()).collect();
        self.accuracy_on_cells(data, &all)
    }

    /// Fraction of the cells `cells` (row indices) of a labelled `data` set that the model
    /// classifies correctly: `accuracy(&data.select_cells(cells))` without the copy.
    pub fn accuracy_on_cells(&self, data: &Dataset, cells: &[usize]) -> Result<f64> {
        let labels = data.require_labels()?;
        let predicted = self.predict_cells(data, cells)?;
        // Labels are matched by class name, so a test set may number its classes differently.
        let correct = predicted
            .iter()
            .zip(cells)
            .filter(|&(&p, &i)| self.class_names[p] == labels.name_of(i))
            .count();
        Ok(correct as f64 / predicted.len().max(1) as f64)
    }

    /// The embedding (`n_cells x embedding_size`, row-major) of already scaled cells.
    pub fn embedding_of_scaled(&self, scaled: &[f32]) -> Vec<f32> {
        self.map_scaled(scaled, |p, out| out.extend_from_slice(p.embedding()))
    }

    /// The embedding (`n_cells x embedding_size`, row-major: the activation of the last hidden
    /// layer) of the cells of `data`.
    pub fn embedding(&self, data: &Dataset) -> Result<Vec<f32>> {
        let all: Vec<usize> = (0..data.n_cells()).collect();
        self.map_cells(data, &all, |p, out| out.extend_from_slice(p.embedding()))
    }

    /// The gradient of Σᵢ ⟨upstreamᵢ, a(xᵢ)⟩ with respect to the input, for a batch of cells
    /// already min-max scaled ([`TrainedModel::scaled_values`]): `scaled` holds `n_cells x
    /// n_genes` values row-major, `upstream` `n_cells x n_classes`, and the result is
    /// `n_cells x n_genes`. With a one-hot `upstream` row this is ∂a_c(x)/∂x, the gradient of
    /// the class probability — what a custom [`Explainer`](https://docs.rs/kratos-explain)
    /// builds on. One forward and one backward pass over the batch, on the host.
    ///
    /// ```
    /// use kratos_data::{Dataset, Labels};
    /// use kratos_model::{DefaultBackend, TrainingConfig, fit};
    /// let values: Vec<f32> = (0..40).flat_map(|i| [(i % 2) as f32 * 3.0, ((i + 1) % 2) as f32]).collect();
    /// let names: Vec<&str> = (0..40).map(|i| if i % 2 == 0 { "A" } else { "B" }).collect();
    /// let data = Dataset::from_matrix(values, 40, 2)?.with_labels(Labels::from_names(&names)?)?;
    /// let config = TrainingConfig::new().with_epochs(20).with_hidden_sizes(vec![8, 4]).check()?;
    /// let model = fit::<DefaultBackend>(&data, &config, &Default::default())?;
    /// let x = model.scaled_values(&data.select_cells(&[0]))?;
    /// // ∂a_A/∂x of the first cell: one value per gene.
    /// let gradient = model.input_gradient(&x, 1, &[1.0, 0.0])?;
    /// assert_eq!(gradient.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn input_gradient(
        &self,
        scaled: &[f32],
        n_cells: usize,
        upstream: &[f32],
    ) -> Result<Vec<f32>> {
        let (g, k) = (self.scaler.n_genes(), self.n_classes());
        if scaled.len() != n_cells * g || upstream.len() != n_cells * k {
            return Err(ModelError::invalid(
                "input_gradient",
                format!(
                    "{} values and {} upstream values for {n_cells} cells of {g} genes and {k} \
                     classes",
                    scaled.len(),
                    upstream.len()
                ),
            ));
        }
        let mut pass = HostPass::default();
        self.host.forward(Rows::dense(scaled, g), &mut pass);
        let rows: Vec<usize> = (0..n_cells).collect();
        let (mut first, mut gradient) = (Vec::new(), Vec::new());
        self.host
            .first_layer_gradient(&mut pass, &rows, upstream, &mut first);
        self.host.input_gradient(&first, n_cells, &mut gradient);
        Ok(gradient)
    }

    /// Saves the model into folder `dir` (created if missing): `kratos-model.json` (scaler,
    /// classes, configuration, history) and `weights.mpk` (the Burn record, full precision).
    /// Each file is written under a temporary name and renamed when complete.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        let io = |path: &Path, e: &dyn std::fmt::Display| ModelError::Io {
            path: path.to_path_buf(),
            problem: e.to_string(),
        };
        fs::create_dir_all(dir).map_err(|e| io(dir, &e))?;
        let metadata = Metadata {
            format_version: FORMAT_VERSION,
            kratos_version: env!("CARGO_PKG_VERSION").to_string(),
            n_genes: self.scaler.n_genes(),
            class_names: self.class_names.clone(),
            scaler: self.scaler.clone(),
            config: self.config.clone(),
            history: self.history.clone(),
        };
        let json = serde_json::to_vec_pretty(&metadata).map_err(|e| io(dir, &e))?;
        let final_json = dir.join(METADATA_FILE);
        let tmp_json = dir.join(format!("{METADATA_FILE}.partial"));
        fs::write(&tmp_json, json).map_err(|e| io(&tmp_json, &e))?;

        let recorder = NamedMpkFileRecorder::<FullPrecisionSettings>::new();
        let tmp_weights: PathBuf = dir.join(format!("{WEIGHTS_FILE}-partial"));
        self.network
            .clone()
            .save_file(&tmp_weights, &recorder)
            .map_err(|e| io(&tmp_weights, &e))?;
        let from = tmp_weights.with_extension("mpk");
        let to = dir.join(format!("{WEIGHTS_FILE}.mpk"));
        fs::rename(&from, &to).map_err(|e| io(&to, &e))?;
        fs::rename(&tmp_json, &final_json).map_err(|e| io(&final_json, &e))?;
        Ok(())
    }

    /// Loads a model saved with [`TrainedModel::save`] onto `device`.
    pub fn load(dir: impl AsRef<Path>, device: &B::Device) -> Result<Self> {
        let dir = dir.as_ref();
        let meta_path = dir.join(METADATA_FILE);
        let bytes = fs::read(&meta_path).map_err(|e| ModelError::Io {
            path: meta_path.clone(),
            problem: format!(
                "{e} (is this a folder written by `kratos run` or TrainedModel::save?)"
            ),
        })?;
        let metadata: Metadata = serde_json::from_slice(&bytes).map_err(|e| ModelError::Io {
            path: meta_path.clone(),
            problem: format!("not a kratos model description: {e}"),
        })?;
        if metadata.format_version != FORMAT_VERSION {
            return Err(ModelError::Io {
                path: meta_path,
                problem: format!(
                    "model format version {} is not supported (this kratos reads version {FORMAT_VERSION})",
                    metadata.format_version
                ),
            });
        }
        // Shapes come from the metadata; the values are replaced by the record.
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let skeleton = Classifier::<B>::init(
            metadata.n_genes,
            &metadata.config.hidden_sizes,
            metadata.class_names.len(),
            &mut rng,
            device,
        );
        let weights = dir.join(WEIGHTS_FILE);
        let recorder = NamedMpkFileRecorder::<FullPrecisionSettings>::new();
        let network = skeleton
            .load_file(&weights, &recorder, device)
            .map_err(|e| ModelError::Io {
                path: weights.with_extension("mpk"),
                problem: format!("cannot load the weights: {e}"),
            })?;
        Ok(TrainedModel::new(
            network,
            metadata.scaler,
            metadata.class_names,
            metadata.config,
            metadata.history,
            device.clone(),
        ))
    }
}
