//! Benchmarks of kratos-rs. Each benchmark is a binary in `src/bin/` that prints one JSON object
//! per measurement on stdout (`{"name": ..., "seconds": ..., ...}`); docs/performance.md records
//! the numbers. Run them with `cargo run --release -p kratos-benches --bin <name>`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A synthetic labelled data set of the given shape: `n_classes` classes of equal size, each with
/// a block of 20 genes raised above a log-normal-ish background. Seeded.
pub fn synthetic_dataset(
    n_cells: usize,
    n_genes: usize,
    n_classes: usize,
    seed: u64,
) -> kratos_data::Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let labels: Vec<String> = (0..n_cells)
        .map(|i| format!("type{}", i % n_classes))
        .collect();
    let mut values = Vec::with_capacity(n_cells * n_genes);
    for i in 0..n_cells {
        let k = i % n_classes;
        for g in 0..n_genes {
            let signal = if g / 20 == k { 2.0 } else { 0.0 };
            let v: f32 = rng.random::<f32>() * 3.0 + signal;
            values.push(if rng.random::<f32>() < 0.5 { 0.0 } else { v });
        }
    }
    kratos_data::Dataset::from_matrix(values, n_cells, n_genes)
        .expect("valid shape")
        .with_labels(kratos_data::Labels::from_names(&labels).expect("labels"))
        .expect("one label per cell")
}

/// Seconds taken by `f`, and its result.
pub fn time<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let start = std::time::Instant::now();
    let out = f();
    (start.elapsed().as_secs_f64(), out)
}
