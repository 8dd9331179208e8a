//! Fuzzing the readers with proptest: arbitrary bytes (and mutations of valid files) given to
//! the CSV/TSV, gzip, 10x and label readers never panic and never hang; they return a data set
//! or an error. Inputs are bounded (a few kB) so every case finishes in milliseconds.

use std::io::Write;

use kratos_data::read::{ReadOptions, read_10x, read_csv, read_labels, read_path};
use proptest::prelude::*;

const VALID_CSV: &str = "cell,g1,g2,g3\n0_A,1,2,3\n1_B,4,5,6\n2_A,0,1,0\n3_B,2,2,9\n";
const FEATURES: &str = "G1\tg1\tGene Expression\nG2\tg2\tGene Expression\n";
const BARCODES: &str = "c1\nc2\nc3\n";
const MATRIX: &str =
    "%%MatrixMarket matrix coordinate integer general\n2 3 3\n1 1 5\n2 2 3\n1 3 1\n";

/// Bytes biased towards the characters that matter to the parsers.
fn csv_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let alphabet =
        prop::sample::select(b",\t\n\r\"0123456789.-+eEaNinf_ \xef\xbb\xbf\xff\x00".to_vec());
    prop::collection::vec(alphabet, 0..400)
}

/// A valid file with a few bytes replaced, inserted or removed.
fn mutated(valid: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((0usize..200, any::<u8>(), 0u8..3), 1..6).prop_map(move |edits| {
        let mut bytes = valid.as_bytes().to_vec();
        for (pos, byte, kind) in edits {
            let p = pos % (bytes.len() + 1);
            match kind {
                0 if p < bytes.len() => bytes[p] = byte,
                1 => bytes.insert(p, byte),
                _ if p < bytes.len() => {
                    bytes.remove(p);
                }
                _ => {}
            }
        }
        bytes
    })
}

fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn csv_reader_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "x.csv", &bytes);
        let _ = read_csv(&path, &ReadOptions::new());
        let _ = read_path(&path, &ReadOptions::new().labels_from_cell_ids(true));
    }

    #[test]
    fn csv_reader_never_panics_on_csv_like_bytes(bytes in csv_like_bytes()) {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "x.csv", &bytes);
        if let Ok(ds) = read_csv(&path, &ReadOptions::new().expect_counts(true)) {
            // Whatever was accepted is a consistent, finite, non-negative matrix.
            prop_assert_eq!(ds.to_dense_values().len(), ds.n_cells() * ds.n_genes());
            prop_assert!(ds.stored_values().iter().all(|v| v.is_finite() && *v >= 0.0));
        }
        let tsv = write(dir.path(), "x.tsv", &bytes);
        let _ = read_path(&tsv, &ReadOptions::new().transpose(true));
    }

    #[test]
    fn mutated_csv_is_read_or_refused(bytes in mutated(VALID_CSV)) {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "x.csv", &bytes);
        let _ = read_path(&path, &ReadOptions::new().labels_from_cell_ids(true));
    }

    #[test]
    fn gzip_reader_never_panics_on_cut_or_corrupt_streams(cut in 0usize..200, flip in any::<(usize, u8)>()) {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(VALID_CSV.repeat(5).as_bytes()).unwrap();
        let mut bytes = gz.finish().unwrap();
        bytes.truncate(cut.min(bytes.len()));
        if !bytes.is_empty() {
            let i = flip.0 % bytes.len();
            bytes[i] ^= flip.1;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "x.csv.gz", &bytes);
        let _ = read_path(&path, &ReadOptions::new());
    }

    #[test]
    fn tenx_reader_never_panics_on_mutated_files(
        matrix in mutated(MATRIX),
        features in mutated(FEATURES),
        barcodes in mutated(BARCODES),
    ) {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "matrix.mtx", &matrix);
        write(dir.path(), "features.tsv", &features);
        write(dir.path(), "barcodes.tsv", &barcodes);
        if let Ok(ds) = read_10x(dir.path(), &ReadOptions::new()) {
            prop_assert_eq!(ds.to_dense_values().len(), ds.n_cells() * ds.n_genes());
        }
    }

    #[test]
    fn label_reader_never_panics(bytes in csv_like_bytes()) {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "labels.tsv", &bytes);
        let cells: Vec<String> = ["0_A", "1_B", "c1", ""].iter().map(|s| s.to_string()).collect();
        let _ = read_labels(&path, &cells);
    }
}
