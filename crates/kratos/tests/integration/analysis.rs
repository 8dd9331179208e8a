//! The `kratos run` flow as a library call.

use kratos::analysis::{AnalysisParams, Method, analyse};
use kratos::{
    Listing, NoProgress, PanelEvaluationParams, SimulationParams, TopKGrid, TrainingConfig,
};

#[test]
fn an_analysis_gives_every_panel_from_one_training_and_scores_the_embedding() {
    let sim = SimulationParams::clean()
        .seed(4)
        .check()
        .unwrap()
        .simulate()
        .unwrap();
    let params = AnalysisParams::new()
        .methods(vec![
            Method::Cw,
            Method::Saliency,
            Method::Wilcoxon,
            Method::Cw,
        ])
        .training(TrainingConfig::new().with_epochs(30).with_seed(4))
        .evaluation(Some(
            PanelEvaluationParams::new()
                .grid(TopKGrid::Genes(vec![5]))
                .n_iter(2),
        ))
        .map_cells(200)
        .check()
        .unwrap();
    let a = analyse(sim.dataset.clone(), &params, &NoProgress).unwrap();
    let methods: Vec<&str> = a.panels.iter().map(|p| p.method()).collect();
    assert_eq!(methods, ["kratos", "cw", "saliency", "wilcoxon"]);
    // One training: the default panel's three models serve every method.
    assert_eq!(a.trained.models().len(), 3);
    let cw = a.trained.panel_run().unwrap().cw().clone();
    assert_eq!(
        a.panels[1],
        cw.with_statistics(a.statistics.clone()).unwrap()
    );
    // Every panel carries the statistics computed once for the run.
    for p in &a.panels {
        let s = p.statistics().expect("statistics attached");
        assert!(std::ptr::eq(s, a.statistics.as_ref()), "{}", p.method());
        assert!(p.summary(0, p.ranking(0)[0]).is_some());
    }
    assert_eq!(a.embedding.len(), 500 * 64);
    assert!(a.quality.ari > 0.5 && a.quality.kmeans_inertia > 0.0);
    assert!(a.input_pca.as_ref().unwrap().kmeans_inertia > 0.0);
    assert_eq!(a.evaluations.len(), 4);
    let maps = a.maps.as_ref().unwrap();
    assert_eq!(maps.cells.len(), maps.kratos.len());
    assert!(maps.cells.len() <= 200);
    let stages: Vec<&str> = a.timings.stages.iter().map(|(s, _)| s.as_str()).collect();
    assert!(stages.contains(&"train") && stages.contains(&"explain_kratos"));
    assert!(
        !stages.iter().any(|s| s.starts_with("explain_cw")),
        "CW is the panel's own pass"
    );
}

#[test]
fn the_direction_lists_up_genes_first_except_in_marker_tests() {
    let data = SimulationParams::clean()
        .seed(4)
        .check()
        .unwrap()
        .simulate()
        .unwrap()
        .dataset;
    let params = |direction| {
        AnalysisParams::new()
            .methods(vec![Method::Wilcoxon])
            .training(TrainingConfig::new().with_epochs(30).with_seed(4))
            .maps(false)
            .direction(direction)
            .check()
            .unwrap()
    };
    let both = analyse(data.clone(), &params(Listing::Both), &NoProgress).unwrap();
    let up = analyse(data, &params(Listing::Up), &NoProgress).unwrap();
    let listed = both.panels[0]
        .listing(Listing::Up, &both.statistics)
        .unwrap();
    assert_eq!(up.panels[0].rankings(), listed.rankings());
    assert_ne!(up.panels[0].rankings(), both.panels[0].rankings());
    assert_eq!(
        up.panels[1].rankings(),
        both.panels[1].rankings(),
        "wilcoxon"
    );
}
