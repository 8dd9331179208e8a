//! Invariants: metrics are bounded, symmetric and blind to label names and cell order.

use kratos_metrics::{
    adjusted_mutual_information, adjusted_rand_index, auroc, normalized_mutual_information,
    silhouette_score,
};
use proptest::prelude::*;

/// Labels 0..k renamed by a permutation of 0..k given as sort keys.
fn renamed(labels: &[usize], keys: &[u32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| (keys[i], i));
    labels
        .iter()
        .map(|&l| order[l % keys.len()] + 100)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn auroc_is_bounded_flips_and_ignores_cell_order(
        cells in prop::collection::vec((0u8..10, any::<bool>()), 2..80),
        rotate in 0usize..80,
    ) {
        let (scores, labels): (Vec<f64>, Vec<bool>) =
            cells.iter().map(|&(s, l)| (f64::from(s) / 2.0, l)).unzip();
        prop_assume!(labels.iter().any(|&l| l) && labels.iter().any(|&l| !l));
        let a = auroc(&scores, &labels).unwrap();
        prop_assert!((0.0..=1.0).contains(&a));
        let flipped: Vec<bool> = labels.iter().map(|l| !l).collect();
        prop_assert!((a + auroc(&scores, &flipped).unwrap() - 1.0).abs() < 1e-12);
        let (mut s2, mut l2) = (scores.clone(), labels.clone());
        s2.rotate_left(rotate % scores.len());
        l2.rotate_left(rotate % labels.len());
        prop_assert!((auroc(&s2, &l2).unwrap() - a).abs() < 1e-12);
    }

    #[test]
    fn partition_agreement_is_symmetric_bounded_and_name_blind(
        a in prop::collection::vec(0usize..5, 2..80),
        b_seed in prop::collection::vec(0usize..6, 80),
        keys in prop::collection::vec(any::<u32>(), 6),
    ) {
        let b: Vec<usize> = a.iter().zip(&b_seed).map(|(&x, &s)| if s < 3 { x } else { s }).collect();
        let ari = adjusted_rand_index(&a, &b).unwrap();
        let ami = adjusted_mutual_information(&a, &b).unwrap();
        let nmi = normalized_mutual_information(&a, &b).unwrap();
        prop_assert!(ari <= 1.0 + 1e-12 && ami <= 1.0 + 1e-12);
        prop_assert!((-1e-12..=1.0 + 1e-12).contains(&nmi));
        prop_assert!((ari - adjusted_rand_index(&b, &a).unwrap()).abs() < 1e-12);
        prop_assert!((ami - adjusted_mutual_information(&b, &a).unwrap()).abs() < 1e-9);
        prop_assert!((nmi - normalized_mutual_information(&b, &a).unwrap()).abs() < 1e-12);
        let (ra, rb) = (renamed(&a, &keys), renamed(&b, &keys[..6]));
        prop_assert!((adjusted_rand_index(&ra, &rb).unwrap() - ari).abs() < 1e-12);
        prop_assert!((adjusted_mutual_information(&ra, &rb).unwrap() - ami).abs() < 1e-9);
        prop_assert!((normalized_mutual_information(&ra, &rb).unwrap() - nmi).abs() < 1e-12);
        // A partition agrees perfectly with itself.
        prop_assert!((adjusted_rand_index(&a, &ra).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn silhouette_is_bounded_and_name_blind(
        points in prop::collection::vec(-5.0f32..5.0, 16..120),
        clusters in 2usize..5,
        keys in prop::collection::vec(any::<u32>(), 5),
    ) {
        let n = points.len() / 2;
        let labels: Vec<usize> = (0..n).map(|i| (i * 7 / 3) % clusters).collect();
        let mut distinct = labels.clone();
        distinct.sort_unstable();
        distinct.dedup();
        prop_assume!(distinct.len() >= 2 && distinct.len() < n);
        let s = silhouette_score(&points[..n * 2], n, 2, &labels).unwrap();
        prop_assert!((-1.0..=1.0).contains(&s));
        let r = silhouette_score(&points[..n * 2], n, 2, &renamed(&labels, &keys[..clusters])).unwrap();
        prop_assert!((s - r).abs() < 1e-12);
    }
}
