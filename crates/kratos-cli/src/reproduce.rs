//! `kratos reproduce`: runs the reproduction (`kratos-bench`) and writes `reproduction.md` with
//! its plots and `results.json` (`kratos-report`).

use std::time::Instant;

use kratos_bench::{ReproduceParams, reproduce as run_reproduction};
use kratos_report::{reproduction_markdown, versions};

use crate::CliError;
use crate::args::ReproduceArgs;
use crate::output::OutputDir;
use crate::progress::Bars;

/// `kratos reproduce`.
pub fn reproduce(args: &ReproduceArgs, quiet: bool) -> Result<(), CliError> {
    let start = Instant::now();
    if !args.data_dir.is_dir() {
        return Err(CliError::Input(format!(
            "{}: no such folder; --data-dir takes the data folder (simulation/, pbmc3k/, ...)",
            args.data_dir.display()
        )));
    }
    let params = ReproduceParams::new()
        .quick(args.quick)
        .seed(args.seed)
        .stability_seeds(args.stability_seeds)
        .n_iter(args.n_iter)
        .eval_cells(args.eval_cells)
        .check()?;
    let out = OutputDir::create(&args.out, args.force)?;
    let results = run_reproduction(&args.data_dir, &params, &Bars::new(quiet))?;
    let versions = versions();
    let md = reproduction_markdown(&results, out.dir(), &versions)?;
    out.write("reproduction.md", &md)?;
    let mut json = serde_json::to_value(&results)
        .map_err(|e| CliError::Failure(format!("results.json: {e}")))?;
    if let Some(map) = json.as_object_mut() {
        map.insert(
            "command".into(),
            std::env::args().collect::<Vec<_>>().join(" ").into(),
        );
        map.insert("version".into(), env!("CARGO_PKG_VERSION").into());
        map.insert(
            "versions".into(),
            serde_json::to_value(&versions).unwrap_or_default(),
        );
    }
    let text = serde_json::to_string_pretty(&json)
        .map_err(|e| CliError::Failure(format!("results.json: {e}")))?;
    out.write("results.json", &(text + "\n"))?;
    let path = out.finish()?;
    println!(
        "reproduce: wrote {} ({:.0}s)",
        path.join("reproduction.md").display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
