//! Invariants checked on random inputs: splits, k-folds, scaling, CSV and `.h5ad` round trips.

use std::collections::{BTreeSet, HashSet};

use kratos_data::read::{ReadOptions, read_csv, read_h5ad, read_h5ad_obsm};
use kratos_data::write::{H5adExtras, WriteOptions, write_csv, write_h5ad};
use kratos_data::{Dataset, Labels, MinMaxScaler, stratified_k_fold, stratified_split};
use proptest::prelude::*;

/// Labels with 1-5 classes of 2-40 cells each, shuffled by a permutation seed.
fn labels_strategy(min_per_class: usize) -> impl Strategy<Value = Labels> {
    (
        prop::collection::vec(min_per_class..40usize, 1..6),
        any::<u64>(),
    )
        .prop_map(|(sizes, seed)| {
            let mut names: Vec<String> = sizes
                .iter()
                .enumerate()
                .flat_map(|(k, &n)| std::iter::repeat_n(format!("class{k}"), n))
                .collect();
            // deterministic shuffle so class members are interleaved
            let mut state = seed | 1;
            for i in (1..names.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                names.swap(i, (state % (i as u64 + 1)) as usize);
            }
            Labels::from_names(&names).unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn splits_are_disjoint_complete_and_stratified(
        labels in labels_strategy(2),
        fraction in 0.05f64..0.95,
        seed in any::<u64>(),
    ) {
        let s = stratified_split(&labels, fraction, seed).unwrap();
        let train: HashSet<usize> = s.train.iter().copied().collect();
        let test: HashSet<usize> = s.test.iter().copied().collect();
        prop_assert_eq!(train.len(), s.train.len());
        prop_assert_eq!(test.len(), s.test.len());
        prop_assert!(train.is_disjoint(&test));
        prop_assert_eq!(train.len() + test.len(), labels.len());
        prop_assert!(s.train.windows(2).all(|w| w[0] < w[1]));
        for (k, &n) in labels.class_counts().iter().enumerate() {
            let in_test = s.test.iter().filter(|&&c| labels.assignments()[c] == k).count();
            let exact = fraction * n as f64;
            prop_assert!((in_test as f64 - exact).abs() < 1.0,
                "class {} of {} cells: {} in test, exact {}", k, n, in_test, exact);
            prop_assert!(in_test >= 1 && in_test < n);
        }
    }

    #[test]
    fn k_folds_partition_the_cells(
        labels in labels_strategy(6),
        k in 2usize..6,
        seed in any::<u64>(),
    ) {
        let folds = stratified_k_fold(&labels, k, seed).unwrap();
        prop_assert_eq!(folds.len(), k);
        let mut seen = vec![0usize; labels.len()];
        for f in &folds {
            for &c in &f.test {
                seen[c] += 1;
            }
            let train: BTreeSet<usize> = f.train.iter().copied().collect();
            let test: BTreeSet<usize> = f.test.iter().copied().collect();
            prop_assert!(train.is_disjoint(&test));
            prop_assert_eq!(train.len() + test.len(), labels.len());
        }
        prop_assert!(seen.iter().all(|&n| n == 1), "every cell is tested exactly once");
        for (class, &n) in labels.class_counts().iter().enumerate() {
            let per_fold: Vec<usize> = folds
                .iter()
                .map(|f| f.test.iter().filter(|&&c| labels.assignments()[c] == class).count())
                .collect();
            let (lo, hi) = (per_fold.iter().min().unwrap(), per_fold.iter().max().unwrap());
            prop_assert!(hi - lo <= 1, "class of {} cells spread {:?}", n, per_fold);
        }
    }

    #[test]
    fn scaled_training_values_lie_in_unit_interval(
        (n_cells, n_genes, values) in (2usize..30, 1usize..8).prop_flat_map(|(c, g)| {
            (Just(c), Just(g), prop::collection::vec(-1e30f32..1e30, c * g))
        }),
        seed in any::<u64>(),
    ) {
        let names: Vec<String> = (0..n_cells).map(|i| format!("t{}", i % 2)).collect();
        let ds = Dataset::from_matrix(values, n_cells, n_genes).unwrap()
            .with_labels(Labels::from_names(&names).unwrap()).unwrap();
        let split = stratified_split(ds.labels().unwrap(), 0.4, seed);
        let rows: Vec<usize> = match split {
            Ok(s) => s.train,
            Err(_) => (0..n_cells).collect(), // a class with a single cell: fit on everything
        };
        let train = ds.select_cells(&rows);
        let scaler = MinMaxScaler::fit(&train).unwrap();
        // Fitting on row indices of the whole set is the same as fitting on a copy.
        prop_assert_eq!(&MinMaxScaler::fit_cells(&ds, &rows).unwrap(), &scaler);
        let scaled = scaler.transform(&train).unwrap();
        prop_assert!(scaled.stored_values().iter().all(|v| (0.0..=1.0).contains(v)),
            "{:?}", scaled.stored_values());
    }

    #[test]
    fn csv_write_read_is_lossless(
        (n_cells, n_genes, bits) in (1usize..8, 1usize..8).prop_flat_map(|(c, g)| {
            (Just(c), Just(g), prop::collection::vec(any::<u32>(), c * g))
        }),
        cells in prop::collection::hash_set("[a-zA-Z0-9_ ,;.:|/\"'()+-]{0,10}|[\\PC]{1,6}", 8),
        genes in prop::collection::hash_set("[a-zA-Z0-9_ ,;.:|/\"'()+-]{0,10}|[\\PC]{1,6}", 8),
        gzip in any::<bool>(),
        tsv in any::<bool>(),
    ) {
        // Finite values of every kind: subnormals, -0.0, extremes (NaN/inf bit patterns are
        // mapped to finite ones).
        let values: Vec<f32> = bits.into_iter().map(|b| {
            let v = f32::from_bits(b);
            if v.is_finite() { v } else { f32::from_bits(b & 0x3fff_ffff) }
        }).collect();
        let safe = |s: &String| !s.starts_with('\u{feff}');
        let cells: Vec<String> = cells.into_iter().filter(safe).take(n_cells).collect();
        let genes: Vec<String> = genes.into_iter().filter(safe).take(n_genes).collect();
        prop_assume!(cells.len() == n_cells && genes.len() == n_genes);
        let ds = Dataset::new(values, cells, genes).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let name = match (tsv, gzip) {
            (false, false) => "x.csv",
            (false, true) => "x.csv.gz",
            (true, false) => "x.tsv",
            (true, true) => "x.tsv.gz",
        };
        let path = dir.path().join(name);
        write_csv(&ds, &path, &WriteOptions::new()).unwrap();
        let back = read_csv(&path, &ReadOptions::new()).unwrap();
        prop_assert_eq!(back.cell_ids(), ds.cell_ids());
        prop_assert_eq!(back.gene_names(), ds.gene_names());
        let (b, d) = (back.to_dense_values(), ds.to_dense_values());
        let same_bits = b.iter().zip(&d).all(|(x, y)| x.to_bits() == y.to_bits());
        prop_assert!(same_bits, "{:?} vs {:?}", b, d);
    }

    #[test]
    fn h5ad_write_read_gives_the_same_data_set(
        (n_cells, n_genes, values, classes) in (1usize..10, 1usize..8).prop_flat_map(|(c, g)| {
            let value = prop_oneof![
                3 => Just(0.0f32),
                2 => (0u32..50).prop_map(|v| v as f32),
                1 => any::<u32>().prop_map(|b| {
                    let v = f32::from_bits(b);
                    if v.is_finite() { v } else { f32::from_bits(b & 0x3fff_ffff) }
                }),
            ];
            (Just(c), Just(g), prop::collection::vec(value, c * g), prop::collection::vec(0usize..4, c))
        }),
        cells in prop::collection::hash_set("[a-zA-Z0-9_.-]{1,8}|[\\PC]{1,6}", 10),
        genes in prop::collection::hash_set("[a-zA-Z0-9_.-]{1,8}|[\\PC]{1,6}", 8),
        class_names in prop::collection::hash_set("[A-Za-z0-9+ ]{1,6}|[\\PC]{1,4}", 4),
        sparse in any::<bool>(),
        labelled in any::<bool>(),
        obsm_cols in 1usize..4,
    ) {
        let cells: Vec<String> = cells.into_iter().take(n_cells).collect();
        let genes: Vec<String> = genes.into_iter().take(n_genes).collect();
        let class_names: Vec<String> = class_names.into_iter().collect();
        prop_assume!(cells.len() == n_cells && genes.len() == n_genes && class_names.len() == 4);
        let mut ds = Dataset::new(values, cells, genes).unwrap();
        if labelled {
            let names: Vec<&str> = classes.iter().map(|&k| class_names[k].as_str()).collect();
            ds = ds.with_labels(Labels::from_names(&names).unwrap()).unwrap();
        }
        if sparse {
            ds = ds.into_sparse();
        }
        let embedding: Vec<f32> = (0..n_cells * obsm_cols).map(|v| v as f32 * 0.25).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.h5ad");
        let extras = H5adExtras::new()
            .label_column("cell_type")
            .obsm("X_kratos", embedding.clone(), obsm_cols);
        write_h5ad(&path, &ds, &extras, false).unwrap();
        let opts = if labelled { ReadOptions::new().label_key("cell_type") } else { ReadOptions::new() };
        let back = read_h5ad(&path, &opts).unwrap();
        prop_assert_eq!(back.is_sparse(), sparse);
        let (b, d) = (back.to_dense_values(), ds.to_dense_values());
        let same_bits = b.iter().zip(&d).all(|(x, y)| x.to_bits() == y.to_bits());
        prop_assert!(same_bits, "{:?} vs {:?}", b, d);
        prop_assert_eq!(&back, &ds);
        prop_assert_eq!(read_h5ad_obsm(&path, "X_kratos").unwrap(), (embedding, n_cells, obsm_cols));
    }
}
