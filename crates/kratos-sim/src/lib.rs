//! A simulator of single-cell count data with ground-truth gene roles, in the spirit of SymSim
//! (the simulator behind the Kratos paper's benchmark): cell types drive the mean expression of
//! *causal* genes, *dependent* genes are noisy linear mixtures of causal genes, and *noise* genes
//! ignore the cell type. Counts are negative-binomial (Poisson–gamma) draws with
//! library-size variation and expression-dependent dropout. Everything is seeded.
//!
//! Gene names are neutral (`g001`, ...) and the columns are shuffled relative to the roles, so a
//! method whose scores tie cannot look good by falling back to column order or names; the roles
//! are in [`Simulation::roles`] (and in `genes.tsv` when written to disk).
//!
//! ```
//! use kratos_sim::{SimulationParams, simulate};
//! let sim = simulate(&SimulationParams::clean().seed(7))?;
//! assert_eq!(sim.dataset.shape(), (500, 140));
//! assert_eq!(sim.dataset.labels().unwrap().class_counts(), vec![100; 5]);
//! # Ok::<(), kratos_sim::SimError>(())
//! ```

mod errors;
mod hyperparams;
mod published;
mod simulate;
mod write;

pub use errors::SimError;
pub use hyperparams::SimulationParams;
pub use published::{evaluation_copy, roles_from_published_names};
pub use simulate::{Simulation, simulate};
pub use write::{write_10x, write_csv_files, write_large};

/// Result alias of this crate.
pub type Result<T, E = SimError> = std::result::Result<T, E>;
