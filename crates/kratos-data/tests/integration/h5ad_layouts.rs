//! `.h5ad` layouts and errors, on small files written here with `hdf5-pure` in the shapes
//! anndata writes them (current layout, 0.7-era `__categories`, pre-0.7 compound dataframes
//! with `h5sparse` matrices).

use std::path::{Path, PathBuf};

use hdf5_pure::{
    AttrValue, CharacterSet, CompoundTypeBuilder, Datatype, FileBuilder, StringPadding,
};
use kratos_data::DataError;
use kratos_data::read::{ReadOptions, read_h5ad, read_path};

/// Dense values of the 3 cells x 4 genes test matrix (row-major).
const X: [f32; 12] = [1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 3.0, 4.0, 5.0, 0.0, 0.0, 6.5];
const CELLS: [&str; 3] = ["c1", "c2", "c3"];
const GENES: [&str; 4] = ["A", "B", "A", "C"]; // "A" twice: made unique to A, B, A-1, C

fn s(v: &str) -> AttrValue {
    AttrValue::VarLenString(v.to_string())
}

/// CSR arrays of `X`.
fn csr() -> (Vec<f32>, Vec<i32>, Vec<i32>) {
    let (mut data, mut indices, mut indptr) = (Vec::new(), Vec::new(), vec![0]);
    for r in 0..3 {
        for c in 0..4 {
            let v = X[r * 4 + c];
            if v != 0.0 {
                data.push(v);
                indices.push(c as i32);
            }
        }
        indptr.push(data.len() as i32);
    }
    (data, indices, indptr)
}

/// The anndata >= 0.8 layout: CSR `X`, dataframe groups with `_index`, categorical labels
/// (code -1 in `missing`), a dense `raw/X`.
fn modern(path: &Path, x_encoding: &str) {
    let mut f = FileBuilder::new();
    f.set_attr("encoding-type", s("anndata"));
    let (data, indices, indptr) = csr();
    let mut x = f.create_group("X");
    x.set_attr("encoding-type", s(x_encoding));
    x.set_attr("encoding-version", s("0.1.0"));
    x.set_attr("shape", AttrValue::I64Array(vec![3, 4]));
    x.create_dataset("data").with_f32_data(&data);
    x.create_dataset("indices").with_i32_data(&indices);
    x.create_dataset("indptr").with_i32_data(&indptr);
    f.add_group(x.finish());

    let mut obs = f.create_group("obs");
    obs.set_attr("_index", s("cell_id"));
    obs.set_attr("encoding-type", s("dataframe"));
    obs.create_dataset("cell_id").with_vlen_strings(&CELLS);
    let mut ct = obs.create_group("cell_type");
    ct.set_attr("encoding-type", s("categorical"));
    ct.create_dataset("categories")
        .with_vlen_strings(&["B", "T"]);
    ct.create_dataset("codes").with_i8_data(&[1, 0, 1]);
    obs.add_group(ct.finish());
    let mut missing = obs.create_group("missing");
    missing.set_attr("encoding-type", s("categorical"));
    missing
        .create_dataset("categories")
        .with_vlen_strings(&["x"]);
    missing.create_dataset("codes").with_i8_data(&[0, -1, 0]);
    obs.add_group(missing.finish());
    obs.create_dataset("plain")
        .with_vlen_strings(&["p", "q", "p"]);
    f.add_group(obs.finish());

    let mut var = f.create_group("var");
    var.set_attr("_index", s("_index"));
    var.create_dataset("_index").with_vlen_strings(&GENES);
    f.add_group(var.finish());

    let mut raw = f.create_group("raw");
    raw.set_attr("encoding-type", s("raw"));
    raw.create_dataset("X")
        .with_f32_data(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        .with_shape(&[3, 2]);
    let mut rv = raw.create_group("var");
    rv.set_attr("_index", s("index"));
    rv.create_dataset("index").with_vlen_strings(&["r1", "r2"]);
    raw.add_group(rv.finish());
    f.add_group(raw.finish());
    f.write(path).unwrap();
}

fn fixed(width: u32) -> Datatype {
    Datatype::String {
        size: width,
        padding: StringPadding::NullPad,
        charset: CharacterSet::Ascii,
    }
}

/// Records of a compound dataframe: `index` (S4) then an i8 code column.
fn compound(names: &[&str], codes: &[i8]) -> (Datatype, Vec<u8>) {
    let dt = CompoundTypeBuilder::with_size(5)
        .field("index", 0, fixed(4))
        .i8_field("labels", 4)
        .build()
        .unwrap();
    let mut raw = Vec::new();
    for (n, c) in names.iter().zip(codes) {
        let mut b = n.as_bytes().to_vec();
        b.resize(4, 0);
        raw.extend_from_slice(&b);
        raw.push(*c as u8);
    }
    (dt, raw)
}

/// The anndata < 0.7 layout of pbmc68k_reduced.h5ad / pbmc3k.h5ad: dense `X`, compound
/// `obs`/`var` with fixed-length strings, categories in `uns/<key>_categories`, `raw.X` as an
/// `h5sparse` group and `raw.var` compound.
fn old(path: &Path) {
    let mut f = FileBuilder::new();
    f.create_dataset("X").with_f32_data(&X).with_shape(&[3, 4]);
    let (dt, raw) = compound(&CELLS, &[1, 0, 1]);
    f.create_dataset("obs").with_compound_data(dt, raw, 3);
    let (dt, raw) = compound(&GENES, &[0, 0, 0, 0]);
    f.create_dataset("var").with_compound_data(dt, raw, 4);
    let mut uns = f.create_group("uns");
    uns.create_dataset("labels_categories")
        .with_ascii_strings(&["B", "T"])
        .unwrap();
    f.add_group(uns.finish());
    let (data, indices, indptr) = csr();
    let mut rx = f.create_group("raw.X");
    rx.set_attr("h5sparse_format", s("csr"));
    rx.set_attr("h5sparse_shape", AttrValue::I64Array(vec![3, 4]));
    rx.create_dataset("data").with_f32_data(&data);
    rx.create_dataset("indices").with_i32_data(&indices);
    rx.create_dataset("indptr").with_i32_data(&indptr);
    f.add_group(rx.finish());
    let (dt, raw) = compound(&["r1", "r2", "r3", "r4"], &[0, 0, 0, 0]);
    f.create_dataset("raw.var").with_compound_data(dt, raw, 4);
    f.write(path).unwrap();
}

/// The anndata 0.7 layout of oligodendroglioma.h5ad: codes with `obs/__categories/<key>`.
fn v07(path: &Path) {
    let mut f = FileBuilder::new();
    f.create_dataset("X").with_f32_data(&X).with_shape(&[3, 4]);
    let mut obs = f.create_group("obs");
    obs.set_attr("_index", s("cell_id"));
    obs.create_dataset("cell_id").with_vlen_strings(&CELLS);
    obs.create_dataset("cell_type").with_i8_data(&[0, 0, 1]);
    let mut cats = obs.create_group("__categories");
    cats.create_dataset("cell_type")
        .with_vlen_strings(&["mal", "norm"]);
    obs.add_group(cats.finish());
    f.add_group(obs.finish());
    let mut var = f.create_group("var");
    var.set_attr("_index", s("gene_symbol"));
    var.create_dataset("gene_symbol")
        .with_vlen_strings(&["g1", "g2", "g3", "g4"]);
    f.add_group(var.finish());
    f.write(path).unwrap();
}

fn tmp(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    (dir, p)
}

#[test]
fn current_layout_csr_with_categorical_labels() {
    let (_d, p) = tmp("modern.h5ad");
    modern(&p, "csr_matrix");
    let ds = read_path(&p, &ReadOptions::new().label_key("cell_type")).unwrap();
    assert_eq!(ds.to_dense_values(), X);
    assert_eq!(ds.cell_ids(), &CELLS);
    assert_eq!(ds.gene_names(), &["A", "B", "A-1", "C"]);
    let l = ds.labels().unwrap();
    assert_eq!((l.name_of(0), l.name_of(1), l.name_of(2)), ("T", "B", "T"));
    // a plain string column works as labels too
    let ds = read_h5ad(&p, &ReadOptions::new().label_key("plain")).unwrap();
    assert_eq!(ds.labels().unwrap().class_counts(), vec![2, 1]);
    // gene subset of the sparse matrix
    let ds = read_h5ad(&p, &ReadOptions::new().genes(["C", "A"])).unwrap();
    assert_eq!(ds.to_dense_values(), [0.0, 1.0, 4.0, 0.0, 6.5, 5.0]);
    assert!(ds.is_sparse());
    // raw: dense matrix with its own var
    let raw = read_h5ad(&p, &ReadOptions::new().use_raw(true)).unwrap();
    assert_eq!(raw.gene_names(), &["r1", "r2"]);
    assert_eq!(raw.get(2, 1), 6.0);
    // held sparse, as stored; the dense raw matrix dense
    let sp = read_h5ad(&p, &ReadOptions::new()).unwrap();
    assert_eq!(sp.sparse_matrix().map(|m| m.nnz()), Some(6));
    assert!(!raw.is_sparse());
}

#[test]
fn csc_matrices_are_transposed() {
    // The CSR arrays of X read as CSC describe X's transpose (4 x 3), which the shape
    // attribute must then say; write them as such.
    let (_d, p) = tmp("csc.h5ad");
    let mut f = FileBuilder::new();
    let (data, indices, indptr) = csr(); // CSR of X == CSC of X^T
    let mut x = f.create_group("X");
    x.set_attr("encoding-type", s("csc_matrix"));
    x.set_attr("shape", AttrValue::I64Array(vec![4, 3]));
    x.create_dataset("data").with_f32_data(&data);
    x.create_dataset("indices").with_i32_data(&indices);
    x.create_dataset("indptr").with_i32_data(&indptr);
    f.add_group(x.finish());
    let mut obs = f.create_group("obs");
    obs.set_attr("_index", s("i"));
    obs.create_dataset("i")
        .with_vlen_strings(&["a", "b", "c", "d"]);
    f.add_group(obs.finish());
    let mut var = f.create_group("var");
    var.set_attr("_index", s("i"));
    var.create_dataset("i").with_vlen_strings(&CELLS);
    f.add_group(var.finish());
    f.write(&p).unwrap();
    let ds = read_h5ad(&p, &ReadOptions::new()).unwrap();
    assert_eq!(ds.shape(), (4, 3));
    for r in 0..3 {
        for c in 0..4 {
            assert_eq!(ds.get(c, r), X[r * 4 + c]);
        }
    }
}

#[test]
fn old_compound_layout_with_h5sparse_raw() {
    let (_d, p) = tmp("old.h5ad");
    old(&p);
    let ds = read_h5ad(&p, &ReadOptions::new().label_key("labels")).unwrap();
    assert_eq!(ds.to_dense_values(), X);
    assert_eq!(ds.cell_ids(), &CELLS);
    assert_eq!(ds.gene_names(), &["A", "B", "A-1", "C"]);
    assert_eq!(ds.labels().unwrap().name_of(0), "T");
    let raw = read_h5ad(&p, &ReadOptions::new().use_raw(true)).unwrap();
    assert_eq!(raw.to_dense_values(), X);
    assert_eq!(raw.gene_names(), &["r1", "r2", "r3", "r4"]);
}

#[test]
fn v07_layout_with_dunder_categories() {
    let (_d, p) = tmp("v07.h5ad");
    v07(&p);
    let ds = read_h5ad(
        &p,
        &ReadOptions::new()
            .label_key("cell_type")
            .expect_counts(true),
    )
    .unwrap();
    assert_eq!(ds.labels().unwrap().class_counts(), vec![2, 1]);
    assert_eq!(ds.labels().unwrap().class_names(), &["mal", "norm"]);
}

fn err_text(e: DataError) -> String {
    e.to_string()
}

#[test]
fn unsupported_layouts_name_file_and_object() {
    let (_d, p) = tmp("coo.h5ad");
    modern(&p, "coo_matrix");
    let e = err_text(read_h5ad(&p, &ReadOptions::new()).unwrap_err());
    assert!(
        e.contains("coo.h5ad") && e.contains("`X`") && e.contains("coo_matrix"),
        "{e}"
    );

    let (_d2, q) = tmp("cube.h5ad");
    let mut f = FileBuilder::new();
    f.create_dataset("X")
        .with_f32_data(&[0.0; 8])
        .with_shape(&[2, 2, 2]);
    f.write(&q).unwrap();
    let e = err_text(read_h5ad(&q, &ReadOptions::new()).unwrap_err());
    assert!(
        e.contains("cube.h5ad") && e.contains("`X`") && e.contains("3"),
        "{e}"
    );

    let (_d3, r) = tmp("noindex.h5ad");
    let mut f = FileBuilder::new();
    f.create_dataset("X")
        .with_f32_data(&[0.0; 2])
        .with_shape(&[1, 2]);
    let mut obs = f.create_group("obs");
    obs.create_dataset("something").with_i32_data(&[1]);
    f.add_group(obs.finish());
    f.write(&r).unwrap();
    let e = err_text(read_h5ad(&r, &ReadOptions::new()).unwrap_err());
    assert!(
        e.contains("noindex.h5ad") && e.contains("`obs`") && e.contains("_index"),
        "{e}"
    );

    let (_d4, t) = tmp("nox.h5ad");
    let mut f = FileBuilder::new();
    f.create_dataset("Y").with_f32_data(&[0.0]);
    f.write(&t).unwrap();
    let e = err_text(read_h5ad(&t, &ReadOptions::new()).unwrap_err());
    assert!(e.contains("`X`: not found"), "{e}");
    let e = err_text(read_h5ad(&t, &ReadOptions::new().use_raw(true)).unwrap_err());
    assert!(e.contains("no raw data"), "{e}");
}

#[test]
fn label_problems_are_named() {
    let (_d, p) = tmp("modern.h5ad");
    modern(&p, "csr_matrix");
    let e = err_text(read_h5ad(&p, &ReadOptions::new().label_key("nope")).unwrap_err());
    assert!(e.contains("`obs/nope`: no such obs column"), "{e}");
    let e = read_h5ad(&p, &ReadOptions::new().label_key("missing")).unwrap_err();
    assert!(matches!(e, DataError::LabelMismatch { .. }), "{e:?}");
    let e = err_text(e);
    assert!(e.contains("row 2 has no label"), "{e}");
    let e = err_text(read_h5ad(&p, &ReadOptions::new().genes(["Z"])).unwrap_err());
    assert!(e.contains("`Z`"), "{e}");
}

#[test]
fn bad_values_and_non_hdf5_files() {
    let (_d, p) = tmp("neg.h5ad");
    let mut f = FileBuilder::new();
    f.create_dataset("X")
        .with_f32_data(&[1.0, -2.0, f32::NAN, 0.0])
        .with_shape(&[2, 2]);
    f.write(&p).unwrap();
    let e = read_h5ad(&p, &ReadOptions::new()).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::BadValue {
                line: 2,
                column: 1,
                ..
            }
        ),
        "NaN at row 2, column 1: {e:?}"
    );
    let (_d2, q) = tmp("fake.h5ad");
    std::fs::write(&q, b"not hdf5 at all").unwrap();
    let e = err_text(read_h5ad(&q, &ReadOptions::new()).unwrap_err());
    assert!(e.contains("fake.h5ad") && e.contains("HDF5"), "{e}");

    let (_d3, r) = tmp("dupcells.h5ad");
    let mut f = FileBuilder::new();
    f.create_dataset("X")
        .with_f32_data(&[1.0, 2.0])
        .with_shape(&[2, 1]);
    let mut obs = f.create_group("obs");
    obs.set_attr("_index", s("i"));
    obs.create_dataset("i").with_vlen_strings(&["a", "a"]);
    f.add_group(obs.finish());
    let mut var = f.create_group("var");
    var.set_attr("_index", s("i"));
    var.create_dataset("i").with_vlen_strings(&["g"]);
    f.add_group(var.finish());
    f.write(&r).unwrap();
    let e = read_h5ad(&r, &ReadOptions::new()).unwrap_err();
    assert!(matches!(e, DataError::Duplicate { .. }), "{e:?}");
    assert!(e.to_string().contains("row 1") && e.to_string().contains("row 2"));
    let e = read_h5ad(&r, &ReadOptions::new().expect_counts(true));
    assert!(e.is_err());
}

#[test]
fn negative_values_with_expect_counts() {
    let (_d, p) = tmp("modern.h5ad");
    let mut f = FileBuilder::new();
    f.create_dataset("X")
        .with_f32_data(&[1.0, -2.0])
        .with_shape(&[1, 2]);
    let mut obs = f.create_group("obs");
    obs.set_attr("_index", s("i"));
    obs.create_dataset("i").with_vlen_strings(&["a"]);
    f.add_group(obs.finish());
    let mut var = f.create_group("var");
    var.set_attr("_index", s("i"));
    var.create_dataset("i").with_vlen_strings(&["g", "h"]);
    f.add_group(var.finish());
    f.write(&p).unwrap();
    assert!(read_h5ad(&p, &ReadOptions::new()).is_ok());
    let e = read_h5ad(&p, &ReadOptions::new().expect_counts(true)).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::BadValue {
                line: 1,
                column: 2,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("negative"));
}
