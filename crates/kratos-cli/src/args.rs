//! Command-line arguments (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Find the marker genes of every cell type: train a small neural classifier on labelled cells,
/// explain it, and evaluate the gene panels.
#[derive(Debug, Parser)]
#[command(name = "kratos", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// No progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train, explain and evaluate on the embedded simulated data set (no input needed).
    Demo(DemoArgs),
    /// Train, explain and evaluate on your data; write panels, embedding, model and report.
    Run(RunArgs),
    /// Score a marker panel (from kratos or any other tool) with the paper's SVM protocol.
    Evaluate(EvaluateArgs),
    /// Write a simulated data set with ground-truth gene roles.
    Simulate(SimulateArgs),
}

/// Output folder options shared by the commands that write a folder.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Replace the output folder if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `kratos demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output folder.
    #[arg(long, default_value = "kratos-demo")]
    pub out: PathBuf,
    /// Seed of the simulation, split and training.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Explainers `kratos run` can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// Carlini–Wagner perturbation, one-vs-rest (the paper's method).
    Cw,
    /// Carlini–Wagner, one-vs-one: every ordered pair of classes.
    CwOvo,
    /// SmoothGrad.
    Smoothgrad,
    /// Integrated Gradients (zero baseline).
    Ig,
    /// Plain gradient.
    Saliency,
}

/// `kratos run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Data: CSV/TSV[.gz] (cells as rows), a 10x matrix folder, or an .h5ad file.
    #[arg(long)]
    pub data: PathBuf,
    /// Label file (two columns: cell id, label).
    #[arg(long, conflicts_with = "label_key")]
    pub labels: Option<PathBuf>,
    /// .h5ad obs column holding the labels.
    #[arg(long)]
    pub label_key: Option<String>,
    /// Read genes as rows (a genes x cells text file).
    #[arg(long)]
    pub transpose: bool,
    /// Explainers to run, besides the default kratos panel.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "cw,smoothgrad,ig,saliency"
    )]
    pub methods: Vec<Method>,
    /// Training epochs.
    #[arg(long, default_value_t = 100)]
    pub epochs: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Seed of the split, training and explainers.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Genes per class shown in the printed summary.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Grids of panel sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Grid {
    /// 1, 2, 5, 10, 20, 50 % of the genes.
    Quick,
    /// The paper's 40 sizes from 1 % to 100 %.
    Paper,
}

/// `kratos evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Data the panel is evaluated on (same formats as `run`).
    #[arg(long)]
    pub data: PathBuf,
    /// Label file (cell id, label).
    #[arg(long, conflicts_with = "label_key")]
    pub labels: Option<PathBuf>,
    /// .h5ad obs column holding the labels.
    #[arg(long)]
    pub label_key: Option<String>,
    /// Panel TSV with header `class rank gene score` (tab-separated).
    #[arg(long)]
    pub panel: PathBuf,
    /// Panel sizes.
    #[arg(long, value_enum, default_value = "quick")]
    pub grid: Grid,
    /// Random-search candidates per SVM fit (the paper used 200).
    #[arg(long, default_value_t = 10)]
    pub n_iter: usize,
    /// Seed of the folds and the search.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output JSON file.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Simulation presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// 500 cells, 5 types; 20 causal, 20 dependent, 100 noise genes.
    Clean,
    /// As clean with 100 dependent genes.
    Hard,
    /// 100,000 cells x 2,000 genes, 20 types, streamed to disk.
    Large,
}

/// `kratos simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Preset.
    #[arg(long, value_enum, default_value = "clean")]
    pub preset: Preset,
    /// Seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}
