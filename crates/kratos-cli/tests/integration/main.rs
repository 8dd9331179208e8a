//! Integration tests of kratos-cli, one test binary (each file a module) so that the workspace
//! builds one executable per crate instead of one per file.

mod anndata;
mod cli;
mod hostile_inputs;
mod reproduce;
