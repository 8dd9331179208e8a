//! A [`Dataset`] as dense CSV/TSV (optionally gzipped) and its labels as a `cell<TAB>label`
//! file, so that read -> write -> read gives back the same data.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::{DataError, Dataset, Result};

/// Options for [`write_csv`], builder style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteOptions {
    gzip: Option<bool>,
    delimiter: Option<u8>,
}

impl WriteOptions {
    /// Defaults: gzip when the path ends in `.gz`; tab when the name (without `.gz`) ends in
    /// `.tsv`, comma otherwise.
    pub fn new() -> Self {
        Self::default()
    }

    /// Compress with gzip (or not), whatever the file name says.
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = Some(gzip);
        self
    }

    /// The field delimiter.
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = Some(delimiter);
        self
    }
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Opens `path` for writing, gzipped if asked or if the name ends in `.gz`.
fn create(path: &Path, gzip: Option<bool>) -> Result<Box<dyn Write>> {
    let file = File::create(path).map_err(|e| DataError::io(path, e))?;
    let gzip = gzip.unwrap_or_else(|| name_of(path).ends_with(".gz"));
    let buffered = BufWriter::with_capacity(256 * 1024, file);
    Ok(if gzip {
        Box::new(GzEncoder::new(buffered, Compression::default()))
    } else {
        Box::new(buffered)
    })
}

/// Finishes a writer made by [`create`]: flushes the buffer and, for gzip, writes the trailer.
fn finish(writer: csv::Writer<Box<dyn Write>>, path: &Path) -> Result<()> {
    let mut inner = writer
        .into_inner()
        .map_err(|e| DataError::io(path, std::io::Error::other(e.to_string())))?;
    inner.flush().map_err(|e| DataError::io(path, e))?;
    drop(inner);
    Ok(())
}

/// Writes `data` as dense text: a header `cell,<gene>,...`, then one line per cell with its id
/// and values. Values use Rust's shortest round-trip formatting for `f32`, so reading the file
/// back with [`crate::read::read_csv`] gives bit-identical values (and the same ids and names;
/// names with delimiters, quotes or line breaks are quoted).
///
/// ```
/// use kratos_data::{Dataset, read, write};
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("x.csv.gz");
/// let ds = Dataset::from_matrix(vec![0.1, 1e-30, -3.5, 7.0], 2, 2)?;
/// write::write_csv(&ds, &path, &write::WriteOptions::new())?;
/// assert_eq!(read::read_csv(&path, &read::ReadOptions::new())?, ds);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_csv(data: &Dataset, path: impl AsRef<Path>, opts: &WriteOptions) -> Result<()> {
    let path = path.as_ref();
    let delimiter = opts.delimiter.unwrap_or_else(|| {
        let name = name_of(path);
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        if name.ends_with(".tsv") { b'\t' } else { b',' }
    });
    let out = create(path, opts.gzip)?;
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(out);
    let io_err = |e: csv::Error| DataError::io(path, std::io::Error::other(e.to_string()));
    w.write_field("cell").map_err(io_err)?;
    for g in data.gene_names() {
        w.write_field(g).map_err(io_err)?;
    }
    w.write_record(None::<&[u8]>).map_err(io_err)?;
    let mut text = String::with_capacity(32);
    for (i, id) in data.cell_ids().iter().enumerate() {
        w.write_field(id).map_err(io_err)?;
        for v in data.row(i).iter() {
            use std::fmt::Write as _;
            text.clear();
            let _ = write!(text, "{v}");
            w.write_field(&text).map_err(io_err)?;
        }
        w.write_record(None::<&[u8]>).map_err(io_err)?;
    }
    finish(w, path)
}

/// Writes the labels of `data` as `cell<TAB>label` lines after a `cell<TAB>label` header
/// (gzipped if the name ends in `.gz`), the format [`crate::read::read_labels`] reads.
///
/// Errors if the data set has no labels.
pub fn write_labels(data: &Dataset, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let labels = data.require_labels()?;
    let out = create(path, None)?;
    let mut w = csv::WriterBuilder::new().delimiter(b'\t').from_writer(out);
    let io_err = |e: csv::Error| DataError::io(path, std::io::Error::other(e.to_string()));
    w.write_record(["cell", "label"]).map_err(io_err)?;
    for (i, id) in data.cell_ids().iter().enumerate() {
        w.write_record([id.as_str(), labels.name_of(i)])
            .map_err(io_err)?;
    }
    finish(w, path)
}
