//! Runs the built `kratos` binary on small inputs and checks its files, headers, JSON fields,
//! messages and exit codes.
//!
//! These tests live in the package that owns the binary because cargo hands the binary's path
//! (`CARGO_BIN_EXE_kratos`) only to that package's tests; the cross-crate library tests are in
//! the workspace's `tests/` package.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub(crate) fn kratos(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kratos"))
        .args(args)
        .output()
        .expect("the kratos binary runs")
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// One simulated data set and one `kratos run` on it, shared by the tests (a run takes a few
/// seconds, so it is done once).
struct Fixture {
    _dir: tempfile::TempDir,
    data: PathBuf,
    run: PathBuf,
    run_output: Output,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let sim = dir.path().join("sim");
        let o = kratos(&[
            "simulate",
            "--preset",
            "clean",
            "--seed",
            "3",
            "--out",
            s(&sim),
        ]);
        assert!(o.status.success(), "simulate failed: {}", stderr(&o));
        let run = dir.path().join("run");
        let data = sim.join("counts.csv.gz");
        let run_output = kratos(&[
            "run",
            "--data",
            s(&data),
            "--epochs",
            "30",
            "--lr",
            "0.01",
            "--methods",
            "saliency,smoothgrad",
            "--map-cells",
            "120",
            "--top",
            "5",
            "--cells-per-class",
            "60",
            "--out",
            s(&run),
        ]);
        assert!(
            run_output.status.success(),
            "run failed: {}",
            stderr(&run_output)
        );
        Fixture {
            _dir: dir,
            data,
            run,
            run_output,
        }
    })
}

/// The shared data folder; the tests that need it are `#[ignore = "needs KRATOS_DATA"]`, so
/// reaching this without it set is a mistake to report, not a pass.
fn data_root() -> PathBuf {
    PathBuf::from(
        std::env::var_os("KRATOS_DATA")
            .expect("KRATOS_DATA must name the shared data folder (these tests need it)"),
    )
}

fn report(f: &Fixture) -> serde_json::Value {
    let text = std::fs::read_to_string(f.run.join("report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["demo", "--help"],
        vec!["run", "--help"],
        vec!["evaluate", "--help"],
        vec!["panel", "--help"],
        vec!["simulate", "--help"],
    ] {
        let o = kratos(&args);
        assert!(o.status.success(), "{args:?}");
        assert!(stdout(&o).contains("Usage"), "{args:?}");
    }
    let run_help = stdout(&kratos(&["run", "--help"]));
    for flag in [
        "--data",
        "--labels",
        "--label-key",
        "--methods",
        "--epochs",
        "--lr",
        "--seed",
        "--top",
        "--out",
        "--force",
        "--quiet",
    ] {
        assert!(run_help.contains(flag), "run --help lacks {flag}");
    }
}

#[test]
fn simulate_writes_counts_labels_and_roles() {
    let f = fixture();
    let sim = f.data.parent().unwrap();
    for file in ["counts.csv.gz", "labels.tsv", "genes.tsv"] {
        assert!(sim.join(file).is_file(), "{file} missing");
    }
    let genes = std::fs::read_to_string(sim.join("genes.tsv")).unwrap();
    let mut lines = genes.lines();
    assert_eq!(lines.next(), Some("gene\trole"));
    let roles: Vec<&str> = lines.map(|l| l.rsplit('\t').next().unwrap()).collect();
    assert_eq!(roles.len(), 140);
    assert_eq!(roles.iter().filter(|r| **r == "causal").count(), 20);
    assert_eq!(roles.iter().filter(|r| **r == "dependent").count(), 20);
    assert_eq!(roles.iter().filter(|r| **r == "noise").count(), 100);
}

#[test]
fn run_writes_every_file() {
    let f = fixture();
    for file in [
        "panels/kratos.tsv",
        "panels/saliency.tsv",
        "panels/smoothgrad.tsv",
        "embedding.tsv",
        "model/kratos-model.json",
        "model/preprocessing.json",
        "report.json",
        "report.html",
        "plots/embedding_map.png",
        "plots/embedding_map.svg",
        "plots/dotplot.png",
        "plots/dotplot.svg",
        "plots/training.png",
        "plots/training.svg",
    ] {
        assert!(f.run.join(file).is_file(), "{file} missing");
    }
    // Not evaluated by default: no AUROC plot.
    assert!(!f.run.join("plots/auroc.png").exists());
    // No temporary folder is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(f.run.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn run_says_where_the_labels_came_from() {
    let f = fixture();
    let err = stderr(&f.run_output);
    assert!(
        err.contains("labels:") && err.contains("labels.tsv"),
        "{err}"
    );
    let out = stdout(&f.run_output);
    assert!(out.contains("accuracy") && out.contains("ARI"), "{out}");
}

#[test]
fn panels_have_the_tsv_header_and_every_gene() {
    let f = fixture();
    for method in ["kratos", "saliency", "smoothgrad"] {
        let text = std::fs::read_to_string(f.run.join(format!("panels/{method}.tsv"))).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(
                "class\trank\tgene\tscore\tdirection\tlog_fold_change\tfraction_in\tfraction_rest"
            ),
            "{method}"
        );
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
        assert_eq!(rows.len(), 5 * 140, "{method}: 5 classes x 140 genes");
        assert_eq!(rows[0][1], "1");
        let number = |v: &str| v.parse::<f64>().is_ok();
        let fraction = |v: &str| v.parse::<f64>().is_ok_and(|x| (0.0..=1.0).contains(&x));
        assert!(rows.iter().all(|r| r.len() == 8
            && number(r[3])
            && matches!(r[4], "up" | "down")
            && number(r[5])
            && fraction(r[6])
            && fraction(r[7])));
    }
    // The default panel's score: the rank product as a fraction of the class's best.
    let text = std::fs::read_to_string(f.run.join("panels/kratos.tsv")).unwrap();
    for line in text.lines().skip(1) {
        let r: Vec<&str> = line.split('\t').collect();
        let score: f64 = r[3].parse().unwrap();
        assert!(score > 0.0 && score <= 1.0, "{line}");
        assert!(r[1] != "1" || score == 1.0, "{line}");
    }
}

#[test]
fn embedding_has_cells_labels_and_64_dimensions() {
    let f = fixture();
    let text = std::fs::read_to_string(f.run.join("embedding.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(header.len(), 2 + 64);
    assert_eq!(&header[..3], ["cell", "label", "e1"]);
    assert_eq!(header[65], "e64");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 500);
    assert!(rows.iter().all(|r| r.split('\t').count() == 66));
}

#[test]
fn report_json_has_the_stable_fields() {
    let f = fixture();
    let r = report(f);
    let num = |path: &[&str]| {
        let mut v = &r;
        for p in path {
            v = &v[*p];
        }
        v.as_f64()
            .unwrap_or_else(|| panic!("{} is not a number: {v}", path.join(".")))
    };
    for path in [
        ["accuracy", "train"],
        ["accuracy", "test"],
        ["embedding", "ari"],
        ["embedding", "ami"],
        ["embedding", "silhouette"],
    ] {
        let v = num(&path);
        assert!((-1.0..=1.0).contains(&v), "{path:?} = {v}");
    }
    assert!(
        num(&["accuracy", "train"]) > 0.4,
        "10 epochs a member at lr 0.01 learn something (chance is 0.2)"
    );
    assert!(num(&["embedding", "kmeans_inertia"]) > 0.0);
    assert!(num(&["input_pca", "kmeans_inertia"]) > 0.0);
    assert_eq!(num(&["data", "cells"]), 500.0);
    assert_eq!(num(&["data", "genes"]), 140.0);
    assert!(num(&["timings_s", "train"]) > 0.0);
    assert!(num(&["timings_s", "explain_kratos"]) > 0.0);
    let classes = r["classes"].as_array().unwrap();
    assert_eq!(classes.len(), 5);
    let total: u64 = classes.iter().map(|c| c["count"].as_u64().unwrap()).sum();
    assert_eq!(total, 500);
    assert!(classes.iter().all(|c| c["name"].is_string()));
    assert_eq!(r["parameters"]["training"]["epochs"], 30);
    assert_eq!(r["parameters"]["seed"], 7);
    assert_eq!(r["parameters"]["panel_options"]["max_cells_per_class"], 60);
    assert_eq!(
        r["parameters"]["methods"],
        serde_json::json!(["kratos", "saliency", "smoothgrad"])
    );
    assert!(
        r["parameters"]["kratos_default"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("kratos:")
    );
    assert!(
        r["parameters"]["kratos_default"]["summary"]
            .as_str()
            .unwrap()
            .contains("share the 30 epochs"),
        "the run trains once: the default's three members share its 30 epochs"
    );
    assert!(r["versions"]["matrix multiply"].is_string());
    assert_eq!(r["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        r["data"]["log1p_applied"], true,
        "simulated counts get log1p"
    );
    assert_eq!(
        r["panels"][0]["top"][0]["genes"].as_array().unwrap().len(),
        5
    );
    assert_eq!(r["parameters"]["direction"], "both");
    let markers = r["panels"][0]["top"][0]["markers"].as_array().unwrap();
    assert_eq!(markers.len(), 5);
    assert_eq!(markers[0]["gene"], r["panels"][0]["top"][0]["genes"][0]);
    assert_eq!(markers[0]["score"], 1.0);
    assert!(markers.iter().all(|m| {
        matches!(m["direction"].as_str(), Some("up" | "down"))
            && m["log_fold_change"].is_number()
            && m["fraction_in"].is_number()
            && m["fraction_rest"].is_number()
    }));
}

#[test]
fn report_html_is_self_contained() {
    let f = fixture();
    let html = std::fs::read_to_string(f.run.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.matches("data:image/png;base64,").count() >= 3);
    assert!(!html.contains("src=\"http"), "no external resources");
    assert!(html.contains("Marker genes") && html.contains("Embedding"));
    assert!(
        html.contains("<span class=\"up lfc\">↑"),
        "top genes carry their direction and fold change"
    );
}

#[test]
fn the_saved_model_reloads_and_predicts() {
    let f = fixture();
    let model = kratos::TrainedModel::<kratos::DefaultBackend>::load(
        f.run.join("model"),
        &Default::default(),
    )
    .unwrap();
    let data = kratos::data::read::read_path(&f.data, &Default::default()).unwrap();
    let mut prepared = data.clone();
    kratos::data::preprocess::log1p(&mut prepared).unwrap();
    assert_eq!(model.predict(&prepared).unwrap().len(), 500);
    assert_eq!(model.class_names().len(), 5);
}

#[test]
fn evaluate_scores_kratos_and_foreign_panels() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval.json");
    let labels = f.data.parent().unwrap().join("labels.tsv");
    let panel = f.run.join("panels/kratos.tsv");
    let args = [
        "evaluate",
        "--data",
        s(&f.data),
        "--labels",
        s(&labels),
        "--panel",
        s(&panel),
        "--n-iter",
        "1",
        "--out",
        s(&out),
    ];
    let o = kratos(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let auroc = r["mean_auroc"].as_array().unwrap();
    assert_eq!(auroc.len(), 6, "quick grid");
    assert!(
        auroc
            .iter()
            .all(|a| (0.0..=1.0).contains(&a.as_f64().unwrap()))
    );
    assert_eq!(r["ks"][0], 1);
    assert_eq!(r["classes"].as_array().unwrap().len(), 5);
    assert_eq!(r["data"]["cells"], 500);
    // The output exists now: a second run needs --force.
    let again = kratos(&args);
    assert_eq!(again.status.code(), Some(2));
    // A panel from another tool: a few genes per class, classes in another order.
    let foreign = dir.path().join("markers.tsv");
    let genes: Vec<String> = std::fs::read_to_string(&panel)
        .unwrap()
        .lines()
        .skip(1)
        .take(3)
        .map(|l| l.split('\t').nth(2).unwrap().to_string())
        .collect();
    let mut text = String::from("class\trank\tgene\tscore\n");
    for class in ["type5", "type4", "type3", "type2", "type1"] {
        for (r, g) in genes.iter().enumerate() {
            text.push_str(&format!("{class}\t{}\t{g}\t{}\n", r + 1, 3 - r));
        }
    }
    std::fs::write(&foreign, text).unwrap();
    let out2 = dir.path().join("foreign.json");
    let o = kratos(&[
        "evaluate",
        "--data",
        s(&f.data),
        "--panel",
        s(&foreign),
        "--n-iter",
        "1",
        "--grid",
        "quick",
        "--out",
        s(&out2),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A panel naming a class the data lacks is an input error naming the panel file.
    let bad = dir.path().join("bad.tsv");
    std::fs::write(&bad, "class\trank\tgene\tscore\nnope\t1\tg001\t1\n").unwrap();
    let o = kratos(&[
        "evaluate",
        "--data",
        s(&f.data),
        "--panel",
        s(&bad),
        "--out",
        s(&dir.path().join("bad.json")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.tsv"), "{}", stderr(&o));
}

/// Exit code 2 and a single line on stderr that starts with `kratos: error:`.
pub(crate) fn assert_input_error(o: &Output, mentions: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected: {err}");
    assert!(lines[0].starts_with("kratos: error: "), "{err}");
    assert!(err.contains(mentions), "`{mentions}` not in: {err}");
}

#[test]
fn an_existing_output_folder_is_refused() {
    let f = fixture();
    let o = kratos(&["run", "--data", s(&f.data), "--out", s(&f.run)]);
    assert_input_error(&o, "--force");
    let o = kratos(&["demo", "--out", s(&f.run)]);
    assert_input_error(&o, "already exists");
}

#[test]
fn a_bad_path_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = kratos(&[
        "run",
        "--data",
        "/no/such/file.csv",
        "--out",
        s(&dir.path().join("out")),
    ]);
    assert_input_error(&o, "/no/such/file.csv");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn labels_that_do_not_match_are_an_input_error() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let labels = dir.path().join("wrong.tsv");
    std::fs::write(&labels, "cell\tlabel\nnot-a-cell\tA\nc001\tB\n").unwrap();
    let o = kratos(&[
        "run",
        "--data",
        s(&f.data),
        "--labels",
        s(&labels),
        "--out",
        s(&dir.path().join("out")),
    ]);
    assert_input_error(&o, "wrong.tsv");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn data_without_labels_asks_for_labels() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("x.csv");
    std::fs::write(&data, "cell,g1,g2\na,1,2\nb,3,4\nc,5,6\n").unwrap();
    let o = kratos(&["run", "--data", s(&data), "--out", s(&dir.path().join("o"))]);
    assert_input_error(&o, "--labels");
}

#[test]
fn bad_flags_are_usage_errors() {
    let o = kratos(&["run", "--methods", "nope", "--data", "x", "--out", "y"]);
    assert_eq!(o.status.code(), Some(2));
    let o = kratos(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let o = kratos(&[
        "run",
        "--data",
        "x",
        "--epochs",
        "0",
        "--out",
        s(&dir.path().join("o")),
    ]);
    assert_input_error(&o, "epochs");
    for bad in ["0", "some"] {
        let o = kratos(&["run", "--cells-per-class", bad, "--data", "x", "--out", "y"]);
        assert_eq!(o.status.code(), Some(2), "--cells-per-class {bad}");
        assert!(
            stderr(&o).contains("or `all`"),
            "the error says what is accepted: {}",
            stderr(&o)
        );
    }
}

#[test]
#[ignore = "needs KRATOS_DATA"]
fn published_simulation_csv_takes_labels_from_cell_ids() {
    let root = data_root();
    let data = root.join("simulation/140var_clean.csv");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = kratos(&[
        "run",
        "--data",
        s(&data),
        "--epochs",
        "3",
        "--methods",
        "saliency",
        "--no-plots",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("cell ids"), "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(r["data"]["cells"], 500);
    assert_eq!(r["data"]["genes"], 140);
    assert_eq!(r["classes"].as_array().unwrap().len(), 5);
}

#[test]
#[ignore = "needs KRATOS_DATA"]
fn pbmc68k_h5ad_with_an_obs_column() {
    let root = data_root();
    let data = root.join("pbmc68k_reduced/pbmc68k_reduced.h5ad");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = kratos(&[
        "run",
        "--data",
        s(&data),
        "--label-key",
        "bulk_labels",
        "--epochs",
        "3",
        "--methods",
        "saliency",
        "--map-cells",
        "200",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(r["data"]["cells"], 700);
    assert_eq!(r["data"]["genes"], 765);
    assert_eq!(r["classes"].as_array().unwrap().len(), 10);
    assert_eq!(r["data"]["labels"], "obs column `bulk_labels`");
    assert_eq!(r["data"]["log1p_applied"], false, "X is scaled, not counts");
    assert!(r["parameters"]["map"]["subsampled"].as_bool().unwrap());
}

#[test]
fn panel_designs_each_size_and_scores_it_next_to_the_baselines() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("panel");
    let o = kratos(&[
        "panel",
        "--data",
        s(&f.data),
        "--genes",
        "5,10",
        "--epochs",
        "20",
        "--include",
        "g001",
        "--exclude",
        "g002",
        "--out",
        s(&out),
        "--quiet",
    ]);
    assert!(o.status.success(), "panel failed: {}", stderr(&o));
    for name in [
        "panel-5.tsv",
        "panel-10.tsv",
        "report.json",
        "report.html",
        "accuracy.png",
    ] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    let ten = std::fs::read_to_string(out.join("panel-10.tsv")).unwrap();
    let rows: Vec<&str> = ten.lines().collect();
    assert_eq!(rows[0], "rank\tgene\tserves\tgain");
    assert_eq!(rows.len(), 11);
    assert!(rows[1].starts_with("1\tg001\t"), "{}", rows[1]);
    assert!(!ten.contains("\tg002\t"));
    // The smaller panel is the first genes of the larger one (one greedy selection).
    let five = std::fs::read_to_string(out.join("panel-5.tsv")).unwrap();
    assert_eq!(five.lines().collect::<Vec<_>>(), rows[..6]);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let curves = report["study"]["curves"].as_array().unwrap();
    let methods: Vec<&str> = curves
        .iter()
        .map(|c| c["method"].as_str().unwrap())
        .collect();
    assert_eq!(
        methods,
        ["design", "kratos", "wilcoxon", "t-test", "cosg", "random"]
    );
    for c in curves {
        for p in c["points"].as_array().unwrap() {
            let ba = p["logistic"]["balanced_accuracy"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&ba), "{ba}");
        }
    }
    assert!(report["study"]["all_genes"]["logistic"]["balanced_accuracy"].is_number());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Confusion matrix") && html.contains("data:image/png;base64,"));

    // The written panel scores as a gene list with `evaluate --joint`.
    let json = dir.path().join("joint.json");
    let o = kratos(&[
        "evaluate",
        "--joint",
        "--genes",
        "5,10",
        "--data",
        s(&f.data),
        "--panel",
        s(&out.join("panel-10.tsv")),
        "--out",
        s(&json),
    ]);
    assert!(
        o.status.success(),
        "evaluate --joint failed: {}",
        stderr(&o)
    );
    let joint: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(joint["panel_kind"], "gene list");
    assert_eq!(joint["joint"].as_array().unwrap().len(), 2);
    assert_eq!(joint["joint"][1]["genes"], 10);
    // And a per-class panel of `kratos run` round-robin.
    let o = kratos(&[
        "evaluate",
        "--joint",
        "--genes",
        "10",
        "--data",
        s(&f.data),
        "--panel",
        s(&f.run.join("panels/kratos.tsv")),
        "--out",
        s(&json),
        "--force",
    ]);
    assert!(
        o.status.success(),
        "evaluate --joint failed: {}",
        stderr(&o)
    );
    assert!(
        std::fs::read_to_string(&json)
            .unwrap()
            .contains("round-robin")
    );
}

#[test]
fn bad_panel_sizes_are_usage_errors() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    for (genes, says) in [("0", "at least 1 gene"), ("100000", "only 140 genes")] {
        let o = kratos(&[
            "panel",
            "--data",
            s(&f.data),
            "--genes",
            genes,
            "--out",
            s(&out),
        ]);
        assert_eq!(o.status.code(), Some(2), "--genes {genes}");
        assert!(stderr(&o).contains(says), "--genes {genes}: {}", stderr(&o));
    }
    let o = kratos(&[
        "panel",
        "--data",
        s(&f.data),
        "--genes",
        "5",
        "--include",
        "no_such_gene",
        "--out",
        s(&out),
        "--epochs",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no_such_gene"), "{}", stderr(&o));
}
