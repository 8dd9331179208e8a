//! The pipeline: one configuration, one training, the default panel first.

use kratos::{
    CwExplainer, Dataset, Error, Labels, Pipeline, Preprocessing, SmoothGrad, TrainingConfig,
    explain_ensemble,
};

/// 120 cells of three types; gene k (k < 3) is high in type k, genes 3..8 are noise.
fn three_types() -> Dataset {
    let (n, g) = (120, 8);
    let mut state = 17u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    let values: Vec<f32> = (0..n)
        .flat_map(|i| (0..g).map(move |j| (i, j)))
        .map(|(i, j)| if j == i % 3 { 3.0 } else { 0.0 } + 2.0 * next())
        .collect();
    let names: Vec<String> = (0..n).map(|i| format!("type{}", i % 3)).collect();
    Dataset::from_matrix(values, n, g)
        .unwrap()
        .with_labels(Labels::from_names(&names).unwrap())
        .unwrap()
}

fn small(p: Pipeline<'_>) -> Pipeline<'_> {
    p.training(
        TrainingConfig::new()
            .with_epochs(60)
            .with_hidden_sizes(vec![64, 16])
            .with_batch_size(32),
    )
    .seed(3)
}

#[test]
fn the_default_pipeline_trains_once_and_gives_the_default_panel_first() {
    let data = three_types();
    let trained = small(Pipeline::new())
        .dataset(data.clone())
        .train()
        .unwrap();
    assert_eq!(trained.models().len(), 3, "the default panel's ensemble");
    assert!(trained.models().iter().all(|m| m.config().epochs == 20));
    let panel = trained.panel().unwrap();
    assert_eq!(panel.method(), "kratos");
    for k in 0..3 {
        assert_eq!(
            panel.ranking(k)[0],
            k,
            "class {k}: {:?}",
            panel.top_genes(k, 3)
        );
    }
    // Deterministic: the same seed trains the same models and gives the same panel.
    let again = small(Pipeline::new()).dataset(data).train().unwrap();
    assert_eq!(again.panel().unwrap(), panel);
    // Any explainer works on the same models; CW with the preset's parameters is the default
    // panel's own CW pass.
    let run = trained.panel_run().unwrap();
    let cw = trained.explain(CwExplainer::default()).unwrap();
    assert_eq!(&cw, run.cw());
    assert_eq!(
        cw,
        explain_ensemble(
            &CwExplainer::default(),
            trained.models(),
            trained.model_input(),
            trained.panel_options()
        )
        .unwrap()
    );
    let smooth = trained.explain(SmoothGrad::default()).unwrap();
    assert_eq!(smooth.method(), "smoothgrad");
    assert!(smooth.cells_used().iter().all(|&c| c >= 30));
}

#[test]
fn the_papers_method_is_one_model_explained_by_cw() {
    let data = three_types();
    let trained = small(Pipeline::paper()).dataset(data).train().unwrap();
    assert_eq!(trained.models().len(), 1);
    assert_eq!(trained.preprocessing(), Preprocessing::AsIs);
    let panel = trained.panel().unwrap();
    assert_eq!(panel.method(), "paper");
    // The paper's panel is CW's ranking on the one model.
    let cw = trained.explain(CwExplainer::default()).unwrap();
    assert_eq!(cw.rankings(), panel.rankings());
    assert!(trained.test_accuracy() > 0.9);
    assert_eq!(trained.embedding().unwrap().len(), 120 * 16);
}

#[test]
fn counts_are_log_transformed_for_training_and_explaining() {
    // Counts: gene k is high in class k (A, B, C); gene 3 is noise.
    let n = 90;
    let values: Vec<f32> = (0..n)
        .flat_map(|i| {
            let noise = ((i * 7) % 5) as f32;
            let mut row = [noise, noise, noise, ((i * 3) % 11) as f32];
            row[i % 3] += 40.0;
            row
        })
        .collect();
    let names = ["A", "B", "C"];
    let labels: Vec<&str> = (0..n).map(|i| names[i % 3]).collect();
    let data = Dataset::from_matrix(values, n, 4)
        .unwrap()
        .with_labels(Labels::from_names(&labels).unwrap())
        .unwrap();
    let trained = small(Pipeline::new())
        .learning_rate(1e-2)
        .ensemble_size(1)
        .dataset(data.clone())
        .train()
        .unwrap();
    assert!(trained.log1p_applied());
    let prepared = trained.prepare(&data).unwrap();
    assert!((prepared.get(0, 0) - data.get(0, 0).ln_1p()).abs() < 1e-6);
    assert_eq!(trained.model().accuracy(&prepared).unwrap(), 1.0);
    let panel = trained.panel().unwrap();
    for (k, gene) in ["gene0", "gene1", "gene2"].iter().enumerate() {
        assert_eq!(panel.top_genes(k, 1), [*gene], "class {k}");
    }
    let description = trained.panel_run().unwrap().description().clone();
    assert_eq!(description.log1p_applied, Some(true));
}

#[test]
fn bad_configurations_and_inputs_are_errors() {
    let data = three_types();
    assert!(matches!(
        Pipeline::new().train().err().unwrap(),
        Error::NoData
    ));
    let e = Pipeline::new()
        .dataset(data.clone().without_labels())
        .train()
        .err()
        .unwrap();
    assert!(e.to_string().contains("label"), "{e}");
    let e = Pipeline::new()
        .dataset(data.clone())
        .epochs(0)
        .train()
        .err()
        .unwrap();
    assert!(e.to_string().contains("epochs"), "{e}");
    let e = Pipeline::new()
        .dataset(data)
        .ensemble_size(0)
        .train()
        .err()
        .unwrap();
    assert!(e.to_string().contains("ensemble_size"), "{e}");
}

#[test]
fn a_gene_screen_trains_on_fewer_genes_and_still_ranks_every_gene() {
    // Sparse counts, so the screen and the models read compressed rows.
    let data = three_types().into_sparse();
    let preset = kratos::Preset::default().max_genes(Some(4));
    let trained = small(Pipeline::with_preset(preset))
        .dataset(data.clone())
        .train()
        .unwrap();
    let kept = trained.screened_genes().unwrap().to_vec();
    assert_eq!(kept.len(), 4);
    // The three marker genes change most in some class, so they pass the screen.
    assert!([0, 1, 2].iter().all(|g| kept.contains(g)), "{kept:?}");
    assert_eq!(trained.model_input().n_genes(), 4);
    assert_eq!(trained.all_genes_input().n_genes(), 8);
    let panel = trained.panel().unwrap();
    assert_eq!(panel.gene_names(), data.gene_names());
    for c in 0..3 {
        let ranking = panel.ranking(c);
        assert_eq!(ranking.len(), 8);
        // The screened genes first, the marker of the class on top.
        assert!(ranking[..4].iter().all(|g| kept.contains(g)), "{ranking:?}");
        assert_eq!(ranking[0], c);
    }
    // Other explainers' panels are extended the same way; prepare() screens new cells.
    let sg = trained.explain(SmoothGrad::default()).unwrap();
    assert_eq!(sg.rankings()[0].len(), 8);
    assert_eq!(trained.prepare(&data).unwrap().n_genes(), 4);
    assert!(trained.prepare(&data.select_genes(&[0, 1])).is_err());
}
