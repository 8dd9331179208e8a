//! The `kratos` binary end to end on small inputs: files, headers, JSON fields, exit codes.

use std::path::Path;
use std::process::Command;

fn kratos() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kratos"))
}

/// A small labelled CSV (60 cells x 6 genes, 3 types; gene k*2 marks type k) and its labels.
fn write_small(dir: &Path) {
    let mut csv = String::from("cell,a,b,c,d,e,f\n");
    let mut labels = String::from("cell\tlabel\n");
    for i in 0..60 {
        let k = i % 3;
        let row: Vec<String> = (0..6)
            .map(|g| {
                (if g / 2 == k {
                    5 + (i * 7 + g) % 4
                } else {
                    (i * 3 + g) % 3
                })
                .to_string()
            })
            .collect();
        csv.push_str(&format!("c{i},{}\n", row.join(",")));
        labels.push_str(&format!("c{i}\tt{k}\n"));
    }
    std::fs::write(dir.join("cells.csv"), csv).unwrap();
    std::fs::write(dir.join("labels.tsv"), labels).unwrap();
}

#[test]
fn run_writes_every_file_and_a_stable_report() {
    let dir = tempfile::tempdir().unwrap();
    write_small(dir.path());
    let out = dir.path().join("out");
    let status = kratos()
        .args(["run", "--data"])
        .arg(dir.path().join("cells.csv"))
        .args(["--methods", "saliency,cw", "--epochs", "20", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    // labels.tsv beside the data was found and announced on stderr.
    assert!(String::from_utf8_lossy(&status.stderr).contains("labels.tsv"));
    for f in [
        "panels/saliency.tsv",
        "panels/cw.tsv",
        "panels/kratos.tsv",
        "embedding.tsv",
        "model/kratos-model.json",
        "model/weights.mpk",
        "report.json",
    ] {
        assert!(out.join(f).exists(), "missing {f}");
    }
    let panel = std::fs::read_to_string(out.join("panels/cw.tsv")).unwrap();
    assert!(panel.starts_with("class\trank\tgene\tscore\n"));
    assert_eq!(panel.lines().count(), 1 + 3 * 6);
    let embedding = std::fs::read_to_string(out.join("embedding.tsv")).unwrap();
    assert!(embedding.starts_with("cell\tlabel\te1\t"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    for pointer in [
        "/accuracy/train",
        "/accuracy/test",
        "/embedding/ari",
        "/embedding/ami",
        "/embedding/silhouette",
        "/timings_s/train",
        "/data/cells",
        "/data/genes",
        "/classes/0/name",
        "/classes/0/count",
        "/parameters/seed",
        "/parameters/kratos_default/summary",
        "/version",
    ] {
        assert!(
            report.pointer(pointer).is_some(),
            "report.json lacks {pointer}"
        );
    }
    assert_eq!(report["data"]["cells"], 60);
    // No temporary folder is left behind.
    assert!(!dir.path().join(".out.partial").exists());
}

#[test]
fn bad_inputs_give_one_line_errors_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    write_small(dir.path());
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "run".into(),
                "--data".into(),
                dir.path().join("nope.csv").display().to_string(),
                "--out".into(),
                dir.path().join("o1").display().to_string(),
            ],
            "no such file",
        ),
        (
            {
                std::fs::write(dir.path().join("wrong.tsv"), "cell\tlabel\nzz\tA\n").unwrap();
                vec![
                    "run".into(),
                    "--data".into(),
                    dir.path().join("cells.csv").display().to_string(),
                    "--labels".into(),
                    dir.path().join("wrong.tsv").display().to_string(),
                    "--out".into(),
                    dir.path().join("o2").display().to_string(),
                ]
            },
            "wrong.tsv",
        ),
        (
            {
                std::fs::create_dir(dir.path().join("exists")).unwrap();
                vec![
                    "run".into(),
                    "--data".into(),
                    dir.path().join("cells.csv").display().to_string(),
                    "--out".into(),
                    dir.path().join("exists").display().to_string(),
                ]
            },
            "--force",
        ),
    ];
    for (args, expected) in cases {
        let out = kratos().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let last = stderr.lines().last().unwrap_or("");
        assert!(
            last.starts_with("kratos: ") && last.contains(expected),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn simulate_and_evaluate() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let out = kratos()
        .args(["simulate", "--preset", "clean", "--seed", "3", "--out"])
        .arg(&sim)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let genes = std::fs::read_to_string(sim.join("genes.tsv")).unwrap();
    assert!(genes.starts_with("gene\trole\n") && genes.lines().count() == 141);
    assert!(sim.join("counts.csv.gz").exists() && sim.join("labels.tsv").exists());
    // A hand-written panel: every class ranks the genes in column order.
    let mut panel = String::from("class\trank\tgene\tscore\n");
    for c in 1..=5 {
        for (r, g) in (1..=140).enumerate() {
            panel.push_str(&format!("{c}\t{}\tg{g:03}\t{}\n", r + 1, 140 - r));
        }
    }
    std::fs::write(dir.path().join("panel.tsv"), panel).unwrap();
    let json = dir.path().join("eval.json");
    let out = kratos()
        .args(["evaluate", "--data"])
        .arg(sim.join("counts.csv.gz"))
        .arg("--panel")
        .arg(dir.path().join("panel.tsv"))
        .args(["--n-iter", "2", "--out"])
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(result["ks"].as_array().unwrap().len(), 6);
    assert_eq!(result["classes"].as_array().unwrap().len(), 5);
}
