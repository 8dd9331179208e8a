//! Dense delimited text (CSV/TSV, optionally gzipped): cells as rows (or genes as rows with
//! [`ReadOptions::transpose`]), a header of gene names, the cell id in the first column.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use csv::ByteRecord;

use super::input::{TextInput, open_text, read_error};
use super::options::ReadOptions;
use crate::{DataError, Dataset, Result};

/// Why a field is not a usable value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueProblem {
    Empty,
    NotUtf8,
    NotNumber,
    NotANumberValue,
    Infinite,
    Negative,
}

impl ValueProblem {
    /// The message for a field whose bytes are `raw`.
    pub(crate) fn describe(self, raw: &[u8]) -> String {
        let shown = String::from_utf8_lossy(raw);
        match self {
            ValueProblem::Empty => "empty value (missing values are not supported)".into(),
            ValueProblem::NotUtf8 => format!("invalid UTF-8 in `{shown}`"),
            ValueProblem::NotNumber => format!("`{shown}` is not a number"),
            ValueProblem::NotANumberValue => {
                format!("`{shown}` is not a number (NaN; missing values are not supported)")
            }
            ValueProblem::Infinite => format!("`{shown}` is infinite or beyond the f32 range"),
            ValueProblem::Negative => {
                format!("`{shown}` is negative, but counts were expected")
            }
        }
    }
}

/// Parses one numeric field: surrounding ASCII spaces are ignored; NaN and infinities are
/// refused; with `counts` negative values are refused too.
#[inline]
pub(crate) fn parse_value(field: &[u8], counts: bool) -> std::result::Result<f32, ValueProblem> {
    // Fast path for the short non-negative integers that dominate count matrices: exact in f32
    // for up to 7 digits.
    if !field.is_empty() && field.len() <= 7 && field.iter().all(u8::is_ascii_digit) {
        let mut v = 0u32;
        for &b in field {
            v = v * 10 + u32::from(b - b'0');
        }
        return Ok(v as f32);
    }
    let text = std::str::from_utf8(field).map_err(|_| ValueProblem::NotUtf8)?;
    let text = text.trim_matches(|c: char| c == ' ' || c == '\t');
    if text.is_empty() {
        return Err(ValueProblem::Empty);
    }
    let v: f32 = text.parse().map_err(|_| ValueProblem::NotNumber)?;
    if v.is_nan() {
        return Err(ValueProblem::NotANumberValue);
    }
    if v.is_infinite() {
        return Err(ValueProblem::Infinite);
    }
    if counts && v < 0.0 {
        return Err(ValueProblem::Negative);
    }
    Ok(v)
}

/// The delimiter given by the extension (after dropping `.gz`), if it says one.
fn delimiter_from_name(path: &Path) -> Option<u8> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let name = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".gzip"))
        .unwrap_or(&name);
    match Path::new(name).extension()?.to_str()? {
        "csv" => Some(b','),
        "tsv" | "tab" => Some(b'\t'),
        _ => None,
    }
}

/// Tab if the (buffered part of the) first line has more tabs than commas, else comma.
fn delimiter_from_first_line(reader: &mut dyn BufRead) -> std::io::Result<u8> {
    let buf = reader.fill_buf()?;
    let line = match buf.iter().position(|&b| b == b'\n') {
        Some(end) => &buf[..end],
        None => buf,
    };
    let tabs = line.iter().filter(|&&b| b == b'\t').count();
    let commas = line.iter().filter(|&&b| b == b',').count();
    Ok(if tabs > commas { b'\t' } else { b',' })
}

/// A field as UTF-8 text, or an error naming line and column.
pub(crate) fn utf8_field<'a>(
    field: &'a [u8],
    path: &Path,
    line: u64,
    column: usize,
    what: &str,
) -> Result<&'a str> {
    std::str::from_utf8(field).map_err(|e| {
        DataError::bad_value(
            path,
            line,
            column,
            what,
            format!(
                "invalid UTF-8 at byte {} of `{}`",
                e.valid_up_to(),
                String::from_utf8_lossy(field)
            ),
        )
    })
}

/// Reads one record; `Ok(false)` at the end of the input. I/O errors (for gzip input, a broken
/// stream) name the last line read.
pub(crate) fn next_record<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    record: &mut ByteRecord,
    path: &Path,
    gzip: bool,
    last_line: u64,
) -> Result<bool> {
    match reader.read_byte_record(record) {
        Ok(more) => Ok(more),
        Err(e) => {
            let line = e.position().map(|p| p.line()).unwrap_or(last_line);
            match e.into_kind() {
                csv::ErrorKind::Io(io) => Err(read_error(path, gzip, Some(line), io)),
                other => Err(DataError::format(
                    path,
                    format!("line {line}: cannot parse: {other:?}"),
                )),
            }
        }
    }
}

/// The line a record starts on (1-based).
pub(crate) fn line_of(record: &ByteRecord) -> u64 {
    record.position().map(|p| p.line()).unwrap_or(0)
}

/// Checks that names (of genes in header columns) are unique; `offset` is the file column of
/// the first name.
fn check_unique_columns(
    names: &[String],
    offset: usize,
    kind: &'static str,
    path: &Path,
) -> Result<()> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        if let Some(first) = seen.insert(n.as_str(), i) {
            return Err(DataError::Duplicate {
                path: path.to_path_buf(),
                kind,
                name: n.clone(),
                first: format!("line 1, column {}", first + offset),
                second: format!("line 1, column {}", i + offset),
            });
        }
    }
    Ok(())
}

/// Reads a dense delimited text file into a [`Dataset`] (no labels; see `read::read_csv`).
pub(crate) fn read_delimited(path: &Path, opts: &ReadOptions) -> Result<Dataset> {
    let TextInput { mut reader, gzip } = open_text(path)?;
    let delimiter = match opts.delimiter_byte().or_else(|| delimiter_from_name(path)) {
        Some(d) => d,
        None => {
            delimiter_from_first_line(&mut reader).map_err(|e| read_error(path, gzip, None, e))?
        }
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(256 * 1024)
        .from_reader(reader);
    let mut record = ByteRecord::new();
    if !next_record(&mut rdr, &mut record, path, gzip, 0)? {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            what: "the file is empty (line 1 should be the header)".into(),
        });
    }
    let header_line = line_of(&record);
    let header: Vec<String> = record
        .iter()
        .enumerate()
        .map(|(c, f)| utf8_field(f, path, header_line, c + 1, "header").map(str::to_string))
        .collect::<Result<_>>()?;
    if opts.is_transposed() {
        read_genes_as_rows(path, gzip, &mut rdr, record, header, opts)
    } else {
        read_cells_as_rows(path, gzip, &mut rdr, record, header, opts)
    }
}

/// Which header layout the first data row shows.
struct Layout {
    /// Header column (1-based) of the first name.
    first_name_column: usize,
    /// The header names the value columns only (R's `write.table` leaves out the id column's
    /// header), so the first data row has one field more than the header.
    names: Vec<String>,
}

/// Values always start in file column 2 (column 1 holds the cell id or gene name).
/// Decides the layout from the header and the first data row's field count.
fn layout(header: Vec<String>, first_row_fields: usize) -> Layout {
    if first_row_fields == header.len() + 1 {
        Layout {
            first_name_column: 1,
            names: header,
        }
    } else {
        Layout {
            first_name_column: 2,
            names: header.into_iter().skip(1).collect(),
        }
    }
}

fn header_only(path: &Path) -> DataError {
    DataError::Empty {
        path: path.to_path_buf(),
        what: "line 1 is the header, but no data rows follow".into(),
    }
}

fn read_cells_as_rows<R: std::io::Read>(
    path: &Path,
    gzip: bool,
    rdr: &mut csv::Reader<R>,
    mut record: ByteRecord,
    header: Vec<String>,
    opts: &ReadOptions,
) -> Result<Dataset> {
    let mut last_line = line_of(&record);
    if !next_record(rdr, &mut record, path, gzip, last_line)? {
        return Err(header_only(path));
    }
    let header_fields = header.len();
    let Layout {
        first_name_column,
        names: genes,
    } = layout(header, record.len());
    if genes.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            what: "line 1: the header names no genes (only the cell id column)".into(),
        });
    }
    check_unique_columns(&genes, first_name_column, "gene name", path)?;
    let expected = genes.len() + 1;
    let mut values: Vec<f32> = Vec::with_capacity(genes.len() * 1024);
    let mut cell_ids: Vec<String> = Vec::new();
    let mut id_line: HashMap<String, u64> = HashMap::new();
    let counts = opts.expects_counts();
    loop {
        let line = line_of(&record);
        last_line = line;
        if record.len() != expected {
            return Err(DataError::Ragged {
                path: path.to_path_buf(),
                line,
                expected: header_fields,
                found: record.len(),
            });
        }
        let id = utf8_field(&record[0], path, line, 1, "cell id")?;
        if let Some(first) = id_line.insert(id.to_string(), line) {
            return Err(DataError::Duplicate {
                path: path.to_path_buf(),
                kind: "cell id",
                name: id.to_string(),
                first: format!("line {first}"),
                second: format!("line {line}"),
            });
        }
        cell_ids.push(id.to_string());
        for (j, field) in record.iter().skip(1).enumerate() {
            match parse_value(field, counts) {
                Ok(v) => values.push(v),
                Err(p) => {
                    return Err(DataError::bad_value(
                        path,
                        line,
                        j + 2,
                        genes[j].clone(),
                        p.describe(field),
                    ));
                }
            }
        }
        if !next_record(rdr, &mut record, path, gzip, last_line)? {
            break;
        }
    }
    Dataset::new(values, cell_ids, genes)
}

fn read_genes_as_rows<R: std::io::Read>(
    path: &Path,
    gzip: bool,
    rdr: &mut csv::Reader<R>,
    mut record: ByteRecord,
    header: Vec<String>,
    opts: &ReadOptions,
) -> Result<Dataset> {
    let mut last_line = line_of(&record);
    if !next_record(rdr, &mut record, path, gzip, last_line)? {
        return Err(header_only(path));
    }
    let header_fields = header.len();
    let Layout {
        first_name_column,
        names: cells,
    } = layout(header, record.len());
    if cells.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            what: "line 1: the header names no cells (only the gene name column)".into(),
        });
    }
    check_unique_columns(&cells, first_name_column, "cell id", path)?;
    let expected = cells.len() + 1;
    let mut by_gene: Vec<f32> = Vec::new();
    let mut genes: Vec<String> = Vec::new();
    let mut gene_line: HashMap<String, u64> = HashMap::new();
    let counts = opts.expects_counts();
    loop {
        let line = line_of(&record);
        last_line = line;
        if record.len() != expected {
            return Err(DataError::Ragged {
                path: path.to_path_buf(),
                line,
                expected: header_fields,
                found: record.len(),
            });
        }
        let gene = utf8_field(&record[0], path, line, 1, "gene name")?;
        if let Some(first) = gene_line.insert(gene.to_string(), line) {
            return Err(DataError::Duplicate {
                path: path.to_path_buf(),
                kind: "gene name",
                name: gene.to_string(),
                first: format!("line {first}"),
                second: format!("line {line}"),
            });
        }
        genes.push(gene.to_string());
        for (c, field) in record.iter().skip(1).enumerate() {
            match parse_value(field, counts) {
                Ok(v) => by_gene.push(v),
                Err(p) => {
                    return Err(DataError::bad_value(
                        path,
                        line,
                        c + 2,
                        cells[c].clone(),
                        p.describe(field),
                    ));
                }
            }
        }
        if !next_record(rdr, &mut record, path, gzip, last_line)? {
            break;
        }
    }
    let (n_genes, n_cells) = (genes.len(), cells.len());
    let mut values = vec![0f32; n_genes * n_cells];
    for g in 0..n_genes {
        for c in 0..n_cells {
            values[c * n_genes + g] = by_gene[g * n_cells + c];
        }
    }
    Dataset::new(values, cells, genes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values_and_names_problems() {
        assert_eq!(parse_value(b"17", true), Ok(17.0));
        assert_eq!(parse_value(b" 1.5 ", false), Ok(1.5));
        assert_eq!(parse_value(b"-1e-3", false), Ok(-0.001));
        assert_eq!(parse_value(b"-2", true), Err(ValueProblem::Negative));
        assert_eq!(parse_value(b"", false), Err(ValueProblem::Empty));
        assert_eq!(parse_value(b"abc", false), Err(ValueProblem::NotNumber));
        assert_eq!(
            parse_value(b"NaN", false),
            Err(ValueProblem::NotANumberValue)
        );
        assert_eq!(parse_value(b"-inf", false), Err(ValueProblem::Infinite));
        assert_eq!(parse_value(b"1e40", false), Err(ValueProblem::Infinite));
        assert_eq!(parse_value(b"\xff1", false), Err(ValueProblem::NotUtf8));
        // longer digit strings go through the exact float parser
        assert_eq!(parse_value(b"123456789", true), Ok(123456789.0));
    }

    #[test]
    fn delimiter_from_extension() {
        assert_eq!(delimiter_from_name(Path::new("a/b.CSV.gz")), Some(b','));
        assert_eq!(delimiter_from_name(Path::new("b.tsv")), Some(b'\t'));
        assert_eq!(delimiter_from_name(Path::new("b.txt")), None);
    }
}
