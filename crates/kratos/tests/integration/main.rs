//! Integration tests of the facade: the pipeline end to end (one training, the default panel,
//! any explainer on the same models, the paper's method), the analysis flow, and the default
//! panel's bars on the published simulation (needs `KRATOS_DATA`).

mod analysis;
mod pipeline;
mod simulation;
