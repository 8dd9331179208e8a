//! Classification scores as scikit-learn defines them.

/// Balanced accuracy: the mean recall over the classes that occur in `truth`
/// (scikit-learn's `balanced_accuracy_score`).
pub fn balanced_accuracy(truth: &[usize], predicted: &[usize]) -> f64 {
    let classes = classes_of(truth, predicted);
    let mut hits = vec![0usize; classes];
    let mut totals = vec![0usize; classes];
    for (&t, &p) in truth.iter().zip(predicted) {
        totals[t] += 1;
        if t == p {
            hits[t] += 1;
        }
    }
    let recalls: Vec<f64> = hits
        .iter()
        .zip(&totals)
        .filter(|(_, t)| **t > 0)
        .map(|(h, t)| *h as f64 / *t as f64)
        .collect();
    if recalls.is_empty() {
        return f64::NAN;
    }
    recalls.iter().sum::<f64>() / recalls.len() as f64
}

/// Macro-averaged F1 over the classes that occur in `truth` or `predicted`, an undefined
/// precision or recall counting as 0 (scikit-learn's `f1_score(average="macro")`).
pub fn macro_f1(truth: &[usize], predicted: &[usize]) -> f64 {
    let classes = classes_of(truth, predicted);
    let mut tp = vec![0usize; classes];
    let mut in_truth = vec![0usize; classes];
    let mut in_predicted = vec![0usize; classes];
    for (&t, &p) in truth.iter().zip(predicted) {
        in_truth[t] += 1;
        in_predicted[p] += 1;
        if t == p {
            tp[t] += 1;
        }
    }
    let f1: Vec<f64> = (0..classes)
        .filter(|&c| in_truth[c] + in_predicted[c] > 0)
        .map(|c| 2.0 * tp[c] as f64 / (in_truth[c] + in_predicted[c]) as f64)
        .collect();
    if f1.is_empty() {
        return f64::NAN;
    }
    f1.iter().sum::<f64>() / f1.len() as f64
}

fn classes_of(truth: &[usize], predicted: &[usize]) -> usize {
    truth
        .iter()
        .chain(predicted)
        .copied()
        .max()
        .map_or(0, |m| m + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_scikit_learn_on_a_small_case() {
        // sklearn: balanced_accuracy_score([0,0,0,1,1,2], [0,1,0,1,2,2]) = (2/3 + 1/2 + 1)/3
        let (t, p) = ([0, 0, 0, 1, 1, 2], [0, 1, 0, 1, 2, 2]);
        assert!((balanced_accuracy(&t, &p) - (2.0 / 3.0 + 0.5 + 1.0) / 3.0).abs() < 1e-12);
        // f1 per class: 0.8, 0.5, 2/3.
        assert!((macro_f1(&t, &p) - (0.8 + 0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        // A class only predicted counts in F1 (as 0) but not in balanced accuracy.
        assert_eq!(balanced_accuracy(&[0, 0], &[0, 1]), 0.5);
        assert!((macro_f1(&[0, 0], &[0, 1]) - (2.0 / 3.0) / 2.0).abs() < 1e-12);
    }
}
