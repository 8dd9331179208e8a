//! Integration tests of kratos-model, one test binary (each file a module) so that the workspace
//! builds one executable per crate instead of one per file.

mod shared_data;
mod training;
