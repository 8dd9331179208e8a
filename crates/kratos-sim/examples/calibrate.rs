//! Calibration table of the simulator against the published data (docs/simulation.md).
//!
//! `cargo run --release -p kratos-sim --example calibrate -- clean 7` simulates a preset;
//! `cargo run --release -p kratos-sim --example calibrate -- path/to/140var_clean.csv` reads a
//! published file (roles from its column names). Prints per-role mean count and dropout, library
//! size, the roles in the top 20 of a Wilcoxon rank-sum one-vs-rest ranking (by z-score, as
//! scanpy), and nearest-centroid accuracy on log1p data (70/30 split).

use kratos_data::read::{ReadOptions, read_path};
use kratos_data::{Dataset, GeneRole};
use kratos_sim::{SimulationParams, roles_from_published_names, simulate};

/// Wilcoxon z-scores (one-vs-rest) of every gene for every class, with tie-averaged ranks.
fn wilcoxon_z(ds: &Dataset) -> Vec<Vec<f64>> {
    let (n, g) = ds.shape();
    let labels = ds.labels().unwrap();
    let mut ranks = vec![0f64; n * g];
    for j in 0..g {
        let col = ds.column(j);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| col[a].total_cmp(&col[b]));
        let mut i = 0;
        while i < n {
            let mut k = i;
            while k + 1 < n && col[order[k + 1]] == col[order[i]] {
                k += 1;
            }
            let avg = (i + k) as f64 / 2.0 + 1.0;
            for &o in &order[i..=k] {
                ranks[o * g + j] = avg;
            }
            i = k + 1;
        }
    }
    (0..labels.n_classes())
        .map(|c| {
            let members: Vec<usize> = ds.cells_of_class(c);
            let (n1, n2) = (members.len() as f64, (n - members.len()) as f64);
            (0..g)
                .map(|j| {
                    let r: f64 = members.iter().map(|&i| ranks[i * g + j]).sum();
                    let u = r - n1 * (n1 + 1.0) / 2.0;
                    (u - n1 * n2 / 2.0) / (n1 * n2 * (n as f64 + 1.0) / 12.0).sqrt()
                })
                .collect()
        })
        .collect()
}

fn nearest_centroid_accuracy(ds: &Dataset) -> f64 {
    let labels = ds.labels().unwrap();
    let split = kratos_data::stratified_split(labels, 0.3, 7).unwrap();
    let g = ds.n_genes();
    let log = |v: f32| (v as f64).ln_1p();
    let mut centroids = vec![vec![0f64; g]; labels.n_classes()];
    let mut counts = vec![0f64; labels.n_classes()];
    for &i in &split.train {
        let c = labels.assignments()[i];
        counts[c] += 1.0;
        for (s, &v) in centroids[c].iter_mut().zip(ds.row(i)) {
            *s += log(v);
        }
    }
    for (c, n) in centroids.iter_mut().zip(&counts) {
        c.iter_mut().for_each(|s| *s /= n);
    }
    let correct = split
        .test
        .iter()
        .filter(|&&i| {
            let best = (0..centroids.len())
                .min_by(|&a, &b| {
                    let d = |c: &Vec<f64>| -> f64 {
                        ds.row(i)
                            .iter()
                            .zip(c)
                            .map(|(&v, m)| (log(v) - m).powi(2))
                            .sum()
                    };
                    d(&centroids[a]).total_cmp(&d(&centroids[b]))
                })
                .unwrap();
            best == labels.assignments()[i]
        })
        .count();
    correct as f64 / split.test.len() as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let what = std::env::args().nth(1).unwrap_or_else(|| "clean".into());
    let seed: u64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let (ds, roles) = match SimulationParams::preset(&what) {
        Some(mut p) => {
            // Tuning knobs: KRATOS_SIM_EFFECT, KRATOS_SIM_SPARSITY, KRATOS_SIM_NOISE.
            let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<f64>().ok());
            if let Some(v) = env("KRATOS_SIM_EFFECT") {
                p.effect_size = v;
            }
            if let Some(v) = env("KRATOS_SIM_SPARSITY") {
                p.sparsity = v;
            }
            if let Some(v) = env("KRATOS_SIM_NOISE") {
                p.cell_noise = v;
            }
            let start = std::time::Instant::now();
            let sim = simulate(&p.seed(seed))?;
            eprintln!("simulated in {:.3} s", start.elapsed().as_secs_f64());
            (sim.dataset, sim.roles)
        }
        None => {
            let ds = read_path(&what, &ReadOptions::new().labels_from_cell_ids(true))?;
            let roles = roles_from_published_names(ds.gene_names())?;
            (ds, roles)
        }
    };
    println!(
        "{what} (seed {seed}): {} cells x {} genes",
        ds.n_cells(),
        ds.n_genes()
    );
    let (n, g) = ds.shape();
    let library: f64 = (0..n)
        .map(|i| ds.row(i).iter().map(|&v| v as f64).sum::<f64>())
        .sum::<f64>()
        / n as f64;
    println!("mean library size: {library:.0}");
    println!("| role | genes | mean count | median gene mean | dropout (zeros) |");
    println!("|---|---|---|---|---|");
    for role in [GeneRole::Causal, GeneRole::Dependent, GeneRole::Noise] {
        let cols: Vec<usize> = (0..g).filter(|&j| roles[j] == role).collect();
        let mut means: Vec<f64> = cols
            .iter()
            .map(|&j| ds.column(j).iter().map(|&v| v as f64).sum::<f64>() / n as f64)
            .collect();
        let zeros = cols
            .iter()
            .map(|&j| ds.column(j).iter().filter(|&&v| v == 0.0).count())
            .sum::<usize>() as f64
            / (cols.len() * n).max(1) as f64;
        let mean = means.iter().sum::<f64>() / means.len().max(1) as f64;
        means.sort_by(f64::total_cmp);
        let median = means.get(means.len() / 2).copied().unwrap_or(0.0);
        println!(
            "| {role} | {} | {mean:.1} | {median:.1} | {zeros:.2} |",
            cols.len()
        );
    }
    let z = wilcoxon_z(&ds);
    // Ranked by z (up-regulated first, what the reference script writes) and by |z| (both
    // directions, the number the issue quotes for 140var_clean).
    for (name, key) in [("z", false), ("|z|", true)] {
        let mut noise_total = 0;
        let mut per_class = Vec::new();
        for zc in &z {
            let score = |j: usize| if key { zc[j].abs() } else { zc[j] };
            let mut order: Vec<usize> = (0..g).collect();
            order.sort_by(|&a, &b| score(b).total_cmp(&score(a)).then(a.cmp(&b)));
            let mut counts = [0usize; 3];
            for &j in &order[..20.min(g)] {
                counts[roles[j] as usize] += 1;
            }
            noise_total += counts[2];
            per_class.push(format!("{}/{}/{}", counts[0], counts[1], counts[2]));
        }
        println!(
            "Wilcoxon by {name}: top-20 causal/dependent/noise per class {} (noise total {noise_total})",
            per_class.join(", ")
        );
    }
    println!(
        "nearest-centroid accuracy (log1p, 70/30): {:.3}",
        nearest_centroid_accuracy(&ds)
    );
    Ok(())
}
