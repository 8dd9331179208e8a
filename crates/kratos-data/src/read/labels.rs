//! Cell-type labels: from a two-column label file matched by cell id, or from the cell ids of
//! the published Kratos simulation CSVs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use csv::ByteRecord;

use super::delimited::{line_of, next_record, utf8_field};
use super::input::{TextInput, open_text};
use crate::{DataError, Labels, Result};

/// First-column headers that mark the first line of a label file as a header (compared
/// case-insensitively; an empty first field counts too).
const ID_HEADERS: [&str; 9] = [
    "",
    "cell",
    "cell_id",
    "cellid",
    "cells",
    "barcode",
    "barcodes",
    "index",
    "obs_names",
];

/// A label file as read: one (cell id, label) pair per line, in file order.
///
/// Match it to a data set's cells with [`LabelTable::labels_for`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelTable {
    path: PathBuf,
    cell_ids: Vec<String>,
    labels: Vec<String>,
    lines: Vec<u64>,
}

impl LabelTable {
    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Cell ids, in file order.
    pub fn cell_ids(&self) -> &[String] {
        &self.cell_ids
    }

    /// Labels, in file order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Number of labelled cells.
    pub fn len(&self) -> usize {
        self.cell_ids.len()
    }

    /// True if the file labels no cell.
    pub fn is_empty(&self) -> bool {
        self.cell_ids.is_empty()
    }

    /// The labels of `cell_ids` (a data set's cells, in its row order), matched by id.
    ///
    /// Errors, naming the label file, if the file names a cell that is not in `cell_ids`
    /// (with its line) or a cell of `cell_ids` has no label (with its row).
    pub fn labels_for(&self, cell_ids: &[String]) -> Result<Labels> {
        let row_of: HashMap<&str, usize> = cell_ids
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let mut label_of: Vec<Option<&str>> = vec![None; cell_ids.len()];
        for ((id, label), line) in self.cell_ids.iter().zip(&self.labels).zip(&self.lines) {
            match row_of.get(id.as_str()) {
                Some(&row) => label_of[row] = Some(label),
                None => {
                    let unknown = self
                        .cell_ids
                        .iter()
                        .filter(|c| !row_of.contains_key(c.as_str()))
                        .count();
                    return Err(DataError::LabelMismatch {
                        path: self.path.clone(),
                        problem: format!(
                            "line {line}: cell `{id}` is not in the data ({unknown} labelled cell(s) are not in the data)"
                        ),
                    });
                }
            }
        }
        if let Some(row) = label_of.iter().position(Option::is_none) {
            let missing = label_of.iter().filter(|l| l.is_none()).count();
            return Err(DataError::LabelMismatch {
                path: self.path.clone(),
                problem: format!(
                    "cell `{}` (data row {}) has no label ({missing} cell(s) of the data have none)",
                    cell_ids[row],
                    row + 1
                ),
            });
        }
        let names: Vec<&str> = label_of
            .into_iter()
            .map(|l| l.unwrap_or_default())
            .collect();
        Labels::from_names(&names)
    }
}

/// Reads a label file: two columns, cell id and label, separated by a tab (or, if the first
/// line has no tab, a comma), optionally gzipped. The first line is a header when its first
/// field is empty or one of `cell`, `cell_id`, `cellid`, `cells`, `barcode`, `barcodes`,
/// `index`, `obs_names` (any case), as in `cell<TAB>label`.
///
/// Errors name the file and line: a line without exactly two fields, an empty id or label, a
/// cell id given twice, invalid UTF-8, or a file without labels.
pub fn read_label_table(path: impl AsRef<Path>) -> Result<LabelTable> {
    let path = path.as_ref();
    let TextInput { mut reader, gzip } = open_text(path)?;
    let delimiter = {
        let buf = reader
            .fill_buf()
            .map_err(|e| super::input::read_error(path, gzip, None, e))?;
        let first = match buf.iter().position(|&b| b == b'\n') {
            Some(end) => &buf[..end],
            None => buf,
        };
        if first.contains(&b'\t') { b'\t' } else { b',' }
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(reader);
    let mut record = ByteRecord::new();
    let mut table = LabelTable {
        path: path.to_path_buf(),
        cell_ids: Vec::new(),
        labels: Vec::new(),
        lines: Vec::new(),
    };
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    let mut last_line = 0;
    let mut first = true;
    while next_record(&mut rdr, &mut record, path, gzip, last_line)? {
        let line = line_of(&record);
        last_line = line;
        if record.len() != 2 {
            return Err(DataError::Ragged {
                path: path.to_path_buf(),
                line,
                expected: 2,
                found: record.len(),
            });
        }
        let id = utf8_field(&record[0], path, line, 1, "cell id")?;
        let label = utf8_field(&record[1], path, line, 2, "label")?;
        if first {
            first = false;
            let lower = id.trim().to_ascii_lowercase();
            if ID_HEADERS.contains(&lower.as_str()) {
                continue;
            }
        }
        if id.is_empty() {
            return Err(DataError::bad_value(
                path,
                line,
                1,
                "cell id",
                "empty cell id",
            ));
        }
        if label.is_empty() {
            return Err(DataError::bad_value(
                path,
                line,
                2,
                "label",
                format!("cell `{id}` has an empty label"),
            ));
        }
        if let Some(prev) = first_line_of.insert(id.to_string(), line) {
            return Err(DataError::Duplicate {
                path: path.to_path_buf(),
                kind: "cell id",
                name: id.to_string(),
                first: format!("line {prev}"),
                second: format!("line {line}"),
            });
        }
        table.cell_ids.push(id.to_string());
        table.labels.push(label.to_string());
        table.lines.push(line);
    }
    if table.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            what: if first {
                "the label file is empty".into()
            } else {
                "the label file has a header but no labels".into()
            },
        });
    }
    Ok(table)
}

/// Reads a label file (see [`read_label_table`]) and matches it to `cell_ids` by id (see
/// [`LabelTable::labels_for`]); the order of the file does not matter.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("labels.tsv");
/// std::fs::write(&path, "cell\tlabel\nc2\tB\nc1\tT\n")?;
/// let ids = vec!["c1".to_string(), "c2".to_string()];
/// let labels = kratos_data::read::read_labels(&path, &ids)?;
/// assert_eq!(labels.name_of(0), "T");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_labels(path: impl AsRef<Path>, cell_ids: &[String]) -> Result<Labels> {
    read_label_table(path)?.labels_for(cell_ids)
}

/// Labels from cell ids of the form `<index>_<type>`, as in the published Kratos simulation
/// CSVs: the class is the text after the last `_` (`"17_3"` is of class `"3"`). Numeric class
/// names sort numerically.
///
/// Errors naming the cell (and its 1-based row) if an id has no `_` or nothing after it.
///
/// ```
/// let ids: Vec<String> = ["1_1", "2_2", "3_1"].iter().map(|s| s.to_string()).collect();
/// let labels = kratos_data::read::labels_from_cell_ids(&ids)?;
/// assert_eq!(labels.class_names(), &["1", "2"]);
/// assert_eq!(labels.assignments(), &[0, 1, 0]);
/// # Ok::<(), kratos_data::DataError>(())
/// ```
pub fn labels_from_cell_ids(cell_ids: &[String]) -> Result<Labels> {
    let mut classes = Vec::with_capacity(cell_ids.len());
    for (row, id) in cell_ids.iter().enumerate() {
        match id.rsplit_once('_') {
            Some((_, class)) if !class.is_empty() => classes.push(class),
            _ => {
                return Err(DataError::Invalid(format!(
                    "cell id `{id}` (row {}) is not of the form `<index>_<type>`, so it names no class",
                    row + 1
                )));
            }
        }
    }
    Labels::from_names(&classes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn header_is_optional_and_comma_works() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "l.csv", "a,x\nb,y\n");
        let t = read_label_table(&p).unwrap();
        assert_eq!(t.cell_ids(), &["a", "b"]);
        let p = write(&dir, "l2.tsv", "cell\tlabel\r\nb\ty\r\na\tx\r\n");
        let t = read_label_table(&p).unwrap();
        assert_eq!(t.labels(), &["y", "x"]);
        let ids = vec!["a".to_string(), "b".to_string()];
        let l = t.labels_for(&ids).unwrap();
        assert_eq!((l.name_of(0), l.name_of(1)), ("x", "y"));
    }

    #[test]
    fn bad_cell_ids_are_named() {
        let ids = vec!["1_1".to_string(), "oops".to_string()];
        let e = labels_from_cell_ids(&ids).unwrap_err().to_string();
        assert!(e.contains("`oops` (row 2)"), "{e}");
    }
}
