//! Panel design as a whole job: the designed panels at several sizes, scored next to the
//! round-robin unions of the per-class panels (the kratos default panel, Wilcoxon, t-test,
//! COSG), a seeded random panel and all genes — what `kratos panel` writes.

use kratos_explain::{
    CosgParams, DesignParams, DesignedPanel, WelchParams, WilcoxonParams, cosg_panel,
    welch_t_panel, wilcoxon_panel,
};
use kratos_metrics::{JointEvaluation, ValidJointEvaluationParams, evaluate_joint, round_robin};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::Serialize;

use crate::pipeline::TrainedPipeline;
use crate::{AutodiffBackend, Error, Progress, Result};

/// One method's joint scores at every size.
#[derive(Debug, Clone, Serialize)]
pub struct MethodCurve {
    /// `design`, `kratos` (the default panel, round-robin), `wilcoxon`, `t-test`, `cosg` or
    /// `random`.
    pub method: String,
    /// The genes at the largest size (column indices of the data; smaller sizes take the first
    /// genes for `design` and the round-robin order for the others).
    #[serde(skip)]
    pub genes: Vec<usize>,
    /// One evaluation per size, in the order of [`DesignStudy::sizes`].
    pub points: Vec<JointEvaluation>,
}

/// What [`design_study`] found.
#[derive(Debug, Clone, Serialize)]
pub struct DesignStudy {
    /// The panel sizes, ascending.
    pub sizes: Vec<usize>,
    /// The designed panel of every size.
    pub panels: Vec<DesignedPanel>,
    /// The design's and every baseline's scores (empty without baselines).
    pub curves: Vec<MethodCurve>,
    /// Every gene together (the ceiling); `None` without baselines.
    pub all_genes: Option<JointEvaluation>,
    /// Seconds spent making the default panel (the design's candidates).
    pub panel_seconds: f64,
    /// Seconds spent selecting the genes of every size.
    pub design_seconds: f64,
}

/// Designs a panel of each size in `sizes` with `params` (its `genes` is replaced by each
/// size) from the trained pipeline's default panel, and, when `evaluation` is given, scores it
/// and the baselines with [`evaluate_joint`] at every size on
/// [`TrainedPipeline::all_genes_input`]. The greedy design adds one gene at a time, so a
/// smaller size is the first genes of a larger one: the selection runs once, for the largest.
pub fn design_study<B: AutodiffBackend>(
    trained: &TrainedPipeline<B>,
    sizes: &[usize],
    params: &DesignParams,
    evaluation: Option<&ValidJointEvaluationParams>,
    progress: &dyn Progress,
) -> Result<DesignStudy> {
    let mut sizes = sizes.to_vec();
    sizes.sort_unstable();
    sizes.dedup();
    let Some(&largest) = sizes.last() else {
        return Err(Error::InvalidParameter {
            name: "sizes",
            problem: "give at least one panel size".into(),
        });
    };
    if sizes[0] == 0 {
        return Err(Error::InvalidParameter {
            name: "genes",
            problem: "a panel needs at least 1 gene, got 0".into(),
        });
    }
    let data = trained.all_genes_input();
    if largest > data.n_genes() {
        return Err(Error::InvalidParameter {
            name: "genes",
            problem: format!(
                "a panel of {largest} genes asked for, but the data has {} genes",
                data.n_genes()
            ),
        });
    }
    let checked = DesignParams {
        genes: largest,
        ..params.clone()
    }
    .check()?;
    progress.start("default panel (the candidates)", 0);
    let started = std::time::Instant::now();
    let default_panel = trained.panel()?;
    let panel_seconds = started.elapsed().as_secs_f64();
    progress.finish();
    progress.start("designing", 0);
    let started = std::time::Instant::now();
    let design = trained.design_from_panel(&default_panel, &checked)?;
    let design_seconds = started.elapsed().as_secs_f64();
    progress.finish();
    let panels: Vec<DesignedPanel> = sizes
        .iter()
        .map(|&n| DesignedPanel {
            genes: design.genes[..n].to_vec(),
            ..design.clone()
        })
        .collect();
    let Some(evaluation) = evaluation else {
        return Ok(DesignStudy {
            sizes,
            panels,
            curves: Vec::new(),
            all_genes: None,
            panel_seconds,
            design_seconds,
        });
    };
    let mut lists: Vec<(String, Vec<usize>)> = vec![("design".into(), design.indices())];
    lists.push((
        "kratos".into(),
        round_robin(&default_panel.rankings_for(data)?, largest),
    ));
    let baselines = [
        (
            "wilcoxon",
            wilcoxon_panel(data, &WilcoxonParams::default())?,
        ),
        ("t-test", welch_t_panel(data, &WelchParams::default())?),
        ("cosg", cosg_panel(data, &CosgParams::default())?),
    ];
    for (name, panel) in &baselines {
        lists.push((
            (*name).into(),
            round_robin(&panel.rankings_for(data)?, largest),
        ));
    }
    let mut random: Vec<usize> = (0..data.n_genes()).collect();
    random.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(evaluation.seed));
    random.truncate(largest);
    lists.push(("random".into(), random));
    progress.start("scoring the panels", (lists.len() * sizes.len() + 1) as u64);
    let mut curves = Vec::with_capacity(lists.len());
    for (method, genes) in lists {
        progress.detail(&method);
        let points = sizes
            .iter()
            .map(|&n| {
                let e = evaluate_joint(data, &genes[..n.min(genes.len())], evaluation);
                progress.advance(1);
                e
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        curves.push(MethodCurve {
            method,
            genes,
            points,
        });
    }
    progress.detail("all genes");
    let all: Vec<usize> = (0..data.n_genes()).collect();
    let all_genes = Some(evaluate_joint(data, &all, evaluation)?);
    progress.advance(1);
    progress.finish();
    Ok(DesignStudy {
        sizes,
        panels,
        curves,
        all_genes,
        panel_seconds,
        design_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NoProgress, Pipeline, SimulationParams};

    #[test]
    fn sizes_are_checked_and_smaller_panels_are_the_first_genes_of_larger_ones() {
        let cells = SimulationParams::clean()
            .seed(2)
            .check()
            .unwrap()
            .simulate()
            .unwrap()
            .dataset;
        let trained = Pipeline::new()
            .dataset(cells)
            .epochs(9)
            .seed(2)
            .train()
            .unwrap();
        let params = DesignParams::new(1);
        for bad in [vec![], vec![0, 5], vec![100_000]] {
            let e = design_study(&trained, &bad, &params, None, &NoProgress).unwrap_err();
            assert!(matches!(e, Error::InvalidParameter { .. }), "{bad:?}: {e}");
        }
        let study = design_study(&trained, &[8, 4], &params, None, &NoProgress).unwrap();
        assert_eq!(study.sizes, [4, 8]);
        assert_eq!(study.panels[1].genes[..4], study.panels[0].genes[..]);
        assert!(study.curves.is_empty() && study.all_genes.is_none());
    }
}
