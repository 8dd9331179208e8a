//! Streams a preset to a folder, one block of cells in memory at a time, and prints the time.
//!
//! ```text
//! cargo run --release -p kratos-sim --example stream -- large /tmp/large both
//! cargo run --release -p kratos-sim --example stream -- large /tmp/medium csv 500
//! ```
//!
//! Arguments: preset (`clean`, `hard`, `large`), output folder, format (`csv`, `10x`, `both`;
//! default `both`), and optionally the cells per type (to stream a smaller version of a preset).
//! Existing files are replaced.

use std::error::Error;
use std::time::Instant;

use kratos_sim::{OutputFormat, SimulationParams, Simulator};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: stream PRESET DIR [csv|10x|both] [CELLS_PER_TYPE]";
    let mut params = match args.first().map(String::as_str) {
        Some("clean") => SimulationParams::clean(),
        Some("hard") => SimulationParams::hard(),
        Some("large") => SimulationParams::large(),
        _ => return Err(usage.into()),
    };
    let dir = args.get(1).ok_or(usage)?;
    let format = match args.get(2).map_or("both", String::as_str) {
        "csv" => OutputFormat::Csv,
        "10x" => OutputFormat::TenX,
        "both" => OutputFormat::CsvAndTenX,
        other => return Err(format!("unknown format `{other}`; {usage}").into()),
    };
    if let Some(cells) = args.get(3) {
        params = params.cells_per_type(cells.parse()?);
    }
    let simulator = Simulator::new(params.check()?);
    let start = Instant::now();
    let files = simulator.write_to_dir(dir, format, true)?;
    println!(
        "{} cells x {} genes streamed in {:.1} s:",
        simulator.n_cells(),
        simulator.n_genes(),
        start.elapsed().as_secs_f64()
    );
    for f in files {
        let size = std::fs::metadata(&f)?.len();
        println!("  {} ({:.1} MB)", f.display(), size as f64 / 1e6);
    }
    Ok(())
}
