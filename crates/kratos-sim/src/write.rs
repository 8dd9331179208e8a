//! Writers of simulated data in the formats kratos-data reads.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use kratos_data::GeneRole;

use crate::simulate::GeneModel;
use crate::{Result, SimError, Simulation, SimulationParams};

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> SimError + '_ {
    move |source| SimError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates `dir` and refuses (unless `overwrite`) when one of `files` already exists in it.
fn prepare(dir: &Path, files: &[&str], overwrite: bool) -> Result<()> {
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    if !overwrite && let Some(f) = files.iter().map(|f| dir.join(f)).find(|p| p.exists()) {
        return Err(SimError::Exists(f));
    }
    Ok(())
}

/// A file written under a temporary name and renamed into place by [`Output::finish`].
struct Output {
    tmp: PathBuf,
    path: PathBuf,
    writer: Box<dyn Write>,
}

impl Output {
    fn create(path: PathBuf, gzip: bool) -> Result<Self> {
        let tmp = path.with_extension("partial");
        let file = BufWriter::new(File::create(&tmp).map_err(io_err(&tmp))?);
        let writer: Box<dyn Write> = if gzip {
            Box::new(GzEncoder::new(file, Compression::fast()))
        } else {
            Box::new(file)
        };
        Ok(Output { tmp, path, writer })
    }

    fn write(&mut self, text: &str) -> Result<()> {
        self.writer
            .write_all(text.as_bytes())
            .map_err(io_err(&self.tmp))
    }

    fn finish(self) -> Result<()> {
        let Output { tmp, path, writer } = self;
        drop(writer); // flushes and finishes the gzip stream
        fs::rename(&tmp, &path).map_err(io_err(&path))
    }
}

fn write_genes(dir: &Path, names: &[String], roles: &[GeneRole]) -> Result<()> {
    let mut out = Output::create(dir.join("genes.tsv"), false)?;
    out.write("gene\trole\n")?;
    for (n, r) in names.iter().zip(roles) {
        out.write(&format!("{n}\t{r}\n"))?;
    }
    out.finish()
}

fn label_of(id: &str) -> &str {
    id.rsplit('_').next().unwrap_or(id)
}

/// Writes `counts.csv.gz` (cells as rows, header `cell,<genes>`), `labels.tsv` (`cell`, `label`, tab-separated)
/// and `genes.tsv` (`gene`, `role`, role last) into `dir`. Existing files are an error unless
/// `overwrite`.
pub fn write_csv_files(sim: &Simulation, dir: impl AsRef<Path>, overwrite: bool) -> Result<()> {
    let dir = dir.as_ref();
    prepare(
        dir,
        &["counts.csv.gz", "labels.tsv", "genes.tsv"],
        overwrite,
    )?;
    let ds = &sim.dataset;
    let mut counts = Output::create(dir.join("counts.csv.gz"), true)?;
    counts.write(&format!("cell,{}\n", ds.gene_names().join(",")))?;
    let mut labels = Output::create(dir.join("labels.tsv"), false)?;
    labels.write("cell\tlabel\n")?;
    for (i, id) in ds.cell_ids().iter().enumerate() {
        let mut line = id.clone();
        for v in ds.row(i) {
            line.push(',');
            line.push_str(&v.to_string());
        }
        line.push('\n');
        counts.write(&line)?;
        labels.write(&format!("{id}\t{}\n", label_of(id)))?;
    }
    counts.finish()?;
    labels.finish()?;
    write_genes(dir, ds.gene_names(), &sim.roles)
}

/// Writes a 10x Genomics matrix folder into `dir`: `matrix.mtx.gz` (genes x cells, integer
/// coordinate MatrixMarket), `barcodes.tsv.gz`, `features.tsv.gz` (id, name, type), plus
/// `genes.tsv` with the roles.
pub fn write_10x(sim: &Simulation, dir: impl AsRef<Path>, overwrite: bool) -> Result<()> {
    let dir = dir.as_ref();
    let files = [
        "matrix.mtx.gz",
        "barcodes.tsv.gz",
        "features.tsv.gz",
        "genes.tsv",
    ];
    prepare(dir, &files, overwrite)?;
    let ds = &sim.dataset;
    let nnz = ds.values().iter().filter(|v| **v != 0.0).count();
    let mut matrix = Output::create(dir.join("matrix.mtx.gz"), true)?;
    matrix.write("%%MatrixMarket matrix coordinate integer general\n")?;
    matrix.write(&format!("{} {} {nnz}\n", ds.n_genes(), ds.n_cells()))?;
    for i in 0..ds.n_cells() {
        for (j, v) in ds.row(i).iter().enumerate() {
            if *v != 0.0 {
                matrix.write(&format!("{} {} {}\n", j + 1, i + 1, *v as u64))?;
            }
        }
    }
    matrix.finish()?;
    let mut barcodes = Output::create(dir.join("barcodes.tsv.gz"), true)?;
    for id in ds.cell_ids() {
        barcodes.write(&format!("{id}\n"))?;
    }
    barcodes.finish()?;
    let mut features = Output::create(dir.join("features.tsv.gz"), true)?;
    for g in ds.gene_names() {
        features.write(&format!("{g}\t{g}\tGene Expression\n"))?;
    }
    features.finish()?;
    write_genes(dir, ds.gene_names(), &sim.roles)
}

/// Simulates `params` block by block straight to disk, never holding more than one block of
/// cells (1,024) in memory: `counts.csv.gz`, `labels.tsv`, `genes.tsv` in `dir`, and the same
/// counts as a 10x folder in `dir/10x/`. The cells are identical to [`crate::simulate`]'s.
pub fn write_large(
    params: &SimulationParams,
    dir: impl AsRef<Path>,
    overwrite: bool,
) -> Result<()> {
    let dir = dir.as_ref();
    let model = GeneModel::new(params)?;
    prepare(
        dir,
        &["counts.csv.gz", "labels.tsv", "genes.tsv"],
        overwrite,
    )?;
    let tenx = dir.join("10x");
    prepare(
        &tenx,
        &["matrix.mtx.gz", "barcodes.tsv.gz", "features.tsv.gz"],
        overwrite,
    )?;
    let g = params.n_genes();
    let mut counts = Output::create(dir.join("counts.csv.gz"), true)?;
    counts.write(&format!("cell,{}\n", model.names.join(",")))?;
    let mut labels = Output::create(dir.join("labels.tsv"), false)?;
    labels.write("cell\tlabel\n")?;
    let mut barcodes = Output::create(tenx.join("barcodes.tsv.gz"), true)?;
    // Matrix entries go to a scratch file first: the MatrixMarket header needs their count.
    let entries_path = tenx.join("entries.partial-body");
    let mut entries = Output::create(entries_path.clone(), true)?;
    let mut nnz = 0u64;
    let mut cell = 0usize;
    for b in 0..model.n_blocks() {
        let (n, values) = model.block(b);
        for row in values.chunks_exact(g).take(n) {
            let id = model.cell_id(cell);
            let mut line = id.clone();
            let mut sparse = String::new();
            for (j, v) in row.iter().enumerate() {
                line.push(',');
                line.push_str(&v.to_string());
                if *v != 0.0 {
                    nnz += 1;
                    sparse.push_str(&format!("{} {} {}\n", j + 1, cell + 1, *v as u64));
                }
            }
            line.push('\n');
            counts.write(&line)?;
            entries.write(&sparse)?;
            labels.write(&format!("{id}\t{}\n", label_of(&id)))?;
            barcodes.write(&format!("{id}\n"))?;
            cell += 1;
        }
    }
    counts.finish()?;
    labels.finish()?;
    barcodes.finish()?;
    let entries_tmp = entries.tmp.clone();
    drop(entries.writer);
    let mut matrix = Output::create(tenx.join("matrix.mtx.gz"), true)?;
    matrix.write("%%MatrixMarket matrix coordinate integer general\n")?;
    matrix.write(&format!("{g} {} {nnz}\n", params.n_cells()))?;
    let mut body =
        flate2::read::GzDecoder::new(File::open(&entries_tmp).map_err(io_err(&entries_tmp))?);
    std::io::copy(&mut body, &mut matrix.writer).map_err(io_err(&entries_tmp))?;
    matrix.finish()?;
    fs::remove_file(&entries_tmp).map_err(io_err(&entries_tmp))?;
    let mut features = Output::create(tenx.join("features.tsv.gz"), true)?;
    for name in &model.names {
        features.write(&format!("{name}\t{name}\tGene Expression\n"))?;
    }
    features.finish()?;
    write_genes(dir, &model.names, &model.roles)?;
    Ok(())
}
