//! Cross-checks against scikit-learn. The expected values in fixtures/sklearn.json were
//! computed once by fixtures/make_fixtures.py (scikit-learn 1.9.1, numpy 2.4.6, scipy 1.17.1)
//! and committed; the script documents every input.

use kratos_data::read::{ReadOptions, read_path};
use kratos_metrics::{
    PanelEvaluationParams, TopKGrid, adjusted_mutual_information, adjusted_rand_index, auroc,
    evaluate_panel, normalized_mutual_information, silhouette_score,
};
use serde_json::Value;

fn fixtures() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sklearn.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn partition_agreement_matches_scikit_learn() {
    for case in fixtures()["partitions"].as_array().unwrap() {
        let (a, b) = (usizes(&case["a"]), usizes(&case["b"]));
        let ari = adjusted_rand_index(&a, &b).unwrap();
        let ami = adjusted_mutual_information(&a, &b).unwrap();
        let nmi = normalized_mutual_information(&a, &b).unwrap();
        assert!(
            (ari - case["ari"].as_f64().unwrap()).abs() < 1e-6,
            "ARI {ari} vs {}",
            case["ari"]
        );
        assert!(
            (ami - case["ami"].as_f64().unwrap()).abs() < 1e-6,
            "AMI {ami} vs {}",
            case["ami"]
        );
        assert!(
            (nmi - case["nmi"].as_f64().unwrap()).abs() < 1e-6,
            "NMI {nmi} vs {}",
            case["nmi"]
        );
    }
}

#[test]
fn silhouette_matches_scikit_learn() {
    for case in fixtures()["silhouette"].as_array().unwrap() {
        let rows: Vec<Vec<f32>> = case["x"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap() as f32)
                    .collect()
            })
            .collect();
        let (n, d) = (rows.len(), rows[0].len());
        let flat: Vec<f32> = rows.concat();
        let s = silhouette_score(&flat, n, d, &usizes(&case["labels"])).unwrap();
        let expected = case["silhouette"].as_f64().unwrap();
        // Inputs are f32 here (rounded to 6 decimals in the fixture): agreement to 1e-6.
        assert!((s - expected).abs() < 1e-6, "silhouette {s} vs {expected}");
    }
}

#[test]
fn auroc_matches_scikit_learn_with_ties() {
    for case in fixtures()["auroc"].as_array().unwrap() {
        let scores: Vec<f64> = case["scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let labels: Vec<bool> = case["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_bool().unwrap())
            .collect();
        let a = auroc(&scores, &labels).unwrap();
        assert!((a - case["auroc"].as_f64().unwrap()).abs() < 1e-12);
    }
}

#[test]
fn svm_protocol_is_within_002_of_scikit_learn() {
    let fx = fixtures();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let data = read_path(
        format!("{dir}/svm_data.csv"),
        &ReadOptions::new().label_file(format!("{dir}/svm_labels.tsv")),
    )
    .unwrap();
    let g = data.n_genes();
    let rankings: Vec<Vec<usize>> = (0..3)
        .map(|c| {
            let mut r = vec![3 * c, 3 * c + 1, 3 * c + 2];
            r.extend((0..g).filter(|&j| j / 3 != c || j >= 9));
            r
        })
        .collect();
    let ks = usizes(&fx["svm"]["ks"]);
    let params = PanelEvaluationParams::new()
        .grid(TopKGrid::Genes(ks.clone()))
        .n_iter(10);
    let result = evaluate_panel(&data, &rankings, &params).unwrap();
    let expected: Vec<f64> = fx["svm"]["mean_auroc"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let ours_mean = result.mean_auroc.iter().sum::<f64>() / ks.len() as f64;
    let theirs_mean = expected.iter().sum::<f64>() / ks.len() as f64;
    println!(
        "per k: ours {:?} scikit-learn {:?}",
        result.mean_auroc, expected
    );
    assert!(
        (ours_mean - theirs_mean).abs() < 0.02,
        "mean AUROC {ours_mean} vs {theirs_mean}"
    );
    for (o, t) in result.mean_auroc.iter().zip(&expected) {
        assert!((o - t).abs() < 0.05, "per-k AUROC {o} vs {t}");
    }
    // Deterministic: the same seed gives the same numbers.
    assert_eq!(evaluate_panel(&data, &rankings, &params).unwrap(), result);
}
