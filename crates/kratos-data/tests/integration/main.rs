//! Integration tests of kratos-data, one test binary (each file a module) so that the workspace
//! builds one executable per crate instead of one per file.

mod errors;
mod fuzz_h5ad;
mod fuzz_readers;
mod h5ad_layouts;
mod h5ad_write;
mod proptests;
mod shared_data;
