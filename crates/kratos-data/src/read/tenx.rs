//! 10x Genomics matrix folders: `matrix.mtx[.gz]` (MatrixMarket coordinate, genes x cells),
//! `barcodes.tsv[.gz]` and `features.tsv[.gz]` (or the older `genes.tsv[.gz]`).

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::delimited::parse_value;
use super::input::{TextInput, open_text, read_all_text, read_error};
use super::make_unique;
use super::options::ReadOptions;
use crate::{DataError, Dataset, Result, SparseDataset, SparseMatrix};

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

/// A MatrixMarket coordinate matrix as read: `(row, column, value)` triplets, 0-based.
struct Coordinates {
    n_rows: usize,
    n_cols: usize,
    rows: Vec<u32>,
    cols: Vec<u32>,
    values: Vec<f32>,
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

/// Reads a MatrixMarket `coordinate` file (`real`, `double`, `integer` or `pattern`;
/// `general` symmetry only). Hand-written because the format is a few lines and the MatrixMarket
/// crates on crates.io read neither gzip nor into `f32` CSR.
/// At most this many MatrixMarket entries are allocated before they are read.
const MAX_PREALLOCATED_ENTRIES: usize = 1 << 22;

/// Parses a MatrixMarket coordinate file into a [`Coordinates`] set of triplets.
fn read_matrix_market(path: &Path, counts: bool) -> Result<Coordinates> {
    parse_matrix_market(
        path,
        counts,
        |n_rows, n_cols, nnz| {
            Ok(Coordinates {
                n_rows,
                n_cols,
                // The announced count is not trusted for the allocation (a corrupt size line
                // could ask for terabytes); the vectors grow past this as entries arrive.
                rows: Vec::with_capacity(nnz.min(MAX_PREALLOCATED_ENTRIES)),
                cols: Vec::with_capacity(nnz.min(MAX_PREALLOCATED_ENTRIES)),
                values: Vec::with_capacity(nnz.min(MAX_PREALLOCATED_ENTRIES)),
            })
        },
        |c, i, j, v| {
            c.rows.push(i);
            c.cols.push(j);
            c.values.push(v);
        },
    )
}

/// Parses a MatrixMarket coordinate file: `start(n_rows, n_cols, announced entries)` makes the
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
/// Needs `matrix.mtx` (MatrixMarket coordinate, genes x cells, real or integer values),
/// `barcodes.tsv` (cell ids, first column) and `features.tsv` (or `genes.tsv`), each
/// optionally gzipped (`.gz`). Gene names are the feature file's second column (gene symbol)
/// when present, else its first; repeated names are made unique the way scanpy's
/// `var_names_make_unique` does (see [`super::make_unique`]). Labels come from
/// [`ReadOptions::label_file`] or [`ReadOptions::labels_from_cell_ids`]; the gene subset of
/// [`ReadOptions::genes`] is applied.
pub fn read_10x_sparse(folder: impl AsRef<Path>, opts: &ReadOptions) -> Result<SparseDataset> {
    let folder = folder.as_ref();
    let TenXFolder {
        matrix_path,
        barcodes_path,
        features_path,
        cell_ids,
        gene_names,
    } = open_10x(folder, opts)?;
    let coords = read_matrix_market(&matrix_path, opts.expects_counts())?;
    if coords.n_rows != gene_names.len() {
        return Err(DataError::format(
            &matrix_path,
            format!(
                "the matrix has {} rows (genes) but {} lists {} features",
                coords.n_rows,
                features_path.display(),
                gene_names.len()
            ),
        ));
    }
    if coords.n_cols != cell_ids.len() {
        return Err(DataError::format(
            &matrix_path,
            format!(
                "the matrix has {} columns (cells) but {} lists {} barcodes",
                coords.n_cols,
                barcodes_path.display(),
                cell_ids.len()
            ),
        ));
    }
    // Genes x cells triplets -> cells x genes CSR (counting sort by cell).
    let n_cells = coords.n_cols;
    let mut indptr = vec![0usize; n_cells + 1];
    for &c in &coords.cols {
        indptr[c as usize + 1] += 1;
    }
    for i in 0..n_cells {
        indptr[i + 1] += indptr[i];
    }
    let mut next = indptr.clone();
    let mut indices = vec![0u32; coords.values.len()];
    let mut values = vec![0f32; coords.values.len()];
    for ((&g, &c), &v) in coords.rows.iter().zip(&coords.cols).zip(&coords.values) {
        let slot = next[c as usize];
        indices[slot] = g;
        values[slot] = v;
        next[c as usize] += 1;
    }
    let matrix = SparseMatrix::from_csr(n_cells, coords.n_rows, indptr, indices, values)?;
    let mut data = SparseDataset::new(matrix, cell_ids, gene_names)?;
    if let Some(genes) = opts.gene_subset() {
        data = data
            .select_genes_by_name(genes)
            .map_err(|e| DataError::format(folder, e.to_string()))?;
    }
    super::attach_sparse_labels(data, opts, &barcodes_path)
}

/// Reads a 10x Genomics matrix folder straight into a dense cells x genes data set, without
/// the sparse intermediate: the entries are written into the dense matrix as they are parsed
/// (repeated entries summed, as scipy does), so reading holds one matrix. Used by
/// [`super::read_10x`] when no gene subset is asked for; same files, checks and errors as
/// [`read_10x_sparse`].
pub(crate) fn read_10x_dense(folder: &Path, opts: &ReadOptions) -> Result<Dataset> {
    let TenXFolder {
        matrix_path,
        barcodes_path,
        features_path,
        cell_ids,
        gene_names,
    } = open_10x(folder, opts)?;
    let (n_cells, n_genes) = (cell_ids.len(), gene_names.len());
    let values = parse_matrix_market(
        &matrix_path,
        opts.expects_counts(),
        |n_rows, n_cols, _| {
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
            let size = n_cells.checked_mul(n_genes).ok_or_else(|| {
                DataError::format(&matrix_path, "the dense matrix would be too large")
            })?;
            let mut values: Vec<f32> = Vec::new();
            values.try_reserve_exact(size).map_err(|_| {
                DataError::format(
                    &matrix_path,
                    format!(
                        "a dense {n_cells} x {n_genes} matrix does not fit in memory; read it sparse (read_10x_sparse) and select genes first"
                    ),
                )
            })?;
            values.resize(size, 0.0);
            Ok(values)
        },
        |values, gene, cell, v| values[cell as usize * n_genes + gene as usize] += v,
    )?;
    let ds = Dataset::new(values, cell_ids, gene_names)?;
    super::attach_dense_labels(ds, opts, &barcodes_path)
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
        let ds = read_10x_sparse(d, &ReadOptions::new()).unwrap();
        assert_eq!(ds.gene_names(), &["G", "G-1", "H"]);
        assert_eq!(ds.matrix().to_dense(), vec![5.0, 0.0, 1.0, 0.0, 7.0, 0.0]);
        std::fs::write(
            d.join("matrix.mtx"),
            "%%MatrixMarket matrix coordinate pattern general\n3 2 2\n2 1\n3 2\n",
        )
        .unwrap();
        let ds = read_10x_sparse(d, &ReadOptions::new()).unwrap();
        assert_eq!(ds.matrix().to_dense(), vec![0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn dense_reading_equals_sparse_reading_then_densifying() {
        // Entries out of cell order and one (gene, cell) repeated: both readers must sum it.
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
        let dense = read_10x_dense(d, &opts).unwrap();
        assert_eq!(
            dense,
            read_10x_sparse(d, &opts).unwrap().into_dataset().unwrap()
        );
        assert_eq!(
            dense.values(),
            &[2.5, 3.0, 0.0, 0.0, 0.0, 4.0, 0.0, 1.5, 0.0]
        );
        // Size mismatches are found from the size line, before any entry is stored.
        std::fs::write(d.join("barcodes.tsv"), "a\nb\n").unwrap();
        let err = read_10x_dense(d, &opts).unwrap_err().to_string();
        assert!(
            err.contains("3 columns (cells)") && err.contains("2 barcodes"),
            "{err}"
        );
    }
}
