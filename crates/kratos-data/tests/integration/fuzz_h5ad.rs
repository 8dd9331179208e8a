//! Fuzzing the `.h5ad` reader with proptest, as `fuzz_readers.rs` does for text and 10x:
//! arbitrary bytes, bytes and bit flips of valid written files, and well-formed HDF5 files
//! whose anndata content lies (`shape` attributes, `indptr`/`indices`, compound records, label
//! columns) never panic and never allocate out of proportion to the file: every case runs
//! under an allocator that records the largest single allocation of the test's thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

use hdf5_pure::{
    AttrValue, CharacterSet, CompoundTypeBuilder, Datatype, FileBuilder, StringPadding,
};
use kratos_data::read::{ReadOptions, read_h5ad, read_h5ad_obsm, read_path};
use kratos_data::write::{H5adExtras, RankGenesGroups, write_h5ad};
use kratos_data::{Dataset, Labels};
use proptest::prelude::*;

/// The system allocator, noting the largest allocation on threads that watch (see
/// [`largest_allocation`]); other threads and tests are unaffected.
struct Watching;

thread_local! {
    static LARGEST: Cell<Option<usize>> = const { Cell::new(None) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|largest| {
        if let Some(m) = largest.get()
            && size > m
        {
            largest.set(Some(size));
        }
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; `note` only reads and
// writes a thread-local `Cell` (const-initialised, so it never allocates).
unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: as for `alloc`; `ptr` and `layout` come from this allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` and `layout` come from this allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Watching = Watching;

/// Runs `f` and returns the largest single allocation it made on this thread.
fn largest_allocation(f: impl FnOnce()) -> usize {
    LARGEST.with(|l| l.set(Some(0)));
    f();
    LARGEST.with(|l| l.replace(None)).unwrap_or(0)
}

/// What a file of `len` bytes may make the reader allocate at once: deflate expands at most
/// about 1032-fold, plus room for hdf5-pure's fixed-size caches.
fn allowed(len: usize) -> usize {
    len * 1100 + (8 << 20)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Every read this crate offers on an `.h5ad`, results ignored: only panics and allocations
/// matter here.
fn read_every_way(path: &Path) -> usize {
    largest_allocation(|| {
        let _ = read_h5ad(path, &ReadOptions::new());
        let _ = read_h5ad(
            path,
            &ReadOptions::new().label_key("label").expect_counts(true),
        );
        let _ = read_h5ad(path, &ReadOptions::new().use_raw(true).genes(["g1"]));
        let _ = read_h5ad(path, &ReadOptions::new().layer("counts"));
        let _ = read_h5ad_obsm(path, "X_kratos");
        let _ = read_path(path, &ReadOptions::new());
    })
}

/// A small valid file written by `write_h5ad`, with labels, an embedding and a ranking.
fn valid_file(sparse: bool) -> Vec<u8> {
    let ds = Dataset::new(
        vec![1.0, 0.0, 2.0, 0.0, 3.0, 0.0],
        vec!["c1".into(), "c2".into(), "c3".into()],
        vec!["g1".into(), "g2".into()],
    )
    .unwrap()
    .with_labels(Labels::from_names(&["a", "b", "a"]).unwrap())
    .unwrap();
    let ds = if sparse { ds.into_sparse() } else { ds };
    let ranking = RankGenesGroups::new(
        "label",
        "logreg",
        vec!["a".into(), "b".into()],
        vec![vec!["g1".into()], vec!["g2".into()]],
        vec![vec![1.0], vec![2.0]],
    );
    let extras = H5adExtras::new()
        .obsm("X_kratos", vec![0.5; 6], 2)
        .rank_genes_groups("kratos", ranking);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("valid.h5ad");
    write_h5ad(&path, &ds, &extras, false).unwrap();
    std::fs::read(&path).unwrap()
}

fn text(v: &str) -> AttrValue {
    AttrValue::VarLenString(v.to_string())
}

/// The arrays and attributes of a sparse matrix as stored, true or not.
struct SparseParts<'a> {
    csc: bool,
    shape: &'a [i64],
    indptr: &'a [i64],
    indices: &'a [i64],
    data: &'a [f32],
}

/// A well-formed HDF5 file whose `X` is a sparse group of `parts` (and whose `layers/counts`
/// holds them again, with the roles of `indptr` and `indices` swapped), and `obs`/`var` of
/// the given sizes with a categorical `obs/label` of `labels`.
fn lying_sparse(path: &Path, parts: &SparseParts, n_obs: usize, n_var: usize, labels: &[i8]) {
    let SparseParts {
        csc,
        shape,
        indptr,
        indices,
        data,
    } = *parts;
    let mut f = FileBuilder::new();
    let mut x = f.create_group("X");
    x.set_attr(
        "encoding-type",
        text(if csc { "csc_matrix" } else { "csr_matrix" }),
    );
    x.set_attr("shape", AttrValue::I64Array(shape.to_vec()));
    x.create_dataset("data").with_f32_data(data);
    x.create_dataset("indices").with_i64_data(indices);
    x.create_dataset("indptr").with_i64_data(indptr);
    f.add_group(x.finish());
    let mut obs = f.create_group("obs");
    obs.set_attr("_index", text("_index"));
    let cells: Vec<String> = (0..n_obs).map(|i| format!("c{i}")).collect();
    let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
    obs.create_dataset("_index").with_vlen_strings(&cells);
    let mut label = obs.create_group("label");
    label.set_attr("encoding-type", text("categorical"));
    label
        .create_dataset("categories")
        .with_vlen_strings(&["a", "b"]);
    label.create_dataset("codes").with_i8_data(labels);
    obs.add_group(label.finish());
    f.add_group(obs.finish());
    let mut var = f.create_group("var");
    var.set_attr("_index", text("_index"));
    let genes: Vec<String> = (0..n_var).map(|i| format!("g{i}")).collect();
    let genes: Vec<&str> = genes.iter().map(String::as_str).collect();
    var.create_dataset("_index").with_vlen_strings(&genes);
    f.add_group(var.finish());
    let mut layers = f.create_group("layers");
    let mut counts = layers.create_group("counts");
    counts.set_attr("encoding-type", text("csr_matrix"));
    counts.set_attr(
        "shape",
        AttrValue::I64Array(shape.iter().rev().copied().collect()),
    );
    counts.create_dataset("data").with_f32_data(data);
    counts.create_dataset("indices").with_i64_data(indptr);
    counts.create_dataset("indptr").with_i64_data(indices);
    layers.add_group(counts.finish());
    f.add_group(layers.finish());
    f.write(path).unwrap();
}

/// Sizes that matter: small ones, the edges of the integer types, and huge ones.
fn lying_size() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => -2i64..8,
        1 => prop::sample::select(vec![
            i64::MIN, -1, i64::from(i32::MAX), i64::from(u32::MAX), 1 << 40, 1 << 62, i64::MAX,
        ]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn h5ad_reader_never_panics_on_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..2000),
        magic in any::<bool>(),
    ) {
        let mut bytes = bytes;
        if magic {
            // past the signature, so the HDF5 parser itself is exercised
            let mut file = b"\x89HDF\r\n\x1a\n".to_vec();
            file.append(&mut bytes);
            bytes = file;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "x.h5ad", &bytes);
        let largest = read_every_way(&path);
        prop_assert!(largest <= allowed(bytes.len()), "allocated {} bytes for a {}-byte file", largest, bytes.len());
    }

    #[test]
    fn h5ad_reader_never_panics_on_damaged_files(
        sparse in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..8),
    ) {
        let mut bytes = valid_file(sparse);
        for (pos, byte, kind) in edits {
            let p = pos.index(bytes.len());
            match kind {
                0 => bytes[p] ^= 1 << (byte % 8), // one bit flipped
                1 => bytes[p] = byte,
                2 => bytes.truncate(p.max(8)),
                _ => bytes[p] = if byte % 2 == 0 { 0xff } else { 0 },
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "x.h5ad", &bytes);
        let largest = read_every_way(&path);
        prop_assert!(largest <= allowed(bytes.len()), "allocated {} bytes for a {}-byte file", largest, bytes.len());
    }

    #[test]
    fn copying_a_damaged_file_never_panics(
        sparse in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = valid_file(sparse);
        for (pos, byte) in edits {
            let p = pos.index(bytes.len());
            bytes[p] ^= byte | 1;
        }
        let dir = tempfile::tempdir().unwrap();
        let input = write(dir.path(), "in.h5ad", &bytes);
        let out = dir.path().join("out.h5ad");
        let ds = Dataset::from_matrix(vec![0.0; 6], 3, 2).unwrap();
        let ds = Dataset::new(vec![0.0; 6], vec!["c1".into(), "c2".into(), "c3".into()], ds.gene_names().to_vec()).unwrap();
        let extras = H5adExtras::new().copy_from(&input).obsm("X_kratos", vec![1.0; 3], 1);
        let largest = largest_allocation(|| {
            if write_h5ad(&out, &ds, &extras, false).is_ok() {
                // what was written reads back
                let _ = read_h5ad(&out, &ReadOptions::new());
            }
        });
        prop_assert!(largest <= allowed(bytes.len()), "allocated {} bytes for a {}-byte file", largest, bytes.len());
    }

    #[test]
    fn lying_shapes_and_sparse_arrays_are_refused(
        (n_rows, n_cols, dense) in (0usize..5, 0usize..5).prop_flat_map(|(r, c)| {
            let values = prop_oneof![3 => Just(0.0f32), 1 => Just(1.0), 1 => Just(-2.0), 1 => Just(f32::NAN)];
            (Just(r), Just(c), prop::collection::vec(values, r * c))
        }),
        csc in any::<bool>(),
        lies in prop::collection::vec((0u8..6, any::<prop::sample::Index>(), lying_size()), 0..3),
        n_obs_delta in -1i64..2,
        n_labels in 0usize..6,
    ) {
        // A valid CSR (or CSC) matrix of the dense values, then a few lies about it.
        let (major, minor) = if csc { (n_cols, n_rows) } else { (n_rows, n_cols) };
        let (mut indptr, mut indices, mut data) = (vec![0i64], Vec::new(), Vec::new());
        for i in 0..major {
            for j in 0..minor {
                let v = if csc { dense[j * n_cols + i] } else { dense[i * n_cols + j] };
                if v != 0.0 {
                    indices.push(j as i64);
                    data.push(v);
                }
            }
            indptr.push(data.len() as i64);
        }
        let mut shape = vec![n_rows as i64, n_cols as i64];
        for (what, at, value) in lies {
            let target = match what {
                0 | 1 => &mut shape,
                2 | 3 => &mut indptr,
                _ => &mut indices,
            };
            match (what % 2, target.is_empty()) {
                (0, false) => {
                    let i = at.index(target.len());
                    target[i] = value;
                }
                (_, _) => target.push(value),
            }
        }
        let n_obs = (n_rows as i64 + n_obs_delta).max(0) as usize;
        let labels: Vec<i8> = (0..n_labels).map(|i| (i % 2) as i8).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.h5ad");
        let parts = SparseParts { csc, shape: &shape, indptr: &indptr, indices: &indices, data: &data };
        lying_sparse(&path, &parts, n_obs, n_cols, &labels);
        let len = std::fs::metadata(&path).unwrap().len() as usize;
        let mut result = None;
        let largest = largest_allocation(|| {
            result = Some(read_h5ad(&path, &ReadOptions::new().label_key("label")));
            let _ = read_h5ad(&path, &ReadOptions::new().layer("counts"));
        });
        prop_assert!(largest <= allowed(len), "allocated {} bytes for a {}-byte file", largest, len);
        if let Some(Ok(ds)) = result {
            // whatever is accepted is consistent with the file
            prop_assert_eq!(ds.shape(), (n_obs, n_cols));
            prop_assert_eq!(ds.labels().map(|l| l.len()), Some(n_obs));
            prop_assert!(ds.stored_values().iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn compound_records_that_do_not_fit_are_refused(
        size in 1u32..24,
        index_offset in 0u64..32,
        index_width in 1u32..12,
        code_offset in 0u64..32,
        code_width in prop::sample::select(vec![1u32, 2, 3, 4, 8, 16]),
        obsm_offset in 0u64..32,
        obsm_len in 1u32..6,
        n in 0usize..4,
    ) {
        let string = Datatype::String { size: index_width, padding: StringPadding::NullPad, charset: CharacterSet::Ascii };
        let integer = Datatype::FixedPoint {
            size: code_width,
            byte_order: hdf5_pure::DatatypeByteOrder::LittleEndian,
            layout: hdf5_pure::FixedPointLayout { signed: true, bit_offset: 0, bit_precision: (code_width * 8) as u16 },
        };
        let array = Datatype::Array { base_type: Box::new(hdf5_pure::make_f32_type()), dimensions: vec![obsm_len] };
        // Built valid, then moved about: CompoundTypeBuilder refuses fields that do not fit,
        // a damaged file can hold anything.
        let misplaced = |fields: Vec<(&str, Datatype, u64)>| {
            let mut builder = CompoundTypeBuilder::new();
            for (name, dt, _) in &fields {
                builder = builder.field(name, dt.clone());
            }
            match builder.build().unwrap() {
                Datatype::Compound { mut members, .. } => {
                    for (m, (_, _, offset)) in members.iter_mut().zip(&fields) {
                        m.byte_offset = *offset;
                    }
                    Datatype::Compound { size, members }
                }
                other => other,
            }
        };
        let obs_type = misplaced(vec![("index", string, index_offset), ("label", integer, code_offset)]);
        let obsm_type = misplaced(vec![("X_kratos", array, obsm_offset)]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.h5ad");
        let mut f = FileBuilder::new();
        f.create_dataset("X").with_f32_data(&vec![1.0; n]).with_shape(&[n as u64, 1]);
        let raw: Vec<u8> = (0..size as usize * n).map(|i| (i % 7) as u8 + b'0').collect();
        f.create_dataset("obs").with_compound_data(obs_type, raw.clone(), n as u64);
        f.create_dataset("var").with_compound_data(
            CompoundTypeBuilder::new().field("index", Datatype::String { size: 2, padding: StringPadding::NullPad, charset: CharacterSet::Ascii }).build().unwrap(),
            b"g1".to_vec(),
            1,
        );
        f.create_dataset("obsm").with_compound_data(obsm_type, raw, n as u64);
        if f.write(&path).is_err() {
            return Ok(());
        }
        let len = std::fs::metadata(&path).unwrap().len() as usize;
        let largest = read_every_way(&path);
        prop_assert!(largest <= allowed(len), "allocated {} bytes for a {}-byte file", largest, len);
    }
}

#[test]
fn valid_files_are_read_within_the_bound() {
    for sparse in [false, true] {
        let bytes = valid_file(sparse);
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "x.h5ad", &bytes);
        let mut ok = false;
        let largest = largest_allocation(|| {
            ok = read_h5ad(&path, &ReadOptions::new().label_key("label")).is_ok()
                && read_h5ad_obsm(&path, "X_kratos").is_ok();
        });
        assert!(ok);
        assert!(largest <= allowed(bytes.len()), "{largest}");
    }
}

#[test]
fn a_huge_shape_allocates_nothing_from_it() {
    // A CSC matrix is transposed into one offset per row: the row count comes from `shape`
    // alone, so it must be checked before anything is built from it.
    for (csc, shape) in [
        (true, [1i64 << 40, 1]),
        (true, [i64::from(u32::MAX), 1]),
        (false, [1, 1i64 << 40]),
        (false, [1, i64::MAX]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.h5ad");
        let parts = SparseParts {
            csc,
            shape: &shape,
            indptr: &[0, 1],
            indices: &[0],
            data: &[1.0],
        };
        lying_sparse(&path, &parts, 1, 1, &[0]);
        let mut result = None;
        let largest = largest_allocation(|| {
            result = Some(read_h5ad(&path, &ReadOptions::new()));
        });
        let e = result.unwrap().unwrap_err().to_string();
        assert!(
            e.contains("huge.h5ad") && e.contains("`X`") && e.contains("shape"),
            "{e}"
        );
        assert!(largest < 8 << 20, "{largest}");
    }
}
