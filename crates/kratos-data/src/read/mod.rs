//! Readers for the formats single-cell data comes in: dense CSV/TSV (optionally gzipped),
//! 10x Genomics matrix folders and AnnData `.h5ad` files, plus label files.
//!
//! [`read_path`] picks the reader from the path (folder: 10x; `.h5ad` or HDF5 magic bytes:
//! AnnData; anything else: delimited text); the format readers can also be called directly.
//! Every reader takes a [`ReadOptions`]. Labels are attached when the options name a source:
//! a label file matched by cell id ([`ReadOptions::label_file`]), the cell ids themselves
//! ([`ReadOptions::labels_from_cell_ids`]) or an `.h5ad` `obs` column
//! ([`ReadOptions::label_key`]).
//!
//! ```
//! use kratos_data::read::{read_path, ReadOptions};
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("sim.csv");
//! std::fs::write(&path, "\"\",g1,g2\n\"1_1\",3,0\n\"2_2\",0,5\n")?;
//! let ds = read_path(&path, &ReadOptions::new().labels_from_cell_ids(true))?;
//! assert_eq!(ds.shape(), (2, 2));
//! assert_eq!(ds.labels().unwrap().class_names(), &["1", "2"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! See `docs/data-formats.md` for every format, option and error.

mod delimited;
pub(crate) mod h5ad;
mod input;
mod labels;
mod options;
mod tenx;

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

pub use h5ad::{read_h5ad, read_h5ad_obsm};
pub use labels::{LabelTable, labels_from_cell_ids, read_label_table, read_labels};
pub use options::ReadOptions;
pub use tenx::read_10x;

use crate::{DataError, Dataset, Result};

/// The first bytes of every HDF5 file (the superblock signature).
const HDF5_MAGIC: [u8; 8] = [0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n'];

/// The formats [`read_path`] can tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Dense delimited text (CSV, TSV), optionally gzipped.
    Delimited,
    /// A 10x Genomics matrix folder (`matrix.mtx`, `barcodes.tsv`, `features.tsv`).
    TenX,
    /// An AnnData `.h5ad` (HDF5) file.
    H5ad,
}

/// Tells the format of `path`: a folder (or a `matrix.mtx[.gz]` inside one) is a 10x folder;
/// a file ending in `.h5ad`/`.h5` or starting with the HDF5 signature is AnnData; anything
/// else is delimited text. Errors if the path does not exist.
pub fn detect_format(path: impl AsRef<Path>) -> Result<Format> {
    let path = path.as_ref();
    let meta = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
    if meta.is_dir() {
        return Ok(Format::TenX);
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if name == "matrix.mtx" || name == "matrix.mtx.gz" {
        return Ok(Format::TenX);
    }
    if name.ends_with(".h5ad") || name.ends_with(".h5") {
        return Ok(Format::H5ad);
    }
    let mut head = [0u8; 8];
    let mut file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(DataError::io(path, e)),
        }
    }
    Ok(if got == 8 && head == HDF5_MAGIC {
        Format::H5ad
    } else {
        Format::Delimited
    })
}

/// Reads any supported format, chosen by [`detect_format`], with `opts`.
pub fn read_path(path: impl AsRef<Path>, opts: &ReadOptions) -> Result<Dataset> {
    let path = path.as_ref();
    match detect_format(path)? {
        Format::Delimited => read_csv(path, opts),
        Format::H5ad => read_h5ad(path, opts),
        Format::TenX => {
            let folder = if path.is_dir() {
                path
            } else {
                path.parent().unwrap_or(Path::new("."))
            };
            read_10x(folder, opts)
        }
    }
}

/// Reads a dense delimited text file (CSV, TSV, optionally gzipped; gzip is recognised by its
/// magic bytes, a UTF-8 BOM is skipped, CRLF line ends are fine).
///
/// Layout: a header line, then one line per cell: the cell id in the first column, one value
/// per gene after it. The header's first field (over the id column) may be anything, e.g.
/// `cell` or `""`; it may also be left out (R's `write.table`), so the header names only the
/// genes. With [`ReadOptions::transpose`] the file has genes as rows and cells as columns.
///
/// Errors name the file, line and column: ragged rows, values that are not numbers, NaN or
/// infinite (or negative with [`ReadOptions::expect_counts`]), repeated gene names or cell
/// ids, invalid UTF-8, an empty file or a header without data rows, a broken gzip stream.
pub fn read_csv(path: impl AsRef<Path>, opts: &ReadOptions) -> Result<Dataset> {
    let path = path.as_ref();
    opts.check()?;
    if opts.label_key_name().is_some() {
        return Err(DataError::Invalid(
            "a label key selects an obs column of an .h5ad file; for a text file give a label file"
                .into(),
        ));
    }
    let mut ds = delimited::read_delimited(path, opts)?;
    if let Some(genes) = opts.gene_subset() {
        let idx = crate::sparse::gene_positions(ds.gene_names(), genes)
            .map_err(|e| DataError::format(path, e.to_string()))?;
        ds = ds.select_genes(&idx);
    }
    attach_labels(ds, opts, path)
}

/// Makes names unique the way anndata's `make_index_unique` (behind scanpy's
/// `var_names_make_unique`) does: the first occurrence keeps its name, later ones get `-1`,
/// `-2`, ... appended (in order of appearance), skipping any suffixed name that already exists.
///
/// ```
/// let mut names: Vec<String> = ["A", "B", "A", "A", "A-1"].iter().map(|s| s.to_string()).collect();
/// kratos_data::read::make_unique(&mut names);
/// assert_eq!(names, ["A", "B", "A-2", "A-3", "A-1"]);
/// ```
pub fn make_unique(names: &mut [String]) {
    let mut all: HashSet<String> = names.iter().cloned().collect();
    if all.len() == names.len() {
        return;
    }
    let mut first_seen: HashSet<String> = HashSet::new();
    let mut counter: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for name in names.iter_mut() {
        if first_seen.insert(name.clone()) {
            continue;
        }
        let base = name.clone();
        let n = counter.entry(base.clone()).or_insert(0);
        loop {
            *n += 1;
            let candidate = format!("{base}-{n}");
            if !all.contains(&candidate) {
                all.insert(candidate.clone());
                *name = candidate;
                break;
            }
        }
    }
}

/// Labels for `cell_ids` from the label source in `opts` (a file or the ids), if any.
/// `data_path` names the data file in errors about ids.
fn labels_from_options(
    cell_ids: &[String],
    opts: &ReadOptions,
    data_path: &Path,
) -> Result<Option<crate::Labels>> {
    if let Some(file) = opts.label_file_path() {
        return read_labels(file, cell_ids).map(Some);
    }
    if opts.labels_come_from_cell_ids() {
        return labels_from_cell_ids(cell_ids)
            .map(Some)
            .map_err(|e| match e {
                DataError::Invalid(problem) => DataError::LabelMismatch {
                    path: data_path.to_path_buf(),
                    problem,
                },
                other => other,
            });
    }
    Ok(None)
}

fn attach_labels(ds: Dataset, opts: &ReadOptions, data_path: &Path) -> Result<Dataset> {
    match labels_from_options(ds.cell_ids(), opts, data_path)? {
        Some(l) => ds.with_labels(l),
        None => Ok(ds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_unique_matches_anndata() {
        // anndata.utils.make_index_unique(pd.Index(["a","a","b","a-1","a","b"]))
        // -> ['a', 'a-2', 'b', 'a-1', 'a-3', 'b-1']
        let mut v: Vec<String> = ["a", "a", "b", "a-1", "a", "b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        make_unique(&mut v);
        assert_eq!(v, ["a", "a-2", "b", "a-1", "a-3", "b-1"]);
    }
}
