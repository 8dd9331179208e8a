use kratos_bench::registry::{REAL_SETS, by_key, slug};
use kratos_bench::{BenchError, ReproduceParams};

#[test]
fn every_data_set_has_a_unique_key_and_image_name() {
    let mut keys: Vec<&str> = REAL_SETS.iter().map(|s| s.key).collect();
    let mut slugs: Vec<String> = REAL_SETS.iter().map(|s| slug(s.title)).collect();
    keys.sort_unstable();
    keys.dedup();
    slugs.sort_unstable();
    slugs.dedup();
    assert_eq!(keys.len(), REAL_SETS.len());
    assert_eq!(slugs.len(), REAL_SETS.len());
    assert_eq!(by_key("citeseq_cbmc").unwrap().drop, ["Mouse", "Unknown"]);
}

#[test]
fn the_quick_reproduction_is_a_subset_of_the_full_one() {
    let quick = ReproduceParams::new().quick(true).check().unwrap();
    let full = ReproduceParams::new().check().unwrap();
    assert!(quick.real_sets().len() < full.real_sets().len());
    assert!(
        quick
            .real_sets()
            .iter()
            .all(|s| full.real_sets().contains(s))
    );
    assert_eq!(full.simulations().len(), 2);
    assert_eq!((full.seed, full.n_iter, full.eval_cells), (7, 2, 300));
}

#[test]
fn a_missing_data_folder_is_named() {
    let params = ReproduceParams::new().quick(true).check().unwrap();
    let e = kratos_bench::reproduce(
        std::path::Path::new("/no/such/folder"),
        &params,
        &kratos::NoProgress,
    )
    .unwrap_err();
    assert!(matches!(e, BenchError::NoDataFolder(_)), "{e}");
    assert!(e.to_string().contains("/no/such/folder"));
}
