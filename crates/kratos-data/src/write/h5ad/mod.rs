//! AnnData `.h5ad` files, written with the pure-Rust `hdf5-pure` crate in the layout anndata
//! (>= 0.8) writes, so that `anndata.read_h5ad` and scanpy read them.
//!
//! A new file holds `X` (`csr_matrix` when the data set is sparse, a dense array otherwise),
//! `obs` (the cell ids, and the labels as a categorical column), `var` (the gene names), the
//! empty `layers`, `obsp`, `varm`, `varp` groups anndata writes, and the extras: `obsm`
//! matrices and a `rank_genes_groups` result in `uns`.
//!
//! With [`H5adExtras::copy_from`] the file is instead a copy of an existing `.h5ad` (every
//! group, dataset and attribute, copied generically by `hdf5-pure`'s `repack`) with the extras
//! added or replaced. What cannot be copied exactly is refused by name, never dropped.
//!
//! `ranking` holds the `rank_genes_groups` result to write, `layout` describes the objects
//! anndata's layout asks for, `copy` makes the copies.

mod copy;
mod layout;
mod ranking;

pub use ranking::{GeneFractions, RankGenesGroups};

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use hdf5_pure::FileBuilder;

use crate::{DataError, Dataset, Result};

/// One `obsm` matrix to write.
#[derive(Debug, Clone, PartialEq)]
struct Obsm {
    key: String,
    values: Vec<f32>,
    n_cols: usize,
}

/// What [`write_h5ad`] writes besides the data set, built in builder style.
///
/// ```
/// use kratos_data::write::{H5adExtras, RankGenesGroups};
/// let extras = H5adExtras::new()
///     .label_column("cell_type")
///     .obsm("X_kratos", vec![0.0; 3 * 2], 2)
///     .rank_genes_groups(
///         "kratos",
///         RankGenesGroups::new("cell_type", "logreg", vec!["a".into()], vec![vec!["g".into()]], vec![vec![1.0]]),
///     );
/// assert_eq!(extras.label_column_name(), "cell_type");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct H5adExtras {
    label_column: Option<String>,
    obsm: Vec<Obsm>,
    uns: Option<(String, RankGenesGroups)>,
    copy_from: Option<PathBuf>,
}

impl H5adExtras {
    /// Nothing extra: the labels go to the `obs` column `label`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `obs` column that holds the labels (as a categorical); default `"label"`. Not used
    /// with [`copy_from`](Self::copy_from), which keeps the input's `obs` as it is.
    pub fn label_column(mut self, name: impl Into<String>) -> Self {
        self.label_column = Some(name.into());
        self
    }

    /// Adds `obsm/<key>`: a cells x `n_cols` matrix of `values` (row-major, one row per cell
    /// in the data set's order), e.g. an embedding `X_kratos` of 64 columns. Replaces an
    /// existing `obsm/<key>` of a copied file.
    pub fn obsm(mut self, key: impl Into<String>, values: Vec<f32>, n_cols: usize) -> Self {
        self.obsm.push(Obsm {
            key: key.into(),
            values,
            n_cols,
        });
        self
    }

    /// Writes `ranking` as `uns/<key>` in scanpy's `rank_genes_groups` layout (use the key
    /// as `key=` in scanpy's `rank_genes_groups_*` functions). Replaces an existing
    /// `uns/<key>` of a copied file, and any ranking given before.
    pub fn rank_genes_groups(mut self, key: impl Into<String>, ranking: RankGenesGroups) -> Self {
        self.uns = Some((key.into(), ranking));
        self
    }

    /// Writes a copy of the `.h5ad` file at `input` (the file the data set was read from)
    /// instead of a new file: every group, dataset and attribute is kept as it is (`X`,
    /// `obs`, `var`, `raw`, `layers`, other `obsm` and `uns` entries, ...), and only
    /// `obsm/<key>` and `uns/<key>` of these extras are added or replaced. The data set's
    /// cell ids must be the input's `obs` index, in order; its values are not written.
    ///
    /// Copied: groups, datasets (any layout, chunking and filters; numeric, string, compound,
    /// enumeration, array, variable-length and reference types) and their attributes, as
    /// `hdf5-pure`'s `repack` reproduces them. Refused by name (the write fails and nothing is
    /// written): what `repack` refuses (e.g. region references, external storage, lossy
    /// filters on contiguous data) and datasets with a null dataspace other than anndata's
    /// `null` encoding (`None`), which `hdf5-pure` can only write back as a scalar. Soft and
    /// external links are not seen by `hdf5-pure` and are not copied (anndata writes none).
    pub fn copy_from(mut self, input: impl Into<PathBuf>) -> Self {
        self.copy_from = Some(input.into());
        self
    }

    /// The `obs` column for the labels.
    pub fn label_column_name(&self) -> &str {
        self.label_column.as_deref().unwrap_or("label")
    }

    /// The file copied, if any.
    pub fn copied_file(&self) -> Option<&Path> {
        self.copy_from.as_deref()
    }
}

/// Writes `data` as an AnnData `.h5ad` file at `path` with `extras`, and returns the path.
///
/// The file is what `anndata.read_h5ad` (anndata >= 0.10) reads: `X` as `csr_matrix` when the
/// data set is sparse and as a dense `float32` array otherwise, `obs` indexed by the cell ids
/// with the labels (if any) as a categorical column named by [`H5adExtras::label_column`],
/// `var` indexed by the gene names, plus `obsm` matrices and a `rank_genes_groups` result in
/// `uns` from `extras`. [`read_h5ad`](crate::read::read_h5ad) reads it back to the same data
/// set. With [`H5adExtras::copy_from`] the file is a copy of an input `.h5ad` with the extras
/// added instead.
///
/// An existing file is replaced only if `overwrite` is true. The file is written under a
/// temporary name beside `path` and renamed into place, so a failed write leaves no partial
/// file (and an existing one untouched).
///
/// Errors: [`DataError::AlreadyExists`]; [`DataError::Invalid`] for extras that do not fit the
/// data set (an `obsm` matrix of the wrong size, ranking lists of different lengths, a group
/// that is not a label, a ranked gene that is not a gene of the data, ...); errors naming the
/// input file when copying (cells that differ, an object that cannot be copied); and
/// [`DataError::Io`] / [`DataError::Hdf5`] naming `path` when writing fails.
///
/// Strings in the `names` record array are stored as fixed-length ASCII (the only string
/// type `hdf5-pure` writes inside a record, and anndata decodes those as ASCII), so ranked
/// gene names and group names must be ASCII; everywhere else any UTF-8 is fine.
///
/// ```
/// use kratos_data::read::{ReadOptions, read_h5ad, read_h5ad_obsm};
/// use kratos_data::write::{H5adExtras, RankGenesGroups, write_h5ad};
/// use kratos_data::{Dataset, Labels};
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("out.h5ad");
/// let ds = Dataset::from_matrix(vec![0.0, 1.0, 2.0, 0.0, 3.0, 0.0], 3, 2)?
///     .into_sparse()
///     .with_labels(Labels::from_names(&["T", "B", "T"])?)?;
/// let ranking = RankGenesGroups::new(
///     "cell_type",
///     "logreg",
///     vec!["B".into(), "T".into()],
///     vec![vec!["gene0".into()], vec!["gene1".into()]],
///     vec![vec![2.0], vec![1.5]],
/// );
/// let extras = H5adExtras::new()
///     .label_column("cell_type")
///     .obsm("X_kratos", vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 2)
///     .rank_genes_groups("kratos", ranking);
/// write_h5ad(&path, &ds, &extras, false)?;
///
/// let back = read_h5ad(&path, &ReadOptions::new().label_key("cell_type"))?;
/// assert_eq!(back, ds);
/// assert_eq!(read_h5ad_obsm(&path, "X_kratos")?.2, 2);
/// // never overwritten by accident
/// assert!(write_h5ad(&path, &ds, &extras, false).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_h5ad(
    path: impl AsRef<Path>,
    data: &Dataset,
    extras: &H5adExtras,
    overwrite: bool,
) -> Result<PathBuf> {
    let path = path.as_ref();
    check_extras(data, extras)?;
    if !overwrite && path.exists() {
        return Err(DataError::AlreadyExists {
            path: path.to_path_buf(),
        });
    }
    let tmp = TempFile::beside(path)?;
    match extras.copied_file() {
        Some(input) => copy::copy_with_extras(input, tmp.path(), path, data, extras)?,
        None => {
            let mut fb = FileBuilder::new();
            layout::new_file(&mut fb, data, extras).map_err(|e| e.into_error(path))?;
            fb.write(tmp.path())
                .map_err(|e| DataError::hdf5(path, "/", "cannot write the file", e))?;
        }
    }
    tmp.persist(path, overwrite)?;
    Ok(path.to_path_buf())
}

/// A problem found while staging objects, before the file they belong to is known.
struct Staging {
    object: String,
    source: hdf5_pure::FormatError,
}

impl Staging {
    fn into_error(self, path: &Path) -> DataError {
        DataError::hdf5(path, self.object, "cannot stage", self.source)
    }
}

/// A name usable as an HDF5 link: non-empty, no `/`, not `.`.
fn check_name(what: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.contains('/') || name == "." {
        return Err(DataError::Invalid(format!(
            "{what} `{name}` cannot be used: it must be non-empty and contain no `/`"
        )));
    }
    Ok(())
}

/// Checks that `extras` fit `data` (everything that does not need the input file).
fn check_extras(data: &Dataset, extras: &H5adExtras) -> Result<()> {
    if extras.copied_file().is_none() && data.labels().is_some() {
        let column = extras.label_column_name();
        check_name("label column", column)?;
        if column == "_index" {
            return Err(DataError::Invalid(
                "label column `_index` cannot be used: it is the name of obs's index".into(),
            ));
        }
    }
    let mut keys = HashSet::new();
    for m in &extras.obsm {
        check_name("obsm key", &m.key)?;
        if !keys.insert(m.key.as_str()) {
            return Err(DataError::Invalid(format!(
                "obsm key `{}` is given twice",
                m.key
            )));
        }
        let expected = data.n_cells().checked_mul(m.n_cols);
        if m.n_cols == 0 || expected != Some(m.values.len()) {
            return Err(DataError::Invalid(format!(
                "obsm `{}`: {} values for {} cells x {} columns (expected one row of at least one value per cell)",
                m.key,
                m.values.len(),
                data.n_cells(),
                m.n_cols
            )));
        }
    }
    if let Some((key, r)) = &extras.uns {
        check_name("uns key", key)?;
        check_ranking(key, r)?;
        if extras.copied_file().is_none() {
            check_ranking_against_data(key, r, data, extras.label_column_name())?;
        }
    }
    Ok(())
}

/// Checks that `lists` has one list per group, each of `n` entries.
fn check_lists<T>(
    key: &str,
    what: &str,
    lists: &[Vec<T>],
    n_groups: usize,
    n: usize,
) -> Result<()> {
    if lists.len() != n_groups {
        return Err(DataError::Invalid(format!(
            "rank_genes_groups `{key}`: {} lists of {what} for {n_groups} groups",
            lists.len()
        )));
    }
    if let Some((g, l)) = lists.iter().enumerate().find(|(_, l)| l.len() != n) {
        return Err(DataError::Invalid(format!(
            "rank_genes_groups `{key}`: group {} has {} {what}, but {n} ranked genes",
            g + 1,
            l.len()
        )));
    }
    Ok(())
}

/// Checks the shape and names of a ranking on its own.
fn check_ranking(key: &str, r: &RankGenesGroups) -> Result<()> {
    let invalid =
        |problem: String| DataError::Invalid(format!("rank_genes_groups `{key}`: {problem}"));
    if r.groupby.is_empty() {
        return Err(invalid("groupby is empty".into()));
    }
    if r.groups.is_empty() {
        return Err(invalid("no groups".into()));
    }
    let mut seen = HashSet::new();
    for g in &r.groups {
        if !seen.insert(g.as_str()) {
            return Err(invalid(format!("group `{g}` is given twice")));
        }
        if g.is_empty() || !g.is_ascii() {
            return Err(invalid(format!(
                "group `{g}` cannot be used as a record field: it must be non-empty ASCII"
            )));
        }
        let columns = r.pts.is_some() || r.pts_rest.is_some();
        if columns && (g.contains('/') || g == "_index" || g == ".") {
            return Err(invalid(format!(
                "group `{g}` cannot be a column of pts or pts_rest: a dataframe column is stored under its name, which must contain no `/` (anndata refuses such keys too) and not be `_index`"
            )));
        }
    }
    let n = r.names.first().map_or(0, Vec::len);
    check_lists(key, "names", &r.names, r.groups.len(), n)?;
    if let Some(bad) = r.names.iter().flatten().find(|name| !name.is_ascii()) {
        return Err(invalid(format!(
            "gene `{bad}` is not ASCII: the names record array holds fixed-length ASCII strings (anndata decodes them as ASCII)"
        )));
    }
    check_lists(key, "scores", &r.scores, r.groups.len(), n)?;
    if let Some(l) = &r.logfoldchanges {
        check_lists(key, "logfoldchanges", l, r.groups.len(), n)?;
    }
    if let Some(l) = &r.pvals {
        check_lists(key, "pvals", l, r.groups.len(), n)?;
    }
    if let Some(l) = &r.pvals_adj {
        check_lists(key, "pvals_adj", l, r.groups.len(), n)?;
    }
    if r.method != "logreg"
        && (r.logfoldchanges.is_none() || r.pvals.is_none() || r.pvals_adj.is_none())
    {
        return Err(invalid(format!(
            "method `{}` needs logfoldchanges, pvals and pvals_adj (scanpy's rank_genes_groups_df reads them for every method but logreg)",
            r.method
        )));
    }
    for (what, table) in [("pts", &r.pts), ("pts_rest", &r.pts_rest)] {
        let Some(t) = table else { continue };
        let mut genes = HashSet::new();
        if let Some(dup) = t.genes.iter().find(|g| !genes.insert(g.as_str())) {
            return Err(invalid(format!("{what}: gene `{dup}` is given twice")));
        }
        if t.values.len() != r.groups.len() {
            return Err(invalid(format!(
                "{what}: {} columns for {} groups",
                t.values.len(),
                r.groups.len()
            )));
        }
        if let Some((g, col)) = t
            .values
            .iter()
            .enumerate()
            .find(|(_, c)| c.len() != t.genes.len())
        {
            return Err(invalid(format!(
                "{what}: group `{}` has {} values for {} genes",
                r.groups[g],
                col.len(),
                t.genes.len()
            )));
        }
    }
    Ok(())
}

/// Checks that every group is a label of the cells and every ranked gene a gene of `genes`,
/// so that scanpy's plots find them; `source` says where the labels and genes come from.
fn check_groups_and_genes(
    key: &str,
    r: &RankGenesGroups,
    labels: &HashSet<&str>,
    genes: &HashSet<&str>,
    source: &str,
) -> std::result::Result<(), String> {
    if let Some(g) = r.groups.iter().find(|g| !labels.contains(g.as_str())) {
        return Err(format!(
            "rank_genes_groups `{key}`: group `{g}` is not a value of the obs column `{}` {source}",
            r.groupby
        ));
    }
    if let Some(name) = r
        .names
        .iter()
        .flatten()
        .find(|n| !genes.contains(n.as_str()))
    {
        return Err(format!(
            "rank_genes_groups `{key}`: ranked gene `{name}` is not a gene {source}"
        ));
    }
    Ok(())
}

/// For a new file: the groups are labels of `data` written as the `obs` column `groupby`.
fn check_ranking_against_data(
    key: &str,
    r: &RankGenesGroups,
    data: &Dataset,
    label_column: &str,
) -> Result<()> {
    let Some(labels) = data.labels() else {
        return Err(DataError::Invalid(format!(
            "rank_genes_groups `{key}` groups by `{}`, but the data set has no labels to write as that obs column",
            r.groupby
        )));
    };
    if r.groupby != label_column {
        return Err(DataError::Invalid(format!(
            "rank_genes_groups `{key}` groups by `{}`, but the labels are written as the obs column `{label_column}` (set H5adExtras::label_column)",
            r.groupby
        )));
    }
    let classes: HashSet<&str> = labels.class_names().iter().map(String::as_str).collect();
    let genes: HashSet<&str> = data.gene_names().iter().map(String::as_str).collect();
    check_groups_and_genes(key, r, &classes, &genes, "of the data set").map_err(DataError::Invalid)
}

/// A file being written under a temporary name beside its destination, removed unless it is
/// moved into place.
struct TempFile {
    path: PathBuf,
    kept: bool,
}

impl TempFile {
    fn beside(path: &Path) -> Result<TempFile> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = path.file_name().ok_or_else(|| {
            DataError::Invalid(format!("{}: not a file name to write to", path.display()))
        })?;
        let tmp = path.with_file_name(format!(
            ".{}.{}-{}.tmp",
            name.to_string_lossy(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        Ok(TempFile {
            path: tmp,
            kept: false,
        })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the file to `path`; without `overwrite`, never over a file that appeared there
    /// meanwhile.
    fn persist(mut self, path: &Path, overwrite: bool) -> Result<()> {
        if !overwrite {
            // A hard link fails if `path` exists, where a rename would replace it.
            match std::fs::hard_link(&self.path, path) {
                Ok(()) => {
                    self.kept = false;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(DataError::AlreadyExists {
                        path: path.to_path_buf(),
                    });
                }
                // No hard links on this file system: fall back to a checked rename.
                Err(_) if path.exists() => {
                    return Err(DataError::AlreadyExists {
                        path: path.to_path_buf(),
                    });
                }
                Err(_) => {}
            }
        }
        std::fs::rename(&self.path, path).map_err(|e| DataError::io(path, e))?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Labels;

    fn ranking() -> RankGenesGroups {
        RankGenesGroups::new(
            "label",
            "logreg",
            vec!["a".into(), "b".into()],
            vec![
                vec!["g1".into(), "g22".into()],
                vec!["g2".into(), "g1".into()],
            ],
            vec![vec![1.0, 0.5], vec![2.0, 1.0]],
        )
    }

    #[test]
    fn names_that_cannot_be_links_are_refused() {
        assert!(check_name("obsm key", "X_pca").is_ok());
        for bad in ["", "a/b", "."] {
            let e = check_name("obsm key", bad).unwrap_err();
            assert!(e.to_string().contains("obsm key"), "{e}");
        }
    }

    #[test]
    fn ranking_checks() {
        assert!(check_ranking("k", &ranking()).is_ok());
        let mut r = ranking();
        r.method = "t-test".into();
        assert!(check_ranking("k", &r).is_err());
        let mut r = ranking();
        r.groups.clear();
        assert!(
            check_ranking("k", &r)
                .unwrap_err()
                .to_string()
                .contains("no groups")
        );
        let mut r = ranking();
        r.names.pop();
        let e = check_ranking("k", &r).unwrap_err().to_string();
        assert!(e.contains("1 lists of names for 2 groups"), "{e}");
        let mut r = ranking();
        r.groups[1] = "β".into();
        assert!(
            check_ranking("k", &r)
                .unwrap_err()
                .to_string()
                .contains("ASCII")
        );
        let mut r = ranking();
        r.pts_rest = Some(GeneFractions::new(
            vec!["g".into(), "g".into()],
            vec![vec![0.0; 2]; 2],
        ));
        assert!(
            check_ranking("k", &r)
                .unwrap_err()
                .to_string()
                .contains("given twice")
        );
    }

    #[test]
    fn the_ranking_must_match_the_labels_written() {
        let ds = Dataset::from_matrix(vec![0.0; 4], 2, 2)
            .unwrap()
            .with_labels(Labels::from_names(&["a", "b"]).unwrap())
            .unwrap();
        let mut r = ranking();
        for names in &mut r.names {
            for n in names.iter_mut() {
                *n = "gene0".into();
            }
        }
        assert!(check_ranking_against_data("k", &r, &ds, "label").is_ok());
        let e = check_ranking_against_data("k", &r, &ds, "cell_type").unwrap_err();
        assert!(e.to_string().contains("`cell_type`"), "{e}");
    }

    #[test]
    fn temporary_files_are_removed_unless_kept() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("x.h5ad");
        let tmp = TempFile::beside(&dest).unwrap();
        std::fs::write(tmp.path(), b"x").unwrap();
        let tmp_path = tmp.path().to_path_buf();
        assert!(
            tmp_path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".x.h5ad.")
        );
        drop(tmp);
        assert!(!tmp_path.exists());
        let tmp = TempFile::beside(&dest).unwrap();
        std::fs::write(tmp.path(), b"y").unwrap();
        tmp.persist(&dest, false).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"y");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let tmp = TempFile::beside(&dest).unwrap();
        std::fs::write(tmp.path(), b"z").unwrap();
        assert!(matches!(
            tmp.persist(&dest, false),
            Err(DataError::AlreadyExists { .. })
        ));
        assert_eq!(std::fs::read(&dest).unwrap(), b"y");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
