//! `write_h5ad`: new files read back with `read_h5ad` / `read_h5ad_obsm`, the scanpy layout of
//! `uns/<key>` (checked object by object with `hdf5-pure`), copies of an input file, overwrite
//! protection, and the errors for extras that do not fit. `read_h5ad` of layers and the
//! errors that name the file.

use std::path::{Path, PathBuf};

use hdf5_pure::{AttrValue, Datatype, FileBuilder};
use kratos_data::read::{ReadOptions, read_h5ad, read_h5ad_obsm};
use kratos_data::write::{GeneFractions, H5adExtras, RankGenesGroups, write_h5ad};
use kratos_data::{DataError, Dataset, Labels};

fn tmp(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    (dir, p)
}

fn s(v: &str) -> AttrValue {
    AttrValue::VarLenString(v.to_string())
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// 4 cells x 3 genes in classes B and T, with non-ASCII ids and names.
fn small(sparse: bool) -> Dataset {
    let ds = Dataset::new(
        vec![
            1.0, 0.0, 2.5, 0.0, 0.0, 0.0, 3.0, -1.0, 0.0, 0.0, 7.0, 1e-30,
        ],
        strings(&["c1", "c2", "zelle-ä", "c4"]),
        strings(&["CD3E", "MS4A1", "gène"]),
    )
    .unwrap()
    .with_labels(Labels::from_names(&["T", "B", "T", "B"]).unwrap())
    .unwrap();
    if sparse { ds.into_sparse() } else { ds }
}

/// A complete ranking of groups B and T over the genes of [`small`].
fn ranking(groupby: &str) -> RankGenesGroups {
    let mut r = RankGenesGroups::new(
        groupby,
        "wilcoxon",
        strings(&["B", "T"]),
        vec![strings(&["MS4A1", "CD3E"]), strings(&["CD3E", "MS4A1"])],
        vec![vec![2.5, -1.0], vec![3.0, 0.5]],
    );
    r.logfoldchanges = Some(vec![vec![1.5, -0.5], vec![2.0, 0.1]]);
    r.pvals = Some(vec![vec![0.01, 0.5], vec![0.001, 0.9]]);
    r.pvals_adj = Some(vec![vec![0.02, 0.5], vec![0.002, 0.9]]);
    let genes = strings(&["CD3E", "MS4A1", "gène"]);
    r.pts = Some(GeneFractions::new(
        genes.clone(),
        vec![vec![0.0, 0.5, 1.0], vec![1.0, 0.5, 0.5]],
    ));
    r.pts_rest = Some(GeneFractions::new(
        genes,
        vec![vec![1.0, 0.5, 0.5], vec![0.0, 0.5, 1.0]],
    ));
    r
}

#[test]
fn new_files_read_back_to_the_same_data_set() {
    for sparse in [false, true] {
        let (_d, p) = tmp("x.h5ad");
        let ds = small(sparse);
        let written = write_h5ad(&p, &ds, &H5adExtras::new(), false).unwrap();
        assert_eq!(written, p);
        let back = read_h5ad(&p, &ReadOptions::new().label_key("label")).unwrap();
        assert_eq!(back, ds, "sparse = {sparse}");
        assert_eq!(back.is_sparse(), sparse);
        // X is stored as anndata stores it
        let f = hdf5_pure::File::open(&p).unwrap();
        if sparse {
            let attrs = f.group("X").unwrap().attrs().unwrap();
            assert_eq!(attrs["encoding-type"].as_str(), Some("csr_matrix"));
            assert_eq!(attrs["shape"].to_i64s(), Some(vec![4, 3]));
        } else {
            assert_eq!(f.dataset("X").unwrap().shape().unwrap(), [4, 3]);
        }
        let codes = f.dataset("obs/label/codes").unwrap();
        assert_eq!(codes.read_i64().unwrap(), [1, 0, 1, 0]);
        let root = f.root().attrs().unwrap();
        assert_eq!(root["encoding-type"].as_str(), Some("anndata"));
    }
}

#[test]
fn unlabelled_data_and_a_named_label_column() {
    let (_d, p) = tmp("x.h5ad");
    let ds = small(true).without_labels();
    write_h5ad(&p, &ds, &H5adExtras::new(), false).unwrap();
    assert_eq!(read_h5ad(&p, &ReadOptions::new()).unwrap(), ds);
    let e = read_h5ad(&p, &ReadOptions::new().label_key("label")).unwrap_err();
    assert!(e.to_string().contains("`obs/label`"), "{e}");

    let (_d, q) = tmp("y.h5ad");
    let ds = small(false);
    write_h5ad(&q, &ds, &H5adExtras::new().label_column("cell_type"), false).unwrap();
    let back = read_h5ad(&q, &ReadOptions::new().label_key("cell_type")).unwrap();
    assert_eq!(back, ds);
}

#[test]
fn obsm_round_trip_and_errors() {
    let (_d, p) = tmp("x.h5ad");
    let ds = small(true);
    let emb: Vec<f32> = (0..4 * 64).map(|v| v as f32 / 7.0).collect();
    let extras = H5adExtras::new().obsm("X_kratos", emb.clone(), 64).obsm(
        "X_two",
        vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        2,
    );
    write_h5ad(&p, &ds, &extras, false).unwrap();
    assert_eq!(read_h5ad_obsm(&p, "X_kratos").unwrap(), (emb, 4, 64));
    assert_eq!(read_h5ad_obsm(&p, "X_two").unwrap().0[7], 8.0);
    let e = read_h5ad_obsm(&p, "X_pca").unwrap_err().to_string();
    assert!(
        e.contains("x.h5ad") && e.contains("`obsm/X_pca`") && e.contains("`X_kratos`, `X_two`"),
        "{e}"
    );

    let (_d, q) = tmp("bad.h5ad");
    let e = write_h5ad(
        &q,
        &ds,
        &H5adExtras::new().obsm("E", vec![0.0; 7], 2),
        false,
    )
    .unwrap_err();
    assert!(matches!(e, DataError::Invalid(_)), "{e:?}");
    assert!(
        e.to_string()
            .contains("obsm `E`: 7 values for 4 cells x 2 columns"),
        "{e}"
    );
    let twice = H5adExtras::new()
        .obsm("E", vec![0.0; 4], 1)
        .obsm("E", vec![0.0; 4], 1);
    assert!(write_h5ad(&q, &ds, &twice, false).is_err());
    let slash = H5adExtras::new().obsm("a/b", vec![0.0; 4], 1);
    assert!(write_h5ad(&q, &ds, &slash, false).is_err());
    assert!(
        !q.exists(),
        "nothing is written when the extras are refused"
    );
}

#[test]
fn existing_files_are_only_replaced_when_asked() {
    let (dir, p) = tmp("x.h5ad");
    std::fs::write(&p, b"precious").unwrap();
    let e = write_h5ad(&p, &small(true), &H5adExtras::new(), false).unwrap_err();
    assert!(
        matches!(&e, DataError::AlreadyExists { path } if path == &p),
        "{e:?}"
    );
    assert!(e.to_string().contains("x.h5ad") && e.to_string().contains("overwrite"));
    assert_eq!(std::fs::read(&p).unwrap(), b"precious");
    write_h5ad(&p, &small(true), &H5adExtras::new(), true).unwrap();
    assert_eq!(read_h5ad(&p, &ReadOptions::new()).unwrap().n_cells(), 4);
    // no temporary file is left behind
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1);
    // a folder that does not exist is an I/O error naming the file
    let missing = dir.path().join("no/such/dir/x.h5ad");
    let e = write_h5ad(&missing, &small(true), &H5adExtras::new(), false).unwrap_err();
    assert!(e.to_string().contains("x.h5ad"), "{e}");
}

/// The field names of a compound dataset.
fn fields(f: &hdf5_pure::File, object: &str) -> Vec<String> {
    match f.dataset(object).unwrap().datatype().unwrap() {
        Datatype::Compound { members, .. } => members.into_iter().map(|m| m.name).collect(),
        other => panic!("{object}: {other:?}"),
    }
}

#[test]
fn rank_genes_groups_in_the_scanpy_layout() {
    let (_d, p) = tmp("x.h5ad");
    let extras = H5adExtras::new().rank_genes_groups("kratos", ranking("label"));
    write_h5ad(&p, &small(true), &extras, false).unwrap();
    let f = hdf5_pure::File::open(&p).unwrap();
    let enc = |attrs: std::collections::HashMap<String, AttrValue>| {
        attrs["encoding-type"].as_str().unwrap().to_string()
    };
    assert_eq!(enc(f.group("uns/kratos").unwrap().attrs().unwrap()), "dict");
    assert_eq!(
        enc(f.group("uns/kratos/params").unwrap().attrs().unwrap()),
        "dict"
    );
    for (name, value) in [
        ("groupby", "label"),
        ("reference", "rest"),
        ("method", "wilcoxon"),
        ("corr_method", "benjamini-hochberg"),
    ] {
        let ds = f.dataset(&format!("uns/kratos/params/{name}")).unwrap();
        assert_eq!(ds.shape().unwrap(), Vec::<u64>::new(), "{name} is a scalar");
        assert_eq!(ds.read_string().unwrap(), [value]);
        assert_eq!(enc(ds.attrs().unwrap()), "string");
    }
    let use_raw = f.dataset("uns/kratos/params/use_raw").unwrap();
    assert!(matches!(
        use_raw.datatype().unwrap(),
        Datatype::Enumeration { .. }
    ));
    assert_eq!(use_raw.read_raw().unwrap(), [0]);
    assert_eq!(enc(use_raw.attrs().unwrap()), "numeric-scalar");
    let layer = f.dataset("uns/kratos/params/layer").unwrap();
    assert_eq!(enc(layer.attrs().unwrap()), "null");
    for name in ["names", "scores", "logfoldchanges", "pvals", "pvals_adj"] {
        let object = format!("uns/kratos/{name}");
        assert_eq!(fields(&f, &object), ["B", "T"], "{name}");
        assert_eq!(f.dataset(&object).unwrap().shape().unwrap(), [2]);
        assert_eq!(
            enc(f.dataset(&object).unwrap().attrs().unwrap()),
            "rec-array"
        );
    }
    // names: fixed-length ASCII, record by record (row 0 is every group's best gene)
    let raw = f.dataset("uns/kratos/names").unwrap().read_raw().unwrap();
    assert_eq!(raw, b"MS4A1CD3E\0CD3E\0MS4A1");
    let scores = f.dataset("uns/kratos/scores").unwrap().read_raw().unwrap();
    let floats: Vec<f32> = scores
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(floats, [2.5, 3.0, -1.0, 0.5]);
    let pvals = f.dataset("uns/kratos/pvals").unwrap();
    assert_eq!(pvals.element_size().unwrap(), 16, "float64 fields");
    for table in ["pts", "pts_rest"] {
        let attrs = f
            .group(&format!("uns/kratos/{table}"))
            .unwrap()
            .attrs()
            .unwrap();
        assert_eq!(attrs["encoding-type"].as_str(), Some("dataframe"));
        assert_eq!(attrs["column-order"].as_strings().unwrap(), ["B", "T"]);
        let index = f.dataset(&format!("uns/kratos/{table}/_index")).unwrap();
        assert_eq!(index.read_string().unwrap(), ["CD3E", "MS4A1", "gène"]);
    }
    let b = f.dataset("uns/kratos/pts/B").unwrap().read_f64().unwrap();
    assert_eq!(b, [0.0, 0.5, 1.0]);
    // the data set reads back unchanged
    let back = read_h5ad(&p, &ReadOptions::new().label_key("label")).unwrap();
    assert_eq!(back, small(true));
}

#[test]
fn rankings_that_scanpy_could_not_use_are_refused() {
    let ds = small(true);
    let (_d, p) = tmp("x.h5ad");
    let refused = |r: RankGenesGroups, needle: &str| {
        let extras = H5adExtras::new().rank_genes_groups("kratos", r);
        let e = write_h5ad(&p, &ds, &extras, false).unwrap_err();
        assert!(matches!(e, DataError::Invalid(_)), "{e:?}");
        assert!(e.to_string().contains(needle), "{e} (expected {needle})");
    };
    let mut r = ranking("label");
    r.scores[1].pop();
    refused(r, "group 2 has 1 scores, but 2 ranked genes");
    let mut r = ranking("label");
    r.pvals = None;
    refused(r, "needs logfoldchanges, pvals and pvals_adj");
    let mut r = ranking("label");
    r.method = "logreg".into();
    r.pvals = None;
    r.logfoldchanges = None;
    r.pvals_adj = None;
    let extras = H5adExtras::new().rank_genes_groups("kratos", r);
    write_h5ad(&p, &ds, &extras, true).unwrap(); // logreg leaves them out, as scanpy does
    refused(
        ranking("cell_type"),
        "labels are written as the obs column `label`",
    );
    let mut r = ranking("label");
    r.groups[0] = "NK".into();
    refused(r, "group `NK` is not a value of the obs column `label`");
    let mut r = ranking("label");
    r.names[0][1] = "CD19".into();
    refused(r, "ranked gene `CD19` is not a gene");
    let mut r = ranking("label");
    r.names[0][1] = "gène".into();
    refused(r, "gene `gène` is not ASCII");
    let mut r = ranking("label");
    r.groups[1] = "B".into();
    refused(r, "group `B` is given twice");
    let mut r = ranking("label");
    if let Some(t) = r.pts.as_mut() {
        t.values[0].pop();
    }
    refused(r, "pts: group `B` has 2 values for 3 genes");
    let e = write_h5ad(
        &p,
        &ds.clone().without_labels(),
        &H5adExtras::new().rank_genes_groups("kratos", ranking("label")),
        true,
    )
    .unwrap_err();
    assert!(e.to_string().contains("no labels"), "{e}");
}

#[test]
fn groups_with_a_slash_need_no_dataframe_columns() {
    let ds = Dataset::from_matrix(vec![1.0, 0.0, 0.0, 1.0], 2, 2)
        .unwrap()
        .with_labels(Labels::from_names(&["Microglia/Macrophage", "T"]).unwrap())
        .unwrap();
    let mut r = RankGenesGroups::new(
        "label",
        "logreg",
        strings(&["Microglia/Macrophage", "T"]),
        vec![strings(&["gene0"]), strings(&["gene1"])],
        vec![vec![1.0], vec![1.0]],
    );
    let (_d, p) = tmp("x.h5ad");
    let extras = H5adExtras::new().rank_genes_groups("kratos", r.clone());
    write_h5ad(&p, &ds, &extras, false).unwrap();
    let f = hdf5_pure::File::open(&p).unwrap();
    assert_eq!(
        fields(&f, "uns/kratos/names"),
        ["Microglia/Macrophage", "T"]
    );
    r.pts = Some(GeneFractions::new(
        strings(&["gene0", "gene1"]),
        vec![vec![1.0, 0.0], vec![0.0, 1.0]],
    ));
    let extras = H5adExtras::new().rank_genes_groups("kratos", r);
    let e = write_h5ad(&p, &ds, &extras, true).unwrap_err();
    assert!(e.to_string().contains("cannot be a column of pts"), "{e}");
}

/// An input file as another tool would leave it: `X`, `obs`/`var`, a layer, an embedding,
/// an `uns` entry and attributes this crate does not know.
fn input_file(path: &Path) -> Dataset {
    let ds = small(false);
    let extras = H5adExtras::new()
        .obsm("X_pca", vec![0.5; 8], 2)
        .obsm("X_kratos", vec![9.0; 4], 1)
        .rank_genes_groups("kratos", ranking("label"));
    write_h5ad(path, &ds, &extras, false).unwrap();
    // extra objects, added in place
    let f = hdf5_pure::File::open_rw(path).unwrap();
    let root = f.root();
    root.create_dataset("layers/counts", |b| {
        b.with_i32_data(&[1, 0, 3, 0, 0, 0, 3, 1, 0, 0, 7, 1])
            .with_shape(&[4, 3])
            .set_attr("encoding-type", s("array"))
            .set_attr("encoding-version", s("0.2.0"));
    })
    .unwrap();
    root.create_group_with("uns/other", |g| {
        g.set_attr("encoding-type", s("dict"));
        g.set_attr("encoding-version", s("0.1.0"));
        g.set_attr("note", AttrValue::F64Array(vec![1.0, 2.0]));
    })
    .unwrap();
    root.create_dataset("uns/other/chunked", |b| {
        b.with_f64_data(&(0..100).map(f64::from).collect::<Vec<_>>())
            .with_chunks(&[10])
            .with_deflate(4);
    })
    .unwrap();
    f.commit().unwrap();
    drop(root);
    f.close().unwrap();
    ds
}

#[test]
fn copies_keep_the_input_and_add_or_replace_the_extras() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.h5ad");
    let ds = input_file(&input);
    let out = dir.path().join("out.h5ad");
    let emb: Vec<f32> = (0..8).map(|v| v as f32).collect();
    let mut new_ranking = ranking("label");
    new_ranking.method = "kratos".into();
    let extras = H5adExtras::new()
        .copy_from(&input)
        .obsm("X_kratos", emb.clone(), 2)
        .obsm("X_new", vec![1.0; 4], 1)
        .rank_genes_groups("kratos", new_ranking);
    // the data set's values are not written: X stays as it was in the input
    let other_values = Dataset::new(
        vec![0.0; 12],
        ds.cell_ids().to_vec(),
        ds.gene_names().to_vec(),
    )
    .unwrap();
    write_h5ad(&out, &other_values, &extras, false).unwrap();

    assert_eq!(
        read_h5ad(&out, &ReadOptions::new().label_key("label")).unwrap(),
        ds
    );
    assert_eq!(read_h5ad_obsm(&out, "X_kratos").unwrap(), (emb, 4, 2));
    assert_eq!(read_h5ad_obsm(&out, "X_new").unwrap().2, 1);
    assert_eq!(read_h5ad_obsm(&out, "X_pca").unwrap(), (vec![0.5; 8], 4, 2));
    let f = hdf5_pure::File::open(&out).unwrap();
    let method = f.dataset("uns/kratos/params/method").unwrap();
    assert_eq!(method.read_string().unwrap(), ["kratos"]);
    let counts = f.dataset("layers/counts").unwrap();
    assert_eq!(counts.read_i32().unwrap()[10], 7);
    let other = f.group("uns/other").unwrap().attrs().unwrap();
    assert_eq!(other["note"], AttrValue::F64Array(vec![1.0, 2.0]));
    let chunked = f.dataset("uns/other/chunked").unwrap();
    assert!(chunked.is_chunked());
    assert_eq!(chunked.read_f64().unwrap()[99], 99.0);

    // copying a file into its own place, with overwrite
    let extras = H5adExtras::new()
        .copy_from(&out)
        .obsm("X_kratos", vec![3.0; 4], 1);
    write_h5ad(&out, &ds, &extras, true).unwrap();
    assert_eq!(
        read_h5ad_obsm(&out, "X_kratos").unwrap(),
        (vec![3.0; 4], 4, 1)
    );
    assert_eq!(read_h5ad_obsm(&out, "X_new").unwrap().2, 1);
}

#[test]
fn copies_add_the_uns_and_obsm_groups_an_input_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.h5ad");
    let mut f = FileBuilder::new();
    f.create_dataset("X")
        .with_f32_data(&[1.0, 0.0, 0.0, 1.0])
        .with_shape(&[2, 2]);
    let mut obs = f.create_group("obs");
    obs.set_attr("_index", s("cell"));
    obs.create_dataset("cell").with_vlen_strings(&["a", "b"]);
    obs.create_dataset("kind").with_vlen_strings(&["x", "y"]);
    f.add_group(obs.finish());
    let mut var = f.create_group("var");
    var.set_attr("_index", s("gene"));
    var.create_dataset("gene").with_vlen_strings(&["g1", "g2"]);
    f.add_group(var.finish());
    f.write(&input).unwrap();
    let ds = read_h5ad(&input, &ReadOptions::new().label_key("kind")).unwrap();
    let r = RankGenesGroups::new(
        "kind",
        "logreg",
        strings(&["x", "y"]),
        vec![strings(&["g1"]), strings(&["g2"])],
        vec![vec![1.0], vec![2.0]],
    );
    let out = dir.path().join("out.h5ad");
    let extras = H5adExtras::new()
        .copy_from(&input)
        .obsm("X_kratos", vec![1.0, 2.0], 1)
        .rank_genes_groups("kratos", r.clone());
    write_h5ad(&out, &ds, &extras, false).unwrap();
    let f = hdf5_pure::File::open(&out).unwrap();
    assert_eq!(
        f.group("uns").unwrap().attrs().unwrap()["encoding-type"].as_str(),
        Some("dict")
    );
    assert_eq!(fields(&f, "uns/kratos/names"), ["x", "y"]);
    assert_eq!(read_h5ad_obsm(&out, "X_kratos").unwrap().0, [1.0, 2.0]);

    // groups and genes are checked against the input's obs column and var
    let mut bad = r.clone();
    bad.groupby = "nope".into();
    let extras = H5adExtras::new()
        .copy_from(&input)
        .rank_genes_groups("kratos", bad);
    let e = write_h5ad(dir.path().join("o2.h5ad"), &ds, &extras, false).unwrap_err();
    assert!(
        e.to_string().contains("in.h5ad") && e.to_string().contains("`obs/nope`"),
        "{e}"
    );
    let mut bad = r;
    bad.names[1][0] = "g9".into();
    let extras = H5adExtras::new()
        .copy_from(&input)
        .rank_genes_groups("kratos", bad);
    let e = write_h5ad(dir.path().join("o2.h5ad"), &ds, &extras, false).unwrap_err();
    assert!(
        e.to_string()
            .contains("ranked gene `g9` is not a gene of `var`"),
        "{e}"
    );
}

#[test]
fn copies_refuse_other_cells_and_what_cannot_be_copied() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.h5ad");
    let ds = input_file(&input);
    let out = dir.path().join("out.h5ad");

    // cells in another order: the obsm rows would not line up
    let swapped = ds.select_cells(&[1, 0, 2, 3]);
    let extras = H5adExtras::new()
        .copy_from(&input)
        .obsm("X_kratos", vec![0.0; 4], 1);
    let e = write_h5ad(&out, &swapped, &extras, false).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("in.h5ad") && text.contains("`obs`") && text.contains("row 1"),
        "{text}"
    );
    assert!(!out.exists());

    // an object hdf5-pure's repack cannot reproduce is refused by name, nothing is written
    let refs = dir.path().join("refs.h5ad");
    let mut f = FileBuilder::new();
    f.create_dataset("X")
        .with_f32_data(&ds.to_dense_values())
        .with_shape(&[4, 3]);
    for (name, index) in [("obs", ds.cell_ids()), ("var", ds.gene_names())] {
        let mut g = f.create_group(name);
        g.set_attr("_index", s("_index"));
        let index: Vec<&str> = index.iter().map(String::as_str).collect();
        g.create_dataset("_index").with_vlen_strings(&index);
        f.add_group(g.finish());
    }
    let mut uns = f.create_group("uns");
    uns.create_dataset("refs")
        .with_path_references(&["X", "obs"])
        .with_chunks(&[1]);
    f.add_group(uns.finish());
    f.write(&refs).unwrap();
    let extras = H5adExtras::new()
        .copy_from(&refs)
        .obsm("X_kratos", vec![0.0; 4], 1);
    match write_h5ad(&out, &ds, &extras, false) {
        Err(e) => {
            let text = e.to_string();
            assert!(text.contains("uns/refs"), "{text}");
            assert!(!out.exists());
        }
        // hdf5-pure may learn to copy it; then it must be there
        Ok(_) => assert!(
            hdf5_pure::File::open(&out)
                .unwrap()
                .dataset("uns/refs")
                .is_ok()
        ),
    }

    // an input that is not an .h5ad names the input
    let junk = dir.path().join("junk.h5ad");
    std::fs::write(&junk, b"junk").unwrap();
    let e = write_h5ad(&out, &ds, &H5adExtras::new().copy_from(&junk), false).unwrap_err();
    assert!(e.to_string().contains("junk.h5ad"), "{e}");
}

/// `X` dense 2 x 2, `obs`/`var`, and layers: `counts` CSR, `dense` a dense array.
fn with_layers(path: &Path) {
    let mut f = FileBuilder::new();
    f.create_dataset("X")
        .with_f32_data(&[0.5, 0.0, 0.0, 1.5])
        .with_shape(&[2, 2]);
    let mut obs = f.create_group("obs");
    obs.set_attr("_index", s("_index"));
    obs.create_dataset("_index").with_vlen_strings(&["a", "b"]);
    let mut kind = obs.create_group("kind");
    kind.set_attr("encoding-type", s("categorical"));
    kind.create_dataset("categories")
        .with_vlen_strings(&["x", "y"]);
    kind.create_dataset("codes").with_i8_data(&[0, 1]);
    obs.add_group(kind.finish());
    obs.create_dataset("short").with_vlen_strings(&["x"]);
    f.add_group(obs.finish());
    let mut var = f.create_group("var");
    var.set_attr("_index", s("_index"));
    var.create_dataset("_index")
        .with_vlen_strings(&["g1", "g2"]);
    f.add_group(var.finish());
    let mut layers = f.create_group("layers");
    let mut counts = layers.create_group("counts");
    counts.set_attr("encoding-type", s("csr_matrix"));
    counts.set_attr("shape", AttrValue::I64Array(vec![2, 2]));
    counts.create_dataset("data").with_f32_data(&[4.0, 9.0]);
    counts.create_dataset("indices").with_i32_data(&[1, 0]);
    counts.create_dataset("indptr").with_i32_data(&[0, 1, 2]);
    layers.add_group(counts.finish());
    layers
        .create_dataset("dense")
        .with_f64_data(&[1.0, 2.0, 3.0, 4.0])
        .with_shape(&[2, 2]);
    layers
        .create_dataset("wrong")
        .with_f32_data(&[1.0, 2.0, 3.0])
        .with_shape(&[3, 1]);
    f.add_group(layers.finish());
    f.write(path).unwrap();
}

#[test]
fn layers_are_read_with_the_names_of_x() {
    let (_d, p) = tmp("layers.h5ad");
    with_layers(&p);
    let counts = read_h5ad(
        &p,
        &ReadOptions::new()
            .layer("counts")
            .label_key("kind")
            .expect_counts(true),
    )
    .unwrap();
    assert!(counts.is_sparse());
    assert_eq!(counts.to_dense_values(), [0.0, 4.0, 9.0, 0.0]);
    assert_eq!(counts.gene_names(), ["g1", "g2"]);
    assert_eq!(counts.labels().unwrap().class_names(), ["x", "y"]);
    let dense = read_h5ad(&p, &ReadOptions::new().layer("dense").genes(["g2"])).unwrap();
    assert_eq!(dense.to_dense_values(), [2.0, 4.0]);
    assert!(!dense.is_sparse());

    let e = read_h5ad(&p, &ReadOptions::new().layer("spliced")).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("layers.h5ad")
            && text.contains("`layers/spliced`")
            && text.contains("`counts`, `dense`, `wrong`"),
        "{text}"
    );
    let e = read_h5ad(&p, &ReadOptions::new().layer("wrong")).unwrap_err();
    assert!(e.to_string().contains("`layers/wrong`"), "{e}");
    let e = read_h5ad(&p, &ReadOptions::new().layer("counts").use_raw(true)).unwrap_err();
    assert!(matches!(e, DataError::Invalid(_)), "{e:?}");

    let (_d, q) = tmp("nolayers.h5ad");
    write_h5ad(&q, &small(true), &H5adExtras::new(), false).unwrap();
    let e = read_h5ad(&q, &ReadOptions::new().layer("counts")).unwrap_err();
    assert!(e.to_string().contains("the file's layers: none"), "{e}");
}

#[test]
fn label_columns_of_the_wrong_length_name_the_file() {
    let (_d, p) = tmp("short.h5ad");
    with_layers(&p);
    let e = read_h5ad(&p, &ReadOptions::new().label_key("short")).unwrap_err();
    assert!(matches!(e, DataError::LabelMismatch { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("short.h5ad") && text.contains("`obs/short`: 1 labels for 2 cells"),
        "{text}"
    );
}

#[test]
fn old_compound_obsm_fields_are_read() {
    use hdf5_pure::CompoundTypeBuilder;
    let (_d, p) = tmp("old.h5ad");
    let mut f = FileBuilder::new();
    let dt = CompoundTypeBuilder::new()
        .field(
            "X_pca",
            Datatype::Array {
                base_type: Box::new(hdf5_pure::make_f32_type()),
                dimensions: vec![2],
            },
        )
        .f64_field("X_one")
        .build()
        .unwrap();
    let mut raw = Vec::new();
    for (a, b, c) in [(1.0f32, 2.0f32, 5.0f64), (3.0, 4.0, 6.0)] {
        raw.extend_from_slice(&a.to_le_bytes());
        raw.extend_from_slice(&b.to_le_bytes());
        raw.extend_from_slice(&c.to_le_bytes());
    }
    f.create_dataset("obsm").with_compound_data(dt, raw, 2);
    f.write(&p).unwrap();
    assert_eq!(
        read_h5ad_obsm(&p, "X_pca").unwrap(),
        (vec![1.0, 2.0, 3.0, 4.0], 2, 2)
    );
    assert_eq!(read_h5ad_obsm(&p, "X_one").unwrap(), (vec![5.0, 6.0], 2, 1));
    let e = read_h5ad_obsm(&p, "X_umap").unwrap_err().to_string();
    assert!(
        e.contains("old.h5ad") && e.contains("`X_pca`, `X_one`"),
        "{e}"
    );
}
