//! The published simulation (140var_clean), on a copy with shuffled columns and neutral names:
//! the paper's method gives a usable panel, the default keeps noise genes out of the top 20.

use std::path::PathBuf;

use kratos::data::read::{ReadOptions, labels_from_cell_ids, read_path};
use kratos::metrics::role_counts;
use kratos::sim::{evaluation_copy, roles_from_published_names};
use kratos::{Dataset, GeneRole, Pipeline};

/// The shared data folder; the tests that need it are `#[ignore = "needs KRATOS_DATA"]`, so
/// reaching this without it set is a mistake to report, not a pass.
fn data_root() -> PathBuf {
    PathBuf::from(
        std::env::var_os("KRATOS_DATA")
            .expect("KRATOS_DATA must name the shared data folder (these tests need it)"),
    )
}

/// The evaluation copy of 140var_clean (columns shuffled with seed 1).
fn simulation() -> (Dataset, Vec<GeneRole>) {
    let path = data_root().join("simulation").join("140var_clean.csv");
    let ds = read_path(&path, &ReadOptions::new()).unwrap();
    let ds = ds
        .clone()
        .with_labels(labels_from_cell_ids(ds.cell_ids()).unwrap())
        .unwrap();
    let roles = roles_from_published_names(ds.gene_names()).unwrap();
    let copy = evaluation_copy(&ds, &roles, 1).unwrap();
    (copy.dataset, copy.roles)
}

/// Noise genes among the five classes' top 20.
fn noise(panel: &kratos::GenePanel, roles: &[GeneRole]) -> usize {
    role_counts(panel.rankings(), roles, 20)
        .unwrap()
        .iter()
        .map(|c| c.noise)
        .sum()
}

#[test]
#[ignore = "needs KRATOS_DATA"]
fn the_papers_method_gives_a_usable_panel_on_the_simulation() {
    let (data, roles) = simulation();
    let trained = Pipeline::paper().dataset(data).seed(7).train().unwrap();
    assert!(!trained.log1p_applied());
    assert!(trained.test_accuracy() >= 0.95);
    let panel = trained.panel().unwrap();
    assert!(panel.degenerate_classes().is_empty());
    for (c, k) in role_counts(panel.rankings(), &roles, 20)
        .unwrap()
        .iter()
        .enumerate()
    {
        assert!(panel.cells_used()[c] >= 90, "class {c}");
        // 40 of the 140 genes carry type signal: a random top 20 would hold about 6 of them.
        assert!(k.causal + k.dependent >= 12, "class {c}: {k:?}");
    }
}

#[test]
#[ignore = "needs KRATOS_DATA"]
fn the_default_keeps_noise_genes_out_of_the_simulation_top_20() {
    let (data, roles) = simulation();
    let per_seed: Vec<usize> = (1..=5)
        .chain([7])
        .map(|seed| {
            let trained = Pipeline::new()
                .dataset(data.clone())
                .seed(seed)
                .train()
                .unwrap();
            noise(&trained.panel().unwrap(), &roles)
        })
        .collect();
    println!("default panel, noise genes at seeds 1..5 and 7: {per_seed:?}");
    // docs/reproduction.md: none at seed 7; 0.3 on average over seeds 1–10.
    assert_eq!(per_seed[5], 0, "seed 7");
    assert!(per_seed[..5].iter().sum::<usize>() <= 5, "{per_seed:?}");
}
