//! [`ReadOptions`]: how to read a data file and where its labels come from.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::{DataError, Result};

/// Options for every reader in [`crate::read`], built in builder style. Options that do not
/// apply to a format are ignored by its reader, except the label sources, which are checked.
///
/// ```
/// use kratos_data::read::ReadOptions;
/// let opts = ReadOptions::new()
///     .transpose(true)          // genes as rows
///     .expect_counts(true)      // negative values are an error
///     .label_file("labels.tsv"); // labels matched by cell id
/// assert!(opts.is_transposed());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReadOptions {
    transpose: bool,
    delimiter: Option<u8>,
    expect_counts: bool,
    label_file: Option<PathBuf>,
    labels_from_cell_ids: bool,
    label_key: Option<String>,
    use_raw: bool,
    layer: Option<String>,
    genes: Option<Vec<String>>,
}

impl ReadOptions {
    /// Defaults: cells as rows, delimiter detected, any finite values, no labels, `X` (not
    /// `raw` or a layer), all genes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Delimited text only: the file has genes as rows and cells as columns (header
    /// `gene,<cell id>,...`). Default `false` (cells as rows).
    pub fn transpose(mut self, transpose: bool) -> Self {
        self.transpose = transpose;
        self
    }

    /// Delimited text only: the field delimiter (e.g. `b','` or `b'\t'`). By default it is
    /// taken from the extension (`.csv` comma, `.tsv`/`.tab` tab, after dropping `.gz`) or,
    /// failing that, from the first line (tab if it has more tabs than commas).
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = Some(delimiter);
        self
    }

    /// All formats: the values are counts, so a negative value is an error (naming its line
    /// and column). Default `false`.
    pub fn expect_counts(mut self, expect_counts: bool) -> Self {
        self.expect_counts = expect_counts;
        self
    }

    /// Labels from a two-column file (`cell<TAB>label`, or comma-separated), matched to the
    /// data by cell id. See [`crate::read::read_labels`].
    pub fn label_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.label_file = Some(path.into());
        self
    }

    /// Labels from the cell ids themselves, `<index>_<type>` as in the published Kratos
    /// simulation CSVs (`"17_3"` is of class `"3"`). See
    /// [`crate::read::labels_from_cell_ids`].
    pub fn labels_from_cell_ids(mut self, yes: bool) -> Self {
        self.labels_from_cell_ids = yes;
        self
    }

    /// `.h5ad` only: the categorical (or string) `obs` column that holds the labels, e.g.
    /// `bulk_labels`.
    pub fn label_key(mut self, key: impl Into<String>) -> Self {
        self.label_key = Some(key.into());
        self
    }

    /// `.h5ad` only: read `raw.X` with `raw.var`'s gene names instead of `X` and `var`.
    pub fn use_raw(mut self, use_raw: bool) -> Self {
        self.use_raw = use_raw;
        self
    }

    /// `.h5ad` only: read the matrix `layers/<name>` (dense, CSR or CSC, stored like `X`)
    /// instead of `X`, with `X`'s cell ids (`obs`) and gene names (`var`). A name the file has
    /// no layer of is an error listing the layers it has; giving both a layer and
    /// [`use_raw`](Self::use_raw) is an error.
    ///
    /// ```
    /// use kratos_data::read::ReadOptions;
    /// let opts = ReadOptions::new().layer("counts").expect_counts(true);
    /// assert_eq!(opts.layer_name(), Some("counts"));
    /// ```
    pub fn layer(mut self, name: impl Into<String>) -> Self {
        self.layer = Some(name.into());
        self
    }

    /// Keep only these genes, in this order. A name missing from the file is an error.
    pub fn genes<I, S>(mut self, genes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.genes = Some(genes.into_iter().map(Into::into).collect());
        self
    }

    /// Whether the text file has genes as rows.
    pub fn is_transposed(&self) -> bool {
        self.transpose
    }

    /// The delimiter, if one was given.
    pub fn delimiter_byte(&self) -> Option<u8> {
        self.delimiter
    }

    /// Whether values must be non-negative counts.
    pub fn expects_counts(&self) -> bool {
        self.expect_counts
    }

    /// The label file, if one was given.
    pub fn label_file_path(&self) -> Option<&Path> {
        self.label_file.as_deref()
    }

    /// Whether labels are parsed from the cell ids.
    pub fn labels_come_from_cell_ids(&self) -> bool {
        self.labels_from_cell_ids
    }

    /// The `.h5ad` `obs` column holding the labels, if one was given.
    pub fn label_key_name(&self) -> Option<&str> {
        self.label_key.as_deref()
    }

    /// Whether `raw` is read instead of `X`.
    pub fn uses_raw(&self) -> bool {
        self.use_raw
    }

    /// The `.h5ad` layer read instead of `X`, if one was given.
    pub fn layer_name(&self) -> Option<&str> {
        self.layer.as_deref()
    }

    /// The gene subset, if one was given.
    pub fn gene_subset(&self) -> Option<&[String]> {
        self.genes.as_deref()
    }

    /// Checks the options once, before any file is touched.
    pub(crate) fn check(&self) -> Result<()> {
        if let Some(d) = self.delimiter
            && (!d.is_ascii() || matches!(d, b'"' | b'\n' | b'\r'))
        {
            return Err(DataError::Invalid(format!(
                "delimiter {:?} cannot be used: give an ASCII character other than a quote or a line break",
                d as char
            )));
        }
        let sources = [
            self.label_file.is_some(),
            self.labels_from_cell_ids,
            self.label_key.is_some(),
        ];
        if sources.iter().filter(|&&s| s).count() > 1 {
            return Err(DataError::Invalid(
                "give at most one label source: a label file, labels from cell ids, or an h5ad label key"
                    .into(),
            ));
        }
        if let Some(layer) = &self.layer {
            if self.use_raw {
                return Err(DataError::Invalid(format!(
                    "give either use_raw or the layer `{layer}`, not both: a layer has the genes of `var`, raw data those of `raw/var`"
                )));
            }
            if layer.is_empty() || layer.contains('/') {
                return Err(DataError::Invalid(format!(
                    "layer name `{layer}` cannot be used: it must be non-empty and contain no `/`"
                )));
            }
        }
        if let Some(genes) = &self.genes {
            let mut seen = HashSet::new();
            for g in genes {
                if !seen.insert(g.as_str()) {
                    return Err(DataError::Invalid(format!(
                        "gene `{g}` is given twice in the gene subset"
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_rejects_conflicts() {
        assert!(ReadOptions::new().check().is_ok());
        assert!(ReadOptions::new().delimiter(b'"').check().is_err());
        assert!(
            ReadOptions::new()
                .label_file("x")
                .labels_from_cell_ids(true)
                .check()
                .is_err()
        );
        let e = ReadOptions::new()
            .layer("counts")
            .use_raw(true)
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("not both"), "{e}");
        assert!(ReadOptions::new().layer("a/b").check().is_err());
        assert!(ReadOptions::new().layer("counts").check().is_ok());
        let e = ReadOptions::new()
            .genes(["a", "b", "a"])
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("`a` is given twice"), "{e}");
    }
}
