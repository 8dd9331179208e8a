//! What docs/reproduction.md says of the quick reproduction's data (seed 7), on its typed
//! results.

use std::path::PathBuf;

use kratos_bench::{ReproduceParams, Reproduction, reproduce};

/// The shared data folder; the test is `#[ignore = "needs KRATOS_DATA"]`, so reaching this
/// without it set is a mistake to report, not a pass.
fn data_root() -> PathBuf {
    PathBuf::from(
        std::env::var_os("KRATOS_DATA")
            .expect("KRATOS_DATA must name the shared data folder (this test needs it)"),
    )
}

fn quick() -> Reproduction {
    let params = ReproduceParams::new().quick(true).check().unwrap();
    reproduce(&data_root(), &params, &kratos::NoProgress).unwrap()
}

#[test]
#[ignore = "needs KRATOS_DATA"]
fn the_quick_reproduction_holds_the_documented_claims() {
    let r = quick();
    assert!(r.skipped.is_empty(), "skipped: {:?}", r.skipped);

    // Table 1 on 140var_clean: every method has a row; the default keeps the noise genes out
    // of its top-20 lists (none at seed 7), where the paper's CW lets some in.
    let sim = &r.simulation[0];
    assert_eq!(sim.file, "140var_clean.csv");
    for m in [
        "cw",
        "smoothgrad",
        "ig",
        "saliency",
        "kratos",
        "kratos-without-mrmr",
        "wilcoxon",
        "t-test",
        "three-step",
        "wilcoxon+mrmr",
    ] {
        assert!(sim.row(m).is_some(), "no row for {m}");
    }
    let noise = |m: &str| sim.row(m).unwrap().noise();
    assert_eq!(noise("kratos"), 0, "the default at seed 7");
    assert!(noise("cw") > noise("kratos"));

    // Table 2: the kratos embedding separates pbmc68k_reduced's types better than PCA-64.
    let pbmc = r.real("pbmc68k_reduced (bulk_labels)").unwrap();
    let pca = pbmc.pca64.as_ref().unwrap();
    assert!(
        pbmc.embedding.ari > pca.ari,
        "{} vs {}",
        pbmc.embedding.ari,
        pca.ari
    );
    assert!(pbmc.embedding.kmeans_inertia > 0.0);

    // The curves: every method, AUROC in [0, 1]; the default panel is not less discriminative
    // than Wilcoxon's at the top 5% of genes on pbmc68k_reduced beyond 0.01.
    assert_eq!(pbmc.curves.len(), sim.rows.len());
    for c in &pbmc.curves {
        assert!(
            c.evaluation
                .mean_auroc
                .iter()
                .all(|a| (0.0..=1.0).contains(a)),
            "{}",
            c.method
        );
    }
    let at5 = |m: &str| pbmc.curve(m).unwrap().at_percent(5.0).0;
    assert!(
        at5("kratos") >= at5("wilcoxon") - 0.01,
        "kratos {} vs wilcoxon {} at the top 5%",
        at5("kratos"),
        at5("wilcoxon")
    );

    // Pixel maps on digits, both directions of each pair; stability over two seeds.
    assert_eq!(r.pixel_maps.len(), 4);
    assert!(
        r.pixel_maps
            .iter()
            .all(|p| !p.add.is_empty() && !p.remove.is_empty())
    );
    let stable = r
        .stability
        .iter()
        .find(|s| s.method == "kratos")
        .expect("the default's stability row");
    assert!(stable.mean_jaccard > 0.5, "{}", stable.mean_jaccard);
}
