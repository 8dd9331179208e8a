//! The simulator: parameters ([`SimulationParams`]) and the generator ([`Simulator`]).

mod algorithm;
mod hyperparams;
mod shape;

pub use algorithm::{BLOCK_CELLS, CellBlock, Simulation, Simulator};
pub use hyperparams::{SimulationParams, ValidSimulationParams};
