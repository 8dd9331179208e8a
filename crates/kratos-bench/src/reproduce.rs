use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use kratos::{
    PanelEvaluationParams, Preprocessing, Preset, Progress, TopKGrid, ValidPanelEvaluationParams,
};
use serde::Serialize;

use crate::pixels::{PixelResult, pixel_maps};
use crate::registry::{DataSet, REAL_SETS, SIMULATIONS, by_key, simulation_copy};
use crate::stability::{StabilityRow, seed_runs, stability_rows};
use crate::tables::{RealResult, SimulationResult, real_data, simulation_table};
use crate::{BenchError, Result};

/// What a reproduction covers: the full run, or `quick` (fewer data sets, seeds, panel sizes
/// and cells); [`ReproduceParams::check`] gives the [`ValidReproduceParams`] it runs with.
///
/// ```
/// let quick = kratos_bench::ReproduceParams::new().quick(true).seed(3).check()?;
/// assert_eq!((quick.stability_seeds, quick.eval_cells), (2, 250));
/// assert!(kratos_bench::ReproduceParams::new().n_iter(Some(0)).check().is_err());
/// # Ok::<(), kratos_bench::BenchError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReproduceParams {
    /// The small version (a few minutes).
    pub quick: bool,
    /// Seed of the tables (splits, training, explainers, k-means, SVM search); default 7.
    pub seed: Option<u64>,
    /// Seeds 1..=N of the stability table (default 5, or 2 quick).
    pub stability_seeds: Option<usize>,
    /// Random-search candidates per SVM fit (default 2).
    pub n_iter: Option<usize>,
    /// At most this many cells in each real data set's SVM evaluation (default 300, or 250
    /// quick).
    pub eval_cells: Option<usize>,
}

impl ReproduceParams {
    /// The full reproduction with its defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The small version or the full one.
    pub fn quick(mut self, quick: bool) -> Self {
        self.quick = quick;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Sets the seeds of the stability table (`None`: the default).
    pub fn stability_seeds(mut self, seeds: Option<usize>) -> Self {
        self.stability_seeds = seeds;
        self
    }

    /// Sets the SVM's random-search candidates (`None`: the default).
    pub fn n_iter(mut self, n_iter: Option<usize>) -> Self {
        self.n_iter = n_iter;
        self
    }

    /// Sets the cells of each SVM evaluation (`None`: the default).
    pub fn eval_cells(mut self, cells: Option<usize>) -> Self {
        self.eval_cells = cells;
        self
    }

    /// Checks every value, naming the first bad one, and fills in the defaults.
    pub fn check(&self) -> Result<ValidReproduceParams> {
        let quick = self.quick;
        let positive = |name: &'static str, v: Option<usize>, default: usize| match v {
            Some(0) => Err(BenchError::InvalidParameter {
                name,
                problem: "must be at least 1".into(),
            }),
            Some(v) => Ok(v),
            None => Ok(default),
        };
        let seed = self.seed.unwrap_or(7);
        let n_iter = positive("n_iter", self.n_iter, 2)?;
        let grid = if quick {
            vec![1.0, 5.0, 10.0]
        } else {
            // Six points of the paper's grid, up to 20% of the genes, where the curves
            // separate (the 40-point grid costs ~7x as much; `kratos evaluate --grid paper`
            // runs it for one panel).
            vec![1.0, 2.0, 3.0, 5.0, 10.0, 20.0]
        };
        let evaluation = PanelEvaluationParams::new()
            .grid(TopKGrid::Percent(grid.clone()))
            .n_iter(n_iter)
            .seed(seed)
            .check()?;
        Ok(ValidReproduceParams {
            quick,
            seed,
            stability_seeds: positive(
                "stability_seeds",
                self.stability_seeds,
                if quick { 2 } else { 5 },
            )?,
            n_iter,
            eval_cells: positive("eval_cells", self.eval_cells, if quick { 250 } else { 300 })?,
            table2_cells: 3000,
            grid,
            evaluation,
        })
    }
}

/// Checked [`ReproduceParams`] with the defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidReproduceParams {
    /// The small version.
    pub quick: bool,
    /// Seed of the tables.
    pub seed: u64,
    /// Seeds 1..=N of the stability table.
    pub stability_seeds: usize,
    /// Random-search candidates per SVM fit.
    pub n_iter: usize,
    /// Most cells of an SVM evaluation.
    pub eval_cells: usize,
    /// Most cells in the embedding table (the silhouette is quadratic in cells).
    table2_cells: usize,
    /// Percent grid of the curves.
    pub grid: Vec<f64>,
    evaluation: ValidPanelEvaluationParams,
}

impl ValidReproduceParams {
    /// Most cells in the embedding table.
    pub fn table2_cells(&self) -> usize {
        self.table2_cells
    }

    /// The SVM protocol of the curves.
    pub fn evaluation(&self) -> &ValidPanelEvaluationParams {
        &self.evaluation
    }

    /// The simulation files of Table 1.
    pub fn simulations(&self) -> &'static [&'static str] {
        if self.quick {
            &SIMULATIONS[..1]
        } else {
            &SIMULATIONS
        }
    }

    /// The real data sets of Table 2 and the curves.
    pub fn real_sets(&self) -> Vec<&'static DataSet> {
        REAL_SETS
            .iter()
            .filter(|s| !self.quick || s.in_quick)
            .collect()
    }

    /// The image data sets of the pixel maps.
    pub fn digit_sets(&self) -> &'static [&'static str] {
        if self.quick {
            &["digits"]
        } else {
            &["digits", "mnist"]
        }
    }

    /// The real data sets of the stability table.
    pub fn stability_sets(&self) -> Vec<&'static DataSet> {
        if self.quick {
            Vec::new()
        } else {
            by_key("pbmc68k_bulk").into_iter().collect()
        }
    }
}

/// Everything a reproduction found, for reports and for tests of the claims the docs make.
#[derive(Debug, Clone, Serialize)]
pub struct Reproduction {
    /// The small version.
    pub quick: bool,
    /// Seed of the tables.
    pub seed: u64,
    /// Seeds of the stability table.
    pub stability_seeds: usize,
    /// Random-search candidates per SVM fit.
    pub n_iter: usize,
    /// Percent grid of the curves.
    pub grid_percent: Vec<f64>,
    /// Most cells of an SVM evaluation.
    pub eval_cells: usize,
    /// Most cells in the embedding table.
    pub table2_cells: usize,
    /// Data sets not found in the data folder.
    pub skipped: Vec<String>,
    /// Table 1, one entry per simulation file.
    pub simulation: Vec<SimulationResult>,
    /// Table 2 and the curves, one entry per real data set.
    pub real: Vec<RealResult>,
    /// The digit pixel maps.
    pub pixel_maps: Vec<PixelResult>,
    /// The stability table.
    pub stability: Vec<StabilityRow>,
    /// Seconds per stage and in total.
    pub seconds: BTreeMap<String, f64>,
}

impl Reproduction {
    /// Table 2 and the curves of the data set titled `title`.
    pub fn real(&self, title: &str) -> Option<&RealResult> {
        self.real.iter().find(|r| r.key == title)
    }
}

/// Regenerates the paper's tables and figures on every data set found in the data folder
/// `data_dir` (the layout of the shared data: `simulation/`, `pbmc3k/`, ...), skipping the
/// absent ones.
pub fn reproduce(
    data_dir: &Path,
    params: &ValidReproduceParams,
    progress: &dyn Progress,
) -> Result<Reproduction> {
    let start = Instant::now();
    if !data_dir.is_dir() {
        return Err(BenchError::NoDataFolder(data_dir.to_path_buf()));
    }
    let mut skipped = Vec::new();
    let mut seconds = BTreeMap::new();
    let mut stage = |name: &str, t: Instant| {
        seconds.insert(name.to_string(), t.elapsed().as_secs_f64());
    };

    // Table 1.
    let t = Instant::now();
    let mut simulation = Vec::new();
    for file in params.simulations() {
        let path = data_dir.join("simulation").join(file);
        if !path.is_file() {
            progress.note(&format!("reproduce: {} not found; skipped", path.display()));
            skipped.push(format!("simulation/{file}"));
            continue;
        }
        progress.start(&format!("Table 1 {file}"), 0);
        simulation.push(simulation_table(&path, params.seed)?);
        progress.finish();
    }
    stage("table1", t);

    // Table 2 and curves.
    let t = Instant::now();
    let mut real = Vec::new();
    for set in params.real_sets() {
        let Some(ds) = set.load(data_dir)? else {
            progress.note(&format!(
                "reproduce: {}/{}/{} (or its labels) not found; skipped",
                data_dir.display(),
                set.folder,
                set.data
            ));
            skipped.push(set.title.to_string());
            continue;
        };
        real.push(real_data(ds, set, params, progress)?);
        progress.note(&format!(
            "reproduce: {} done ({:.0}s so far)",
            set.title,
            start.elapsed().as_secs_f64()
        ));
    }
    stage("table2_and_curves", t);

    // Pixel maps.
    let t = Instant::now();
    let mut pixels = Vec::new();
    for name in params.digit_sets() {
        progress.start(&format!("pixel maps {name}"), 0);
        match pixel_maps(&data_dir.join(name), name, params.seed)? {
            Some(r) => pixels.extend(r),
            None => {
                progress.note(&format!("reproduce: {name}/ not found; no pixel maps"));
                skipped.push(format!("{name} (pixel maps)"));
            }
        }
        progress.finish();
    }
    stage("pixel_maps", t);

    // Stability.
    let t = Instant::now();
    let mut stability = Vec::new();
    let sim_path = data_dir.join("simulation").join(SIMULATIONS[0]);
    if sim_path.is_file() {
        let (data, roles) = simulation_copy(&sim_path, 1)?;
        let runs = seed_runs(
            &data,
            Preset::paper().preprocessing,
            params.stability_seeds,
            progress,
        )?;
        stability.extend(stability_rows("140var_clean", &runs, Some(&roles))?);
    }
    for set in params.stability_sets() {
        let Some(ds) = set.load(data_dir)? else {
            continue;
        };
        let runs = seed_runs(&ds, Preprocessing::AsIs, params.stability_seeds, progress)?;
        stability.extend(stability_rows(set.title, &runs, None)?);
    }
    stage("stability", t);
    seconds.insert("total".into(), start.elapsed().as_secs_f64());

    Ok(Reproduction {
        quick: params.quick,
        seed: params.seed,
        stability_seeds: params.stability_seeds,
        n_iter: params.n_iter,
        grid_percent: params.grid.clone(),
        eval_cells: params.eval_cells,
        table2_cells: params.table2_cells,
        skipped,
        simulation,
        real,
        pixel_maps: pixels,
        stability,
        seconds,
    })
}
