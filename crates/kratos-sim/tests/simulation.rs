//! The simulator's promises: shapes and roles exact, seeded, dependent genes follow their
//! sources, noise genes carry no type signal, written files read back, a classifier learns it.

use kratos_data::GeneRole;
use kratos_data::read::{ReadOptions, read_path};
use kratos_sim::{
    SimError, SimulationParams, evaluation_copy, roles_from_published_names, simulate, write_10x,
    write_csv_files, write_large,
};

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    if va == 0.0 || vb == 0.0 {
        0.0
    } else {
        cov / (va * vb).sqrt()
    }
}

/// One-way ANOVA F statistic of `values` grouped by `groups`.
fn anova_f(values: &[f64], groups: &[usize], k: usize) -> f64 {
    let n = values.len() as f64;
    let grand = values.iter().sum::<f64>() / n;
    let mut sums = vec![0f64; k];
    let mut counts = vec![0f64; k];
    for (&v, &g) in values.iter().zip(groups) {
        sums[g] += v;
        counts[g] += 1.0;
    }
    let means: Vec<f64> = sums.iter().zip(&counts).map(|(s, c)| s / c).collect();
    let between: f64 = means
        .iter()
        .zip(&counts)
        .map(|(m, c)| c * (m - grand).powi(2))
        .sum();
    let within: f64 = values
        .iter()
        .zip(groups)
        .map(|(v, &g)| (v - means[g]).powi(2))
        .sum();
    (between / (k as f64 - 1.0)) / (within / (n - k as f64))
}

#[test]
fn presets_have_exact_shapes_roles_and_proportions() {
    for (params, dependent) in [
        (SimulationParams::clean(), 20),
        (SimulationParams::hard(), 100),
    ] {
        let sim = simulate(&params).unwrap();
        assert_eq!(sim.dataset.shape(), (500, 140 + dependent - 20));
        assert_eq!(sim.dataset.labels().unwrap().class_counts(), vec![100; 5]);
        let count = |r| sim.roles.iter().filter(|&&x| x == r).count();
        assert_eq!(count(GeneRole::Causal), 20);
        assert_eq!(count(GeneRole::Dependent), dependent);
        assert_eq!(count(GeneRole::Noise), 100);
        // Roles are shuffled: the causal genes are not the first columns.
        assert!(sim.roles[..20].iter().any(|&r| r != GeneRole::Causal));
        assert!(
            sim.dataset
                .values()
                .iter()
                .all(|v| *v >= 0.0 && v.fract() == 0.0)
        );
    }
    let large = SimulationParams::large();
    assert_eq!(
        (large.n_cells(), large.n_genes(), large.n_types),
        (100_000, 2_000, 20)
    );
}

#[test]
fn seeded_and_deterministic() {
    let a = simulate(&SimulationParams::clean().seed(3)).unwrap();
    let b = simulate(&SimulationParams::clean().seed(3)).unwrap();
    let c = simulate(&SimulationParams::clean().seed(4)).unwrap();
    assert_eq!(a.dataset, b.dataset);
    assert_eq!(a.roles, b.roles);
    assert_ne!(a.dataset.values(), c.dataset.values());
}

#[test]
fn dependent_genes_correlate_with_causal_genes_and_noise_genes_do_not_depend_on_type() {
    let sim = simulate(&SimulationParams::clean().seed(11)).unwrap();
    let ds = &sim.dataset;
    let log: Vec<Vec<f64>> = (0..ds.n_genes())
        .map(|j| ds.column(j).iter().map(|&v| (v as f64).ln_1p()).collect())
        .collect();
    let of =
        |r: GeneRole| -> Vec<usize> { (0..ds.n_genes()).filter(|&j| sim.roles[j] == r).collect() };
    // Each dependent gene's strongest correlation with a causal gene beats its strongest
    // correlation with a noise gene, for most dependent genes.
    let mut wins = 0;
    for d in of(GeneRole::Dependent) {
        let best = |r: GeneRole| {
            of(r)
                .into_iter()
                .map(|j| pearson(&log[d], &log[j]).abs())
                .fold(0.0, f64::max)
        };
        if best(GeneRole::Causal) > best(GeneRole::Noise) {
            wins += 1;
        }
    }
    assert!(
        wins >= 16,
        "{wins} of 20 dependent genes follow causal genes"
    );
    // ANOVA across types: F(4, 495) > 2.39 is significant at 0.05.
    let groups = ds.labels().unwrap().assignments();
    let significant = |r: GeneRole| {
        of(r)
            .into_iter()
            .filter(|&j| anova_f(&log[j], groups, 5) > 2.39)
            .count()
    };
    let noise_hits = significant(GeneRole::Noise);
    assert!(
        noise_hits <= 12,
        "{noise_hits} of 100 noise genes vary by type"
    );
    assert!(
        significant(GeneRole::Causal) >= 15,
        "causal genes must vary by type"
    );
}

#[test]
fn files_read_back_identically_and_are_not_overwritten() {
    let sim = simulate(&SimulationParams::clean().types(3, 10).seed(5)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_csv_files(&sim, dir.path(), false).unwrap();
    let back = read_path(
        dir.path().join("counts.csv.gz"),
        &ReadOptions::new().label_file(dir.path().join("labels.tsv")),
    )
    .unwrap();
    assert_eq!(back, sim.dataset);
    let genes = std::fs::read_to_string(dir.path().join("genes.tsv")).unwrap();
    assert!(genes.starts_with("gene\trole\n"));
    assert_eq!(genes.lines().count(), 1 + sim.dataset.n_genes());
    assert!(matches!(
        write_csv_files(&sim, dir.path(), false),
        Err(SimError::Exists(_))
    ));
    write_csv_files(&sim, dir.path(), true).unwrap();

    let tenx = dir.path().join("10x");
    write_10x(&sim, &tenx, false).unwrap();
    let from_10x = read_path(&tenx, &ReadOptions::new()).unwrap();
    assert_eq!(from_10x.values(), sim.dataset.values());
    assert_eq!(from_10x.gene_names(), sim.dataset.gene_names());
}

#[test]
fn streaming_writer_matches_the_in_memory_simulation() {
    // 2,500 cells: three blocks of the streaming writer.
    let params = SimulationParams::clean()
        .types(5, 500)
        .genes(5, 5, 10)
        .seed(9);
    let sim = simulate(&params).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_large(&params, dir.path(), false).unwrap();
    let csv = read_path(dir.path().join("counts.csv.gz"), &ReadOptions::new()).unwrap();
    assert_eq!(csv.values(), sim.dataset.values());
    assert_eq!(csv.cell_ids(), sim.dataset.cell_ids());
    let tenx = read_path(dir.path().join("10x"), &ReadOptions::new()).unwrap();
    assert_eq!(tenx.values(), sim.dataset.values());
    assert!(!dir.path().join("10x").join("entries.partial").exists());
}

#[test]
fn published_roles_and_evaluation_copy() {
    let names: Vec<String> = ["causal1", "dep1", "useless1", "useless2"]
        .map(String::from)
        .into();
    assert_eq!(
        roles_from_published_names(&names).unwrap(),
        [
            GeneRole::Causal,
            GeneRole::Dependent,
            GeneRole::Noise,
            GeneRole::Noise
        ]
    );
    let bad: Vec<String> = vec!["causal1".into(), "CD3E".into()];
    let err = roles_from_published_names(&bad).unwrap_err().to_string();
    assert!(err.contains("column 2") && err.contains("CD3E"), "{err}");

    let ds = kratos_data::Dataset::new(vec![1.0, 2.0, 3.0, 4.0], vec!["1_1".into()], names.clone())
        .unwrap();
    let (copy, roles) = evaluation_copy(&ds, 1).unwrap();
    assert_eq!(copy.gene_names(), ["g001", "g002", "g003", "g004"]);
    for (j, r) in roles.iter().enumerate() {
        let original = ds.row(0).iter().position(|&v| v == copy.row(0)[j]).unwrap();
        assert_eq!(*r, GeneRole::from_published_name(&names[original]).unwrap());
    }
}

#[test]
fn bad_parameters_are_named() {
    let e = simulate(&SimulationParams::clean().types(1, 10))
        .unwrap_err()
        .to_string();
    assert!(e.contains("n_types"), "{e}");
    let e = simulate(&SimulationParams::clean().dropout(1.5))
        .unwrap_err()
        .to_string();
    assert!(e.contains("dropout"), "{e}");
}

#[test]
fn the_classifier_learns_the_clean_preset() {
    use kratos_model::{DefaultBackend, TrainingConfig, fit};
    let sim = simulate(&SimulationParams::clean().seed(7)).unwrap();
    let split = kratos_data::stratified_split(sim.dataset.labels().unwrap(), 0.3, 7).unwrap();
    let model = fit::<DefaultBackend>(
        &sim.dataset.select_cells(&split.train),
        &TrainingConfig::new(),
        &Default::default(),
    )
    .unwrap();
    let acc = model
        .accuracy(&sim.dataset.select_cells(&split.test))
        .unwrap();
    println!("clean preset test accuracy: {acc:.3}");
    assert!(acc >= 0.9, "test accuracy {acc}");
}
