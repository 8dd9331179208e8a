//! A simulator of single-cell count data with ground-truth gene roles, in the spirit of SymSim
//! (the simulator behind the Kratos paper's benchmark), for testing marker-gene methods.
//!
//! Cell types carry type-specific programme values that drive the mean expression of *causal*
//! genes; *dependent* genes mix 1–10 random causal genes (weights U(0.01, 0.8) plus N(0, 1)
//! noise, on the log-mean scale); *noise* genes ignore the cell type. Counts are negative
//! binomial (Poisson–gamma) draws with library-size variation and expression-dependent dropout.
//! Everything is seeded (ChaCha8): the same parameters give the same bytes. Cells are made in
//! blocks, each from its own random stream, so the [`large`](SimulationParams::large) preset
//! streams to disk ([`Simulator::write_to_dir`]) holding one block in memory at a time.
//!
//! Gene names are neutral (`g001`, …) and the columns are shuffled relative to the roles, so a
//! method whose scores tie cannot look good by falling back to column order or names; the roles
//! are in [`Simulation::roles`] (and in `genes.tsv` on disk). For the paper's published
//! simulation files, [`published_evaluation_copy`] makes the same kind of copy. The presets and
//! their calibration against the published data are described in `docs/simulation.md`;
//! [`calibration`] computes the numbers.
//!
//! ```
//! use kratos_data::GeneRole;
//! use kratos_sim::{OutputFormat, SimulationParams};
//!
//! let sim = SimulationParams::clean().seed(7).check()?.simulate()?;
//! assert_eq!(sim.dataset.shape(), (500, 140));
//! assert_eq!(sim.dataset.labels().unwrap().class_counts(), vec![100; 5]);
//! assert_eq!(sim.roles.iter().filter(|&&r| r == GeneRole::Causal).count(), 20);
//!
//! let dir = tempfile::tempdir()?;
//! sim.write_to_dir(dir.path(), OutputFormat::Csv, false)?; // counts.csv.gz, labels.tsv, genes.tsv
//! assert!(sim.write_to_dir(dir.path(), OutputFormat::Csv, false).is_err()); // never overwrites
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod calibration;
mod error;
mod published;
mod simulate;
mod write;

pub use error::SimError;
pub use published::{
    evaluation_copy, neutral_gene_names, published_evaluation_copy, roles_from_published_names,
};
pub use simulate::{
    BLOCK_CELLS, CellBlock, Simulation, SimulationParams, Simulator, ValidSimulationParams,
};
pub use write::{
    BARCODES_TSV, COUNTS_CSV, FEATURES_TSV, GENES_TSV, LABELS_TSV, MATRIX_MTX, OutputFormat,
};

/// Result alias of this crate.
pub type Result<T, E = SimError> = std::result::Result<T, E>;
