//! The `kratos` command: a thin layer over the kratos library crates (ripgrep style): argument
//! parsing, progress bars, output folders and the printed summaries here; the work in `kratos`
//! (the run flow) and `kratos-bench` (the reproduction), the rendering in `kratos-report`.
//!
//! Subcommands: `demo` (the whole job on a simulated data set with known marker genes), `run`
//! (your data: panels, embedding, model, plots, `report.json`, `report.html`), `panel` (design
//! a targeted panel of N genes), `evaluate` (score any marker panel with the paper's SVM
//! protocol, or as one panel with `--joint`), `simulate` (write a simulated
//! data set) and `reproduce` (the paper's tables next to the baselines). Exit codes: 0 ok, 2 usage or input error, 1 other failure.
//!
//! The binary's integration tests live in `tests/` of this crate (they need
//! `CARGO_BIN_EXE_kratos`, which cargo gives only to tests of the package that owns the binary).

pub mod args;
pub mod commands;
pub mod error;
pub mod input;
pub mod output;
pub mod panel;
pub mod progress;
pub mod reproduce;

pub use error::CliError;

/// Runs the parsed command line.
pub fn run(cli: &args::Cli) -> Result<(), CliError> {
    use args::Command;
    match &cli.command {
        Command::Demo(a) => commands::demo(a, cli.quiet),
        Command::Run(a) => commands::run(a, cli.quiet),
        Command::Panel(a) => panel::panel(a, cli.quiet),
        Command::Evaluate(a) if a.joint => panel::evaluate_joint_panel(a),
        Command::Evaluate(a) => commands::evaluate(a, cli.quiet),
        Command::Simulate(a) => commands::simulate(a),
        Command::Reproduce(a) => reproduce::reproduce(a, cli.quiet),
    }
}
