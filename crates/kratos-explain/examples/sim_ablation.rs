use kratos_data::{Dataset, GeneRole, Labels};
use kratos_explain::*;
use kratos_model::{DefaultBackend as B, EarlyStoppingConfig, TrainingConfig, fit};
use rand::{SeedableRng, seq::SliceRandom};

fn load(path: &str, shuffle_seed: u64) -> (Dataset, Vec<GeneRole>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .skip(1)
        .map(|s| s.trim_matches('"').to_string())
        .collect();
    let g = header.len();
    let mut ids = vec![];
    let mut vals = vec![];
    let mut labs = vec![];
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        let id = f[0].trim_matches('"');
        ids.push(id.to_string());
        labs.push(id.split('_').nth(1).unwrap().to_string());
        for v in &f[1..] {
            vals.push(v.parse::<f32>().unwrap());
        }
    }
    let roles: Vec<GeneRole> = header
        .iter()
        .map(|h| GeneRole::from_published_name(h).unwrap())
        .collect();
    let mut perm: Vec<usize> = (0..g).collect();
    perm.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(shuffle_seed));
    let n = ids.len();
    let ds = Dataset::from_matrix(vals, n, g)
        .unwrap()
        .select_genes(&perm);
    let ds = Dataset::new(
        ds.values().to_vec(),
        ids,
        (0..g).map(|j| format!("g{j:03}")).collect(),
    )
    .unwrap()
    .with_labels(Labels::from_names(&labs).unwrap())
    .unwrap();
    (ds, perm.iter().map(|&p| roles[p]).collect())
}

fn counts(panel: &GenePanel, roles: &[GeneRole]) -> (Vec<(usize, usize, usize)>, usize) {
    let mut out = vec![];
    let mut noise = 0;
    for c in 0..panel.n_classes() {
        let mut t = (0, 0, 0);
        for &g in panel.top_indices(c, 20) {
            match roles[g] {
                GeneRole::Causal => t.0 += 1,
                GeneRole::Dependent => t.1 += 1,
                GeneRole::Noise => t.2 += 1,
            }
        }
        noise += t.2;
        out.push(t);
    }
    (out, noise)
}

fn main() {
    let path = std::env::args().nth(1).unwrap();
    let variant = std::env::args().nth(2).unwrap_or("paper".into());
    let seeds: Vec<u64> = std::env::args()
        .nth(3)
        .map(|s| s.split(',').map(|x| x.parse().unwrap()).collect())
        .unwrap_or(vec![7]);
    let (mut ds, roles) = load(&path, 1);
    if variant.contains("log") {
        for v in ds.values_mut() {
            *v = v.ln_1p();
        }
    }
    for seed in seeds {
        let split = kratos_data::stratified_split(ds.labels().unwrap(), 0.3, seed).unwrap();
        let train = ds.select_cells(&split.train);
        let test = ds.select_cells(&split.test);
        let mut cfg = TrainingConfig::new().with_seed(seed);
        for part in variant.split('+') {
            match part {
                "paper" => {}
                "es" => {
                    cfg =
                        cfg.with_early_stopping(Some(EarlyStoppingConfig::new().with_patience(10)))
                }
                "noise" => cfg = cfg.with_input_noise(0.1),
                "noise2" => cfg = cfg.with_input_noise(0.2),
                "drop" => cfg = cfg.with_dropout(0.3),
                "cce" => cfg = cfg.with_loss(kratos_model::LossKind::CategoricalCrossEntropy),
                "e30" => cfg = cfg.with_epochs(30),
                "l1a" => cfg = cfg.with_l1_first_layer(1e-5),
                "l1b" => cfg = cfg.with_l1_first_layer(1e-4),
                "l1c" => cfg = cfg.with_l1_first_layer(1e-3),
                _ => {}
            }
        }
        let t0 = std::time::Instant::now();
        let model = fit::<B>(&train, &cfg, &Default::default()).unwrap();
        let acc = model.accuracy(&test).unwrap();
        let t_train = t0.elapsed().as_secs_f64();
        let explain_on = if variant.contains("heldout") {
            &test
        } else {
            &ds
        };
        let mut opts = PanelOptions::default();
        if variant.contains("absmean") {
            opts.aggregation = Aggregation::AbsoluteMean;
        }
        let ex: Vec<Box<dyn Explainer<B>>> = vec![
            Box::new(CwExplainer::default()),
            Box::new(SmoothGrad::default()),
            Box::new(IntegratedGradients::default()),
            Box::new(IntegratedGradients::default().with_baseline(IgBaseline::GeneMean)),
            Box::new(Saliency),
            Box::new(GradientTimesInput),
        ];
        let mut line = format!("{variant} seed {seed} acc {acc:.3} train {t_train:.1}s |");
        for e in &ex {
            let t0 = std::time::Instant::now();
            let p = explain_panel(e.as_ref(), &model, explain_on, &opts).unwrap();
            let (c, noise) = counts(&p, &roles);
            let causal_min = c.iter().map(|t| t.0).min().unwrap();
            line += &format!(
                " {} noise {noise} minC {causal_min} ({:.1}s)",
                e.name(),
                t0.elapsed().as_secs_f64()
            );
        }
        println!("{line}");
    }
}
