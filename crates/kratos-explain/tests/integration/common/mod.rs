//! Shared fixtures of the explainer tests.
#![allow(dead_code)]

use kratos_data::{Dataset, Labels};
use kratos_model::{DefaultBackend, TrainedModel, TrainingConfig, fit};

/// Four classes x 40 cells, 24 genes with neutral names in shuffled roles: the marker of class
/// k is column `MARKERS[k]` (raised by 3 in class k); every other column is uniform noise.
pub const MARKERS: [usize; 4] = [17, 3, 11, 22];

pub fn marker_data() -> Dataset {
    let (n, g) = (160, 24);
    let mut state = 99u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as f32 / (1u64 << 31) as f32
    };
    let mut values = Vec::with_capacity(n * g);
    let mut labels = Vec::new();
    for i in 0..n {
        let k = i % 4;
        labels.push(format!("type{k}"));
        for j in 0..g {
            let signal = if j == MARKERS[k] { 3.0 } else { 0.0 };
            values.push(signal + 2.0 * next());
        }
    }
    Dataset::from_matrix(values, n, g)
        .unwrap()
        .with_labels(Labels::from_names(&labels).unwrap())
        .unwrap()
}

pub fn trained(data: &Dataset) -> TrainedModel<DefaultBackend> {
    let config = TrainingConfig::new()
        .with_epochs(60)
        .with_hidden_sizes(vec![64, 16])
        .with_batch_size(32)
        .check()
        .unwrap();
    fit::<DefaultBackend>(data, &config, &Default::default()).unwrap()
}

pub mod sim;
