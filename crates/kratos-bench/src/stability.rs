//! How stable each method's top-20 lists are over seeds (split, training, explainers), and for
//! the simulation how many noise genes they hold.

use kratos::metrics::role_counts;
use kratos::{Dataset, GenePanel, GeneRole, Preprocessing, Progress};
use serde::Serialize;

use crate::Result;
use crate::roster::all_panels;
use crate::tables::TOP;

/// One method's stability on one data set.
#[derive(Debug, Clone, Serialize)]
pub struct StabilityRow {
    /// The data set.
    pub data: String,
    /// Method.
    pub method: String,
    /// Mean Jaccard of the top-20 sets over pairs of seeds and classes.
    pub mean_jaccard: f64,
    /// For simulations: mean noise genes in the top-20 lists per seed.
    pub mean_noise: Option<f64>,
}

/// The Jaccard index of two gene sets (1 for two empty sets).
///
/// ```
/// use kratos_bench::stability::jaccard;
/// assert_eq!(jaccard(&[1, 2, 3], &[2, 3, 4]), 0.5);
/// assert_eq!(jaccard(&[1, 2], &[3, 4]), 0.0);
/// ```
pub fn jaccard(a: &[usize], b: &[usize]) -> f64 {
    let inter = a.iter().filter(|x| b.contains(x)).count();
    let union = a.len() + b.len() - inter;
    if union == 0 {
        1.0
    } else {
        inter as f64 / union as f64
    }
}

/// Every method's panels for seeds 1..=`seeds`: `runs[r][m]` is seed r + 1's panel of method
/// m.
pub fn seed_runs(
    data: &Dataset,
    preprocessing: Preprocessing,
    seeds: usize,
    progress: &dyn Progress,
) -> Result<Vec<Vec<GenePanel>>> {
    progress.start("stability", seeds as u64);
    let mut runs = Vec::new();
    for seed in 1..=seeds as u64 {
        let (_, panels) = all_panels(data, seed, preprocessing)?;
        runs.push(panels.into_iter().map(|t| t.panel).collect());
        progress.advance(1);
    }
    progress.finish();
    Ok(runs)
}

/// Mean Jaccard of top-20 sets over pairs of runs and classes; `runs[r][m]` is run r's panel
/// of method m; with `roles`, also the mean noise genes per run.
pub fn stability_rows(
    data: &str,
    runs: &[Vec<GenePanel>],
    roles: Option<&[GeneRole]>,
) -> Result<Vec<StabilityRow>> {
    let Some(first) = runs.first() else {
        return Ok(Vec::new());
    };
    let mut rows = Vec::new();
    for m in 0..first.len() {
        let tops: Vec<Vec<Vec<usize>>> = runs
            .iter()
            .map(|r| {
                r[m].rankings()
                    .iter()
                    .map(|x| x[..TOP.min(x.len())].to_vec())
                    .collect()
            })
            .collect();
        let (mut sum, mut pairs) = (0.0, 0usize);
        for a in 0..tops.len() {
            for b in a + 1..tops.len() {
                for (x, y) in tops[a].iter().zip(&tops[b]) {
                    sum += jaccard(x, y);
                    pairs += 1;
                }
            }
        }
        let mean_noise = match roles {
            Some(roles) => {
                let mut total = 0usize;
                for r in runs {
                    total += role_counts(r[m].rankings(), roles, TOP)?
                        .iter()
                        .map(|c| c.noise)
                        .sum::<usize>();
                }
                Some(total as f64 / runs.len() as f64)
            }
            None => None,
        };
        rows.push(StabilityRow {
            data: data.to_string(),
            method: first[m].method().to_string(),
            mean_jaccard: if pairs == 0 {
                f64::NAN
            } else {
                sum / pairs as f64
            },
            mean_noise,
        });
    }
    Ok(rows)
}
