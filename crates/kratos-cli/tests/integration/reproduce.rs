//! `kratos reproduce --quick` end to end on the shared data folder (`KRATOS_DATA`): the report,
//! its tables, plots and JSON. (The claims the tables support are tested on the typed results
//! in kratos-bench.)

use std::path::PathBuf;
use std::process::Command;

/// The shared data folder; the test is `#[ignore = "needs KRATOS_DATA"]`, so reaching this
/// without it set is a mistake to report, not a pass.
fn data_dir() -> PathBuf {
    PathBuf::from(
        std::env::var_os("KRATOS_DATA")
            .expect("KRATOS_DATA must name the shared data folder (this test needs it)"),
    )
}

#[test]
#[ignore = "needs KRATOS_DATA"]
fn quick_reproduction_writes_the_tables_plots_and_json() {
    let data = data_dir();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("repro");
    let o = Command::new(env!("CARGO_BIN_EXE_kratos"))
        .args(["reproduce", "--quick", "--quiet", "--data-dir"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "reproduce failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let md = std::fs::read_to_string(out.join("reproduction.md")).unwrap();
    for heading in [
        "### Table 1",
        "### Table 2",
        "### AUROC and redundancy",
        "### Digit pixel maps",
        "### Stability over seeds",
    ] {
        assert!(md.contains(heading), "missing {heading}");
    }
    // Every image the report links to exists.
    for part in md.split("](").skip(1) {
        let link = &part[..part.find(')').unwrap()];
        if link.starts_with("img/") {
            assert!(out.join(link).is_file(), "missing {link}");
        }
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    // Table 1 on 140var_clean: the default preset's bar (at most 5 noise genes in 100 slots).
    let sim = &json["simulation"][0];
    assert_eq!(sim["file"], "140var_clean.csv");
    let rows = sim["rows"].as_array().unwrap();
    let methods: Vec<&str> = rows.iter().map(|r| r["method"].as_str().unwrap()).collect();
    for m in [
        "cw",
        "smoothgrad",
        "ig",
        "saliency",
        "kratos",
        "wilcoxon",
        "t-test",
        "three-step",
    ] {
        assert!(methods.contains(&m), "no row for {m}: {methods:?}");
    }
    // Table 2 and the curves of pbmc68k_reduced, with the k-means inertia of each embedding.
    let real = json["real"].as_array().unwrap();
    let pbmc = real
        .iter()
        .find(|r| r["key"] == "pbmc68k_reduced (bulk_labels)")
        .expect("pbmc68k_reduced in the quick run");
    assert!(pbmc["embedding"]["kmeans_inertia"].as_f64().unwrap() > 0.0);
    let curves = pbmc["curves"].as_array().unwrap();
    assert_eq!(curves.len(), methods.len());
    assert!(methods.contains(&"kratos-without-mrmr"));
    assert!(methods.contains(&"wilcoxon+mrmr"));
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert!(json["command"].as_str().unwrap().contains("reproduce"));
    // Pixel maps on digits, both directions of each pair.
    assert_eq!(json["pixel_maps"].as_array().unwrap().len(), 4);
}

#[test]
fn a_missing_data_folder_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_kratos"))
        .args(["reproduce", "--quick", "--data-dir"])
        .arg(dir.path().join("nope"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("nope") && err.contains("no such folder"),
        "{err}"
    );
}
