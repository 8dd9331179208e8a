//! 10x Genomics matrix folders: `matrix.mtx[.gz]` (MatrixMarket coordinate, genes x cells),
//! `barcodes.tsv[.gz]` and `features.tsv[.gz]` (or the older `genes.tsv[.gz]`).

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::delimited::parse_value;
use super::input::{TextInput, open_text, read_all_text, read_error};
use super::make_unique;
use super::options::ReadOptions;
use crate::{DataError, Dataset, Result, SparseMatrix};

/// The first of `names` that exists in `folder`, or a [`DataError::MissingFile`].
fn find_file(folder: &Path, names: &[&str]) -> Result<PathBuf> {
    names
        .iter()
        .map(|n| folder.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| DataError::MissingFile {
            folder: folder.to_path_buf(),
            file: names.join(" or "),
        })
}

/// The non-empty lines of a small tab-separated side file, split into fields, with their
/// 1-based line numbers.
fn tsv_lines(path: &Path) -> Result<Vec<(u64, Vec<String>)>> {
    let bytes = read_all_text(path)?;
    let mut out = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = (i + 1) as u64;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.is_empty() {
            continue;
        }
        let text = std::str::from_utf8(raw).map_err(|e| {
            DataError::bad_value(
                path,
                line,
                1,
                "line",
                format!("invalid UTF-8 at byte {}", e.valid_up_to()),
            )
        })?;
        out.push((line, text.split('\t').map(str::to_string).collect()));
    }
    Ok(out)
}

/// The cells x genes CSR matrix of a genes x cells MatrixMarket file, built as the entries are
/// read. Cell Ranger writes the entries cell by cell, so each cell's row is appended where it
/// belongs and reading holds one matrix; entries out of cell order are set aside and sorted in
/// at the end (a counting sort), so any order reads, at the cost of a second copy.
struct CsrBuilder {
    n_genes: usize,
    n_cells: usize,
    /// Start of every cell's row up to the last cell seen.
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
    /// (cell, gene, value) of entries that came after a later cell's.
    late: Vec<(u32, u32, f32)>,
}

/// An empty vector with room for the `announced` entries of a size line when the allocator
/// grants it (memory is resident only once written, so a size line that overstates costs
/// nothing), since growing by doubling would hold up to three times the matrix while it copies;
/// a size line asking for more than the machine has gets a small start and growth instead.
fn reserved<T>(announced: usize) -> Vec<T> {
    let mut v = Vec::new();
    if v.try_reserve_exact(announced).is_err() {
        v.reserve(announced.min(MAX_PREALLOCATED_ENTRIES));
    }
    v
}

impl CsrBuilder {
    fn new(n_genes: usize, n_cells: usize, announced: usize) -> Self {
        let mut indptr = Vec::with_capacity(n_cells + 1);
        indptr.push(0);
        CsrBuilder {
            n_genes,
            n_cells,
            indptr,
            indices: reserved(announced),
            values: reserved(announced),
            late: Vec::new(),
        }
    }

    fn push(&mut self, gene: u32, cell: u32, value: f32) {
        let cell = cell as usize;
        if cell + 1 < self.indptr.len() {
            self.late.push((cell as u32, gene, value));
            return;
        }
        while self.indptr.len() <= cell {
            self.indptr.push(self.values.len());
        }
        self.indices.push(gene);
        self.values.push(value);
    }

    /// The matrix (rows sorted and repeated entries summed by [`SparseMatrix::from_csr`]).
    fn finish(mut self) -> Result<SparseMatrix> {
        while self.indptr.len() <= self.n_cells {
            self.indptr.push(self.values.len());
        }
        if !self.late.is_empty() {
            self.sort_in_late_entries();
        }
        SparseMatrix::from_csr(
            self.n_cells,
            self.n_genes,
            self.indptr,
            self.indices,
            self.values,
        )
    }

    fn sort_in_late_entries(&mut self) {
        let mut indptr = vec![0usize; self.n_cells + 1];
        for c in 0..self.n_cells {
            indptr[c + 1] = self.indptr[c + 1] - self.indptr[c];
        }
        for &(c, _, _) in &self.late {
            indptr[c as usize + 1] += 1;
        }
        for c in 0..self.n_cells {
            indptr[c + 1] += indptr[c];
        }
        let total = indptr[self.n_cells];
        let mut indices = vec![0u32; total];
        let mut values = vec![0f32; total];
        let mut next = indptr.clone();
        for (c, slot) in next.iter_mut().enumerate().take(self.n_cells) {
            let (a, b) = (self.indptr[c], self.indptr[c + 1]);
            let at = *slot;
            indices[at..at + b - a].copy_from_slice(&self.indices[a..b]);
            values[at..at + b - a].copy_from_slice(&self.values[a..b]);
            *slot += b - a;
        }
        for &(c, g, v) in &self.late {
            let at = next[c as usize];
            indices[at] = g;
            values[at] = v;
            next[c as usize] += 1;
        }
        self.indptr = indptr;
        self.indices = indices;
        self.values = values;
        self.late = Vec::new();
    }
}

/// Parses a whitespace-separated token as an unsigned integer, naming the line and column.
fn parse_index(token: &[u8], path: &Path, line: u64, column: usize, what: &str) -> Result<usize> {
    std::str::from_utf8(token)
        .ok()
        .and_then(|t| t.parse::<usize>().ok())
        .ok_or_else(|| {
            DataError::bad_value(
                path,
                line,
                column,
                what,
                format!(
                    "`{}` is not a non-negative integer",
                    String::from_utf8_lossy(token)
                ),
            )
        })
}

/// At most this many MatrixMarket entries are allocated before they are read.
const MAX_PREALLOCATED_ENTRIES: usize = 1 << 22;

/// Parses a MatrixMarket `coordinate` file (`real`, `double`, `integer` or `pattern`; `general`
/// symmetry only), hand-written because the format is a few lines and the MatrixMarket crates
/// on crates.io read neither gzip nor into `f32` CSR: `start(n_rows, n_cols, announced entries)` makes the
/// receiver once the size line is read (it may refuse, e.g. a size that does not match the
/// features), then `push(receiver, row, column, value)` gets every entry, 0-based, in file
/// order. Errors name the line and field of any bad entry.
fn parse_matrix_market<S>(
    path: &Path,
    counts: bool,
    start: impl FnOnce(usize, usize, usize) -> Result<S>,
    mut push: impl FnMut(&mut S, u32, u32, f32),
) -> Result<S> {
    let TextInput { mut reader, gzip } = open_text(path)?;
    let mut buf = Vec::with_capacity(128);
    let mut line: u64 = 0;
    let mut next_line = |buf: &mut Vec<u8>, line: &mut u64| -> Result<bool> {
        buf.clear();
        let n = reader
            .read_until(b'\n', buf)
            .map_err(|e| read_error(path, gzip, Some(*line), e))?;
        if n == 0 {
            return Ok(false);
        }
        *line += 1;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        Ok(true)
    };
    if !next_line(&mut buf, &mut line)? {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            what: "the file is empty (expected a `%%MatrixMarket` header)".into(),
        });
    }
    let header = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let words: Vec<&str> = header.split_whitespace().collect();
    if words.first() != Some(&"%%matrixmarket") || words.len() < 5 {
        return Err(DataError::format(
            path,
            format!(
                "line 1: expected `%%MatrixMarket matrix coordinate <real|integer|pattern> general`, found `{}`",
                String::from_utf8_lossy(&buf)
            ),
        ));
    }
    if words[1] != "matrix" || words[2] != "coordinate" {
        return Err(DataError::format(
            path,
            format!(
                "line 1: only `matrix coordinate` (sparse) MatrixMarket files are supported, not `{} {}`",
                words[1], words[2]
            ),
        ));
    }
    // An `integer` matrix holds counts (what Cell Ranger writes): a negative entry is an error
    // whatever the options say.
    let counts = counts || words[3] == "integer";
    let pattern = match words[3] {
        "real" | "double" | "integer" => false,
        "pattern" => true,
        other => {
            return Err(DataError::format(
                path,
                format!(
                    "line 1: unsupported MatrixMarket field type `{other}` (use real, integer or pattern)"
                ),
            ));
        }
    };
    if words[4] != "general" {
        return Err(DataError::format(
            path,
            format!(
                "line 1: unsupported MatrixMarket symmetry `{}` (only general)",
                words[4]
            ),
        ));
    }
    // Comments, then the size line.
    let (n_rows, n_cols, nnz) = loop {
        if !next_line(&mut buf, &mut line)? {
            return Err(DataError::Empty {
                path: path.to_path_buf(),
                what: "no size line (`rows columns entries`) after the header".into(),
            });
        }
        if buf.first() == Some(&b'%') || buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let tokens: Vec<&[u8]> = buf
            .split(u8::is_ascii_whitespace)
            .filter(|t| !t.is_empty())
            .collect();
        if tokens.len() != 3 {
            return Err(DataError::format(
                path,
                format!(
                    "line {line}: the size line needs 3 numbers (rows columns entries), found {}",
                    tokens.len()
                ),
            ));
        }
        break (
            parse_index(tokens[0], path, line, 1, "rows")?,
            parse_index(tokens[1], path, line, 2, "columns")?,
            parse_index(tokens[2], path, line, 3, "entries")?,
        );
    };
    if n_rows > u32::MAX as usize || n_cols > u32::MAX as usize {
        return Err(DataError::format(
            path,
            format!("line {line}: matrix too large"),
        ));
    }
    let mut receiver = start(n_rows, n_cols, nnz)?;
    let mut entries = 0usize;
    let want_fields = if pattern { 2 } else { 3 };
    while next_line(&mut buf, &mut line)? {
        if buf.first() == Some(&b'%') || buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mut tokens = buf.split(u8::is_ascii_whitespace).filter(|t| !t.is_empty());
        let fields: [Option<&[u8]>; 4] =
            [tokens.next(), tokens.next(), tokens.next(), tokens.next()];
        let found = fields.iter().filter(|f| f.is_some()).count();
        if found != want_fields {
            return Err(DataError::Ragged {
                path: path.to_path_buf(),
                line,
                expected: want_fields,
                found: found + tokens.count(),
            });
        }
        let i = parse_index(fields[0].unwrap_or_default(), path, line, 1, "row")?;
        let j = parse_index(fields[1].unwrap_or_default(), path, line, 2, "column")?;
        if i == 0 || i > n_rows || j == 0 || j > n_cols {
            return Err(DataError::bad_value(
                path,
                line,
                if i == 0 || i > n_rows { 1 } else { 2 },
                "index",
                format!(
                    "entry ({i}, {j}) lies outside the announced {n_rows} x {n_cols} matrix (indices are 1-based)"
                ),
            ));
        }
        let v = match fields[2] {
            None => 1.0,
            Some(t) => parse_value(t, counts)
                .map_err(|p| DataError::bad_value(path, line, 3, "value", p.describe(t)))?,
        };
        if entries == nnz {
            return Err(DataError::format(
                path,
                format!("line {line}: more entries than the {nnz} announced on the size line"),
            ));
        }
        push(&mut receiver, (i - 1) as u32, (j - 1) as u32, v);
        entries += 1;
    }
    if entries != nnz {
        return Err(DataError::format(
            path,
            format!(
                "the size line announces {nnz} entries but the file has {entries} (truncated?)"
            ),
        ));
    }
    Ok(receiver)
}

/// The files of a 10x folder with its cell ids and (unique) gene names.
struct TenXFolder {
    matrix_path: PathBuf,
    barcodes_path: PathBuf,
    features_path: PathBuf,
    cell_ids: Vec<String>,
    gene_names: Vec<String>,
}

/// Finds the three files of a 10x folder and reads barcodes and features.
fn open_10x(folder: &Path, opts: &ReadOptions) -> Result<TenXFolder> {
    opts.check()?;
    if opts.label_key_name().is_some() {
        return Err(DataError::Invalid(
            "a label key selects an obs column of an .h5ad file; for a 10x folder give a label file".into(),
        ));
    }
    if !folder.is_dir() {
        return Err(DataError::format(
            folder,
            "not a folder (a 10x Genomics matrix folder was expected)",
        ));
    }
    let matrix_path = find_file(folder, &["matrix.mtx.gz", "matrix.mtx"])?;
    let barcodes_path = find_file(folder, &["barcodes.tsv.gz", "barcodes.tsv"])?;
    let features_path = find_file(
        folder,
        &[
            "features.tsv.gz",
            "features.tsv",
            "genes.tsv.gz",
            "genes.tsv",
        ],
    )?;

    let barcodes = tsv_lines(&barcodes_path)?;
    let mut seen: HashMap<&str, u64> = HashMap::with_capacity(barcodes.len());
    for (line, fields) in &barcodes {
        if let Some(first) = seen.insert(fields[0].as_str(), *line) {
            return Err(DataError::Duplicate {
                path: barcodes_path.clone(),
                kind: "cell id (barcode)",
                name: fields[0].clone(),
                first: format!("line {first}"),
                second: format!("line {line}"),
            });
        }
    }
    let cell_ids: Vec<String> = barcodes
        .into_iter()
        .map(|(_, mut f)| f.swap_remove(0))
        .collect();
    let mut gene_names: Vec<String> = tsv_lines(&features_path)?
        .into_iter()
        .map(|(_, mut f)| {
            if f.len() >= 2 && !f[1].is_empty() {
                f.swap_remove(1)
            } else {
                f.swap_remove(0)
            }
        })
        .collect();
    make_unique(&mut gene_names);

    Ok(TenXFolder {
        matrix_path,
        barcodes_path,
        features_path,
        cell_ids,
        gene_names,
    })
}

/// Reads a 10x Genomics matrix folder as a sparse cells x genes data set.
///
/// Needs `matrix.mtx` (MatrixMarket coordinate, genes x cells, real, integer or pattern values),
/// `barcodes.tsv` (cell ids, first column) and `features.tsv` (or `genes.tsv`), each
/// optionally gzipped (`.gz`). Gene names are the feature file's second column (gene symbol)
/// when present, else its first; repeated names are made unique the way scanpy's
/// `var_names_make_unique` does (see [`super::make_unique`]). Repeated entries are summed, as
/// scipy does. Labels come from [`ReadOptions::label_file`] or
/// [`ReadOptions::labels_from_cell_ids`]; the gene subset of [`ReadOptions::genes`] is applied.
///
/// The matrix is built in compressed rows as the file is read (one copy in memory when the
/// entries come cell by cell, as Cell Ranger writes them).
pub fn read_10x(folder: impl AsRef<Path>, opts: &ReadOptions) -> Result<Dataset> {
    let folder = folder.as_ref();
    let TenXFolder {
        matrix_path,
        barcodes_path,
        features_path,
        cell_ids,
        gene_names,
    } = open_10x(folder, opts)?;
    let (n_cells, n_genes) = (cell_ids.len(), gene_names.len());
    let builder = parse_matrix_market(
        &matrix_path,
        opts.expects_counts(),
        |n_rows, n_cols, announced| {
            if n_rows != n_genes {
                return Err(DataError::format(
                    &matrix_path,
                    format!(
                        "the matrix has {n_rows} rows (genes) but {} lists {n_genes} features",
                        features_path.display(),
                    ),
                ));
            }
            if n_cols != n_cells {
                return Err(DataError::format(
                    &matrix_path,
                    format!(
                        "the matrix has {n_cols} columns (cells) but {} lists {n_cells} barcodes",
                        barcodes_path.display(),
                    ),
                ));
            }
            Ok(CsrBuilder::new(n_genes, n_cells, announced))
        },
        CsrBuilder::push,
    )?;
    let mut data = Dataset::from_sparse(builder.finish()?, cell_ids, gene_names)?;
    if let Some(genes) = opts.gene_subset() {
        let index = crate::sparse::gene_positions(data.gene_names(), genes)
            .map_err(|e| DataError::format(folder, e.to_string()))?;
        data = data.select_genes(&index);
    }
    super::attach_labels(data, opts, &barcodes_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_small_folder_with_pattern_and_comments() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("matrix.mtx"),
            "%%MatrixMarket matrix coordinate integer general\n% a comment\n3 2 3\n1 1 5\n3 1 1\n2 2 7\n",
        )
        .unwrap();
        std::fs::write(d.join("barcodes.tsv"), "AAA-1\nCCC-1\n").unwrap();
        std::fs::write(d.join("genes.tsv"), "id1\tG\nid2\tG\nid3\tH\n").unwrap();
        let ds = read_10x(d, &ReadOptions::new()).unwrap();
        assert!(ds.is_sparse());
        assert_eq!(ds.gene_names(), &["G", "G-1", "H"]);
        assert_eq!(ds.to_dense_values(), [5.0, 0.0, 1.0, 0.0, 7.0, 0.0]);
        std::fs::write(
            d.join("matrix.mtx"),
            "%%MatrixMarket matrix coordinate pattern general\n3 2 2\n2 1\n3 2\n",
        )
        .unwrap();
        let ds = read_10x(d, &ReadOptions::new()).unwrap();
        assert_eq!(ds.to_dense_values(), [0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn entries_in_any_order_are_sorted_in_and_repeats_summed() {
        // An entry of cell c before those of cells a and b, gene 1 of cell a twice.
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("matrix.mtx"),
            "%%MatrixMarket matrix coordinate real general\n3 3 5\n2 3 1.5\n1 1 2\n3 2 4\n1 1 0.5\n2 1 3\n",
        )
        .unwrap();
        std::fs::write(d.join("barcodes.tsv"), "a\nb\nc\n").unwrap();
        std::fs::write(d.join("genes.tsv"), "g1\ng2\ng3\n").unwrap();
        let opts = ReadOptions::new();
        let ds = read_10x(d, &opts).unwrap();
        assert_eq!(
            ds.to_dense_values(),
            [2.5, 3.0, 0.0, 0.0, 0.0, 4.0, 0.0, 1.5, 0.0]
        );
        let m = ds.sparse_matrix().unwrap();
        assert_eq!(m.indptr(), &[0, 2, 3, 4]);
        // Size mismatches are found from the size line, before any entry is stored.
        std::fs::write(d.join("barcodes.tsv"), "a\nb\n").unwrap();
        let err = read_10x(d, &opts).unwrap_err().to_string();
        assert!(
            err.contains("3 columns (cells)") && err.contains("2 barcodes"),
            "{err}"
        );
    }
}
