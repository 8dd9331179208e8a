//! The `kratos` command: a thin layer over the kratos library crates (ripgrep style: argument
//! parsing and output here, the work in the libraries).
//!
//! Subcommands: `demo` (the whole job on an embedded simulated data set), `run` (your data),
//! `evaluate` (score any marker panel with the paper's SVM protocol) and `simulate` (write a
//! simulated data set). Exit codes: 0 ok, 2 usage or input error, 1 other failure.

pub mod args;
pub mod commands;
pub mod error;
pub mod output;

pub use error::CliError;
