use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Int, Tensor, TensorData, backend::Backend};
use kratos_data::{Dataset, Labels, MinMaxScaler};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::adam::FusedAdam;
use crate::host::{BatchInput, FirstLayer};
use crate::network::tensor_values;
use crate::trained::{TrainedModel, TrainingHistory};
use crate::{Classifier, LossKind, ModelError, Result, ValidTrainingConfig};

/// Losses and accuracies of one training epoch, handed to the progress callback and kept in the
/// [`TrainingHistory`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (weighted by batch size).
    pub train_loss: f64,
    /// Training accuracy over the epoch's batches (before each batch's update, as Keras reports).
    pub train_accuracy: f64,
    /// Loss on the validation cells after the epoch, if there is a validation split.
    pub validation_loss: Option<f64>,
    /// Accuracy on the validation cells after the epoch, if there is a validation split.
    pub validation_accuracy: Option<f64>,
}

/// Trains a classifier on all cells of `data` (which must be labelled); see
/// [`fit_with_progress`].
pub fn fit<B: AutodiffBackend>(
    data: &Dataset,
    config: &ValidTrainingConfig,
    device: &B::Device,
) -> Result<TrainedModel<B>> {
    fit_with_progress(data, config, device, |_| {})
}

/// Per class, the first `round(fraction · n)` of the shuffled cells (at most `n − 1`) go to
/// validation; classes with one cell keep it for training.
fn validation_split(
    labels: &Labels,
    fraction: f64,
    rng: &mut ChaCha8Rng,
) -> (Vec<usize>, Vec<usize>) {
    if fraction == 0.0 {
        return ((0..labels.len()).collect(), Vec::new());
    }
    let mut members = vec![Vec::new(); labels.n_classes()];
    for (i, &k) in labels.assignments().iter().enumerate() {
        members[k].push(i);
    }
    let (mut train, mut valid) = (Vec::new(), Vec::new());
    for m in &mut members {
        m.shuffle(rng);
        let n_valid = ((m.len() as f64 * fraction).round() as usize).min(m.len().saturating_sub(1));
        valid.extend_from_slice(&m[..n_valid]);
        train.extend_from_slice(&m[n_valid..]);
    }
    train.sort_unstable();
    valid.sort_unstable();
    (train, valid)
}

fn one_hot<B: Backend>(classes: &[usize], n_classes: usize, device: &B::Device) -> Tensor<B, 2> {
    let mut y = vec![0f32; classes.len() * n_classes];
    for (i, &k) in classes.iter().enumerate() {
        y[i * n_classes + k] = 1.0;
    }
    Tensor::from_data(TensorData::new(y, [classes.len(), n_classes]), device)
}

/// The training loss of a batch (mean over cells), as a 1-element tensor.
pub(crate) fn loss_of<B: Backend>(
    logits: Tensor<B, 2>,
    targets: Tensor<B, 2>,
    kind: LossKind,
) -> Tensor<B, 1> {
    match kind {
        LossKind::BinaryCrossEntropy => {
            // Keras: probabilities clipped to [eps, 1 - eps], eps = 1e-7, mean over classes
            // and cells.
            let p = softmax(logits, 1).clamp(1e-7, 1.0 - 1e-7);
            let one_minus_p = p.clone().neg().add_scalar(1.0);
            let one_minus_y = targets.clone().neg().add_scalar(1.0);
            (targets * p.log() + one_minus_y * one_minus_p.log())
                .mean()
                .neg()
        }
        LossKind::CategoricalCrossEntropy => {
            let n = targets.dims()[0] as f64;
            (targets * log_softmax(logits, 1)).sum().div_scalar(n).neg()
        }
    }
}

fn count_correct<B: Backend>(logits: Tensor<B, 2>, classes: &[usize]) -> usize {
    let predicted: Tensor<B, 2, Int> = logits.argmax(1);
    predicted
        .into_data()
        .iter::<i64>()
        .zip(classes)
        .filter(|(p, k)| *p as usize == **k)
        .count()
}

/// Loss and accuracy of a network on cells given as scaled row-major values, in batches.
pub(crate) fn evaluate<B: Backend>(
    network: &Classifier<B>,
    values: &[f32],
    n_genes: usize,
    classes: &[usize],
    kind: LossKind,
    device: &B::Device,
) -> (f64, f64) {
    const BATCH: usize = 2048;
    let n = classes.len();
    let (mut loss, mut correct) = (0.0, 0usize);
    for start in (0..n).step_by(BATCH) {
        let end = (start + BATCH).min(n);
        let x = Tensor::<B, 2>::from_data(
            TensorData::new(
                values[start * n_genes..end * n_genes].to_vec(),
                [end - start, n_genes],
            ),
            device,
        );
        let logits = network.logits(x);
        let y = one_hot::<B>(&classes[start..end], network.n_classes(), device);
        loss += loss_of(logits.clone(), y, kind).into_scalar().elem::<f64>() * (end - start) as f64;
        correct += count_correct(logits, &classes[start..end]);
    }
    (loss / n as f64, correct as f64 / n as f64)
}

use burn::tensor::ElementConversion as _;

/// Trains a classifier on all cells of `data` (which must be labelled), calling `progress` after
/// every epoch. Nothing is printed.
///
/// The min-max scaler is fitted on `data` (pass the training split only), a stratified
/// `validation_fraction` of it is held out for validation, and the network is trained with
/// Adam on mini-batches in a seeded order.
pub fn fit_with_progress<B: AutodiffBackend, F: FnMut(&EpochRecord)>(
    data: &Dataset,
    config: &ValidTrainingConfig,
    device: &B::Device,
    progress: F,
) -> Result<TrainedModel<B>> {
    let all: Vec<usize> = (0..data.n_cells()).collect();
    fit_cells_with_progress(data, &all, config, device, progress)
}

/// Trains a classifier on the cells `cells` of `data` (row indices, e.g. a training split),
/// exactly as [`fit_with_progress`] on `data.select_cells(cells)` but without copying them:
/// the scaler is fitted on those cells and every mini-batch is gathered and scaled from
/// `data` when it is used, so training holds no second copy of the matrix.
///
/// ```
/// use kratos_data::{Dataset, Labels};
/// use kratos_model::{TrainingConfig, fit_cells_with_progress, burn::backend::{Autodiff, NdArray}};
/// let values: Vec<f32> = (0..40).map(|i| if (i / 2) % 2 == 0 { i as f32 } else { 0.0 }).collect();
/// let names: Vec<&str> = (0..20).map(|i| if i % 2 == 0 { "a" } else { "b" }).collect();
/// let data = Dataset::from_matrix(values, 20, 2)?.with_labels(Labels::from_names(&names)?)?;
/// let training: Vec<usize> = (0..14).collect();
/// let config = TrainingConfig::new().with_epochs(2).with_hidden_sizes(vec![8, 4]).check()?;
/// let model = fit_cells_with_progress::<Autodiff<NdArray>, _>(
///     &data, &training, &config, &Default::default(), |_| {})?;
/// assert_eq!(model.history().train_cells + model.history().validation_cells, 14);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fit_cells_with_progress<B: AutodiffBackend, F: FnMut(&EpochRecord)>(
    data: &Dataset,
    cells: &[usize],
    config: &ValidTrainingConfig,
    device: &B::Device,
    mut progress: F,
) -> Result<TrainedModel<B>> {
    let all_labels = data.require_labels()?;
    let (n_all, n_genes) = data.shape();
    if let Some(&bad) = cells.iter().find(|&&c| c >= n_all) {
        return Err(ModelError::invalid(
            "cells",
            format!("cell index {bad} is out of range for {n_all} cells"),
        ));
    }
    let labels = &all_labels.select(cells);
    let n_cells = cells.len();
    if n_genes == 0 {
        return Err(ModelError::invalid("data", "the data set has no genes"));
    }
    let present = labels.class_counts().iter().filter(|&&c| c > 0).count();
    if present < 2 {
        return Err(ModelError::invalid(
            "data",
            format!(
                "training needs cells of at least two classes, found {present} among {n_cells} cells"
            ),
        ));
    }
    let n_classes = labels.n_classes();
    let scaler = MinMaxScaler::fit_cells(data, cells)?;
    // Scaled rows of the training cells, gathered on demand (`local` indexes `cells`).
    let scaled_rows = |local: &[usize]| -> Result<Vec<f32>> {
        let rows: Vec<usize> = local.iter().map(|&i| cells[i]).collect();
        let mut out = Vec::new();
        data.gather_rows(&rows, &mut out);
        scaler.transform_in_place(&mut out)?;
        Ok(out)
    };

    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let network = Classifier::<B>::init(n_genes, &config.hidden_sizes, n_classes, &mut rng, device);
    let (train_cells, valid_cells) = validation_split(labels, config.validation_fraction, &mut rng);
    let classes = labels.assignments();
    let valid_x = scaled_rows(&valid_cells)?;
    let valid_y: Vec<usize> = valid_cells.iter().map(|&c| classes[c]).collect();

    let mut optimizer = FusedAdam::new(config.learning_rate);
    // The first layer is trained outside the module (sparse products; see first_layer.rs) and
    // written back into it before the network is evaluated or returned.
    let mut first_layer = {
        let (weight, bias) = network.first_layer_values();
        FirstLayer::new(weight, bias, config.l1_first_layer as f32)
    };
    let noise = (config.input_noise > 0.0)
        .then(|| Normal::new(0.0f32, config.input_noise as f32).expect("checked non-negative"));
    let keep = 1.0 - config.dropout;

    let mut network = network;
    let mut order = train_cells.clone();
    let epochs = config.epochs_for(train_cells.len());
    let mut history = Vec::with_capacity(epochs);
    let mut best: Option<(f64, Classifier<B>)> = None;
    let mut since_best = 0usize;
    for epoch in 1..=epochs {
        order.shuffle(&mut rng);
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        for batch in order.chunks(config.batch_size) {
            let b = batch.len();
            let mut xb = scaled_rows(batch)?;
            if let Some(normal) = &noise {
                for v in &mut xb {
                    *v += normal.sample(&mut rng);
                }
            }
            let yb: Vec<usize> = batch.iter().map(|&c| classes[c]).collect();
            let input = BatchInput::new(xb, n_genes);
            let preactivation = Tensor::<B, 2>::from_data(
                TensorData::new(first_layer.forward(&input), [b, first_layer.width()]),
                device,
            )
            .require_grad();
            let masks: Vec<Tensor<B, 2>> = if config.dropout > 0.0 {
                config
                    .hidden_sizes
                    .iter()
                    .map(|&w| {
                        let m: Vec<f32> = (0..b * w)
                            .map(|_| {
                                if rng.random::<f64>() < keep {
                                    (1.0 / keep) as f32
                                } else {
                                    0.0
                                }
                            })
                            .collect();
                        Tensor::from_data(TensorData::new(m, [b, w]), device)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let logits = network.logits_from_first_layer(preactivation.clone(), &masks);
            let loss = loss_of(
                logits.clone(),
                one_hot::<B>(&yb, n_classes, device),
                config.loss,
            );
            let loss_value = loss.clone().into_scalar().elem::<f64>();
            if !loss_value.is_finite() {
                return Err(ModelError::Diverged {
                    epoch,
                    loss: loss_value,
                });
            }
            loss_sum += loss_value * b as f64;
            correct += count_correct(logits.detach(), &yb);
            let mut gradients = loss.backward();
            // Removed rather than read, so that the gradient's buffer is not shared and its
            // values move out without a copy (a shared NdArray buffer is copied element by
            // element: a tenth of the training time).
            let error = tensor_values(
                preactivation
                    .grad_remove(&mut gradients)
                    .expect("the pre-activation is a leaf of the loss's graph"),
            );
            let grads = GradientsParams::from_grads(gradients, &network);
            network = optimizer.step(network, grads);
            first_layer.step(&input, &error, optimizer.constants());
        }
        network = network.with_first_layer_values(first_layer.weight(), first_layer.bias());
        let n_train = order.len() as f64;
        let (validation_loss, validation_accuracy) = if valid_y.is_empty() {
            (None, None)
        } else {
            let (l, a) = evaluate(
                &network.valid(),
                &valid_x,
                n_genes,
                &valid_y,
                config.loss,
                device,
            );
            (Some(l), Some(a))
        };
        let record = EpochRecord {
            epoch,
            train_loss: loss_sum / n_train,
            train_accuracy: correct as f64 / n_train,
            validation_loss,
            validation_accuracy,
        };
        progress(&record);
        history.push(record);
        if let (Some(es), Some(vl)) = (&config.early_stopping, validation_loss) {
            let improved = best.as_ref().is_none_or(|(b, _)| vl < b - es.min_delta);
            if improved {
                best = Some((vl, network.clone()));
                since_best = 0;
            } else {
                since_best += 1;
                if since_best >= es.patience {
                    break;
                }
            }
        }
    }
    let best_epoch = match (&config.early_stopping, best) {
        (Some(es), Some((best_loss, best_network))) if es.restore_best => {
            network = best_network;
            history
                .iter()
                .find(|r| r.validation_loss == Some(best_loss))
                .map(|r| r.epoch)
        }
        _ => None,
    };
    let history = TrainingHistory {
        epochs: history,
        restored_epoch: best_epoch,
        train_cells: train_cells.len(),
        validation_cells: valid_cells.len(),
    };
    Ok(TrainedModel::new(
        network,
        scaler,
        labels.class_names().to_vec(),
        config.inner().clone(),
        history,
        device.clone(),
    ))
}

use rand::Rng as _;
