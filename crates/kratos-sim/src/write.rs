//! Writers for simulated data in the formats `kratos-data` reads: a gzipped CSV of counts (cells
//! as rows), `labels.tsv`, `genes.tsv` (gene roles) and a 10x Genomics matrix folder.
//!
//! No writer replaces an existing file unless it is called with `overwrite = true`; otherwise it
//! returns [`SimError::FileExists`] naming the file. [`Simulation::write_to_dir`] (in memory) and
//! [`Simulator::write_to_dir`] (streamed block by block) write byte-identical files.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use kratos_data::{Dataset, GeneRole};

use crate::{Result, SimError, Simulation, Simulator};

/// File name of the counts CSV in an output folder.
pub const COUNTS_CSV: &str = "counts.csv.gz";
/// File name of the cell labels (`cell\tlabel`).
pub const LABELS_TSV: &str = "labels.tsv";
/// File name of the gene roles (`gene\trole`).
pub const GENES_TSV: &str = "genes.tsv";
/// 10x matrix file (genes x cells, MatrixMarket coordinate).
pub const MATRIX_MTX: &str = "matrix.mtx.gz";
/// 10x cell barcodes (one cell id a line).
pub const BARCODES_TSV: &str = "barcodes.tsv.gz";
/// 10x features (`id\tname\tGene Expression`).
pub const FEATURES_TSV: &str = "features.tsv.gz";

/// Gzip level of every `.gz` file. Level 1: on count tables it compresses about 10 times
/// faster than the default level 6, for files about a quarter larger, which matters for the
/// `large` preset (hundreds of MB of text).
const GZIP_LEVEL: u32 = 1;

/// Which count files [`Simulation::write_to_dir`] and [`Simulator::write_to_dir`] write (besides
/// `labels.tsv` and `genes.tsv`, always written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// `counts.csv.gz`: cells as rows, header `cell,<gene>,...`.
    Csv,
    /// A 10x Genomics folder: `matrix.mtx.gz`, `barcodes.tsv.gz`, `features.tsv.gz`.
    TenX,
    /// Both of the above, in the same folder.
    CsvAndTenX,
}

impl OutputFormat {
    fn csv(self) -> bool {
        matches!(self, OutputFormat::Csv | OutputFormat::CsvAndTenX)
    }

    fn ten_x(self) -> bool {
        matches!(self, OutputFormat::TenX | OutputFormat::CsvAndTenX)
    }

    /// The count files of this format, in the order they are written.
    fn count_files(self) -> Vec<&'static str> {
        let mut files = Vec::new();
        if self.ten_x() {
            files.extend([BARCODES_TSV, FEATURES_TSV, MATRIX_MTX]);
        }
        if self.csv() {
            files.push(COUNTS_CSV);
        }
        files
    }
}

/// Opens `path` for writing; without `overwrite`, fails with [`SimError::FileExists`] if it exists.
fn create(path: &Path, overwrite: bool) -> Result<File> {
    let mut options = OpenOptions::new();
    options.write(true);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            SimError::FileExists {
                path: path.to_path_buf(),
            }
        } else {
            SimError::io(path, e)
        }
    })
}

/// A buffered text file, gzipped when its name ends in `.gz` (fixed header and level, so the
/// bytes depend only on the content).
struct TextFile {
    path: PathBuf,
    out: BufWriter<Output>,
}

enum Output {
    Plain(File),
    Gzip(GzEncoder<File>),
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Plain(f) => f.write(buf),
            Output::Gzip(g) => g.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Plain(f) => f.flush(),
            Output::Gzip(g) => g.flush(),
        }
    }
}

impl Output {
    /// Opens `path` (see [`create`]), gzipped when its name ends in `.gz`.
    fn create(path: &Path, overwrite: bool) -> Result<Self> {
        let file = create(path, overwrite)?;
        Ok(if path.extension().is_some_and(|e| e == "gz") {
            Output::Gzip(GzEncoder::new(file, Compression::new(GZIP_LEVEL)))
        } else {
            Output::Plain(file)
        })
    }

    /// Ends the gzip stream (if any) and syncs the file.
    fn finish(self, path: &Path) -> Result<()> {
        let file = match self {
            Output::Plain(f) => f,
            Output::Gzip(g) => g.finish().map_err(|e| SimError::io(path, e))?,
        };
        file.sync_all().map_err(|e| SimError::io(path, e))
    }
}

impl TextFile {
    fn create(path: &Path, overwrite: bool) -> Result<Self> {
        Ok(TextFile {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 16, Output::create(path, overwrite)?),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.out
            .write_all(bytes)
            .map_err(|e| SimError::io(&self.path, e))
    }

    fn finish(self) -> Result<PathBuf> {
        let output = self
            .out
            .into_inner()
            .map_err(|e| SimError::io(&self.path, e.into_error()))?;
        output.finish(&self.path)?;
        Ok(self.path)
    }
}

/// Appends a value as text: counts as integers, other numbers in Rust's shortest round-trip form.
fn push_f32(line: &mut String, v: f32) {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(line, "{}", v as i64);
    } else {
        let _ = write!(line, "{v}");
    }
}

/// One row of values: integer counts (streaming) or `f32` values (a data set in memory). Both
/// print the same text for the same counts.
#[derive(Clone, Copy)]
enum Row<'a> {
    Counts(&'a [u32]),
    Values(kratos_data::Row<'a>),
}

impl Row<'_> {
    fn for_each(self, mut f: impl FnMut(usize, Option<u32>, f32)) {
        match self {
            Row::Counts(c) => c.iter().enumerate().for_each(|(j, &v)| f(j, Some(v), 0.0)),
            Row::Values(v) => v.iter().enumerate().for_each(|(j, x)| f(j, None, x)),
        }
    }

    fn push_value(line: &mut String, count: Option<u32>, value: f32) {
        match count {
            Some(c) => {
                let _ = write!(line, "{c}");
            }
            None => push_f32(line, value),
        }
    }

    fn nonzero(self) -> usize {
        match self {
            Row::Counts(c) => c.iter().filter(|&&v| v != 0).count(),
            Row::Values(v) => v.nonzeros().count(),
        }
    }
}

/// The counts CSV: header `cell,<gene>,...`, one line per cell (written by the `csv` crate,
/// which quotes names that need it).
struct CsvSink {
    path: PathBuf,
    writer: csv::Writer<Output>,
    field: String,
}

impl CsvSink {
    fn create(path: &Path, gene_names: &[String], overwrite: bool) -> Result<Self> {
        let writer = csv::WriterBuilder::new()
            .buffer_capacity(1 << 16)
            .from_writer(Output::create(path, overwrite)?);
        let mut sink = CsvSink {
            path: path.to_path_buf(),
            writer,
            field: String::new(),
        };
        let header = std::iter::once("cell").chain(gene_names.iter().map(String::as_str));
        let result = sink.writer.write_record(header);
        sink.check(result)?;
        Ok(sink)
    }

    fn check(&self, result: csv::Result<()>) -> Result<()> {
        result.map_err(|e| SimError::io(&self.path, std::io::Error::other(e)))
    }

    fn row(&mut self, cell_id: &str, row: Row) -> Result<()> {
        let mut result = self.writer.write_field(cell_id);
        row.for_each(|_, c, v| {
            if result.is_ok() {
                self.field.clear();
                Row::push_value(&mut self.field, c, v);
                result = self.writer.write_field(&self.field);
            }
        });
        self.check(result)?;
        let result = self.writer.write_record(None::<&[u8]>);
        self.check(result)
    }

    fn finish(self) -> Result<PathBuf> {
        let output = self
            .writer
            .into_inner()
            .map_err(|e| SimError::io(&self.path, std::io::Error::other(e.to_string())))?;
        output.finish(&self.path)?;
        Ok(self.path)
    }
}

/// The 10x matrix: MatrixMarket coordinate, genes x cells, entries in cell order.
struct MtxSink {
    file: TextFile,
    line: String,
    next_cell: usize,
}

impl MtxSink {
    fn create(
        path: &Path,
        (n_genes, n_cells, nnz): (usize, usize, usize),
        integer: bool,
        overwrite: bool,
    ) -> Result<Self> {
        let mut file = TextFile::create(path, overwrite)?;
        let field = if integer { "integer" } else { "real" };
        let header = format!(
            "%%MatrixMarket matrix coordinate {field} general\n%metadata_json: {{\"software\": \"kratos-sim\"}}\n{n_genes} {n_cells} {nnz}\n"
        );
        file.write(header.as_bytes())?;
        Ok(MtxSink {
            file,
            line: String::new(),
            next_cell: 1,
        })
    }

    fn row(&mut self, row: Row) -> Result<()> {
        self.line.clear();
        let (line, cell) = (&mut self.line, self.next_cell);
        row.for_each(|j, c, v| {
            if c.map_or(v != 0.0, |c| c != 0) {
                let _ = write!(line, "{} {cell} ", j + 1);
                Row::push_value(line, c, v);
                line.push('\n');
            }
        });
        self.next_cell += 1;
        self.file.write(self.line.as_bytes())
    }
}

fn write_lines<'a>(
    path: &Path,
    header: Option<&str>,
    lines: impl Iterator<Item = String> + 'a,
    overwrite: bool,
) -> Result<PathBuf> {
    let mut file = TextFile::create(path, overwrite)?;
    if let Some(h) = header {
        file.write(h.as_bytes())?;
        file.write(b"\n")?;
    }
    for line in lines {
        file.write(line.as_bytes())?;
        file.write(b"\n")?;
    }
    file.finish()
}

fn write_genes_tsv(
    path: &Path,
    names: &[String],
    roles: &[GeneRole],
    overwrite: bool,
) -> Result<PathBuf> {
    let lines = names
        .iter()
        .zip(roles)
        .map(|(g, r)| format!("{g}\t{}", r.as_str()));
    write_lines(path, Some("gene\trole"), lines, overwrite)
}

fn write_features(path: &Path, names: &[String], overwrite: bool) -> Result<PathBuf> {
    let lines = names.iter().map(|g| format!("{g}\t{g}\tGene Expression"));
    write_lines(path, None, lines, overwrite)
}

/// Checks, before writing anything, that no target file exists (unless overwriting), and
/// creates the folder.
fn prepare_dir(dir: &Path, files: &[&str], overwrite: bool) -> Result<()> {
    if !overwrite && let Some(existing) = files.iter().map(|f| dir.join(f)).find(|p| p.exists()) {
        return Err(SimError::FileExists { path: existing });
    }
    std::fs::create_dir_all(dir).map_err(|e| SimError::io(dir, e))
}

fn check_roles(dataset: &Dataset, roles: &[GeneRole]) -> Result<()> {
    if roles.len() != dataset.n_genes() {
        return Err(SimError::Invalid(format!(
            "{} roles for {} genes",
            roles.len(),
            dataset.n_genes()
        )));
    }
    Ok(())
}

impl Simulation {
    /// Writes the counts as CSV to `path` (gzipped if it ends in `.gz`): header
    /// `cell,<gene>,...`, one line per cell, counts as integers.
    pub fn write_counts_csv(&self, path: impl AsRef<Path>, overwrite: bool) -> Result<PathBuf> {
        let ds = &self.dataset;
        let mut sink = CsvSink::create(path.as_ref(), ds.gene_names(), overwrite)?;
        for (i, id) in ds.cell_ids().iter().enumerate() {
            sink.row(id, Row::Values(ds.row(i)))?;
        }
        sink.finish()
    }

    /// Writes the labels as TSV (`cell\tlabel` header, one line per cell). Errors if the data
    /// set has no labels.
    pub fn write_labels(&self, path: impl AsRef<Path>, overwrite: bool) -> Result<PathBuf> {
        let labels = self.dataset.require_labels()?;
        let lines = self
            .dataset
            .cell_ids()
            .iter()
            .enumerate()
            .map(|(i, id)| format!("{id}\t{}", labels.name_of(i)));
        write_lines(path.as_ref(), Some("cell\tlabel"), lines, overwrite)
    }

    /// Writes the gene roles as TSV (`gene\trole` header; roles `causal`, `dependent`, `noise`).
    pub fn write_genes(&self, path: impl AsRef<Path>, overwrite: bool) -> Result<PathBuf> {
        check_roles(&self.dataset, &self.roles)?;
        write_genes_tsv(
            path.as_ref(),
            self.dataset.gene_names(),
            &self.roles,
            overwrite,
        )
    }

    /// Writes a 10x Genomics folder into `dir` (created if missing): `matrix.mtx.gz` (genes x
    /// cells, MatrixMarket coordinate, `integer` when every value is a whole number),
    /// `barcodes.tsv.gz` (cell ids) and `features.tsv.gz` (`name\tname\tGene Expression`).
    /// Returns the files written.
    pub fn write_10x(&self, dir: impl AsRef<Path>, overwrite: bool) -> Result<Vec<PathBuf>> {
        let dir = dir.as_ref();
        prepare_dir(dir, &[BARCODES_TSV, FEATURES_TSV, MATRIX_MTX], overwrite)?;
        let ds = &self.dataset;
        let mut written = vec![
            write_lines(
                &dir.join(BARCODES_TSV),
                None,
                ds.cell_ids().iter().cloned(),
                overwrite,
            )?,
            write_features(&dir.join(FEATURES_TSV), ds.gene_names(), overwrite)?,
        ];
        let nnz = ds.stored_values().iter().filter(|&&v| v != 0.0).count();
        let integer = ds.stored_values().iter().all(|v| v.fract() == 0.0);
        let shape = (ds.n_genes(), ds.n_cells(), nnz);
        let mut sink = MtxSink::create(&dir.join(MATRIX_MTX), shape, integer, overwrite)?;
        for i in 0..ds.n_cells() {
            sink.row(Row::Values(ds.row(i)))?;
        }
        written.push(sink.file.finish()?);
        Ok(written)
    }

    /// Writes `labels.tsv` (if the data set has labels), `genes.tsv` and the count files of
    /// `format` into `dir` (created if missing), and returns the files written. Without
    /// `overwrite`, checks first that none of them exists, so nothing is half-written.
    pub fn write_to_dir(
        &self,
        dir: impl AsRef<Path>,
        format: OutputFormat,
        overwrite: bool,
    ) -> Result<Vec<PathBuf>> {
        let dir = dir.as_ref();
        let mut files = vec![LABELS_TSV, GENES_TSV];
        files.extend(format.count_files());
        prepare_dir(dir, &files, overwrite)?;
        let mut written = Vec::new();
        if self.dataset.labels().is_some() {
            written.push(self.write_labels(dir.join(LABELS_TSV), overwrite)?);
        }
        written.push(self.write_genes(dir.join(GENES_TSV), overwrite)?);
        if format.ten_x() {
            written.extend(self.write_10x(dir, overwrite)?);
        }
        if format.csv() {
            written.push(self.write_counts_csv(dir.join(COUNTS_CSV), overwrite)?);
        }
        Ok(written)
    }
}

impl Simulator {
    /// Simulates straight to files in `dir` (created if missing), one block of cells in memory at
    /// a time: `labels.tsv`, `genes.tsv` and the count files of `format`. The files are
    /// byte-identical to those of `self.simulate()?.write_to_dir(dir, format, overwrite)`.
    ///
    /// The 10x matrix header needs the number of non-zero entries first, so with
    /// [`OutputFormat::TenX`] the blocks are generated twice (once to count, once to write);
    /// the cells come out the same because each block has its own seeded random stream.
    pub fn write_to_dir(
        &self,
        dir: impl AsRef<Path>,
        format: OutputFormat,
        overwrite: bool,
    ) -> Result<Vec<PathBuf>> {
        let dir = dir.as_ref();
        let mut files = vec![LABELS_TSV, GENES_TSV];
        files.extend(format.count_files());
        prepare_dir(dir, &files, overwrite)?;
        let n_cells = self.n_cells();
        let labels = (0..n_cells).map(|i| {
            format!(
                "{}\t{}",
                self.cell_id(i),
                self.class_names()[self.cell_type(i)]
            )
        });
        let mut written = vec![
            write_lines(
                &dir.join(LABELS_TSV),
                Some("cell\tlabel"),
                labels,
                overwrite,
            )?,
            write_genes_tsv(
                &dir.join(GENES_TSV),
                self.gene_names(),
                self.roles(),
                overwrite,
            )?,
        ];
        if format.ten_x() {
            let ids = (0..n_cells).map(|i| self.cell_id(i));
            written.push(write_lines(&dir.join(BARCODES_TSV), None, ids, overwrite)?);
            written.push(write_features(
                &dir.join(FEATURES_TSV),
                self.gene_names(),
                overwrite,
            )?);
        }
        // Pass 1: the CSV (if asked for) and the number of non-zero counts.
        let mut csv = if format.csv() {
            Some(CsvSink::create(
                &dir.join(COUNTS_CSV),
                self.gene_names(),
                overwrite,
            )?)
        } else {
            None
        };
        let mut nnz = 0usize;
        for block in self.blocks() {
            for i in 0..block.n_cells {
                let row = Row::Counts(block.row(i));
                if let Some(sink) = csv.as_mut() {
                    sink.row(&self.cell_id(block.first_cell + i), row)?;
                }
                nnz += row.nonzero();
            }
        }
        if let Some(sink) = csv {
            written.push(sink.finish()?);
        }
        // Pass 2: the 10x matrix.
        if format.ten_x() {
            let shape = (self.n_genes(), n_cells, nnz);
            let mut sink = MtxSink::create(&dir.join(MATRIX_MTX), shape, true, overwrite)?;
            for block in self.blocks() {
                for i in 0..block.n_cells {
                    sink.row(Row::Counts(block.row(i)))?;
                }
            }
            written.push(sink.file.finish()?);
        }
        // Same order as `Simulation::write_to_dir`.
        written.sort_by_key(|p| files.iter().position(|f| p.ends_with(f)));
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimulationParams;
    use std::io::Read;

    fn read_gz(path: &Path) -> String {
        let mut s = String::new();
        flate2::read::GzDecoder::new(File::open(path).unwrap())
            .read_to_string(&mut s)
            .unwrap();
        s
    }

    fn tiny() -> Simulator {
        Simulator::new(
            SimulationParams::clean()
                .n_types(2)
                .cells_per_type(3)
                .n_causal(2)
                .n_dependent(1)
                .n_noise(2)
                .check()
                .unwrap(),
        )
    }

    #[test]
    fn files_have_the_documented_layout() {
        let dir = tempfile::tempdir().unwrap();
        let sim = tiny().simulate().unwrap();
        let written = sim
            .write_to_dir(dir.path(), OutputFormat::CsvAndTenX, false)
            .unwrap();
        assert_eq!(written.len(), 6);
        let csv = read_gz(&dir.path().join(COUNTS_CSV));
        let mut lines = csv.lines();
        assert_eq!(lines.next().unwrap(), "cell,g001,g002,g003,g004,g005");
        let first: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(first[0], "c001");
        assert_eq!(first[1].parse::<f32>().unwrap(), sim.dataset.get(0, 0));
        assert_eq!(csv.lines().count(), 7);

        let labels = std::fs::read_to_string(dir.path().join(LABELS_TSV)).unwrap();
        assert!(labels.starts_with("cell\tlabel\nc001\ttype1\n"));
        assert!(labels.ends_with("c006\ttype2\n"));
        let genes = std::fs::read_to_string(dir.path().join(GENES_TSV)).unwrap();
        let roles: Vec<&str> = genes
            .lines()
            .skip(1)
            .map(|l| l.rsplit('\t').next().unwrap())
            .collect();
        let expected: Vec<&str> = sim.roles.iter().map(|r| r.as_str()).collect();
        assert_eq!(roles, expected);

        let mtx = read_gz(&dir.path().join(MATRIX_MTX));
        let mut mtx_lines = mtx.lines();
        assert_eq!(
            mtx_lines.next().unwrap(),
            "%%MatrixMarket matrix coordinate integer general"
        );
        let size = mtx_lines.find(|l| !l.starts_with('%')).unwrap();
        let nnz = sim
            .dataset
            .stored_values()
            .iter()
            .filter(|&&v| v != 0.0)
            .count();
        assert_eq!(size, format!("5 6 {nnz}"));
        for entry in mtx_lines {
            let f: Vec<usize> = entry.split(' ').map(|x| x.parse().unwrap()).collect();
            assert_eq!(sim.dataset.get(f[1] - 1, f[0] - 1), f[2] as f32);
        }
        assert_eq!(
            read_gz(&dir.path().join(FEATURES_TSV)).lines().next(),
            Some("g001\tg001\tGene Expression")
        );
        assert_eq!(
            read_gz(&dir.path().join(BARCODES_TSV)).lines().last(),
            Some("c006")
        );
    }

    #[test]
    fn existing_files_are_kept_unless_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let sim = tiny();
        std::fs::write(dir.path().join(GENES_TSV), "keep me").unwrap();
        let err = sim
            .write_to_dir(dir.path(), OutputFormat::Csv, false)
            .unwrap_err();
        assert!(matches!(&err, SimError::FileExists { path } if path.ends_with(GENES_TSV)));
        assert!(err.to_string().contains("genes.tsv"));
        // Nothing else was written.
        assert!(!dir.path().join(LABELS_TSV).exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(GENES_TSV)).unwrap(),
            "keep me"
        );
        let single = sim.simulate().unwrap();
        let err = single
            .write_genes(dir.path().join(GENES_TSV), false)
            .unwrap_err();
        assert!(err.to_string().contains("genes.tsv"), "{err}");
        sim.write_to_dir(dir.path(), OutputFormat::Csv, true)
            .unwrap();
        assert!(
            std::fs::read_to_string(dir.path().join(GENES_TSV))
                .unwrap()
                .starts_with("gene\trole\n")
        );
    }

    #[test]
    fn non_integer_values_are_written_as_real() {
        let ds = Dataset::from_matrix(vec![0.5, 0.0, 2.0, 1.25], 2, 2).unwrap();
        let sim = Simulation {
            dataset: ds,
            roles: vec![GeneRole::Causal, GeneRole::Noise],
        };
        let dir = tempfile::tempdir().unwrap();
        sim.write_to_dir(dir.path(), OutputFormat::CsvAndTenX, false)
            .unwrap();
        assert!(!dir.path().join(LABELS_TSV).exists());
        let csv = read_gz(&dir.path().join(COUNTS_CSV));
        assert_eq!(csv, "cell,gene0,gene1\ncell0,0.5,0\ncell1,2,1.25\n");
        let mtx = read_gz(&dir.path().join(MATRIX_MTX));
        assert!(mtx.starts_with("%%MatrixMarket matrix coordinate real general\n"));
        assert!(mtx.ends_with("2 2 3\n1 1 0.5\n1 2 2\n2 2 1.25\n"));
    }

    #[test]
    fn names_with_commas_are_quoted() {
        let ds = Dataset::new(vec![1.0], vec!["a,b".into()], vec!["g\"1".into()]).unwrap();
        let sim = Simulation {
            dataset: ds,
            roles: vec![GeneRole::Noise],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = sim
            .write_counts_csv(dir.path().join("x.csv"), false)
            .unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        assert_eq!(text, "cell,\"g\"\"1\"\n\"a,b\",1\n");
    }
}
