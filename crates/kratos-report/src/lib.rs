//! Rendering of kratos results: what the `kratos` command writes. The science happens in the
//! library crates (`kratos`, `kratos-bench`); this crate turns their typed results into files:
//!
//! - [`write_run`]: a run's output folder — panels, embedding, model, plots (PNG and SVG),
//!   [`Report`] as `report.json` and a self-contained `report.html`;
//! - [`write_design`]: what `kratos panel` writes — the designed panels, `report.json`, the
//!   accuracy-versus-size curves and `report.html`;
//! - [`reproduction_markdown`]: the reproduction's Markdown report with its plots;
//! - [`plots`]: the charts themselves (plotters, with DejaVu Sans embedded so no system font is
//!   needed).

mod design;
mod error;
mod html;
pub mod plots;
mod reproduction;
mod run_folder;
mod schema;

pub use design::{DesignInfo, panel_file_name, write_design};
pub use error::ReportError;
pub use html::{Figure, html};
pub use reproduction::reproduction_markdown;
pub use run_folder::{RunInfo, embedding_tsv, write_run};
pub use schema::{
    Accuracy, ClassSection, ClassTop, DataSection, MapSection, MethodEvaluation, PanelSection,
    Parameters, Report, RoleRow, SimulationSection, TopGene, versions,
};
