//! Carlini–Wagner style perturbation explainer (the paper's Algorithm 1).

mod algorithm;
mod hyperparams;

pub use algorithm::CwExplainer;
pub use hyperparams::{CwMode, CwParams};
