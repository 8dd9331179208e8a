//! The whole `kratos run` flow as one library call: train the default pipeline once, make the
//! default panel, run every requested method on the same models, embed, score the embedding
//! against PCA of the input, evaluate the panels and compute the 2-D maps — returning typed
//! results that a front end renders (the `kratos` command writes them as files, plots and a
//! report).
//!
//! ```
//! use kratos::analysis::{AnalysisParams, Method, analyse};
//! use kratos::{NoProgress, SimulationParams, TrainingConfig};
//! let cells = SimulationParams::clean().seed(2).check()?.simulate()?.dataset;
//! let params = AnalysisParams::new()
//!     .methods(vec![Method::Saliency, Method::Wilcoxon])
//!     .training(TrainingConfig::new().with_epochs(30).with_seed(2))
//!     .maps(false)
//!     .check()?;
//! let analysis = analyse(cells, &params, &NoProgress)?;
//! let methods: Vec<&str> = analysis.panels.iter().map(|p| p.method()).collect();
//! assert_eq!(methods, ["kratos", "saliency", "wilcoxon"]);
//! assert!(analysis.quality.kmeans_inertia > 0.0);
//! # Ok::<(), kratos::Error>(())
//! ```

mod dots;
mod maps;
mod params;
mod run;

pub use dots::{MarkerDots, marker_dots};
pub use maps::{Points, TsneParams, pca, stratified_subsample, tsne};
pub use params::{AnalysisParams, Method, ValidAnalysisParams};
pub use run::{Analysis, Maps, Timings, analyse, analyse_timed, peak_memory_bytes};
