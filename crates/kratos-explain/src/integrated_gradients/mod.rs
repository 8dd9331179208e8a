//! Integrated Gradients: the gradient averaged along the straight path from a baseline to
//! the cell, times the cell's difference from the baseline.

mod algorithm;
mod hyperparams;

pub use algorithm::IntegratedGradients;
pub use hyperparams::{IgBaseline, IntegratedGradientsParams};
