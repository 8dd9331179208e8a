//! The methods the reproduction compares on every data set: the explainers under the paper
//! preset, the kratos default (with and without its redundancy-aware re-ranking), and the
//! marker tests a user knows (Wilcoxon, Welch's t, the three-step pipeline).

use std::time::Instant;

use kratos::data::preprocess::log1p;
use kratos::{
    Dataset, DefaultBackend, Explainer, GenePanel, GradientTimesInput, IntegratedGradients,
    PanelOptions, Pipeline, Preprocessing, Preset, Saliency, SmoothGrad, ThreeStepParams,
    TrainedPipeline, WelchParams, WilcoxonParams, decorrelate, three_step_panel, welch_t_panel,
    wilcoxon_panel,
};
use serde::Serialize;

use crate::Result;

/// Cells explained per class at most (drawn at random, seeded), so the cost of the explainers
/// does not grow with the larger data sets.
pub const EXPLAIN_CELLS_PER_CLASS: usize = 500;

/// One method's panel and the seconds it took.
#[derive(Debug, Clone, Serialize)]
pub struct TimedPanel {
    /// The panel (its method names the row).
    pub panel: GenePanel,
    /// Seconds to make it (the kratos default's include training its ensemble).
    pub seconds: f64,
}

fn timed(f: impl FnOnce() -> Result<GenePanel>) -> Result<TimedPanel> {
    let start = Instant::now();
    let panel = f()?;
    Ok(TimedPanel {
        panel,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Trains the paper's classifier on `data` (70/30 split by `seed`, values prepared by
/// `preprocessing`) and returns it with every method's panel: the explainers under the paper
/// preset, the kratos default (its own training, on the same split), and the marker tests on
/// the default's input (log1p of counts).
pub fn all_panels(
    data: &Dataset,
    seed: u64,
    preprocessing: Preprocessing,
) -> Result<(TrainedPipeline<DefaultBackend>, Vec<TimedPanel>)> {
    let panel_options = PanelOptions::new().max_cells_per_class(Some(EXPLAIN_CELLS_PER_CLASS));
    let trained = Pipeline::paper()
        .dataset(data.clone())
        .preprocessing(preprocessing)
        .panel_options(panel_options.clone())
        .seed(seed)
        .train()?;
    let mut out = Vec::new();
    let explainers: Vec<Box<dyn Explainer<DefaultBackend>>> = vec![
        Box::new(Preset::paper().cw.check()?),
        Box::new(SmoothGrad::default()),
        Box::new(IntegratedGradients::default()),
        Box::new(Saliency),
        Box::new(GradientTimesInput),
    ];
    for e in &explainers {
        out.push(timed(|| {
            Ok(trained.explain_with(&[e.as_ref()])?.remove(0))
        })?);
    }
    let start = Instant::now();
    let run = Pipeline::new()
        .dataset(data.clone())
        .panel_options(panel_options)
        .seed(seed)
        .train()?
        .panel_run()?;
    let seconds = start.elapsed().as_secs_f64();
    out.push(TimedPanel {
        panel: run.panel().clone(),
        seconds,
    });
    // The default without its redundancy-aware re-ranking, from the same run (seconds: the
    // default's; the re-ranking takes well under a second).
    out.push(TimedPanel {
        panel: run
            .panel_before_redundancy()
            .clone()
            .with_method("kratos-without-mrmr"),
        seconds,
    });
    let mut baseline_input = data.clone();
    if Preprocessing::Log1pIfCounts.applies_to(data) {
        log1p(&mut baseline_input)?;
    }
    out.push(timed(|| {
        Ok(wilcoxon_panel(&baseline_input, &WilcoxonParams::new())?)
    })?);
    out.push(timed(|| {
        Ok(welch_t_panel(&baseline_input, &WelchParams::new())?)
    })?);
    out.push(timed(|| {
        Ok(three_step_panel(
            &baseline_input,
            &ThreeStepParams::new().seed(seed),
        )?)
    })?);
    // The same re-ranking applied to Wilcoxon's panel (relevance: its own statistic); its
    // seconds add to Wilcoxon's.
    if let Some(from) = out.iter().find(|t| t.panel.method() == "wilcoxon") {
        let (panel, before) = (from.panel.clone(), from.seconds);
        let mut t = timed(|| {
            Ok(
                decorrelate(&panel, &baseline_input, &Preset::floored_redundancy())?
                    .with_method("wilcoxon+mrmr"),
            )
        })?;
        t.seconds += before;
        out.push(t);
    }
    Ok((trained, out))
}

/// What the method rows are called in the tables.
///
/// ```
/// assert_eq!(kratos_bench::roster::display_name("wilcoxon"), "Wilcoxon z (scanpy default)");
/// ```
pub fn display_name(method: &str) -> String {
    match method {
        "cw" => "CW (paper preset)".into(),
        "smoothgrad" => "SmoothGrad (paper preset)".into(),
        "ig" => "Integrated Gradients, zero baseline (paper preset)".into(),
        "saliency" => "saliency (paper preset)".into(),
        "grad-input" | "gradient-x-input" | "grad_input" => {
            "gradient × input (paper preset)".into()
        }
        "kratos" => "**kratos (default)**".into(),
        "wilcoxon" => "Wilcoxon z (scanpy default)".into(),
        "t-test" => "Welch t-test".into(),
        "three-step" => "three-step: PCA → k-means → Wilcoxon".into(),
        "kratos-without-mrmr" => "kratos without its redundancy-aware re-ranking".into(),
        "wilcoxon+mrmr" => {
            "Wilcoxon + redundancy-aware re-ranking (top 40, penalty 0.5, floor 0.2 of its statistic)"
                .into()
        }
        other => other.into(),
    }
}
