//! Gene panels: per-class gene rankings built from attributions, their options and files.

mod direction;
mod explain;
mod gene_panel;
mod io;
mod options;

pub use direction::{GeneSummary, Listing};
pub(crate) use explain::{Sums, explain_sums, require_labels, shares_for};
pub use explain::{explain_ensemble, explain_pair, explain_panel, explain_panels};
pub use gene_panel::GenePanel;
pub use options::{Aggregation, PanelOptions, ValidPanelOptions};
