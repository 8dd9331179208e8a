//! Prints the calibration table of `docs/simulation.md` for a preset or for a data file.
//!
//! ```text
//! cargo run --release -p kratos-sim --example calibrate -- clean 7
//! cargo run --release -p kratos-sim --example calibrate -- clean 7 effect_size=1.2 dropout=0.3
//! cargo run --release -p kratos-sim --example calibrate -- $KRATOS_DATA/simulation/140var_clean.csv
//! cargo run --release -p kratos-sim --example calibrate -- out/counts.csv.gz
//! ```
//!
//! A preset (`clean`, `hard`) is simulated with the given seed (default 7); `name=value`
//! arguments override its parameters (the builder method names), and `out=DIR` also writes it
//! there (`counts.csv.gz`, `labels.tsv`, `genes.tsv`; replacing them) for the Python reference
//! scripts, e.g. `shared/reference/wilcoxon_panel.py DIR/counts.csv.gz DIR/labels.tsv out.tsv`. A file is read with
//! `kratos_data::read`: labels from a `labels.tsv` beside it or else from `<index>_<type>` cell
//! ids; roles from a `genes.tsv` beside it or else from published column names (`causal*`,
//! `dep*`, `useless*`).

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use kratos_data::GeneRole;
use kratos_data::read::{ReadOptions, read_label_table, read_path};
use kratos_sim::calibration::CalibrationReport;
use kratos_sim::{
    GENES_TSV, LABELS_TSV, OutputFormat, SimulationParams, roles_from_published_names,
};

fn apply(params: SimulationParams, setting: &str) -> Result<SimulationParams, Box<dyn Error>> {
    let (name, value) = setting
        .split_once('=')
        .ok_or_else(|| format!("`{setting}`: expected name=value"))?;
    let x: f64 = value
        .parse()
        .map_err(|_| format!("`{setting}`: `{value}` is not a number"))?;
    Ok(match name {
        "effect_size" => params.effect_size(x),
        "programme_density" => params.programme_density(x),
        "dispersion" => params.dispersion(x),
        "dropout" => params.dropout(x),
        "library_size_sd" => params.library_size_sd(x),
        "cell_variation_sd" => params.cell_variation_sd(x),
        "dependent_noise_sd" => params.dependent_noise_sd(x),
        "expression_log_mean" => params.expression_log_mean(x),
        "expression_log_sd" => params.expression_log_sd(x),
        "max_dependent_sources" => params.max_dependent_sources(x as usize),
        _ => return Err(format!("unknown parameter `{name}`").into()),
    })
}

fn read_file(path: &Path) -> Result<(kratos_data::Dataset, Vec<GeneRole>), Box<dyn Error>> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let labels = dir.join(LABELS_TSV);
    let options = if labels.exists() {
        ReadOptions::new().label_file(labels)
    } else {
        ReadOptions::new().labels_from_cell_ids(true)
    };
    let ds = read_path(path, &options)?;
    let genes = dir.join(GENES_TSV);
    let roles = if genes.exists() {
        // genes.tsv is `gene\trole`, the same two-column layout as a label table.
        let table = read_label_table(&genes)?;
        let by_name: std::collections::HashMap<&str, &str> = table
            .cell_ids()
            .iter()
            .map(String::as_str)
            .zip(table.labels().iter().map(String::as_str))
            .collect();
        ds.gene_names()
            .iter()
            .map(|g| {
                by_name
                    .get(g.as_str())
                    .and_then(|r| GeneRole::parse(r))
                    .ok_or_else(|| format!("{}: no role for gene `{g}`", genes.display()))
            })
            .collect::<Result<Vec<_>, _>>()?
    } else {
        roles_from_published_names(ds.gene_names())?
    };
    Ok((ds, roles))
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let what = args.first().map_or("clean", String::as_str);
    let preset = match what {
        "clean" => Some(SimulationParams::clean()),
        "hard" => Some(SimulationParams::hard()),
        _ => None,
    };
    let (dataset, roles) = match preset {
        Some(mut params) => {
            let seed = args.get(1).map_or(Ok(7), |s| s.parse::<u64>())?;
            let mut out = None;
            for setting in args.iter().skip(2) {
                match setting.strip_prefix("out=") {
                    Some(dir) => out = Some(dir.to_string()),
                    None => params = apply(params, setting)?,
                }
            }
            let params = params.seed(seed).check()?;
            let start = Instant::now();
            let sim = params.simulate()?;
            let seconds = start.elapsed().as_secs_f64();
            println!("preset `{what}`, seed {seed}: {params:?}");
            println!("generated in {:.1} ms", seconds * 1e3);
            if let Some(dir) = out {
                sim.write_to_dir(&dir, OutputFormat::Csv, true)?;
                println!("written to {dir}");
            }
            (sim.dataset, sim.roles)
        }
        None => {
            println!("file {what}");
            read_file(Path::new(what))?
        }
    };
    println!();
    print!("{}", CalibrationReport::new(&dataset, &roles, 20)?);
    Ok(())
}
