//! Reading the data and finding its labels.

use std::path::{Path, PathBuf};

use kratos::Dataset;
use kratos::data::read::{
    Format, ReadOptions, detect_format, labels_from_cell_ids, read_labels, read_path,
};

use crate::CliError;
use crate::args::DataArgs;
use crate::output::note;

/// Where the labels came from, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelSource {
    /// A label file given with `--labels`.
    File(PathBuf),
    /// `labels.tsv` found beside the data.
    Beside(PathBuf),
    /// An `.h5ad` obs column.
    ObsColumn(String),
    /// Cell ids of the form `<index>_<type>`.
    CellIds,
}

impl std::fmt::Display for LabelSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LabelSource::File(p) => write!(f, "label file {}", p.display()),
            LabelSource::Beside(p) => write!(f, "{} (beside the data)", p.display()),
            LabelSource::ObsColumn(k) => write!(f, "obs column `{k}`"),
            LabelSource::CellIds => write!(f, "cell ids of the form <index>_<type>"),
        }
    }
}

/// The label file kratos looks for beside the data when no label source is given.
pub const LABELS_BESIDE: &str = "labels.tsv";

/// Reads the data at `args.data` with its labels: `--labels`, `--label-key`, else `labels.tsv`
/// beside the data, else cell ids of the form `<index>_<type>` (saying on stderr which was
/// used); else an input error asking for `--labels`. Then checks that the data can be learnt
/// from (see [`check_usable`]).
pub fn read_labelled(args: &DataArgs) -> Result<(Dataset, LabelSource), CliError> {
    let (ds, source) = read_with_labels(args)?;
    check_usable(&ds, &args.data, &source)?;
    Ok((ds, source))
}

/// Input errors for data that read fine but cannot train a classifier or give a panel, each
/// naming the file and what to fix: fewer than two classes, a class with fewer than two cells
/// (the 70/30 split needs one on each side), a cell whose values are all zero (an empty
/// droplet or a broken export: it has no expression profile to learn from), or no gene that
/// varies across cells.
pub fn check_usable(ds: &Dataset, data: &Path, source: &LabelSource) -> Result<(), CliError> {
    if let Some(labels) = ds.labels() {
        let names = labels.class_names();
        if names.len() < 2 {
            return Err(CliError::Input(format!(
                "{}: the labels ({source}) name only one class (`{}`); kratos finds the markers that tell cell types apart and needs at least two",
                data.display(),
                names.first().map(String::as_str).unwrap_or("")
            )));
        }
        let counts = labels.class_counts();
        if let Some((k, &n)) = counts.iter().enumerate().find(|&(_, &n)| n < 2) {
            return Err(CliError::Input(format!(
                "{}: class `{}` has {n} cell in the labels ({source}); every class needs at least 2 cells (one on each side of the train/test split): merge or drop it",
                data.display(),
                names[k]
            )));
        }
    }
    let g = ds.n_genes();
    let all: Vec<usize> = (0..ds.n_cells()).collect();
    let (min, max) = ds.gene_ranges(&all);
    let varies = ds.n_cells() == 0 || min.iter().zip(&max).any(|(lo, hi)| lo < hi);
    if !varies {
        return Err(CliError::Input(format!(
            "{}: none of the {g} genes varies across cells (every column is constant); there is nothing to learn from",
            data.display()
        )));
    }
    // Header line 1, so data row i is line i + 2 in a text file with cells as rows.
    if let Some(i) = (0..ds.n_cells()).find(|&i| ds.row(i).nonzeros().next().is_none()) {
        return Err(CliError::Input(format!(
            "{}: cell `{}` (data row {}, line {} of a text file with cells as rows) has no non-zero value; remove empty cells before running kratos",
            data.display(),
            ds.cell_ids()[i],
            i + 1,
            i + 2
        )));
    }
    Ok(())
}

/// Whether `path` is an AnnData file ([`detect_format`]); false for a path that cannot be
/// read (the reader reports it).
pub fn is_h5ad(path: &Path) -> bool {
    matches!(detect_format(path), Ok(Format::H5ad))
}

fn read_with_labels(args: &DataArgs) -> Result<(Dataset, LabelSource), CliError> {
    let data = &args.data;
    if !data.exists() {
        return Err(CliError::Input(format!(
            "{}: no such file or folder; --data takes a CSV/TSV[.gz] file, a 10x folder or an .h5ad file",
            data.display()
        )));
    }
    if let Some(file) = &args.labels.labels
        && !file.is_file()
    {
        return Err(CliError::Input(format!(
            "{}: no such label file; --labels takes a file with two columns, cell id and label",
            file.display()
        )));
    }
    let mut options = ReadOptions::new().transpose(args.transpose);
    if let Some(layer) = &args.layer {
        if !is_h5ad(data) {
            return Err(CliError::Input(format!(
                "{}: --layer reads `layers/{layer}` of an .h5ad file, and this is not one (CSV/TSV and 10x input hold one matrix); drop --layer",
                data.display()
            )));
        }
        options = options.layer(layer.clone());
    }
    if let Some(key) = &args.labels.label_key {
        options = options.label_key(key.clone());
    }
    let ds = read_path(data, &options)?;
    if let Some(key) = &args.labels.label_key {
        return Ok((ds, LabelSource::ObsColumn(key.clone())));
    }
    let cells = ds.cell_ids().to_vec();
    if let Some(file) = &args.labels.labels {
        let labels = read_labels(file, &cells)?;
        return Ok((ds.with_labels(labels)?, LabelSource::File(file.clone())));
    }
    let folder = if data.is_dir() {
        data.as_path()
    } else {
        data.parent().unwrap_or(Path::new("."))
    };
    let beside = folder.join(LABELS_BESIDE);
    if beside.is_file() {
        note(&format!(
            "labels: {} (found beside the data; give --labels to use another file)",
            beside.display()
        ));
        let labels = read_labels(&beside, &cells)?;
        return Ok((ds.with_labels(labels)?, LabelSource::Beside(beside)));
    }
    match labels_from_cell_ids(&cells) {
        // Cell ids like `cell_1, cell_2, ...` also parse; accept only ids that name classes
        // shared by several cells.
        Ok(labels)
            if labels.class_counts().iter().all(|&c| c >= 2)
                && labels.n_classes() >= 2
                && labels.n_classes() * 2 <= cells.len() =>
        {
            note(&format!(
                "labels: taken from the cell ids (<index>_<type>): {} classes; give --labels to use a file",
                labels.n_classes()
            ));
            Ok((ds.with_labels(labels)?, LabelSource::CellIds))
        }
        Ok(labels) => Err(CliError::Input(format!(
            "{}: no labels found (no --labels, no {LABELS_BESIDE} beside the data); the cell ids parse as <index>_<type> but {}, so they do not look like labels; give --labels FILE (cell id, label) or --label-key KEY for an .h5ad obs column",
            data.display(),
            if labels.n_classes() < 2 {
                format!("name only one type (`{}`)", labels.class_names()[0])
            } else {
                let counts = labels.class_counts();
                match counts.iter().position(|&c| c < 2) {
                    Some(k) => format!("type `{}` has a single cell", labels.class_names()[k]),
                    None => format!(
                        "name {} types for {} cells",
                        labels.n_classes(),
                        cells.len()
                    ),
                }
            }
        ))),
        Err(_) => Err(CliError::Input(format!(
            "{}: no labels found (no --labels, no {LABELS_BESIDE} beside the data, cell ids are not <index>_<type>); give --labels FILE (cell id, label) or --label-key KEY for an .h5ad obs column",
            data.display()
        ))),
    }
}
