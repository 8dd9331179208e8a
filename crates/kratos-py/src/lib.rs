//! The compiled part of the Python package `kratos` (`kratos._kratos`). The Python side
//! (`python/kratos/tl.py`) picks the matrix and the `obs` column of an AnnData and writes the
//! results back in scanpy's layout; this side builds the kratos data set from those arrays,
//! trains, explains and tests with the GIL released, and hands the results back as Python
//! lists and numpy arrays. Progress goes to Python's `logging` (logger `kratos`).

mod convert;

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use kratos::data::write::RankGenesGroups;
use kratos::{
    Dataset, DefaultBackend, GenePanel, GeneStatistics, IntegratedGradients, Listing, Pipeline,
    SmoothGrad, TrainedPipeline, WelchParams, WilcoxonParams, welch_t_test, wilcoxon_test,
};
use numpy::ndarray::Array2;
use numpy::{Element, IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use convert::{BindError, csr_dataset, dense_dataset, flatten_rows, labels_from_codes};

impl From<BindError> for PyErr {
    fn from(e: BindError) -> Self {
        match e {
            BindError::Value(m) => PyValueError::new_err(m),
            BindError::Runtime(m) => PyRuntimeError::new_err(m),
        }
    }
}

/// The methods of `rank_genes_groups`, by the names the Python API takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Kratos,
    Cw,
    SmoothGrad,
    Ig,
    Wilcoxon,
    TTest,
}

impl Method {
    const ALL: [Method; 6] = [
        Method::Kratos,
        Method::Cw,
        Method::SmoothGrad,
        Method::Ig,
        Method::Wilcoxon,
        Method::TTest,
    ];

    fn name(self) -> &'static str {
        match self {
            Method::Kratos => "kratos",
            Method::Cw => "cw",
            Method::SmoothGrad => "smoothgrad",
            Method::Ig => "ig",
            Method::Wilcoxon => "wilcoxon",
            Method::TTest => "t-test",
        }
    }

    fn parse(name: &str) -> Result<Method, BindError> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
                BindError::Value(format!(
                    "unknown method `{name}`; use one of: {}",
                    names.join(", ")
                ))
            })
    }
}

/// A dense matrix as numpy holds it; other dtypes are converted on the Python side.
#[derive(FromPyObject)]
enum Dense<'py> {
    F32(PyReadonlyArray2<'py, f32>),
    F64(PyReadonlyArray2<'py, f64>),
}

/// scipy's CSR `data`.
#[derive(FromPyObject)]
enum CsrValues<'py> {
    F32(PyReadonlyArray1<'py, f32>),
    F64(PyReadonlyArray1<'py, f64>),
}

/// scipy's CSR `indices` or `indptr`.
#[derive(FromPyObject)]
enum CsrIndex<'py> {
    I32(PyReadonlyArray1<'py, i32>),
    I64(PyReadonlyArray1<'py, i64>),
}

/// The cells x genes matrix: a 2-D array, or a tuple `(data, indices, indptr, shape)` of a
/// CSR matrix. Borrowed read-only: the values are read once, into kratos' own data set.
#[derive(FromPyObject)]
enum Matrix<'py> {
    Dense(Dense<'py>),
    Csr(CsrValues<'py>, CsrIndex<'py>, CsrIndex<'py>, (usize, usize)),
}

/// A 1-D array as a slice: borrowed when contiguous (as scipy's arrays are), copied otherwise.
fn slice<'a, T: Element + Copy>(a: &'a PyReadonlyArray1<'_, T>) -> Cow<'a, [T]> {
    match a.as_slice() {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(a.as_array().iter().copied().collect()),
    }
}

fn dense<V: convert::Value + Element>(
    a: &PyReadonlyArray2<'_, V>,
    cell_ids: Vec<String>,
    gene_names: Vec<String>,
) -> Result<Dataset, BindError> {
    let view = a.as_array();
    if view.dim() != (cell_ids.len(), gene_names.len()) {
        return Err(BindError::Value(format!(
            "X is {} x {}, but there are {} cells and {} genes",
            view.nrows(),
            view.ncols(),
            cell_ids.len(),
            gene_names.len()
        )));
    }
    match view.as_slice() {
        Some(s) => dense_dataset(s.iter().copied(), cell_ids, gene_names),
        // Not C-contiguous (e.g. Fortran order or a view): read in row-major order.
        None => dense_dataset(view.iter().copied(), cell_ids, gene_names),
    }
}

fn csr<V: convert::Value + Element>(
    values: &PyReadonlyArray1<'_, V>,
    indices: &CsrIndex<'_>,
    indptr: &CsrIndex<'_>,
    shape: (usize, usize),
    cell_ids: Vec<String>,
    gene_names: Vec<String>,
) -> Result<Dataset, BindError> {
    let values = slice(values);
    macro_rules! with {
        ($idx:expr, $ptr:expr) => {
            csr_dataset(
                shape,
                &values,
                &slice($idx),
                &slice($ptr),
                cell_ids,
                gene_names,
            )
        };
    }
    match (indices, indptr) {
        (CsrIndex::I32(j), CsrIndex::I32(p)) => with!(j, p),
        (CsrIndex::I32(j), CsrIndex::I64(p)) => with!(j, p),
        (CsrIndex::I64(j), CsrIndex::I32(p)) => with!(j, p),
        (CsrIndex::I64(j), CsrIndex::I64(p)) => with!(j, p),
    }
}

/// The labelled kratos data set of the arrays the Python side hands over.
fn dataset(
    matrix: &Matrix<'_>,
    cell_ids: Vec<String>,
    gene_names: Vec<String>,
    categories: Vec<String>,
    codes: &PyReadonlyArray1<'_, i64>,
    groupby: &str,
) -> Result<Dataset, BindError> {
    // The groups first: they are cheap to check, the matrix is not.
    let labels = labels_from_codes(categories, &slice(codes), &cell_ids, groupby)?;
    if labels.n_classes() < 2 {
        return Err(BindError::Value(format!(
            "obs['{groupby}'] has {} group(s) ({}); kratos needs at least two groups to compare",
            labels.n_classes(),
            labels.class_names().join(", ")
        )));
    }
    let data = match matrix {
        Matrix::Dense(Dense::F32(a)) => dense(a, cell_ids, gene_names)?,
        Matrix::Dense(Dense::F64(a)) => dense(a, cell_ids, gene_names)?,
        Matrix::Csr(CsrValues::F32(v), j, p, shape) => csr(v, j, p, *shape, cell_ids, gene_names)?,
        Matrix::Csr(CsrValues::F64(v), j, p, shape) => csr(v, j, p, *shape, cell_ids, gene_names)?,
    };
    Ok(data.with_labels(labels)?)
}

/// Python's logger `kratos`, called with the GIL re-acquired for each message.
struct Log {
    logger: Py<PyAny>,
    /// Whether DEBUG messages (per epoch) are wanted; asked once, so that training does not
    /// take the GIL every epoch for nothing.
    debug: bool,
}

impl Log {
    fn new(py: Python<'_>) -> PyResult<Self> {
        let logger = py
            .import("logging")?
            .call_method1("getLogger", ("kratos",))?;
        let debug = logger.call_method1("isEnabledFor", (10,))?.extract()?;
        Ok(Log {
            logger: logger.unbind(),
            debug,
        })
    }

    fn emit(&self, level: &str, message: &str) {
        Python::attach(|py| {
            // A failing log handler must not fail the analysis.
            if let Err(e) = self.logger.bind(py).call_method1(level, (message,)) {
                e.write_unraisable(py, None);
            }
        });
    }

    fn info(&self, message: &str) {
        self.emit("info", message);
    }

    fn warning(&self, message: &str) {
        self.emit("warning", message);
    }
}

/// What the Rust work needs besides the data.
struct Options {
    groupby: String,
    seed: u64,
    epochs: Option<usize>,
    /// Which markers a model method's panel lists first (the tests keep scanpy's `up`).
    listing: Listing,
}

/// `direction=` of `rank_genes_groups`.
fn parse_listing(direction: &str) -> Result<Listing, BindError> {
    [Listing::Both, Listing::Up, Listing::Down]
        .into_iter()
        .find(|l| l.as_str() == direction)
        .ok_or_else(|| {
            BindError::Value(format!(
                "unknown direction `{direction}`; use one of: both, up, down"
            ))
        })
}

/// Runs `work`, turning a panic into a `RuntimeError` (instead of PyO3's `PanicException`,
/// which is no `Exception` and escapes ordinary `except` clauses).
fn guarded<T>(work: impl FnOnce() -> Result<T, BindError>) -> Result<T, BindError> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(BindError::Runtime(format!(
            "kratos failed unexpectedly: {what} (this is a bug in kratos; please report it)"
        )))
    })
}

/// Trains the default pipeline (the kratos ensemble), logging start, epochs and end.
fn train(
    data: Dataset,
    options: &Options,
    log: &Log,
) -> Result<TrainedPipeline<DefaultBackend>, BindError> {
    let (n_cells, n_genes) = data.shape();
    let n_groups = data.labels().map_or(0, |l| l.n_classes());
    let mut pipeline = Pipeline::new().dataset(data).seed(options.seed);
    if let Some(epochs) = options.epochs {
        pipeline = pipeline.epochs(epochs);
    }
    let total = pipeline.total_epochs();
    log.info(&format!(
        "training the kratos classifier on {n_cells} cells x {n_genes} genes, {n_groups} groups \
         of obs['{}'] ({total} epochs over the ensemble)",
        options.groupby
    ));
    let start = Instant::now();
    let mut done = 0usize;
    let trained = pipeline
        .on_epoch(|member, r| {
            done += 1;
            if log.debug {
                log.emit(
                    "debug",
                    &format!(
                        "model {} epoch {} ({done}/{total}): loss {:.4}, accuracy {:.3}",
                        member + 1,
                        r.epoch,
                        r.train_loss,
                        r.train_accuracy
                    ),
                );
            }
        })
        .train()?;
    log.info(&format!(
        "trained in {:.1} s: accuracy {:.3} on the training cells, {:.3} on the held-out cells{}",
        start.elapsed().as_secs_f64(),
        trained.train_accuracy(),
        trained.test_accuracy(),
        if trained.log1p_applied() {
            " (the values looked like counts: log1p applied)"
        } else {
            ""
        }
    ));
    Ok(trained)
}

/// Warns about classes for which the panel has no usable scores (as `kratos run` does).
fn warn_degenerate(panel: &GenePanel, log: &Log) {
    let bad = panel.degenerate_classes();
    if !bad.is_empty() {
        let names: Vec<&str> = bad
            .iter()
            .map(|&c| panel.class_names()[c].as_str())
            .collect();
        log.warning(&format!(
            "`{}`: degenerate scores for {} (no cell explained or no gene stands out; more \
             epochs may help)",
            panel.method(),
            names.join(", ")
        ));
    }
}

/// The ranking of `method` on `data`, in scanpy's `rank_genes_groups` layout.
fn rank(
    data: Dataset,
    method: Method,
    options: &Options,
    n_genes: Option<usize>,
    log: &Log,
) -> Result<RankGenesGroups, BindError> {
    let start = Instant::now();
    let ranking = match method {
        Method::Wilcoxon | Method::TTest => {
            // The tests see the values as given, as scanpy's do.
            log.info(&format!(
                "{} one-vs-rest on {} cells x {} genes",
                if method == Method::Wilcoxon {
                    "Wilcoxon rank-sum test"
                } else {
                    "Welch's t-test"
                },
                data.n_cells(),
                data.n_genes()
            ));
            let test = if method == Method::Wilcoxon {
                wilcoxon_test(&data, &WilcoxonParams::new())?
            } else {
                welch_t_test(&data, &WelchParams::new())?
            };
            let stats = GeneStatistics::of(&data)?;
            kratos::anndata::rank_genes_groups(
                test.panel(),
                &stats,
                Some(&test),
                &options.groupby,
                n_genes,
            )?
        }
        Method::Kratos | Method::Cw | Method::SmoothGrad | Method::Ig => {
            let trained = train(data, options, log)?;
            log.info(&format!(
                "explaining the classifier with `{}`",
                method.name()
            ));
            let panel = match method {
                Method::Kratos => trained.panel()?,
                // The default panel's own CW pass, as `kratos run --methods cw` gives it.
                Method::Cw => trained.panel_run()?.cw().clone(),
                Method::SmoothGrad => trained.explain(SmoothGrad::default())?,
                _ => trained.explain(IntegratedGradients::default())?,
            };
            warn_degenerate(&panel, log);
            // Fold changes, fractions and p-values on the values the models saw (log1p
            // applied when the input looked like counts), over every gene.
            let input = trained.all_genes_input();
            let stats = GeneStatistics::of(input)?;
            let panel = panel.listing(options.listing, &stats)?;
            let test = wilcoxon_test(input, &WilcoxonParams::new())?;
            kratos::anndata::rank_genes_groups(
                &panel,
                &stats,
                Some(&test),
                &options.groupby,
                n_genes,
            )?
        }
    };
    log.info(&format!(
        "ranked the genes of {} groups with `{}` in {:.1} s",
        ranking.groups.len(),
        method.name(),
        start.elapsed().as_secs_f64()
    ));
    Ok(ranking)
}

fn array2<'py, T: Element>(
    py: Python<'py>,
    rows: Vec<Vec<T>>,
) -> PyResult<Bound<'py, PyArray2<T>>> {
    let (flat, n_rows, n_cols) = flatten_rows(rows)?;
    let a = Array2::from_shape_vec((n_rows, n_cols), flat)
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    // numpy takes over the buffer: no copy.
    Ok(a.into_pyarray(py))
}

/// The ranking as a dict of Python objects: `params` (a dict), `groups` (list), `names` (list
/// of lists), `scores`, `logfoldchanges`, `pvals`, `pvals_adj` (groups x genes arrays) and
/// `pts`, `pts_rest` (`(genes, groups x genes array)`); a statistic kratos left out is absent.
fn ranking_to_py<'py>(py: Python<'py>, r: RankGenesGroups) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    let params = PyDict::new(py);
    params.set_item("groupby", &r.groupby)?;
    params.set_item("reference", &r.reference)?;
    params.set_item("method", &r.method)?;
    params.set_item("use_raw", r.use_raw)?;
    params.set_item("layer", &r.layer)?;
    params.set_item("corr_method", &r.corr_method)?;
    out.set_item("params", params)?;
    out.set_item("groups", r.groups)?;
    out.set_item("names", r.names)?;
    out.set_item("scores", array2(py, r.scores)?)?;
    if let Some(v) = r.logfoldchanges {
        out.set_item("logfoldchanges", array2(py, v)?)?;
    }
    if let Some(v) = r.pvals {
        out.set_item("pvals", array2(py, v)?)?;
    }
    if let Some(v) = r.pvals_adj {
        out.set_item("pvals_adj", array2(py, v)?)?;
    }
    for (key, fractions) in [("pts", r.pts), ("pts_rest", r.pts_rest)] {
        if let Some(f) = fractions {
            out.set_item(key, (f.genes, array2(py, f.values)?))?;
        }
    }
    Ok(out)
}

/// Ranks the genes of every group of `codes`/`categories` (pandas' categorical codes of the
/// `obs` column `groupby`) with `method`; see `kratos.tl.rank_genes_groups`.
#[pyfunction]
#[pyo3(signature = (
    matrix, cell_ids, gene_names, categories, codes, groupby, method,
    n_genes=None, seed=0, epochs=None, use_raw=false, layer=None, direction="both"
))]
#[allow(clippy::too_many_arguments)]
fn rank_genes_groups<'py>(
    py: Python<'py>,
    matrix: Matrix<'py>,
    cell_ids: Vec<String>,
    gene_names: Vec<String>,
    categories: Vec<String>,
    codes: PyReadonlyArray1<'py, i64>,
    groupby: String,
    method: &str,
    n_genes: Option<usize>,
    seed: u64,
    epochs: Option<usize>,
    use_raw: bool,
    layer: Option<String>,
    direction: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let method = Method::parse(method)?;
    let listing = parse_listing(direction)?;
    if n_genes == Some(0) {
        return Err(PyValueError::new_err(
            "invalid parameter `n_genes`: must be at least 1 (or None for every gene)",
        ));
    }
    let data = dataset(&matrix, cell_ids, gene_names, categories, &codes, &groupby)?;
    drop(matrix);
    let log = Log::new(py)?;
    let options = Options {
        groupby,
        seed,
        epochs,
        listing,
    };
    let mut ranking = py.detach(|| guarded(|| rank(data, method, &options, n_genes, &log)))?;
    ranking.method = method.name().to_string();
    ranking.use_raw = use_raw;
    ranking.layer = layer;
    ranking_to_py(py, ranking)
}

/// Trains the default pipeline and returns the 64-d embedding of every cell (cells x 64,
/// `float32`); see `kratos.tl.embed`.
#[pyfunction]
#[pyo3(signature = (matrix, cell_ids, gene_names, categories, codes, groupby, seed=0, epochs=None))]
#[allow(clippy::too_many_arguments)]
fn embed<'py>(
    py: Python<'py>,
    matrix: Matrix<'py>,
    cell_ids: Vec<String>,
    gene_names: Vec<String>,
    categories: Vec<String>,
    codes: PyReadonlyArray1<'py, i64>,
    groupby: String,
    seed: u64,
    epochs: Option<usize>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let data = dataset(&matrix, cell_ids, gene_names, categories, &codes, &groupby)?;
    drop(matrix);
    let n_cells = data.n_cells();
    let log = Log::new(py)?;
    let options = Options {
        groupby,
        seed,
        epochs,
        listing: Listing::Both,
    };
    let (embedding, dims) = py.detach(|| {
        guarded(|| {
            let trained = train(data, &options, &log)?;
            let dims = trained.model().embedding_size();
            Ok((trained.embedding()?, dims))
        })
    })?;
    let a = Array2::from_shape_vec((n_cells, dims), embedding)
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok(a.into_pyarray(py))
}

/// The compiled module of the Python package `kratos`.
#[pymodule]
fn _kratos(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rank_genes_groups, m)?)?;
    m.add_function(wrap_pyfunction!(embed, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
