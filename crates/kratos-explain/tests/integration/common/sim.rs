//! Evaluation copies of the published simulation CSVs: columns shuffled (seeded) and renamed to
//! neutral names, so a method whose scores tie cannot look good by falling back to column or
//! name order (the published files list causal genes first and name them `causal*`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kratos_data::read::{ReadOptions, read_path};
use kratos_data::{Dataset, GeneRole};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// The shared data folder; the tests that need it are `#[ignore = "needs KRATOS_DATA"]`, so
/// reaching this without it set is a mistake to report, not a pass.
pub fn data_root() -> PathBuf {
    match std::env::var_os("KRATOS_DATA") {
        Some(root) if !root.is_empty() => PathBuf::from(root),
        _ => panic!(
            "KRATOS_DATA must name the shared data folder (these tests are #[ignore]d without it)"
        ),
    }
}

/// A simulated data set ready for evaluation, with the true role of each of its columns.
pub struct EvaluationCopy {
    /// Shuffled columns named `g000`, `g001`, ...; labels from the cell ids.
    pub data: Dataset,
    /// The role of every column of `data`.
    pub roles: Vec<GeneRole>,
}

/// Reads a published simulation CSV (`causal*`, `dep*`, `useless*` columns, `<index>_<type>`
/// cell ids), shuffles its columns with `shuffle_seed` and gives them neutral names.
pub fn evaluation_copy(path: &Path, shuffle_seed: u64) -> EvaluationCopy {
    let data = read_path(path, &ReadOptions::new().labels_from_cell_ids(true))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let roles: Vec<GeneRole> = data
        .gene_names()
        .iter()
        .map(|name| {
            GeneRole::from_published_name(name)
                .unwrap_or_else(|| panic!("column `{name}` has no published role"))
        })
        .collect();
    shuffled_copy(&data, &roles, shuffle_seed)
}

/// Shuffles the columns of `data` (with their `roles`) and names them `g000`, `g001`, ...
pub fn shuffled_copy(data: &Dataset, roles: &[GeneRole], shuffle_seed: u64) -> EvaluationCopy {
    let g = data.n_genes();
    let mut order: Vec<usize> = (0..g).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(shuffle_seed));
    let width = g.to_string().len().max(3);
    let names = (0..g).map(|j| format!("g{j:0width$}")).collect();
    let data = data
        .select_genes(&order)
        .with_gene_names(names)
        .expect("neutral names are unique");
    EvaluationCopy {
        data,
        roles: order.iter().map(|&j| roles[j]).collect(),
    }
}

/// (causal, dependent, noise) among the first `k` genes of each ranking.
pub fn role_counts(rankings: &[Vec<usize>], roles: &[GeneRole], k: usize) -> Vec<[usize; 3]> {
    rankings
        .iter()
        .map(|r| {
            let mut c = [0usize; 3];
            for &g in r.iter().take(k) {
                c[match roles[g] {
                    GeneRole::Causal => 0,
                    GeneRole::Dependent => 1,
                    GeneRole::Noise => 2,
                }] += 1;
            }
            c
        })
        .collect()
}
