//! Panel design: N genes chosen together so that, between them, they tell every type apart
//! (a targeted FISH / flow / qPCR panel), rather than each class's best genes one class at a
//! time.

mod algorithm;
mod hyperparams;

pub use algorithm::{DesignedGene, DesignedPanel, design_candidates, design_panel};
pub use hyperparams::{ClassWeighting, DesignParams, DesignScore, ValidDesignParams};
