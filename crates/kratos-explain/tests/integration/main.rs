//! Integration tests of kratos-explain, one test binary (each file a module) so that the workspace
//! builds one executable per crate instead of one per file.

mod common;

mod baselines;
mod custom_explainer;
mod design;
mod explainers;
mod presets;
