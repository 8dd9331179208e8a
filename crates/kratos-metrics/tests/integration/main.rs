//! Integration tests of kratos-metrics, one test binary (each file a module) so that the workspace
//! builds one executable per crate instead of one per file.

mod joint_crosscheck;
mod properties;
mod sklearn_crosscheck;
