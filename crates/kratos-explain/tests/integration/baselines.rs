//! The model-free baseline rankers (`kratos_explain::baseline`) against scipy and against the
//! Python reference panel, plus invariants.
//!
//! `fixtures/baseline_scipy.json` comes from `fixtures/make_baseline_fixtures.py` (numpy/scipy
//! on `fixtures/baseline_data.csv`); `fixtures/wilcoxon_140var_top20.json` holds the first 20
//! genes per class of `reference/wilcoxon_panel.py` on `simulation/140var_clean.csv`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kratos_data::read::{ReadOptions, read_path};
use kratos_data::{Dataset, Labels};
use kratos_explain::{
    ExplainError, MarkerDirection, MarkerTest, WelchParams, WilcoxonParams, welch_t_panel,
    welch_t_test, wilcoxon_panel, wilcoxon_test,
};
use proptest::prelude::*;
use serde_json::Value;

use crate::common::sim::data_root;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read_labelled(path: &Path) -> Dataset {
    read_path(path, &ReadOptions::new().labels_from_cell_ids(true)).unwrap()
}

fn json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

fn table(doc: &Value, key: &str) -> Vec<Vec<f64>> {
    doc[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        })
        .collect()
}

fn assert_close(what: &str, got: impl Fn(usize) -> Vec<f64>, want: &[Vec<f64>], tol: f64) {
    let mut worst = 0f64;
    for (c, want_c) in want.iter().enumerate() {
        let got_c = got(c);
        assert_eq!(got_c.len(), want_c.len(), "{what}, class {c}");
        for (g, (a, b)) in got_c.iter().zip(want_c).enumerate() {
            assert!(
                (a - b).abs() <= tol,
                "{what}, class {c}, gene {g}: ours {a}, scipy {b}"
            );
            worst = worst.max((a - b).abs());
        }
    }
    println!("{what}: largest difference from scipy {worst:.3e}");
}

/// Gene indices by `score` descending, ties by column position.
fn expected_ranking(score: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
    order
}

#[test]
fn wilcoxon_and_welch_agree_with_scipy() {
    let data = read_labelled(&fixture("baseline_data.csv"));
    let doc = json("baseline_scipy.json");
    let classes: Vec<&str> = doc["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let genes: Vec<&str> = doc["genes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(data.labels().unwrap().class_names(), classes);
    assert_eq!(data.gene_names(), genes);

    let w = wilcoxon_test(&data, &WilcoxonParams::default()).unwrap();
    let z = table(&doc, "wilcoxon_z");
    assert_close("wilcoxon z", |c| w.statistic(c).to_vec(), &z, 1e-5);
    assert_close(
        "wilcoxon p",
        |c| w.p_values(c).to_vec(),
        &table(&doc, "wilcoxon_p"),
        1e-5,
    );
    assert_close(
        "wilcoxon BH",
        |c| w.p_adjusted(c).to_vec(),
        &table(&doc, "wilcoxon_p_adj"),
        1e-5,
    );
    let panel = w.panel();
    assert_eq!(panel.method(), "wilcoxon");
    assert_eq!(panel.cells_used(), [25, 20, 15]);
    assert_close(
        "wilcoxon panel score",
        |c| panel.scores(c).iter().map(|&s| s as f64).collect(),
        &z,
        1e-5,
    );
    for (c, z_c) in z.iter().enumerate() {
        assert_eq!(panel.ranking(c), expected_ranking(z_c), "class {c}");
    }
    // The constant gene scores 0 with p 1 in every class.
    let constant = data.gene_index("g_const").unwrap();
    for c in 0..3 {
        assert_eq!(w.statistic(c)[constant], 0.0);
        assert_eq!(w.p_values(c)[constant], 1.0);
    }

    let tie = wilcoxon_test(&data, &WilcoxonParams::new().tie_correction(true)).unwrap();
    assert_close(
        "tie-corrected z",
        |c| tie.statistic(c).to_vec(),
        &table(&doc, "wilcoxon_z_tie"),
        1e-5,
    );

    let absolute = wilcoxon_panel(
        &data,
        &WilcoxonParams::new().direction(MarkerDirection::Absolute),
    )
    .unwrap();
    for (c, z_c) in z.iter().enumerate() {
        let abs: Vec<f64> = z_c.iter().map(|v| v.abs()).collect();
        assert_eq!(absolute.ranking(c), expected_ranking(&abs), "class {c}");
    }

    let t = welch_t_test(&data, &WelchParams::default()).unwrap();
    let t_want = table(&doc, "welch_t");
    assert_close("welch t", |c| t.statistic(c).to_vec(), &t_want, 1e-5);
    assert_close(
        "welch p",
        |c| t.p_values(c).to_vec(),
        &table(&doc, "welch_p"),
        1e-5,
    );
    assert_close(
        "welch BH",
        |c| t.p_adjusted(c).to_vec(),
        &table(&doc, "welch_p_adj"),
        1e-5,
    );
    assert_eq!(t.panel().method(), "t-test");
    let welch = welch_t_panel(&data, &WelchParams::default()).unwrap();
    for (c, t_c) in t_want.iter().enumerate() {
        assert_eq!(welch.ranking(c), expected_ranking(t_c), "class {c}");
        assert!(welch.scores(c).iter().all(|s| s.is_finite()));
    }
}

#[test]
#[ignore = "needs KRATOS_DATA"]
fn wilcoxon_matches_the_reference_on_140var() {
    let data = read_labelled(&data_root().join("simulation/140var_clean.csv"));
    let reference = json("wilcoxon_140var_top20.json");
    let reference = reference["top20"].as_object().unwrap();

    let started = Instant::now();
    let panel = wilcoxon_panel(&data, &WilcoxonParams::default()).unwrap();
    let elapsed = started.elapsed();
    let absolute = wilcoxon_panel(
        &data,
        &WilcoxonParams::new().direction(MarkerDirection::Absolute),
    )
    .unwrap();

    assert_eq!(panel.n_classes(), reference.len());
    let useless = |genes: &[&str]| genes.iter().filter(|g| g.starts_with("useless")).count();
    let (mut ours_up, mut ours_abs, mut theirs) = (0, 0, 0);
    for (c, class) in panel.class_names().iter().enumerate() {
        let want: Vec<&str> = reference[class.as_str()]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let mut got = panel.top_genes(c, 20);
        let mut want_sorted = want.clone();
        ours_up += useless(&got);
        ours_abs += useless(&absolute.top_genes(c, 20));
        theirs += useless(&want);
        got.sort_unstable();
        want_sorted.sort_unstable();
        assert_eq!(got, want_sorted, "class {class}: top-20 sets differ");
    }
    assert_eq!(ours_up, theirs);
    println!(
        "140var_clean Wilcoxon ({elapsed:?}): useless genes in the five top-20 lists: \
         {ours_up} ranked by z (reference script: {theirs}), {ours_abs} ranked by |z|"
    );
}

#[test]
fn bad_input_is_an_error() {
    let data = Dataset::from_matrix(vec![1.0, 2.0, 3.0, 4.0], 2, 2).unwrap();
    assert!(matches!(
        wilcoxon_panel(&data, &WilcoxonParams::default()),
        Err(ExplainError::InvalidInput(_))
    ));
    assert!(matches!(
        welch_t_panel(&data, &WelchParams::default()),
        Err(ExplainError::InvalidInput(_))
    ));
    let data = data
        .with_labels(Labels::from_names(&["a", "b"]).unwrap())
        .unwrap();
    assert!(matches!(
        wilcoxon_panel(&data, &WilcoxonParams::new().min_cells(0)),
        Err(ExplainError::InvalidParameter {
            name: "min_cells",
            ..
        })
    ));
    assert!(matches!(
        welch_t_panel(&data, &WelchParams::new().min_cells(1)),
        Err(ExplainError::InvalidParameter {
            name: "min_cells",
            ..
        })
    ));
    // One cell per class: Welch has no variance, every class scores 0 with p 1.
    let t = welch_t_test(&data, &WelchParams::default()).unwrap();
    assert!(t.statistic(0).iter().all(|&v| v == 0.0));
    assert!(t.p_adjusted(1).iter().all(|&p| p == 1.0));
}

/// Uniform values with a seeded LCG: `n_cells` x `n_genes`, `n_classes` classes in turn.
fn random_data(n_cells: usize, n_genes: usize, n_classes: usize, seed: u64) -> Dataset {
    let mut state = seed;
    let values = (0..n_cells * n_genes)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Log-normalised-looking: many zeros, the rest in (0, 4).
            let u = (state >> 40) as f32 / (1u64 << 24) as f32;
            if u < 0.4 { 0.0 } else { (u - 0.4) * 6.0 }
        })
        .collect();
    let names: Vec<String> = (0..n_cells)
        .map(|i| format!("type{}", i % n_classes))
        .collect();
    Dataset::from_matrix(values, n_cells, n_genes)
        .unwrap()
        .with_labels(Labels::from_names(&names).unwrap())
        .unwrap()
}

#[test]
fn timing_on_a_pbmc3k_sized_matrix() {
    let data = random_data(2638, 1838, 8, 5);
    // Warm up rayon's pool.
    wilcoxon_panel(&data.select_genes(&[0, 1]), &WilcoxonParams::default()).unwrap();
    let started = Instant::now();
    let w = wilcoxon_test(&data, &WilcoxonParams::default()).unwrap();
    let wilcoxon = started.elapsed();
    let started = Instant::now();
    let t = welch_t_test(&data, &WelchParams::default()).unwrap();
    let welch = started.elapsed();
    println!(
        "2,638 cells x 1,838 genes x 8 classes: Wilcoxon {wilcoxon:?}, Welch t {welch:?} \
         ({} rayon threads)",
        rayon::current_num_threads()
    );
    for c in 0..8 {
        assert!(w.panel().scores(c).iter().all(|s| s.is_finite()));
        assert!(t.panel().scores(c).iter().all(|s| s.is_finite()));
    }
    // Generous (debug builds, busy machines); release on 2 cores is far below.
    assert!(wilcoxon.as_secs_f64() < 10.0 && welch.as_secs_f64() < 10.0);
}

/// Small labelled data with integer values (many ties); every class has at least one cell.
fn small_data() -> impl Strategy<Value = Dataset> {
    (2usize..5, 1usize..7, 0usize..30).prop_flat_map(|(k, g, extra)| {
        let n = 2 * k + extra;
        (
            proptest::collection::vec(-3i32..6, n * g),
            proptest::collection::vec(0..k, n),
        )
            .prop_map(move |(values, mut classes)| {
                // Every class appears at least twice.
                for c in 0..k {
                    classes[2 * c] = c;
                    classes[2 * c + 1] = c;
                }
                let names: Vec<String> = classes.iter().map(|c| format!("c{c}")).collect();
                let values = values.into_iter().map(|v| v as f32).collect();
                Dataset::from_matrix(values, n, g)
                    .unwrap()
                    .with_labels(Labels::from_names(&names).unwrap())
                    .unwrap()
            })
    })
}

fn check_test_result(test: &MarkerTest, n_genes: usize) -> Result<(), TestCaseError> {
    let panel = test.panel();
    for c in 0..panel.n_classes() {
        prop_assert!(panel.scores(c).iter().all(|s| s.is_finite()));
        prop_assert!(test.statistic(c).iter().all(|s| s.is_finite()));
        let mut ranking = panel.ranking(c).to_vec();
        ranking.sort_unstable();
        prop_assert_eq!(ranking, (0..n_genes).collect::<Vec<_>>());
        for (p, q) in test.p_values(c).iter().zip(test.p_adjusted(c)) {
            prop_assert!((0.0..=1.0).contains(p) && (0.0..=1.0).contains(q));
            // BH never lowers a p-value (up to the rounding of p·m/m).
            prop_assert!(*q >= p * (1.0 - 1e-12), "{} < {}", q, p);
        }
    }
    Ok(())
}

fn shifted(data: &Dataset, by: f32) -> Dataset {
    let mut out = data.clone();
    out.map_stored_values(|v| v + by);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn scores_are_finite_and_rankings_permutations(data in small_data()) {
        let g = data.n_genes();
        for params in [
            WilcoxonParams::new(),
            WilcoxonParams::new().tie_correction(true),
            WilcoxonParams::new().direction(MarkerDirection::Absolute),
        ] {
            check_test_result(&wilcoxon_test(&data, &params).unwrap(), g)?;
        }
        check_test_result(&welch_t_test(&data, &WelchParams::new()).unwrap(), g)?;
    }

    #[test]
    fn adding_a_constant_changes_nothing(data in small_data(), by in -5i32..50) {
        let moved = shifted(&data, by as f32);
        let params = WilcoxonParams::new();
        prop_assert_eq!(
            wilcoxon_test(&data, &params).unwrap(),
            wilcoxon_test(&moved, &params).unwrap()
        );
        let a = welch_t_test(&data, &WelchParams::new()).unwrap();
        let b = welch_t_test(&moved, &WelchParams::new()).unwrap();
        prop_assert_eq!(a.panel().rankings(), b.panel().rankings());
        for c in 0..a.panel().n_classes() {
            for (x, y) in a.statistic(c).iter().zip(b.statistic(c)) {
                prop_assert!((x - y).abs() <= 1e-9 * (1.0 + x.abs()), "{} vs {}", x, y);
            }
        }
    }

    #[test]
    fn two_classes_have_opposite_statistics(data in small_data()) {
        // Merge to two classes: c0 against everything else.
        let labels = data.labels().unwrap();
        let names: Vec<&str> = labels
            .assignments()
            .iter()
            .map(|&a| if a == 0 { "in" } else { "out" })
            .collect();
        let two = data.clone().with_labels(Labels::from_names(&names).unwrap()).unwrap();
        let w = wilcoxon_test(&two, &WilcoxonParams::new()).unwrap();
        let t = welch_t_test(&two, &WelchParams::new()).unwrap();
        for test in [&w, &t] {
            for (x, y) in test.statistic(0).iter().zip(test.statistic(1)) {
                prop_assert!((x + y).abs() <= 1e-9 * (1.0 + x.abs()), "{} vs {}", x, y);
            }
            prop_assert_eq!(test.p_values(0), test.p_values(1));
        }
        // The one-vs-rest statistic of class 0 does not depend on how the rest is split.
        let full = wilcoxon_test(&data, &WilcoxonParams::new()).unwrap();
        prop_assert_eq!(full.statistic(0), w.statistic(0));
    }
}

/// COSG against the `cosg` package (1.2.0): `fixtures/cosg_pbmc68k_louvain.json`, made by
/// `fixtures/make_cosg_fixture.py` on pbmc68k_reduced's log-normalised `raw.X` with the louvain
/// clusters, holds every cluster's 50 best genes and scores for mu 1 and mu 100.
#[test]
#[ignore = "needs KRATOS_DATA"]
fn cosg_matches_the_cosg_package_on_pbmc68k_louvain() {
    use kratos_explain::{CosgParams, cosg_panel};
    let root = data_root().join("pbmc68k_reduced");
    let data = read_path(
        root.join("raw_expr.csv.gz"),
        &ReadOptions::new().label_file(root.join("louvain.tsv")),
    )
    .unwrap();
    let fixture = json("cosg_pbmc68k_louvain.json");
    for (mu, expected) in [(1.0, &fixture), (100.0, &fixture["mu100"])] {
        let panel = cosg_panel(&data, &CosgParams::new().mu(mu)).unwrap();
        assert_eq!(panel.method(), "cosg");
        let names = expected["names"].as_object().unwrap();
        assert_eq!(names.len(), panel.n_classes());
        let mut worst = 0f64;
        for (group, want) in names {
            let c = panel
                .class_names()
                .iter()
                .position(|n| n == group)
                .unwrap_or_else(|| panic!("cluster {group} missing"));
            let want: Vec<&str> = want
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(
                panel.top_genes(c, want.len()),
                want,
                "mu {mu}, cluster {group}"
            );
            let scores = expected["scores"][group.as_str()].as_array().unwrap();
            for (r, s) in scores.iter().enumerate() {
                let ours = f64::from(panel.scores(c)[panel.ranking(c)[r]]);
                let diff = (ours - s.as_f64().unwrap()).abs();
                worst = worst.max(diff);
            }
        }
        println!("cosg mu {mu}: top 50 identical, max |score diff| {worst:.2e}");
        assert!(worst < 1e-6, "mu {mu}: scores differ by {worst}");
    }
}
