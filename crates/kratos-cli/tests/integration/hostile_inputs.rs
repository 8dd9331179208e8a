//! The `kratos` binary on the hostile-input corpus of `tests/fixtures/bad/` (see its README and
//! docs/reliability.md): every file is refused with exit code 2 and a one-line error that names
//! the file and, where there is one, the position; none panics. Awkward but valid inputs in
//! `tests/fixtures/good/` are accepted. Also: the same command twice gives byte-identical
//! outputs (minus timings).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kratos(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kratos"))
        .args(args)
        .output()
        .expect("the kratos binary runs")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// (data, label file, texts the error line must contain).
const BAD: &[(&str, Option<&str>, &[&str])] = &[
    ("empty.csv", None, &["empty.csv", "empty"]),
    (
        "header_only.csv",
        None,
        &["header_only.csv", "no data rows"],
    ),
    ("ragged_row.csv", None, &["ragged_row.csv:5", "fields"]),
    (
        "non_numeric.csv",
        None,
        &["non_numeric.csv:4", "column 2", "abc"],
    ),
    (
        "nan_value.csv",
        None,
        &["nan_value.csv:6", "column 3", "NaN"],
    ),
    (
        "inf_value.csv",
        None,
        &["inf_value.csv:7", "column 4", "inf"],
    ),
    (
        "duplicate_genes.csv",
        None,
        &["duplicate_genes.csv", "gene1", "column 5"],
    ),
    (
        "duplicate_cells.csv",
        None,
        &["duplicate_cells.csv", "c3_A", "line 6"],
    ),
    (
        "single_class.csv",
        None,
        &["single_class.csv", "only one type"],
    ),
    (
        "class_with_one_cell.csv",
        None,
        &["class_with_one_cell.csv", "`C`"],
    ),
    (
        "all_zero_genes.csv",
        None,
        &["all_zero_genes.csv", "none of the 5 genes varies"],
    ),
    (
        "all_zero_cell.csv",
        None,
        &["all_zero_cell.csv", "c2_C", "line 4"],
    ),
    (
        "truncated.csv.gz",
        None,
        &["truncated.csv.gz", "truncated", "line"],
    ),
    ("non_utf8.csv", None, &["non_utf8.csv:1", "UTF-8"]),
    (
        "unsupported_layout.h5ad",
        None,
        &["unsupported_layout.h5ad", "`X`", "3"],
    ),
    (
        "tenx_missing_barcodes",
        None,
        &["tenx_missing_barcodes", "barcodes.tsv"],
    ),
    ("tenx_negative_counts", None, &["matrix.mtx:4", "negative"]),
    // A size line announcing 10^12 entries once made the reader abort allocating them.
    (
        "tenx_huge_size_line",
        None,
        &["matrix.mtx", "999999999999 entries"],
    ),
    (
        "plain.csv",
        None,
        &["plain.csv", "no labels found", "--labels"],
    ),
    (
        "plain.csv",
        Some("labels_unknown_cells.tsv"),
        &["labels_unknown_cells.tsv", "line 14", "c99"],
    ),
    (
        "plain.csv",
        Some("labels_missing_cells.tsv"),
        &["labels_missing_cells.tsv", "c9", "no label"],
    ),
];

#[test]
fn every_hostile_input_is_a_one_line_input_error() {
    let bad = fixtures().join("bad");
    let out_root = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (i, (data, labels, mentions)) in BAD.iter().enumerate() {
        let data_path = bad.join(data);
        let label_path = labels.map(|l| bad.join(l));
        let out = out_root.path().join(format!("out{i}"));
        let mut args = vec![
            "run".to_string(),
            "--quiet".into(),
            "--epochs".into(),
            "5".into(),
            "--data".into(),
            data_path.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ];
        if let Some(l) = &label_path {
            args.extend(["--labels".into(), l.display().to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = kratos(&args);
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("kratos: error:"))
            .collect();
        let ok = o.status.code() == Some(2)
            && errors.len() == 1
            && !stderr.contains("panicked")
            && mentions.iter().all(|m| errors[0].contains(m))
            && !out.exists();
        if !ok {
            failures.push(format!(
                "{data} (labels {labels:?}): exit {:?}, stderr:\n{stderr}",
                o.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

#[test]
fn awkward_but_valid_inputs_are_accepted() {
    let good = fixtures().join("good");
    let out_root = tempfile::tempdir().unwrap();
    let mut panels = Vec::new();
    for name in ["crlf.csv", "bom.csv", "some_zero_genes.csv"] {
        let out = out_root.path().join(name);
        let o = kratos(&[
            "run",
            "--quiet",
            "--epochs",
            "5",
            "--methods",
            "saliency",
            "--no-plots",
            "--methods",
            "cw,smoothgrad,ig,saliency",
            "--data",
            good.join(name).to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let panel = std::fs::read_to_string(out.join("panels/saliency.tsv")).unwrap();
        // The BOM and the carriage returns are not part of any name.
        assert!(
            !panel.contains('\u{feff}') && !panel.contains('\r'),
            "{name}"
        );
        assert!(panel.contains("\tgene0\t"), "{name}");
        panels.push(panel);
    }
    // CRLF and BOM change nothing: same cells, same genes, same values.
    assert_eq!(panels[0], panels[1]);
}

/// `report.json` without the wall-clock timings and the output path.
fn report_without_timings(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("report.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let map = v.as_object_mut().unwrap();
    map.remove("timings_s");
    map.remove("peak_memory_mb");
    map.remove("out");
    v
}

#[test]
fn the_same_command_twice_gives_identical_outputs() {
    let root = tempfile::tempdir().unwrap();
    let sim = root.path().join("sim");
    let o = kratos(&[
        "simulate",
        "--preset",
        "clean",
        "--seed",
        "3",
        "--out",
        sim.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let data = sim.join("counts.csv.gz");
    let run = |name: &str| {
        let out = root.path().join(name);
        let o = kratos(&[
            "run",
            "--quiet",
            "--epochs",
            "20",
            "--methods",
            "cw,smoothgrad,ig",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        out
    };
    let (a, b) = (run("a"), run("b"));
    for file in [
        "panels/kratos.tsv",
        "panels/cw.tsv",
        "panels/smoothgrad.tsv",
        "panels/ig.tsv",
        "embedding.tsv",
        "model/kratos-model.json",
        "plots/embedding_map.svg",
    ] {
        let (x, y) = (std::fs::read(a.join(file)), std::fs::read(b.join(file)));
        assert!(x.is_ok(), "{file} missing");
        assert!(x.unwrap() == y.unwrap(), "{file} differs between two runs");
    }
    // (model/weights.mpk holds the same weights but also Burn's parameter ids, which are
    // random per process; the panels, embedding and predictions depend only on the weights.)
    let (ra, rb) = (report_without_timings(&a), report_without_timings(&b));
    let strip =
        |v: &serde_json::Value, dir: &Path| v.to_string().replace(dir.to_str().unwrap(), "OUT");
    assert_eq!(strip(&ra, &a), strip(&rb, &b));
}

#[test]
fn extreme_values_and_tiny_data_give_finite_panels_or_say_so() {
    let good = fixtures().join("good");
    let out_root = tempfile::tempdir().unwrap();
    for name in ["huge_values.csv", "tiny.csv"] {
        let out = out_root.path().join(name);
        let o = kratos(&[
            "run",
            "--quiet",
            "--epochs",
            "20",
            "--no-plots",
            "--methods",
            "cw,smoothgrad,ig,saliency",
            "--data",
            good.join(name).to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        for method in ["kratos", "cw", "smoothgrad", "ig", "saliency"] {
            let panel = std::fs::read_to_string(out.join(format!("panels/{method}.tsv"))).unwrap();
            let finite = panel.lines().skip(1).all(|l| {
                l.rsplit('\t')
                    .next()
                    .and_then(|s| s.parse::<f32>().ok())
                    .is_some_and(f32::is_finite)
            });
            // A non-finite score is only acceptable if the report warns about it.
            let warned = report["warnings"]
                .as_array()
                .is_some_and(|w| w.iter().any(|x| x.as_str().unwrap_or("").contains(method)));
            assert!(
                finite || warned,
                "{name}, {method}: non-finite scores without a warning"
            );
        }
    }
}
