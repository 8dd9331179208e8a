//! The data sets of the shared data folder (`KRATOS_DATA`) and how each is prepared before
//! training, for the reproduction and the measurement programs.

use std::path::Path;

use kratos::data::preprocess::{HvgParams, highly_variable_genes, log1p, normalize_total};
use kratos::data::read::{ReadOptions, labels_from_cell_ids, read_labels, read_path};
use kratos::sim::{evaluation_copy, roles_from_published_names};
use kratos::{Dataset, GeneRole, stratified_split};
use serde::Serialize;

use crate::Result;

/// How a real data set is prepared before training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Prep {
    /// Used as shipped (already log-normalised, or pixels).
    AsIs,
    /// `ln(1 + x)` (counts or TPM-like values).
    Log1p,
    /// Counts: normalise each cell to 10,000, `ln(1 + x)`, keep scanpy's highly variable genes.
    NormaliseLog1pHvg,
}

/// A labelled real data set of the data folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataSet {
    /// Short key (command-line flags, JSON).
    pub key: &'static str,
    /// What tables call it.
    pub title: &'static str,
    /// Folder in the data folder.
    pub folder: &'static str,
    /// Expression file in the folder.
    pub data: &'static str,
    /// Label file in the folder.
    pub labels: &'static str,
    /// Labels that are not cell types (their cells are dropped).
    pub drop: &'static [&'static str],
    /// Preparation before training.
    pub prep: Prep,
    /// Whether the reproduction draws its AUROC / PCC curves (besides the embedding table).
    pub curves: bool,
    /// Whether `kratos reproduce --quick` includes it.
    pub in_quick: bool,
}

#[allow(clippy::too_many_arguments)] // one row of the registry, field by field
const fn set(
    key: &'static str,
    title: &'static str,
    folder: &'static str,
    data: &'static str,
    labels: &'static str,
    prep: Prep,
    curves: bool,
    in_quick: bool,
) -> DataSet {
    DataSet {
        key,
        title,
        folder,
        data,
        labels,
        drop: &[],
        prep,
        curves,
        in_quick,
    }
}

/// Every real data set, in the order of the reproduction's tables.
pub const REAL_SETS: [DataSet; 7] = [
    set(
        "pbmc3k",
        "pbmc3k",
        "pbmc3k",
        "counts.csv.gz",
        "labels.tsv",
        Prep::NormaliseLog1pHvg,
        true,
        false,
    ),
    set(
        "pbmc68k_bulk",
        "pbmc68k_reduced (bulk_labels)",
        "pbmc68k_reduced",
        "raw_expr.csv.gz",
        "labels.tsv",
        Prep::AsIs,
        true,
        true,
    ),
    set(
        "pbmc68k_louvain",
        "pbmc68k_reduced (louvain)",
        "pbmc68k_reduced",
        "raw_expr.csv.gz",
        "louvain.tsv",
        Prep::AsIs,
        true,
        false,
    ),
    DataSet {
        drop: &["Mouse", "Unknown"],
        ..set(
            "citeseq_cbmc",
            "citeseq_cbmc",
            "citeseq_cbmc",
            "counts.csv.gz",
            "labels.tsv",
            Prep::Log1p,
            true,
            false,
        )
    },
    set(
        "oligodendroglioma",
        "oligodendroglioma",
        "oligodendroglioma",
        "expr.csv.gz",
        "labels.tsv",
        Prep::NormaliseLog1pHvg,
        true,
        false,
    ),
    set(
        "krumsiek11",
        "krumsiek11",
        "krumsiek11",
        "expr.csv.gz",
        "labels.tsv",
        Prep::AsIs,
        false,
        false,
    ),
    set(
        "digits",
        "digits",
        "digits",
        "expr.csv.gz",
        "labels.tsv",
        Prep::AsIs,
        true,
        true,
    ),
];

/// Real data sets with every gene, for measuring the default preset's gene screen
/// ([`kratos::Preset::max_genes`]): not in the reproduction's tables.
pub const ALL_GENE_SETS: [DataSet; 2] = [
    set(
        "pbmc3k_all",
        "pbmc3k, all 13,714 genes",
        "pbmc3k",
        "counts.csv.gz",
        "labels.tsv",
        Prep::Log1p,
        false,
        false,
    ),
    set(
        "oligodendroglioma_all",
        "oligodendroglioma, all 9,450 genes",
        "oligodendroglioma",
        "expr.csv.gz",
        "labels.tsv",
        Prep::Log1p,
        false,
        false,
    ),
];

/// The published simulation files of `simulation/`.
pub const SIMULATIONS: [&str; 2] = ["140var_clean.csv", "220var_clean.csv"];

/// The data set with key `key` ([`REAL_SETS`] or [`ALL_GENE_SETS`]).
///
/// ```
/// let bulk = kratos_bench::registry::by_key("pbmc68k_bulk").unwrap();
/// assert_eq!(bulk.title, "pbmc68k_reduced (bulk_labels)");
/// assert!(kratos_bench::registry::by_key("pbmc3k_all").is_some());
/// assert!(kratos_bench::registry::by_key("nope").is_none());
/// ```
pub fn by_key(key: &str) -> Option<&'static DataSet> {
    REAL_SETS
        .iter()
        .chain(&ALL_GENE_SETS)
        .find(|s| s.key == key)
}

/// Reads `folder/data` with labels from `folder/labels`; `None` when either is absent.
pub fn read_labelled(folder: &Path, data: &str, labels: &str) -> Result<Option<Dataset>> {
    let (path, label_path) = (folder.join(data), folder.join(labels));
    if !path.is_file() || !label_path.is_file() {
        return Ok(None);
    }
    let ds = read_path(&path, &ReadOptions::new())?;
    let labels = read_labels(&label_path, ds.cell_ids())?;
    Ok(Some(ds.with_labels(labels)?))
}

impl DataSet {
    /// The data set read from the data folder `data_dir` and prepared; `None` when its files
    /// are absent.
    pub fn load(&self, data_dir: &Path) -> Result<Option<Dataset>> {
        match read_labelled(&data_dir.join(self.folder), self.data, self.labels)? {
            Some(ds) => Ok(Some(self.prepare(ds)?)),
            None => Ok(None),
        }
    }

    /// Drops the cells whose label is not a cell type and applies the preparation.
    pub fn prepare(&self, mut ds: Dataset) -> Result<Dataset> {
        if !self.drop.is_empty() {
            let labels = ds.require_labels()?.clone();
            let keep: Vec<usize> = (0..ds.n_cells())
                .filter(|&i| !self.drop.contains(&labels.name_of(i)))
                .collect();
            let kept = ds.select_cells(&keep);
            let relabelled = kept.require_labels()?.drop_empty_classes();
            ds = kept.with_labels(relabelled)?;
        }
        match self.prep {
            Prep::AsIs => {}
            Prep::Log1p => log1p(&mut ds)?,
            Prep::NormaliseLog1pHvg => {
                normalize_total(&mut ds, 1e4)?;
                log1p(&mut ds)?;
                let hvg = highly_variable_genes(&ds, &HvgParams::new())?;
                ds = ds.select_genes(&hvg.indices());
            }
        }
        Ok(ds)
    }
}

/// The evaluation copy (shuffled columns, neutral names; shuffle seed `seed`) of a published
/// simulation CSV and the roles of its genes.
pub fn simulation_copy(path: &Path, seed: u64) -> Result<(Dataset, Vec<GeneRole>)> {
    let ds = read_path(path, &ReadOptions::new())?;
    let labels = labels_from_cell_ids(ds.cell_ids())?;
    let ds = ds.with_labels(labels)?;
    let roles = roles_from_published_names(ds.gene_names())?;
    let copy = evaluation_copy(&ds, &roles, seed)?;
    Ok((copy.dataset, copy.roles))
}

/// A seeded stratified subsample of at most `max` cells of `ds`.
pub fn subsample(ds: &Dataset, max: usize, seed: u64) -> Result<Dataset> {
    if ds.n_cells() <= max {
        return Ok(ds.clone());
    }
    let fraction = max as f64 / ds.n_cells() as f64;
    let split = stratified_split(ds.require_labels()?, fraction, seed)?;
    Ok(ds.select_cells(&split.test))
}

/// A file name made of a data set's title.
///
/// ```
/// use kratos_bench::registry::slug;
/// assert_eq!(slug("pbmc68k_reduced (bulk_labels)"), "pbmc68k-reduced-bulk-labels");
/// ```
pub fn slug(title: &str) -> String {
    title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}
