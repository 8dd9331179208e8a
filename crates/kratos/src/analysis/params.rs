use kratos_explain::{Listing, PanelOptions, Preprocessing, Preset, ValidPanelOptions};
use kratos_metrics::{PanelEvaluationParams, ValidPanelEvaluationParams};
use kratos_model::{TrainingConfig, ValidTrainingConfig};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A method an analysis can run besides the default panel: an explainer on the pipeline's
/// models, or a marker test that needs no model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// The published method, exactly: its own model (one network on the values as given,
    /// trained on the same training cells) explained by CW with the paper's parameters.
    Paper,
    /// Carlini–Wagner perturbation, one-vs-rest: the default panel's own CW pass, in min-max
    /// units (free once the default panel is made).
    Cw,
    /// Carlini–Wagner, one-vs-one: every ordered pair of classes ("A vs B").
    CwOvo,
    /// SmoothGrad (20 noisy copies).
    SmoothGrad,
    /// Integrated Gradients (zero baseline, 20 steps).
    Ig,
    /// Plain gradient of the class output.
    Saliency,
    /// Gradient times input.
    GradInput,
    /// Wilcoxon rank-sum one-vs-rest, genes ranked by z (scanpy's default marker test), on the
    /// model's input.
    Wilcoxon,
    /// Welch's t-test one-vs-rest, ranked by t (scanpy's `t-test`), on the model's input.
    TTest,
}

impl Method {
    /// Every method, in the order reports list them.
    pub const ALL: [Method; 9] = [
        Method::Paper,
        Method::Cw,
        Method::CwOvo,
        Method::SmoothGrad,
        Method::Ig,
        Method::Saliency,
        Method::GradInput,
        Method::Wilcoxon,
        Method::TTest,
    ];

    /// The name of the method's panel (file names, reports).
    pub fn name(self) -> &'static str {
        match self {
            Method::Paper => "paper",
            Method::Cw => "cw",
            Method::CwOvo => "cw-ovo",
            Method::SmoothGrad => "smoothgrad",
            Method::Ig => "ig",
            Method::Saliency => "saliency",
            Method::GradInput => "gradient-x-input",
            Method::Wilcoxon => "wilcoxon",
            Method::TTest => "t-test",
        }
    }

    /// Whether the method is a marker test without a model.
    pub fn is_marker_test(self) -> bool {
        matches!(self, Method::Wilcoxon | Method::TTest)
    }
}

/// What an analysis does; [`AnalysisParams::check`] names the first bad value or gives the
/// [`ValidAnalysisParams`] that [`super::analyse`] takes.
///
/// Defaults: the methods of `kratos run` (Wilcoxon beside the default panel), the default
/// preset's training (the paper's, seed 7, with its bound on mini-batches), log1p when the input looks like counts, the library's cap of explained
/// cells per class, no SVM evaluation, t-SNE maps of at most 3,000 cells, every panel listed
/// in its ranking's order ([`Listing::Both`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisParams {
    /// Methods besides the default panel (duplicates are run once).
    pub methods: Vec<Method>,
    /// Classifier and training; its seed is the analysis's seed.
    pub training: TrainingConfig,
    /// Preprocessing before the models' min-max scaling.
    pub preprocessing: Preprocessing,
    /// At most this many cells per class are explained by every explainer and the default
    /// panel (`None`: all).
    pub cells_per_class: Option<usize>,
    /// SVM evaluation of the one-vs-rest panels, if any.
    pub evaluation: Option<PanelEvaluationParams>,
    /// Compute the 2-D maps (t-SNE of the embedding and of PCA of the input).
    pub maps: bool,
    /// At most this many cells (stratified, seeded) in the maps and in the input PCA's fit.
    pub map_cells: usize,
    /// Which genes the default panel and the explainers' one-vs-rest panels list first
    /// ([`kratos_explain::GenePanel::listing`]); the marker tests keep their own order (genes
    /// higher in the class first, as scanpy's), one-vs-one panels theirs.
    pub direction: Listing,
}

impl Default for AnalysisParams {
    fn default() -> Self {
        AnalysisParams {
            methods: vec![Method::Wilcoxon],
            training: Preset::default().training,
            preprocessing: Preprocessing::Log1pIfCounts,
            cells_per_class: PanelOptions::default().max_cells_per_class,
            evaluation: None,
            maps: true,
            map_cells: 3000,
            direction: Listing::Both,
        }
    }
}

impl AnalysisParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the methods besides the default panel.
    pub fn methods(mut self, methods: Vec<Method>) -> Self {
        self.methods = methods;
        self
    }

    /// Sets the training configuration (and with it the seed).
    pub fn training(mut self, training: TrainingConfig) -> Self {
        self.training = training;
        self
    }

    /// Sets the preprocessing.
    pub fn preprocessing(mut self, preprocessing: Preprocessing) -> Self {
        self.preprocessing = preprocessing;
        self
    }

    /// Sets the cap of explained cells per class (`None`: all).
    pub fn cells_per_class(mut self, cells: Option<usize>) -> Self {
        self.cells_per_class = cells;
        self
    }

    /// Evaluates the panels with the SVM protocol (`None`: not at all).
    pub fn evaluation(mut self, evaluation: Option<PanelEvaluationParams>) -> Self {
        self.evaluation = evaluation;
        self
    }

    /// Computes the 2-D maps or not.
    pub fn maps(mut self, maps: bool) -> Self {
        self.maps = maps;
        self
    }

    /// Sets the most cells in the maps.
    pub fn map_cells(mut self, cells: usize) -> Self {
        self.map_cells = cells;
        self
    }

    /// Sets which genes the panels list first.
    pub fn direction(mut self, direction: Listing) -> Self {
        self.direction = direction;
        self
    }

    /// Checks every value, naming the first bad one.
    pub fn check(&self) -> Result<ValidAnalysisParams> {
        let training = self.training.check()?;
        if self.map_cells < 10 {
            return Err(Error::InvalidParameter {
                name: "map_cells",
                problem: format!("must be at least 10, got {}", self.map_cells),
            });
        }
        let panel_options = PanelOptions::new()
            .max_cells_per_class(self.cells_per_class)
            .seed(training.seed)
            .check()?;
        let evaluation = match &self.evaluation {
            Some(e) => Some(e.check()?),
            None => None,
        };
        let mut methods = Vec::new();
        for &m in &self.methods {
            if !methods.contains(&m) {
                methods.push(m);
            }
        }
        Ok(ValidAnalysisParams {
            params: AnalysisParams {
                methods,
                ..self.clone()
            },
            training,
            panel_options,
            evaluation,
        })
    }
}

/// Checked [`AnalysisParams`]; reads like them.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAnalysisParams {
    params: AnalysisParams,
    training: ValidTrainingConfig,
    panel_options: ValidPanelOptions,
    evaluation: Option<ValidPanelEvaluationParams>,
}

impl ValidAnalysisParams {
    /// The seed of the whole analysis (split, training, explainers, k-means, maps).
    pub fn seed(&self) -> u64 {
        self.training.seed
    }

    /// The checked training configuration.
    pub fn training(&self) -> &ValidTrainingConfig {
        &self.training
    }

    /// The checked options of every panel.
    pub fn panel_options(&self) -> &ValidPanelOptions {
        &self.panel_options
    }

    /// The checked SVM evaluation, if any.
    pub fn evaluation(&self) -> Option<&ValidPanelEvaluationParams> {
        self.evaluation.as_ref()
    }
}

impl std::ops::Deref for ValidAnalysisParams {
    type Target = AnalysisParams;

    fn deref(&self) -> &AnalysisParams {
        &self.params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_are_named_and_methods_deduplicated() {
        let e = AnalysisParams::new().map_cells(3).check().unwrap_err();
        assert!(e.to_string().contains("map_cells"), "{e}");
        let e = AnalysisParams::new()
            .cells_per_class(Some(0))
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("max_cells_per_class"), "{e}");
        let e = AnalysisParams::new()
            .training(TrainingConfig::new().with_epochs(0))
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("epochs"), "{e}");
        let valid = AnalysisParams::new()
            .methods(vec![Method::Ig, Method::Cw, Method::Ig])
            .training(TrainingConfig::new().with_seed(4))
            .check()
            .unwrap();
        assert_eq!(valid.methods, [Method::Ig, Method::Cw]);
        assert_eq!((valid.seed(), valid.panel_options().seed), (4, 4));
    }
}
