//! Every explainer finds planted markers, runs batched and deterministically; IG is complete;
//! one-vs-one CW separates a pair.

use crate::common::{MARKERS, marker_data, trained};
use kratos_explain::{
    CellBatch, CwExplainer, CwParams, Explainer, GradientTimesInput, IgBaseline,
    IntegratedGradients, IntegratedGradientsParams, PanelOptions, Saliency, SmoothGrad,
    SmoothGradParams, ValidPanelOptions, explain_pair, explain_panel,
};
use kratos_model::DefaultBackend;

#[test]
fn every_explainer_ranks_the_planted_marker_first() {
    let data = marker_data();
    let model = trained(&data);
    assert!(model.accuracy(&data).unwrap() > 0.95);
    let explainers: Vec<Box<dyn Explainer<DefaultBackend>>> = vec![
        Box::new(CwExplainer::default()),
        Box::new(SmoothGrad::default()),
        Box::new(IntegratedGradients::default()),
        Box::new(
            IntegratedGradientsParams::new()
                .baseline(IgBaseline::GeneMean)
                .check()
                .unwrap(),
        ),
        Box::new(Saliency),
        Box::new(GradientTimesInput),
    ];
    for e in &explainers {
        let panel =
            explain_panel(e.as_ref(), &model, &data, &ValidPanelOptions::default()).unwrap();
        assert_eq!(panel.method(), e.name());
        for (k, &marker) in MARKERS.iter().enumerate() {
            assert_eq!(
                panel.ranking(k)[0],
                marker,
                "{}: class {k} ranks {:?}",
                e.name(),
                panel.top_genes(k, 3)
            );
            assert!(panel.cells_used()[k] >= 35);
        }
        assert!(panel.degenerate_classes().is_empty(), "{}", e.name());
    }
}

#[test]
fn panels_are_deterministic_and_batch_size_does_not_matter() {
    let data = marker_data();
    let model = trained(&data);
    let opts = ValidPanelOptions::default();
    let small_batches = PanelOptions::new().batch_cells(7).check().unwrap();
    let cw = CwParams::new().max_iter(100).check().unwrap();
    let a = explain_panel(&cw, &model, &data, &opts).unwrap();
    let b = explain_panel(&cw, &model, &data, &opts).unwrap();
    let c = explain_panel(&cw, &model, &data, &small_batches).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.rankings(), c.rankings());
    let s1 = explain_panel(&SmoothGrad::default(), &model, &data, &opts).unwrap();
    let s2 = explain_panel(&SmoothGrad::default(), &model, &data, &opts).unwrap();
    assert_eq!(s1, s2);
}

#[test]
fn integrated_gradients_are_complete() {
    // Completeness: Σ_g IG_g(x) ≈ a_c(x) − a_c(baseline). With a Riemann sum the error shrinks
    // with the number of steps; at 20 steps on this network it is within 5% of the change.
    let data = marker_data();
    let model = trained(&data);
    let scaled = model.scaled_values(&data).unwrap();
    let (n, g) = data.shape();
    let classes: Vec<usize> = data.labels().unwrap().assignments().to_vec();
    let batch = CellBatch::new(&scaled, g, &classes).seed(1);
    let k = model.n_classes();
    let at_x = model.probabilities_of_scaled(&scaled);
    let at_zero = model.probabilities_of_scaled(&vec![0f32; g]);
    // Relative completeness errors of the cells whose probability changes by at least 0.2.
    let errors = |steps: usize| -> Vec<f32> {
        let ig = IntegratedGradientsParams::new()
            .steps(steps)
            .check()
            .unwrap();
        let attributions = ig.attribute(&model, &batch).unwrap();
        (0..n)
            .filter_map(|i| {
                let change = at_x[i * k + classes[i]] - at_zero[classes[i]];
                (change.abs() >= 0.2).then(|| {
                    let total: f32 = attributions[i * g..(i + 1) * g].iter().sum();
                    ((total - change) / change).abs()
                })
            })
            .collect()
    };
    let default_steps = errors(20);
    assert!(
        default_steps.len() > n / 2,
        "only {} cells changed enough",
        default_steps.len()
    );
    let mean = default_steps.iter().sum::<f32>() / default_steps.len() as f32;
    assert!(
        mean < 0.05,
        "mean relative completeness error at 20 steps: {mean}"
    );
    // The Riemann sum converges: with 100 steps every cell is within 5%.
    let worst = errors(100).into_iter().fold(0f32, f32::max);
    assert!(
        worst < 0.05,
        "worst relative completeness error at 100 steps: {worst}"
    );
}

#[test]
fn one_vs_one_cw_finds_the_genes_of_the_pair() {
    let data = marker_data();
    let model = trained(&data);
    let models = std::slice::from_ref(&model);
    let pair = explain_pair(
        &CwExplainer::one_vs_one(),
        models,
        &data,
        "type0",
        "type1",
        &ValidPanelOptions::default(),
    )
    .unwrap();
    assert_eq!(pair.class_names(), ["type0 vs type1"]);
    let top2 = pair.top_indices(0, 2);
    assert!(
        top2.contains(&MARKERS[0]) && top2.contains(&MARKERS[1]),
        "{top2:?}"
    );
    // Asking a one-vs-one explainer for a one-vs-rest panel is an error, not a panic.
    assert!(
        explain_panel(
            &CwExplainer::one_vs_one(),
            &model,
            &data,
            &ValidPanelOptions::default()
        )
        .is_err()
    );
    assert!(
        explain_pair(
            &CwExplainer::one_vs_one(),
            models,
            &data,
            "type0",
            "nope",
            &ValidPanelOptions::default()
        )
        .is_err()
    );
}

#[test]
fn cw_perturbation_moves_cells_out_of_their_class() {
    let data = marker_data();
    let model = trained(&data);
    let scaled = model.scaled_values(&data).unwrap();
    let (n, g) = data.shape();
    let classes: Vec<usize> = data.labels().unwrap().assignments().to_vec();
    let batch = CellBatch::new(&scaled, g, &classes).seed(1);
    let d = CwExplainer::default()
        .perturbations(&model, &batch)
        .unwrap();
    let moved: Vec<f32> = scaled.iter().zip(&d).map(|(x, d)| x + d).collect();
    let k = model.n_classes();
    let p = model.probabilities_of_scaled(&moved);
    // After 500 iterations most cells sit at the decision boundary (own probability no longer
    // the clear maximum).
    let near_boundary = (0..n)
        .filter(|&i| {
            let own = p[i * k + classes[i]];
            let other = (0..k)
                .filter(|&j| j != classes[i])
                .map(|j| p[i * k + j])
                .fold(0f32, f32::max);
            own - other < 0.1
        })
        .count();
    assert!(near_boundary > n * 8 / 10, "{near_boundary} of {n}");
    // And the perturbation concentrates on the cell's marker.
    let mean_abs: Vec<f32> = (0..g)
        .map(|j| (0..n).map(|i| d[i * g + j].abs()).sum::<f32>() / n as f32)
        .collect();
    let top = (0..g)
        .max_by(|&a, &b| mean_abs[a].total_cmp(&mean_abs[b]))
        .unwrap();
    assert!(MARKERS.contains(&top));
}

#[test]
fn smoothgrad_and_ig_equal_one_gradient_per_pass() {
    // SmoothGrad and IG sum first-layer gradients and multiply by W₁ᵀ once, and IG builds its
    // path's first-layer pre-activation from two products; both must equal the textbook
    // formulas with one full input gradient per sample or step.
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    let data = marker_data();
    let model = trained(&data);
    let scaled = model.scaled_values(&data).unwrap();
    let (n, g) = data.shape();
    let k = model.n_classes();
    let classes: Vec<usize> = data.labels().unwrap().assignments().to_vec();
    let mean: Vec<f32> = (0..g)
        .map(|j| (0..n).map(|i| scaled[i * g + j]).sum::<f32>() / n as f32)
        .collect();
    let std: Vec<f32> = (0..g).map(|j| 0.2 + 0.01 * j as f32).collect();
    let batch = CellBatch::new(&scaled, g, &classes)
        .gene_stats(&mean, &std)
        .seed(5);
    let mut one_hot = vec![0f32; n * k];
    for (i, &c) in classes.iter().enumerate() {
        one_hot[i * k + c] = 1.0;
    }
    // The textbook gradient: one full forward and backward pass per input, through the
    // model's public input gradient.
    let gradient =
        |inputs: Vec<f32>| -> Vec<f32> { model.input_gradient(&inputs, n, &one_hot).unwrap() };
    let assert_close = |got: &[f32], want: &[f32], what: &str| {
        let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(scale > 1e-6, "{what}: a trivial attribution");
        for (a, b) in got.iter().zip(want) {
            assert!((a - b).abs() <= 1e-4 * scale, "{what}: {a} vs {b}");
        }
    };

    let steps = 7;
    let mut sum = vec![0f32; n * g];
    for s in 1..=steps {
        let t = s as f32 / steps as f32;
        let point = (0..n * g)
            .map(|i| mean[i % g] + t * (scaled[i] - mean[i % g]))
            .collect();
        sum.iter_mut()
            .zip(gradient(point))
            .for_each(|(acc, v)| *acc += v);
    }
    let want: Vec<f32> = (0..n * g)
        .map(|i| (scaled[i] - mean[i % g]) * sum[i] / steps as f32)
        .collect();
    let ig = IntegratedGradientsParams::new()
        .steps(steps)
        .baseline(IgBaseline::GeneMean)
        .check()
        .unwrap();
    assert_close(&ig.attribute(&model, &batch).unwrap(), &want, "IG");

    let (samples, level) = (3, 0.5);
    let mut sum = vec![0f32; n * g];
    for sample in 0..samples {
        // SmoothGrad's draws: one ChaCha stream per (sample, cell) from the batch seed.
        let mut noisy = Vec::with_capacity(n * g);
        for cell in 0..n {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
            rng.set_stream((sample * n + cell) as u64);
            for j in 0..g {
                let z: f32 = StandardNormal.sample(&mut rng);
                noisy.push(scaled[cell * g + j] + std[j] * level * z);
            }
        }
        sum.iter_mut()
            .zip(gradient(noisy))
            .for_each(|(acc, v)| *acc += v);
    }
    let want: Vec<f32> = sum.iter().map(|v| v / samples as f32).collect();
    let sg = SmoothGradParams::new()
        .samples(samples)
        .noise_level(level)
        .check()
        .unwrap();
    assert_close(&sg.attribute(&model, &batch).unwrap(), &want, "SmoothGrad");
}
