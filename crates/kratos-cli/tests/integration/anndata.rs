//! `kratos run --write-h5ad`, `--layer` and `--direction`: the AnnData file is read back with
//! kratos's own reader (the Python side is checked by the Python bindings' tests).

use std::path::{Path, PathBuf};

use kratos::data::read::{ReadOptions, read_h5ad, read_h5ad_obsm, read_path};

use crate::cli::{assert_input_error, kratos, s, stderr};

/// A small simulated data set (counts.csv.gz with labels.tsv beside it) in `dir`.
fn simulated(dir: &Path) -> PathBuf {
    let sim = dir.join("sim");
    let o = kratos(&["simulate", "--seed", "5", "--out", s(&sim)]);
    assert!(o.status.success(), "simulate failed: {}", stderr(&o));
    sim.join("counts.csv.gz")
}

/// The arguments of a short run on `data` into `out`.
fn short_run<'a>(data: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--data",
        data,
        "--epochs",
        "30",
        "--lr",
        "0.01",
        "--cells-per-class",
        "60",
        "--no-plots",
        "--out",
        out,
    ]
}

#[test]
fn csv_input_gets_a_new_anndata_file_and_up_markers_first() {
    let dir = tempfile::tempdir().unwrap();
    let data = simulated(dir.path());
    let h5ad = dir.path().join("cells.h5ad");
    let out = dir.path().join("run");
    let mut args = short_run(s(&data), s(&out));
    args.extend(["--direction", "up", "--write-h5ad", s(&h5ad)]);
    let o = kratos(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("cells.h5ad"));

    // The new file: the cells as read (counts, not their log1p), the labels in obs `label`,
    // the embedding in obsm.
    let back = read_h5ad(&h5ad, &ReadOptions::new().label_key("label")).unwrap();
    let labels = data.parent().unwrap().join("labels.tsv");
    let input = read_path(&data, &ReadOptions::new().label_file(&labels)).unwrap();
    assert_eq!(back, input);
    let (values, rows, cols) = read_h5ad_obsm(&h5ad, "X_kratos").unwrap();
    assert_eq!((rows, cols), (500, 64));
    assert!(values.iter().all(|v| v.is_finite()));

    // `--direction up`: in the default panel every class lists its up genes first; the
    // marker test keeps its own order.
    let text = std::fs::read_to_string(out.join("panels/kratos.tsv")).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    for class in rows.chunk_by(|a, b| a[0] == b[0]) {
        let first_down = class.iter().position(|r| r[4] == "down");
        if let Some(p) = first_down {
            assert!(class[p..].iter().all(|r| r[4] == "down"), "{}", class[0][0]);
        }
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["parameters"]["direction"], "up");

    // Run again onto the same file: refused before any work, naming the file.
    let again = dir.path().join("again");
    let mut args = short_run(s(&data), s(&again));
    args.extend(["--write-h5ad", s(&h5ad)]);
    let o = kratos(&args);
    assert_input_error(&o, "cells.h5ad");
    assert!(stderr(&o).contains("--force"));
    assert!(!again.exists(), "nothing is done before the refusal");
}

#[test]
fn layer_and_h5ad_copy_options_are_checked_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let data = simulated(dir.path());
    let out = dir.path().join("out");
    let mut args = short_run(s(&data), s(&out));
    args.extend(["--layer", "counts"]);
    let o = kratos(&args);
    assert_input_error(&o, "--layer");
    assert!(!out.exists());

    // An .h5ad input is copied, so its labels must come from an obs column.
    let h5ad = dir.path().join("in.h5ad");
    let ds = read_path(
        &data,
        &ReadOptions::new().label_file(data.parent().unwrap().join("labels.tsv")),
    )
    .unwrap();
    kratos::data::write::write_h5ad(&h5ad, &ds, &Default::default(), false).unwrap();
    let labels = data.parent().unwrap().join("labels.tsv");
    let mut args = short_run(s(&h5ad), s(&out));
    let target = dir.path().join("copy.h5ad");
    args.extend(["--labels", s(&labels), "--write-h5ad", s(&target)]);
    let o = kratos(&args);
    assert_input_error(&o, "--label-key");
    assert!(!out.exists() && !target.exists());
}

/// The published pbmc68k_reduced file in anndata's current layout: the copy keeps `X`, `raw`
/// and `obs` and adds the panel and the embedding.
#[test]
#[ignore = "needs KRATOS_DATA"]
fn pbmc68k_h5ad_is_copied_with_the_panel_and_the_embedding() {
    let root = PathBuf::from(std::env::var_os("KRATOS_DATA").expect("KRATOS_DATA"));
    let input = root.join("pbmc68k_reduced/pbmc68k_reduced.modern.h5ad");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let h5ad = dir.path().join("pbmc.h5ad");
    let mut args = short_run(s(&input), s(&out));
    args.extend(["--label-key", "bulk_labels", "--write-h5ad", s(&h5ad)]);
    let o = kratos(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    // A class named `CD4+/CD25 T Reg` cannot be a dataframe column: the fractions are left
    // out of uns, and the run says so.
    assert!(stderr(&o).contains("pts"), "{}", stderr(&o));

    let options = ReadOptions::new().label_key("bulk_labels");
    let copy = read_h5ad(&h5ad, &options).unwrap();
    assert_eq!(
        copy,
        read_h5ad(&input, &options).unwrap(),
        "the copy keeps X"
    );
    let raw = ReadOptions::new().use_raw(true);
    assert_eq!(
        read_h5ad(&h5ad, &raw).unwrap(),
        read_h5ad(&input, &raw).unwrap()
    );
    let (_, rows, cols) = read_h5ad_obsm(&h5ad, "X_kratos").unwrap();
    assert_eq!((rows, cols), (700, 64));
}
