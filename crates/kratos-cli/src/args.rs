//! Command-line arguments (clap derive). Every command and flag has `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Find the marker genes of every cell type: train a small neural classifier on labelled cells,
/// explain it, and evaluate the gene panels.
///
/// Exit codes: 0 success, 2 usage or input error (bad path, labels that do not match, an
/// output that already exists), 1 any other failure.
#[derive(Debug, Parser)]
#[command(name = "kratos", version, about, long_about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// No progress bars (they are also hidden when stderr is not a terminal).
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train, explain and evaluate on a simulated data set with known marker genes (no input
    /// needed); writes a report folder and prints a summary.
    Demo(DemoArgs),
    /// Train, explain and evaluate on your data; write panels, embedding, model, plots and a
    /// report.
    Run(RunArgs),
    /// Design a targeted panel: N genes chosen together to tell every type apart, scored next
    /// to the marker tests' panels; writes panel.tsv, report.json and report.html.
    Panel(PanelArgs),
    /// Score a marker panel (from kratos or any other tool) with the paper's SVM protocol, or
    /// as one panel of N genes (`--joint`).
    Evaluate(EvaluateArgs),
    /// Write a simulated data set with ground-truth gene roles.
    Simulate(SimulateArgs),
    /// Regenerate the paper's tables and figures, side by side with the baselines, on every
    /// data set found in a data folder; writes a Markdown report with plots.
    Reproduce(ReproduceArgs),
}

/// Explainers `kratos run` can use (the `kratos` panel is always written as well).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// The published method, exactly: its own model on the values as given, explained by CW
    /// (trains a second model).
    Paper,
    /// Carlini–Wagner perturbation, one-vs-rest, on the run's models (the default panel's own
    /// CW pass).
    Cw,
    /// Carlini–Wagner, one-vs-one: every ordered pair of classes ("A vs B").
    CwOvo,
    /// SmoothGrad (20 noisy copies).
    Smoothgrad,
    /// Integrated Gradients (zero baseline, 20 steps).
    Ig,
    /// Plain gradient of the class output.
    Saliency,
    /// Gradient times input.
    GradInput,
    /// Baseline, no model: Wilcoxon rank-sum one-vs-rest, genes ranked by z (scanpy's default
    /// marker test), on the model's input (log1p of counts).
    Wilcoxon,
    /// Baseline, no model: Welch's t-test one-vs-rest, ranked by t (scanpy's `t-test`).
    TTest,
}

impl Method {
    /// The library's method.
    pub fn method(self) -> kratos::analysis::Method {
        use kratos::analysis::Method as M;
        match self {
            Method::Paper => M::Paper,
            Method::Cw => M::Cw,
            Method::CwOvo => M::CwOvo,
            Method::Smoothgrad => M::SmoothGrad,
            Method::Ig => M::Ig,
            Method::Saliency => M::Saliency,
            Method::GradInput => M::GradInput,
            Method::Wilcoxon => M::Wilcoxon,
            Method::TTest => M::TTest,
        }
    }
}

/// Which genes the panels list first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DirectionArg {
    /// The ranking as it is: genes higher and lower in the class mixed.
    Both,
    /// Genes higher in the class than in the other cells first.
    Up,
    /// Genes lower in the class first.
    Down,
}

impl DirectionArg {
    /// The library's listing.
    pub fn listing(self) -> kratos::Listing {
        match self {
            DirectionArg::Both => kratos::Listing::Both,
            DirectionArg::Up => kratos::Listing::Up,
            DirectionArg::Down => kratos::Listing::Down,
        }
    }
}

/// Preprocessing before the model's min-max scaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PreprocessingArg {
    /// log1p when the training cells look like counts (non-negative integers), else none.
    Auto,
    /// Always log1p.
    Log1p,
    /// Values as given (the paper).
    None,
}

impl PreprocessingArg {
    /// The library's preprocessing.
    pub fn preprocessing(self) -> kratos::Preprocessing {
        match self {
            PreprocessingArg::Auto => kratos::Preprocessing::Log1pIfCounts,
            PreprocessingArg::Log1p => kratos::Preprocessing::Log1p,
            PreprocessingArg::None => kratos::Preprocessing::AsIs,
        }
    }
}

/// Panel sizes of the SVM evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Grid {
    /// 1, 2, 5, 10, 20, 50 % of the genes.
    Quick,
    /// The paper's 40 sizes from 1 % to 100 %.
    Paper,
}

/// Whether and how `run` evaluates its panels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvaluateGrid {
    /// Do not evaluate (the report then has no AUROC curves).
    None,
    /// 1, 2, 5, 10, 20, 50 % of the genes.
    Quick,
    /// The paper's 40 sizes from 1 % to 100 % (slow on large data).
    Paper,
}

/// Options of the 2-D maps in the report.
#[derive(Debug, Clone, Args)]
pub struct MapArgs {
    /// At most this many cells (drawn at random, seeded, stratified by label) in the t-SNE
    /// maps; the report says when it subsampled.
    #[arg(long, default_value_t = 3000, value_name = "N")]
    pub map_cells: usize,
    /// Skip the t-SNE maps and all plots (report.html then has tables only).
    #[arg(long)]
    pub no_plots: bool,
}

/// `kratos demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output folder.
    #[arg(long, default_value = "kratos-demo", value_name = "DIR")]
    pub out: PathBuf,
    /// Seed of the simulation, split, training and explainers.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Replace the output folder if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Where the labels come from. Without either flag kratos uses `labels.tsv` beside the data if
/// there is one, else cell ids of the form `<index>_<type>`, and says which on stderr.
#[derive(Debug, Clone, Args)]
pub struct LabelArgs {
    /// Label file: two columns, cell id and label (tab- or comma-separated, header optional).
    #[arg(long, conflicts_with = "label_key", value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// An .h5ad `obs` column holding the labels (e.g. `bulk_labels`).
    #[arg(long, value_name = "KEY")]
    pub label_key: Option<String>,
}

/// The data to read.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Data: CSV/TSV[.gz] with cells as rows, a 10x Genomics matrix folder, or an .h5ad file.
    #[arg(long, value_name = "PATH")]
    pub data: PathBuf,
    /// The text file has genes as rows and cells as columns.
    #[arg(long)]
    pub transpose: bool,
    /// .h5ad only: read the values from `layers/NAME` instead of `X` (e.g. `counts`).
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
    #[command(flatten)]
    pub labels: LabelArgs,
}

/// `kratos run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: DataArgs,
    /// Explainers and baseline tests to run besides the default kratos panel
    /// (`panels/kratos.tsv`, always written), comma-separated; `paper` is the published method.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "wilcoxon")]
    pub methods: Vec<Method>,
    /// Training epochs.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub epochs: usize,
    /// Learning rate (Adam).
    #[arg(long, default_value_t = 1e-3, value_name = "X")]
    pub lr: f64,
    /// Seed of the split, training and explainers.
    #[arg(long, default_value_t = 7, value_name = "S")]
    pub seed: u64,
    /// Genes per class listed in the printed summary and the report.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
    /// Preprocessing before the model's min-max scaling.
    #[arg(long, value_enum, default_value = "auto")]
    pub preprocessing: PreprocessingArg,
    /// Which genes the kratos panel and the explainers' panels list first: `both` keeps the
    /// ranking (genes higher and lower in the class mixed; the most discriminative), `up` lists
    /// the genes higher in the class first, `down` those lower. The wilcoxon and t-test panels
    /// keep their order (higher first, as scanpy's).
    #[arg(long, value_enum, default_value = "both")]
    pub direction: DirectionArg,
    /// Also write an AnnData file: a copy of the input .h5ad (which needs --label-key) or, for
    /// other input, a new file of the cells and labels — with the kratos panel in
    /// `uns['kratos']` (scanpy's rank_genes_groups layout, Wilcoxon p-values) and the
    /// embedding in `obsm['X_kratos']`. Must not exist unless --force.
    #[arg(long, value_name = "FILE")]
    pub write_h5ad: Option<PathBuf>,
    /// Evaluate every panel with the SVM top-k protocol (AUROC curves in the report). Off by
    /// default: `quick` takes minutes on a few thousand cells, `paper` much longer.
    #[arg(long, value_enum, default_value = "none", value_name = "GRID")]
    pub evaluate: EvaluateGrid,
    /// Random-search candidates per SVM fit in the evaluation (the paper used 200).
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub n_iter: usize,
    /// Correctly classified cells explained per class at most, by every explainer and the
    /// kratos panel (a seeded random draw where a class has more): a number, or `all`.
    #[arg(long, default_value_t = CellsPerClass::default(), value_name = "N|all")]
    pub cells_per_class: CellsPerClass,
    #[command(flatten)]
    pub map: MapArgs,
    /// Output folder (must not exist unless --force).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace the output folder (and the --write-h5ad file) if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `kratos evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub input: DataArgs,
    /// Panel TSV with header `class<TAB>rank<TAB>gene<TAB>score` (from kratos or any tool;
    /// classes named as in the labels, genes as in the data); kratos's extra columns
    /// (direction, log_fold_change, fraction_in, fraction_rest) may follow.
    #[arg(long, value_name = "FILE")]
    pub panel: PathBuf,
    /// Panel sizes.
    #[arg(long, value_enum, default_value = "quick", conflicts_with = "joint")]
    pub grid: Grid,
    /// Score the panel as one set of genes instead of class by class: logistic regression and
    /// 15 nearest neighbours on N genes (balanced accuracy, macro-F1; three seeded 70/30
    /// splits). A per-class panel gives its N genes round-robin (each class's best gene not yet
    /// taken, class after class); a list of genes (a `gene` column, e.g. `kratos panel`'s
    /// panel.tsv, or one gene per line) its first N.
    #[arg(long, requires = "genes")]
    pub joint: bool,
    /// Panel sizes of `--joint`, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "N[,N...]",
        requires = "joint"
    )]
    pub genes: Vec<usize>,
    /// Random-search candidates per SVM fit (the paper used 200).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub n_iter: usize,
    /// Seed of the folds and the search.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// Output JSON file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `kratos panel`.
#[derive(Debug, Args)]
pub struct PanelArgs {
    #[command(flatten)]
    pub input: DataArgs,
    /// Genes in the panel; several sizes comma-separated (`16,32,64`), each written as
    /// `panel-<N>.tsv` (one size: `panel.tsv`).
    #[arg(long, value_delimiter = ',', required = true, value_name = "N[,N...]")]
    pub genes: Vec<usize>,
    /// Genes that must be in the panel (markers you already have), comma-separated; they come
    /// first, in this order.
    #[arg(long, value_delimiter = ',', value_name = "GENES")]
    pub include: Vec<String>,
    /// Genes to keep out of the panel, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "GENES")]
    pub exclude: Vec<String>,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Training epochs of the models the candidates come from.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub epochs: usize,
    /// Seed of the split, the models and the random baseline panel.
    #[arg(long, default_value_t = 7, value_name = "S")]
    pub seed: u64,
    /// Only design: do not score the panels and the baselines (no curves, faster).
    #[arg(long)]
    pub no_evaluation: bool,
    /// Replace the output folder if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Simulation presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimPreset {
    /// 500 cells, 5 types; 20 causal, 20 dependent, 100 noise genes.
    Clean,
    /// As clean with 100 dependent genes.
    Hard,
    /// 100,000 cells x 2,000 genes, 20 types, streamed to disk (also as a 10x folder).
    Large,
}

/// File formats of `kratos simulate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimFormat {
    /// `counts.csv.gz` (cells as rows).
    Csv,
    /// A 10x Genomics folder (`matrix.mtx.gz`, `barcodes.tsv.gz`, `features.tsv.gz`).
    #[value(name = "10x")]
    TenX,
    /// Both.
    Both,
}

/// `kratos simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Preset.
    #[arg(long, value_enum, default_value = "clean")]
    pub preset: SimPreset,
    /// Count file format (labels.tsv and genes.tsv are always written).
    #[arg(long, value_enum, default_value = "csv")]
    pub format: SimFormat,
    /// Cells in all (spread evenly over the types), instead of the preset's.
    #[arg(long, value_name = "N", requires_all = ["genes", "types"])]
    pub cells: Option<usize>,
    /// Genes (5% causal, 10% dependent, the rest noise), instead of the preset's.
    #[arg(long, value_name = "N", requires_all = ["cells", "types"])]
    pub genes: Option<usize>,
    /// Cell types, instead of the preset's.
    #[arg(long, value_name = "N", requires_all = ["cells", "genes"])]
    pub types: Option<usize>,
    /// The share of zero counts to aim at (real 10x data: 0.9–0.95); sets the expression
    /// level by a pilot simulation.
    #[arg(long, value_name = "FRACTION")]
    pub zeros: Option<f64>,
    /// Seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Output folder (gets counts.csv.gz, labels.tsv, genes.tsv with the role of every gene).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace the output folder if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `kratos reproduce`.
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// The data folder (the layout of kratos-rs's `shared/data`: simulation/, pbmc3k/,
    /// pbmc68k_reduced/, citeseq_cbmc/, oligodendroglioma/, krumsiek11/, digits/, mnist/).
    /// Data sets that are absent are skipped with a message.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Output folder: reproduction.md, results.json and img/.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// A small version for CI (a few minutes): fewer data sets, seeds, panel sizes and cells.
    #[arg(long)]
    pub quick: bool,
    /// Seed of the tables (splits, training, explainers, k-means, SVM search).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Seeds 1..=N for the stability table (default 5, or 2 with --quick).
    #[arg(long, value_name = "N")]
    pub stability_seeds: Option<usize>,
    /// Random-search candidates per SVM fit (default 2).
    #[arg(long, value_name = "N")]
    pub n_iter: Option<usize>,
    /// At most this many cells (stratified, seeded) in the SVM evaluation of each real data
    /// set (default 300, or 250 with --quick).
    #[arg(long, value_name = "N")]
    pub eval_cells: Option<usize>,
    /// Replace the output folder if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `--cells-per-class`: at most this many cells per class are explained (`None`: all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellsPerClass(pub Option<usize>);

impl Default for CellsPerClass {
    /// The library's default ([`kratos::PanelOptions::default`]).
    fn default() -> Self {
        CellsPerClass(kratos::PanelOptions::default().max_cells_per_class)
    }
}

impl std::fmt::Display for CellsPerClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("all"),
        }
    }
}

impl std::str::FromStr for CellsPerClass {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("all") {
            return Ok(CellsPerClass(None));
        }
        match s.parse::<usize>() {
            Ok(n) if n > 0 => Ok(CellsPerClass(Some(n))),
            _ => Err(format!(
                "`{s}` is not a number of cells (at least 1) or `all`"
            )),
        }
    }
}
