//! Every input problem the readers report, each on a small fixture of the workspace's
//! `tests/fixtures/` (`bad/`: refused, `good/`: accepted; the same files the CLI's hostile-input
//! test runs `kratos` on) or a file built here; every message must name the file and, where there
//! is one, the line and column.

use std::io::Write;
use std::path::{Path, PathBuf};

use kratos_data::DataError;
use kratos_data::read::{
    ReadOptions, read_10x, read_csv, read_label_table, read_labels, read_path,
};

/// The workspace's shared fixtures, `tests/fixtures/`.
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// An input that must be refused (`tests/fixtures/bad/`).
fn bad(name: &str) -> PathBuf {
    fixtures().join("bad").join(name)
}

/// An input that must be accepted (`tests/fixtures/good/`).
fn good(name: &str) -> PathBuf {
    fixtures().join("good").join(name)
}

fn read_err(name: &str, opts: &ReadOptions) -> (DataError, String) {
    let e = read_csv(bad(name), opts).unwrap_err();
    let text = e.to_string();
    assert!(text.contains(name), "message must name the file: {text}");
    (e, text)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn crlf_bom_and_quoted_names_read_correctly() {
    let ds = read_csv(
        good("crlf_bom.csv"),
        &ReadOptions::new().labels_from_cell_ids(true),
    )
    .unwrap();
    assert_eq!(ds.cell_ids(), &["1_1", "2_2"]);
    assert_eq!(ds.gene_names(), &["g1", "g,2"]);
    assert_eq!(ds.to_dense_values(), [1.0, 2.5, 0.0, 3.0]);
    assert_eq!(ds.labels().unwrap().class_names(), &["1", "2"]);
}

#[test]
fn genes_as_rows_with_transpose() {
    let ds = read_csv(
        good("genes_as_rows.tsv"),
        &ReadOptions::new().transpose(true),
    )
    .unwrap();
    assert_eq!(ds.shape(), (3, 2));
    assert_eq!(ds.cell_ids(), &["c1", "c2", "c3"]);
    assert_eq!(ds.row(2).to_vec(), [3.0, 6.0]);
}

#[test]
fn ragged_row() {
    let (e, text) = read_err("ragged_row.csv", &ReadOptions::new());
    assert!(
        matches!(
            e,
            DataError::Ragged {
                line: 5,
                expected: 6,
                found: 7,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(text.contains(":5:"), "{text}");
}

#[test]
fn non_numeric_value() {
    let (e, text) = read_err("non_numeric.csv", &ReadOptions::new());
    assert!(
        matches!(
            e,
            DataError::BadValue {
                line: 4,
                column: 2,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        text.contains("(gene0)") && text.contains("`abc` is not a number"),
        "{text}"
    );
}

#[test]
fn nan_and_infinite_values() {
    let (e, text) = read_err("nan_value.csv", &ReadOptions::new());
    assert!(
        matches!(
            e,
            DataError::BadValue {
                line: 6,
                column: 3,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(text.contains("NaN"), "{text}");
    let (e, text) = read_err("inf_value.csv", &ReadOptions::new());
    assert!(
        matches!(
            e,
            DataError::BadValue {
                line: 7,
                column: 4,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(text.contains("infinite"), "{text}");
}

#[test]
fn negative_values_only_fail_when_counts_are_expected() {
    assert!(read_csv(bad("negative.csv"), &ReadOptions::new()).is_ok());
    let (e, text) = read_err("negative.csv", &ReadOptions::new().expect_counts(true));
    assert!(
        matches!(
            e,
            DataError::BadValue {
                line: 3,
                column: 3,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(text.contains("negative"), "{text}");
}

#[test]
fn duplicate_gene_names() {
    let (e, text) = read_err("duplicate_genes.csv", &ReadOptions::new());
    assert!(
        matches!(
            e,
            DataError::Duplicate {
                kind: "gene name",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        text.contains("`gene1`") && text.contains("column 3") && text.contains("column 5"),
        "{text}"
    );
    // transposed: genes are rows
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.tsv");
    std::fs::write(&p, "gene\tc1\ng1\t1\ng1\t2\n").unwrap();
    let e = read_csv(&p, &ReadOptions::new().transpose(true))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("t.tsv") && e.contains("line 2") && e.contains("line 3"),
        "{e}"
    );
}

#[test]
fn duplicate_cell_ids() {
    let (e, text) = read_err("duplicate_cells.csv", &ReadOptions::new());
    assert!(
        matches!(
            e,
            DataError::Duplicate {
                kind: "cell id",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        text.contains("`c3_A`") && text.contains("line 5") && text.contains("line 6"),
        "{text}"
    );
}

#[test]
fn empty_file_and_header_only() {
    let (e, text) = read_err("empty.csv", &ReadOptions::new());
    assert!(matches!(e, DataError::Empty { .. }), "{e:?}");
    assert!(text.contains("empty"), "{text}");
    let (e, text) = read_err("header_only.csv", &ReadOptions::new());
    assert!(matches!(e, DataError::Empty { .. }), "{e:?}");
    assert!(text.contains("no data rows"), "{text}");
}

#[test]
fn invalid_utf8() {
    let (e, text) = read_err("non_utf8.csv", &ReadOptions::new());
    assert!(
        matches!(
            e,
            DataError::BadValue {
                line: 1,
                column: 4,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(text.contains("UTF-8"), "{text}");
}

#[test]
fn truncated_and_corrupt_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("cell,g1,g2\n");
    for i in 0..5000 {
        text.push_str(&format!("c{i},{i},{}\n", i * 7 % 13));
    }
    let full = gzip(text.as_bytes());
    let p = dir.path().join("cut.csv.gz");
    std::fs::write(&p, &full[..full.len() / 2]).unwrap();
    let e = read_csv(&p, &ReadOptions::new()).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, DataError::Format { .. }), "{e:?}");
    assert!(
        msg.contains("cut.csv.gz") && msg.contains("gzip") && msg.contains("line"),
        "{msg}"
    );

    let mut bad = full.clone();
    for b in &mut bad[20..60] {
        *b ^= 0x5a;
    }
    let q = dir.path().join("garbled.csv.gz");
    std::fs::write(&q, &bad).unwrap();
    let msg = read_csv(&q, &ReadOptions::new()).unwrap_err().to_string();
    assert!(
        msg.contains("garbled.csv.gz") && msg.contains("gzip"),
        "{msg}"
    );

    // a whole stream reads fine, whatever the name says
    let r = dir.path().join("no_suffix.csv");
    std::fs::write(&r, &full).unwrap();
    assert_eq!(
        read_csv(&r, &ReadOptions::new()).unwrap().shape(),
        (5000, 2)
    );
}

#[test]
fn labels_matched_by_id_in_any_order() {
    let ds = read_csv(
        good("three_cells.csv"),
        &ReadOptions::new().label_file(good("labels_shuffled.csv")),
    )
    .unwrap();
    let l = ds.labels().unwrap();
    assert_eq!((l.name_of(0), l.name_of(1), l.name_of(2)), ("T", "B", "T"));
}

/// Reads `bad/plain.csv` (cells `c0` to `c11`, no labels in the ids) with a bad label file.
fn label_err(labels: &str) -> (DataError, String) {
    let e = read_csv(
        bad("plain.csv"),
        &ReadOptions::new().label_file(bad(labels)),
    )
    .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains(labels),
        "message must name the label file: {text}"
    );
    (e, text)
}

#[test]
fn labels_naming_cells_not_in_the_matrix() {
    let (e, text) = label_err("labels_unknown_cells.tsv");
    assert!(matches!(e, DataError::LabelMismatch { .. }), "{e:?}");
    assert!(
        text.contains("line 14") && text.contains("`c99` is not in the data"),
        "{text}"
    );
}

#[test]
fn cells_without_a_label() {
    let (e, text) = label_err("labels_missing_cells.tsv");
    assert!(matches!(e, DataError::LabelMismatch { .. }), "{e:?}");
    assert!(text.contains("`c9` (data row 10) has no label"), "{text}");
}

#[test]
fn duplicate_cell_ids_in_label_file() {
    let (e, text) = label_err("labels_duplicate_cells.tsv");
    assert!(
        matches!(
            e,
            DataError::Duplicate {
                kind: "cell id",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(text.contains("line 2") && text.contains("line 4"), "{text}");
}

#[test]
fn label_file_problems() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("l.tsv");
    std::fs::write(&p, "cell\tlabel\nc1\tT\textra\n").unwrap();
    let e = read_label_table(&p).unwrap_err();
    assert!(matches!(e, DataError::Ragged { line: 2, .. }), "{e:?}");
    std::fs::write(&p, "cell\tlabel\nc1\t\n").unwrap();
    let e = read_label_table(&p).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::BadValue {
                line: 2,
                column: 2,
                ..
            }
        ),
        "{e:?}"
    );
    std::fs::write(&p, "cell\tlabel\n").unwrap();
    let e = read_label_table(&p).unwrap_err();
    assert!(matches!(e, DataError::Empty { .. }), "{e:?}");
    std::fs::write(&p, "").unwrap();
    assert!(read_labels(&p, &[]).is_err());
}

#[test]
fn bad_cell_ids_for_labels_name_the_data_file() {
    let e = read_csv(
        good("three_cells.csv"),
        &ReadOptions::new().labels_from_cell_ids(true),
    )
    .unwrap_err();
    assert!(matches!(e, DataError::LabelMismatch { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("three_cells.csv") && text.contains("`c1` (row 1)"),
        "{text}"
    );
}

#[test]
fn tenx_folder_missing_a_file() {
    let e = read_10x(bad("tenx_missing_barcodes"), &ReadOptions::new()).unwrap_err();
    assert!(matches!(e, DataError::MissingFile { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("tenx_missing_barcodes") && text.contains("barcodes.tsv.gz or barcodes.tsv"),
        "{text}"
    );
    let dir = tempfile::tempdir().unwrap();
    let e = read_path(dir.path(), &ReadOptions::new())
        .unwrap_err()
        .to_string();
    assert!(e.contains("matrix.mtx"), "{e}");
}

/// Writes a 10x folder (gzipped like Cell Ranger 3) with the given matrix text.
fn tenx(dir: &Path, matrix: &str, barcodes: &str, features: &str) {
    std::fs::write(dir.join("matrix.mtx.gz"), gzip(matrix.as_bytes())).unwrap();
    std::fs::write(dir.join("barcodes.tsv.gz"), gzip(barcodes.as_bytes())).unwrap();
    std::fs::write(dir.join("features.tsv.gz"), gzip(features.as_bytes())).unwrap();
}

#[test]
fn tenx_folder_reads_and_reports_matrix_problems() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let features =
        "E1\tCD3E\tGene Expression\nE2\tMS4A1\tGene Expression\nE3\tCD3E\tGene Expression\n";
    let head = "%%MatrixMarket matrix coordinate real general\n%comment\n3 2 4\n";
    tenx(
        d,
        &format!("{head}1 1 1.5\n3 1 2\n2 2 7\n3 2 1\n"),
        "AAA-1\nCCC-1\n",
        features,
    );
    let ds = read_path(d, &ReadOptions::new()).unwrap();
    assert_eq!(ds.cell_ids(), &["AAA-1", "CCC-1"]);
    assert_eq!(ds.gene_names(), &["CD3E", "MS4A1", "CD3E-1"]);
    assert_eq!(ds.to_dense_values(), [1.5, 0.0, 2.0, 0.0, 7.0, 1.0]);
    let ds = read_10x(d, &ReadOptions::new().genes(["CD3E-1"])).unwrap();
    assert_eq!(ds.to_dense_values(), [2.0, 1.0]);

    let cases: [(&str, &str, &str); 6] = [
        (
            "%%MatrixMarket matrix array real general\n3 2\n",
            "coordinate",
            "line 1",
        ),
        (
            &format!("{head}1 1 1\n4 1 2\n2 2 7\n3 2 1\n"),
            "outside",
            "matrix.mtx.gz:5:",
        ),
        (
            &format!("{head}1 1 1\n3 1 x\n2 2 7\n3 2 1\n"),
            "not a number",
            "matrix.mtx.gz:5:",
        ),
        (
            &format!("{head}1 1 1\n3 1 -2\n2 2 7\n3 2 1\n"),
            "negative",
            ":5: column 3",
        ),
        (
            &format!("{head}1 1 1\n3 1 2\n"),
            "announces 4 entries",
            "matrix.mtx.gz",
        ),
        (
            &format!("{head}1 1 1\n3 1\n2 2 7\n3 2 1\n"),
            "fields",
            ":5:",
        ),
    ];
    for (matrix, what, place) in cases {
        tenx(d, matrix, "AAA-1\nCCC-1\n", features);
        let e = read_10x(d, &ReadOptions::new().expect_counts(true))
            .unwrap_err()
            .to_string();
        assert!(e.contains(what) && e.contains(place), "{what}: {e}");
    }
    tenx(
        d,
        &format!("{head}1 1 1\n3 1 2\n2 2 7\n3 2 1\n"),
        "AAA-1\nAAA-1\n",
        features,
    );
    let e = read_10x(d, &ReadOptions::new()).unwrap_err().to_string();
    assert!(
        e.contains("barcodes.tsv.gz") && e.contains("line 1") && e.contains("line 2"),
        "{e}"
    );
    tenx(
        d,
        &format!("{head}1 1 1\n3 1 2\n2 2 7\n3 2 1\n"),
        "AAA-1\n",
        features,
    );
    let e = read_10x(d, &ReadOptions::new()).unwrap_err().to_string();
    assert!(
        e.contains("2 columns (cells)") && e.contains("1 barcodes"),
        "{e}"
    );
}

#[test]
fn conflicting_options_are_refused() {
    let e = read_csv(good("three_cells.csv"), &ReadOptions::new().label_key("x")).unwrap_err();
    assert!(matches!(e, DataError::Invalid(_)), "{e:?}");
    let e = read_csv(good("three_cells.csv"), &ReadOptions::new().genes(["nope"])).unwrap_err();
    assert!(e.to_string().contains("`nope`"), "{e}");
}

#[test]
fn missing_files_are_io_errors() {
    let e = read_path(bad("no_such_file.csv"), &ReadOptions::new()).unwrap_err();
    assert!(matches!(e, DataError::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("no_such_file.csv"), "{e}");
    let e = kratos_data::read::read_h5ad(bad("no_such.h5ad"), &ReadOptions::new()).unwrap_err();
    assert!(matches!(e, DataError::Io { .. }), "{e:?}");
    let e = read_csv(
        good("three_cells.csv"),
        &ReadOptions::new().label_file(bad("no_labels_here.tsv")),
    )
    .unwrap_err();
    assert!(e.to_string().contains("no_labels_here.tsv"), "{e}");
}
