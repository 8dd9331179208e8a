//! Invariants: metrics are bounded, symmetric and blind to label names.

use kratos_metrics::{adjusted_mutual_information, adjusted_rand_index, auroc, silhouette_score};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn auroc_is_bounded_and_flips(scores in prop::collection::vec(0u8..10, 4..60), seed in 0u64..1000) {
        let labels: Vec<bool> = (0..scores.len()).map(|i| (i as u64 * 7 + seed).is_multiple_of(3)).collect();
        prop_assume!(labels.iter().any(|&l| l) && labels.iter().any(|&l| !l));
        let s: Vec<f64> = scores.iter().map(|&v| v as f64).collect();
        let a = auroc(&s, &labels).unwrap();
        prop_assert!((0.0..=1.0).contains(&a));
        let flipped: Vec<bool> = labels.iter().map(|l| !l).collect();
        prop_assert!((a + auroc(&s, &flipped).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn ari_and_ami_are_symmetric_bounded_and_name_blind(
        a in prop::collection::vec(0usize..4, 3..50),
        shift in 1usize..5,
    ) {
        let b: Vec<usize> = a.iter().enumerate().map(|(i, &x)| if i % 3 == 0 { (x + shift) % 5 } else { x }).collect();
        let ari = adjusted_rand_index(&a, &b).unwrap();
        let ami = adjusted_mutual_information(&a, &b).unwrap();
        prop_assert!(ari <= 1.0 + 1e-12 && ami <= 1.0 + 1e-12);
        prop_assert!((ari - adjusted_rand_index(&b, &a).unwrap()).abs() < 1e-12);
        prop_assert!((ami - adjusted_mutual_information(&b, &a).unwrap()).abs() < 1e-9);
        let renamed: Vec<usize> = a.iter().map(|&x| 10 + (3 - x)).collect();
        prop_assert!((adjusted_rand_index(&renamed, &b).unwrap() - ari).abs() < 1e-12);
        prop_assert!((adjusted_mutual_information(&renamed, &b).unwrap() - ami).abs() < 1e-9);
    }

    #[test]
    fn silhouette_is_bounded(points in prop::collection::vec(-5.0f32..5.0, 24..60)) {
        let n = points.len() / 2;
        let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
        let s = silhouette_score(&points[..n * 2], n, 2, &labels).unwrap();
        prop_assert!((-1.0..=1.0).contains(&s));
    }
}
