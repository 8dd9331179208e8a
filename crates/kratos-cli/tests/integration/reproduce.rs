//! `kratos reproduce --quick` end to end on the shared data folder (`KRATOS_DATA`; the test
//! skips with a message when it is unset): the report, its tables, plots and JSON, and the
//! bars that must hold in it (the default keeps noise out of the simulation top-20 lists; the
//! embedding beats PCA of the input).

use std::path::PathBuf;
use std::process::Command;

fn data_dir() -> Option<PathBuf> {
    match std::env::var_os("KRATOS_DATA") {
        Some(d) => Some(PathBuf::from(d)),
        None => {
            eprintln!("skipped: KRATOS_DATA is not set (the shared data folder)");
            None
        }
    }
}

#[test]
fn quick_reproduction_writes_the_tables_plots_and_json() {
    let Some(data) = data_dir() else { return };
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
    let noise = |m: &str| -> u64 {
        let row = rows.iter().find(|r| r["method"] == m).unwrap();
        row["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c[2].as_u64().unwrap())
            .sum()
    };
    assert!(
        noise("kratos") <= 5,
        "default: {} noise genes",
        noise("kratos")
    );
    assert!(noise("kratos") < noise("cw"));
    // Table 2: the kratos embedding separates pbmc68k_reduced's types better than PCA-64.
    let real = json["real"].as_array().unwrap();
    let pbmc = real
        .iter()
        .find(|r| r["key"] == "pbmc68k_reduced (bulk_labels)")
        .expect("pbmc68k_reduced in the quick run");
    assert!(pbmc["embedding"]["ari"].as_f64().unwrap() > pbmc["pca64"]["ari"].as_f64().unwrap());
    let curves = pbmc["curves"].as_array().unwrap();
    assert_eq!(curves.len(), methods.len());
    assert!(methods.contains(&"kratos-without-mrmr"));
    assert!(methods.contains(&"wilcoxon+mrmr"));
    for c in curves {
        for v in c["evaluation"]["mean_auroc"].as_array().unwrap() {
            let v = v.as_f64().unwrap();
            assert!((0.0..=1.0).contains(&v), "AUROC {v}");
        }
    }
    // Issue #10's CI check: the default panel is not less discriminative than Wilcoxon's at
    // the top 5% of genes on pbmc68k_reduced (quick grid, n_iter 2, 250 cells) beyond 0.01.
    let at5 = |m: &str| -> f64 {
        let c = curves.iter().find(|c| c["method"] == m).unwrap();
        let e = &c["evaluation"];
        let i = e["percents"]
            .as_array()
            .unwrap()
            .iter()
            .position(|p| p.as_f64() == Some(5.0))
            .unwrap();
        e["mean_auroc"][i].as_f64().unwrap()
    };
    assert!(
        at5("kratos") >= at5("wilcoxon") - 0.01,
        "kratos {} vs wilcoxon {} at top 5%",
        at5("kratos"),
        at5("wilcoxon")
    );
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
