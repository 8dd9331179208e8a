//! Presets: everything from raw data to a marker panel in one checked, serialisable value.
//!
//! A [`Preset`] names a preprocessing step, the classifier's training configuration, how many
//! models are trained, the CW explainer's parameters, which cells are explained and how the
//! per-model scores become one panel. Two presets are provided:
//!
//! - [`Preset::paper`]: the published method, faithfully (no extra preprocessing, one model,
//!   CW with the paper's parameters, genes ranked by mean |d| over correctly classified cells).
//! - [`Preset::default`] (`kratos`): the same network and explainer with five general changes,
//!   each measured in `docs/reproduction.md` (sections "Simulation: marker genes in the top 20"
//!   and "Levers measured for the default panel") and none tied to a data set:
//!   1. count data (non-negative integers) is log1p-transformed before min-max scaling;
//!   2. three models with different seeds are trained, each for a third of the epochs and
//!      each explaining its own third of the cells (so the ensemble costs about one training
//!      and one CW pass over the cells), and their per-class scores are averaged after
//!      normalising each model's scores to sum 1;
//!   3. the CW perturbation is measured in the units of the input (log expression for counts)
//!      rather than in min-max units;
//!   4. each class's ranking is the rank product of that score and the class's change in mean
//!      expression against the other cells;
//!   5. the top 40 genes of each class are re-ordered so that they repeat each other less
//!      (greedy relevance − 0.5 × max |PCC| with the genes already chosen), moving only genes
//!      with at least a fifth of the class's best ensemble attribution
//!      ([`Preset::floored_redundancy`]).
//!
//! The `kratos` facade's `Pipeline` trains a checked preset's models once
//! ([`ValidPreset::member_training`]); [`ValidPreset::panel_from_models`] then makes the panel
//! as a [`PanelRun`], with a serialisable [`PresetDescription`] for reports.

mod algorithm;
mod describe;
mod hyperparams;
mod preprocessing;
mod screen;

pub use algorithm::PanelRun;
pub use describe::PresetDescription;
pub use hyperparams::{AttributionUnits, Combination, Preset, ValidPreset};
pub use preprocessing::{Preprocessing, looks_like_counts};
pub use screen::{extend_panel, screen_genes};
