use std::fs;
use std::path::{Path, PathBuf};

use burn::module::{AutodiffModule, Module};
use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};
use kratos_data::{Dataset, MinMaxScaler};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::train::EpochRecord;
use crate::{Classifier, ModelError, Result, TrainingConfig, tensor_values};

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
    inference: Classifier<B::InnerBackend>,
    scaler: MinMaxScaler,
    class_names: Vec<String>,
    config: TrainingConfig,
    history: TrainingHistory,
    device: B::Device,
}

/// Rows per forward pass when applying a model (bounds memory on large data sets).
const INFERENCE_BATCH: usize = 4096;

impl<B: AutodiffBackend> TrainedModel<B> {
    pub(crate) fn new(
        network: Classifier<B>,
        scaler: MinMaxScaler,
        class_names: Vec<String>,
        config: TrainingConfig,
        history: TrainingHistory,
        device: B::Device,
    ) -> Self {
        let inference = network.valid();
        TrainedModel {
            network,
            inference,
            scaler,
            class_names,
            config,
            history,
            device,
        }
    }

    /// The network on the autodiff backend (what explainers differentiate).
    pub fn network(&self) -> &Classifier<B> {
        &self.network
    }

    /// The network on the inner backend (no gradient tracking).
    pub fn inference_network(&self) -> &Classifier<B::InnerBackend> {
        &self.inference
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
        let mut values = data.values().to_vec();
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

    /// `f` applied to the cells `cells` of `data` in batches, each batch gathered and scaled
    /// when it is used (no scaled copy of the whole matrix); `width` values per cell.
    fn map_cells(
        &self,
        data: &Dataset,
        cells: &[usize],
        width: usize,
        f: impl Fn(
            &Classifier<B::InnerBackend>,
            Tensor<B::InnerBackend, 2>,
        ) -> Tensor<B::InnerBackend, 2>,
    ) -> Result<Vec<f32>> {
        self.check_genes(data)?;
        let n = data.n_cells();
        if let Some(&bad) = cells.iter().find(|&&c| c >= n) {
            return Err(ModelError::invalid(
                "cells",
                format!("cell index {bad} is out of range for {n} cells"),
            ));
        }
        let gather = |rows: std::ops::Range<usize>| {
            let mut values = Vec::with_capacity(rows.len() * data.n_genes());
            for &c in &cells[rows] {
                values.extend_from_slice(data.row(c));
            }
            self.scaler.transform_in_place(&mut values)?;
            Ok(values)
        };
        self.map_batches(cells.len(), width, gather, f)
    }

    /// `f` applied to `n` cells in batches of [`INFERENCE_BATCH`]; `batch(range)` gives the
    /// scaled values (row-major) of the cells in `range`.
    fn map_batches(
        &self,
        n: usize,
        width: usize,
        batch: impl Fn(std::ops::Range<usize>) -> Result<Vec<f32>>,
        f: impl Fn(
            &Classifier<B::InnerBackend>,
            Tensor<B::InnerBackend, 2>,
        ) -> Tensor<B::InnerBackend, 2>,
    ) -> Result<Vec<f32>> {
        let g = self.scaler.n_genes();
        let mut out = Vec::with_capacity(n * width);
        for start in (0..n).step_by(INFERENCE_BATCH) {
            let end = (start + INFERENCE_BATCH).min(n);
            let x = Tensor::from_data(
                TensorData::new(batch(start..end)?, [end - start, g]),
                &self.device,
            );
            out.extend(tensor_values(f(&self.inference, x)));
        }
        Ok(out)
    }

    /// `f` applied to already scaled cells (row-major), in batches.
    fn map_scaled(
        &self,
        scaled: &[f32],
        width: usize,
        f: impl Fn(
            &Classifier<B::InnerBackend>,
            Tensor<B::InnerBackend, 2>,
        ) -> Tensor<B::InnerBackend, 2>,
    ) -> Vec<f32> {
        let g = self.scaler.n_genes().max(1);
        let slice =
            |rows: std::ops::Range<usize>| Ok(scaled[rows.start * g..rows.end * g].to_vec());
        // The slicing closure cannot fail, so neither can this.
        self.map_batches(scaled.len() / g, width, slice, f)
            .unwrap_or_default()
    }

    /// Class probabilities of already scaled cells (row-major, `n x n_classes`).
    pub fn probabilities_of_scaled(&self, scaled: &[f32]) -> Vec<f32> {
        self.map_scaled(scaled, self.n_classes(), |net, x| net.probabilities(x))
    }

    /// Class probabilities (`n_cells x n_classes`, row-major) of the cells of `data`.
    pub fn probabilities(&self, data: &Dataset) -> Result<Vec<f32>> {
        let all: Vec<usize> = (0..data.n_cells()).collect();
        self.map_cells(data, &all, self.n_classes(), |net, x| net.probabilities(x))
    }

    /// The most probable class of every cell of `data` (ties: lowest class index).
    pub fn predict(&self, data: &Dataset) -> Result<Vec<usize>> {
        let all: Vec<usize> = (0..data.n_cells()).collect();
        self.predict_cells(data, &all)
    }

    /// The most probable class of the cells `cells` (row indices) of `data`.
    fn predict_cells(&self, data: &Dataset, cells: &[usize]) -> Result<Vec<usize>> {
        let k = self.n_classes();
        Ok(self
            .map_cells(data, cells, k, |net, x| net.probabilities(x))?
            .chunks_exact(k)
            .map(|p| {
                p.iter()
                    .enumerate()
                    .fold((0, f32::NEG_INFINITY), |best, (j, &v)| {
                        if v > best.1 { (j, v) } else { best }
                    })
                    .0
            })
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
        self.map_scaled(scaled, self.embedding_size(), |net, x| net.embed(x))
    }

    /// The embedding (`n_cells x embedding_size`, row-major: the activation of the last hidden
    /// layer) of the cells of `data`.
    pub fn embedding(&self, data: &Dataset) -> Result<Vec<f32>> {
        let all: Vec<usize> = (0..data.n_cells()).collect();
        self.map_cells(data, &all, self.embedding_size(), |net, x| net.embed(x))
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
