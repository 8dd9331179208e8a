//! SmoothGrad: the mean gradient over noisy copies of each cell.

mod algorithm;
mod hyperparams;

pub use algorithm::SmoothGrad;
pub use hyperparams::SmoothGradParams;
