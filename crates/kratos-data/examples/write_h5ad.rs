//! Writes an `.h5ad` file with `write_h5ad` for `tests/python/check_h5ad.py` to read with
//! anndata and scanpy.
//!
//! ```text
//! cargo run --release -p kratos-data --example write_h5ad -- OUT.h5ad [--dense]
//! cargo run --release -p kratos-data --example write_h5ad -- OUT.h5ad --copy-from IN.h5ad --label-key KEY
//! python crates/kratos-data/tests/python/check_h5ad.py OUT.h5ad
//! ```
//!
//! Without `--copy-from` the data are a small made-up sparse (or, with `--dense`, dense)
//! matrix of 60 cells in 3 groups and 80 genes, written with its labels (obs column
//! `cell_type`). More than 50 genes, so that the dendrogram of scanpy's dotplot is computed on
//! principal components: with fewer it averages a sparse `X` directly, which scanpy 1.11
//! cannot (its own files fail the same way). With `--copy-from` the data set is read from
//! IN.h5ad (labels from the obs column KEY) and written as a copy of IN.h5ad.
//!
//! Either way the file gets an embedding `obsm/X_kratos` (64 columns) and a ranking
//! `uns/kratos` (a per-gene two-sample z test of each group against the rest, with fold
//! changes, p-values and the fractions of expressing cells), and a sidecar
//! `OUT.h5ad.expected.json` with what the checker should find.

use std::path::PathBuf;

use kratos_data::read::{ReadOptions, read_h5ad};
use kratos_data::write::{GeneFractions, H5adExtras, RankGenesGroups, write_h5ad};
use kratos_data::{Dataset, Labels};

const EMBEDDING_COLUMNS: usize = 64;
const TOP_GENES: usize = 10;

/// Upper tail of the standard normal, `P(Z > z)` (Abramowitz & Stegun 7.1.26, error < 1.5e-7).
fn normal_tail(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-x * x).exp();
    if z >= 0.0 {
        erfc / 2.0
    } else {
        1.0 - erfc / 2.0
    }
}

/// A made-up data set: 60 cells in groups a, b, c; gene `g<k>` is high in group k % 3.
fn made_up(dense: bool) -> Dataset {
    let (n_cells, n_genes) = (60, 80);
    let mut values = vec![0.0f32; n_cells * n_genes];
    let mut state = 7u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 1000) as f32 / 1000.0
    };
    let names: Vec<&str> = (0..n_cells).map(|i| ["a", "b", "c"][i % 3]).collect();
    for i in 0..n_cells {
        for j in 0..n_genes {
            let u = next();
            let high = j % 3 == i % 3;
            if u < if high { 0.9 } else { 0.3 } {
                values[i * n_genes + j] = (u * if high { 8.0 } else { 2.0 }).round() + 1.0;
            }
        }
    }
    let ds = Dataset::new(
        values,
        (0..n_cells).map(|i| format!("cell-{i}")).collect(),
        (0..n_genes).map(|j| format!("g{j}")).collect(),
    )
    .and_then(|d| d.with_labels(Labels::from_names(&names)?))
    .expect("a valid made-up data set");
    if dense { ds } else { ds.into_sparse() }
}

/// A z test of each gene's mean in each group against the rest, scanpy style: top genes by
/// score, log2 fold changes of the means, Bonferroni-corrected p-values, fractions expressing.
fn ranking(data: &Dataset, groupby: &str) -> RankGenesGroups {
    let labels = data.labels().expect("labelled data");
    let groups = labels.class_names().to_vec();
    let n_genes = data.n_genes();
    let columns: Vec<Vec<f32>> = (0..n_genes).map(|j| data.column(j)).collect();
    let mut r = RankGenesGroups::new(groupby, "t-test", groups.clone(), vec![], vec![]);
    let (mut lfc_all, mut p_all, mut padj_all) = (vec![], vec![], vec![]);
    let (mut pts, mut pts_rest) = (vec![], vec![]);
    for k in 0..groups.len() {
        let inside: Vec<bool> = labels.assignments().iter().map(|&a| a == k).collect();
        let mut stats = Vec::with_capacity(n_genes);
        let (mut frac_in, mut frac_out) = (vec![], vec![]);
        for col in &columns {
            let (mut a, mut b): (Vec<f64>, Vec<f64>) = (vec![], vec![]);
            for (v, &is_in) in col.iter().zip(&inside) {
                if is_in {
                    a.push(f64::from(*v))
                } else {
                    b.push(f64::from(*v))
                }
            }
            let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len().max(1) as f64;
            let var = |x: &[f64], m: f64| {
                x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len().max(2) - 1) as f64
            };
            let (ma, mb) = (mean(&a), mean(&b));
            let se = (var(&a, ma) / a.len().max(1) as f64 + var(&b, mb) / b.len().max(1) as f64)
                .sqrt()
                .max(1e-9);
            let z = (ma - mb) / se;
            let p = (2.0 * normal_tail(z.abs())).min(1.0);
            let lfc = ((ma + 1e-9) / (mb + 1e-9)).log2();
            stats.push((z, lfc, p));
            let nz =
                |x: &[f64]| x.iter().filter(|v| **v != 0.0).count() as f64 / x.len().max(1) as f64;
            frac_in.push(nz(&a));
            frac_out.push(nz(&b));
        }
        let mut order: Vec<usize> = (0..n_genes).collect();
        order.sort_by(|&x, &y| stats[y].0.total_cmp(&stats[x].0));
        order.truncate(TOP_GENES);
        r.names.push(
            order
                .iter()
                .map(|&j| data.gene_names()[j].clone())
                .collect(),
        );
        r.scores
            .push(order.iter().map(|&j| stats[j].0 as f32).collect());
        lfc_all.push(order.iter().map(|&j| stats[j].1 as f32).collect());
        p_all.push(order.iter().map(|&j| stats[j].2).collect::<Vec<f64>>());
        padj_all.push(
            order
                .iter()
                .map(|&j| (stats[j].2 * n_genes as f64).min(1.0))
                .collect(),
        );
        pts.push(frac_in);
        pts_rest.push(frac_out);
    }
    r.logfoldchanges = Some(lfc_all);
    r.pvals = Some(p_all);
    r.pvals_adj = Some(padj_all);
    r.corr_method = "bonferroni".into();
    // A dataframe column is stored under the group's name, so groups with a `/` (anndata
    // refuses them as keys too) get no pts tables.
    if !groups.iter().any(|g| g.contains('/')) {
        r.pts = Some(GeneFractions::new(data.gene_names().to_vec(), pts));
        r.pts_rest = Some(GeneFractions::new(data.gene_names().to_vec(), pts_rest));
    }
    r
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first().map(PathBuf::from) else {
        return Err(
            "usage: write_h5ad OUT.h5ad [--dense] [--copy-from IN.h5ad --label-key KEY]".into(),
        );
    };
    let value_of = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let copy_from = value_of("--copy-from");
    let (data, groupby) = match &copy_from {
        Some(input) => {
            let key = value_of("--label-key").ok_or("--copy-from needs --label-key")?;
            (read_h5ad(input, &ReadOptions::new().label_key(&key))?, key)
        }
        None => (
            made_up(args.iter().any(|a| a == "--dense")),
            "cell_type".to_string(),
        ),
    };
    // An embedding of 64 columns: each cell's first values, cycled, plus its row number.
    let (n_cells, n_genes) = data.shape();
    let mut embedding = Vec::with_capacity(n_cells * EMBEDDING_COLUMNS);
    for i in 0..n_cells {
        let row = data.row(i).to_vec();
        for c in 0..EMBEDDING_COLUMNS {
            embedding.push(row[c % n_genes.max(1)] + i as f32 / 1000.0);
        }
    }
    let ranking = ranking(&data, &groupby);
    let mut extras = H5adExtras::new()
        .label_column(&groupby)
        .obsm("X_kratos", embedding.clone(), EMBEDDING_COLUMNS)
        .rank_genes_groups("kratos", ranking.clone());
    if let Some(input) = &copy_from {
        extras = extras.copy_from(input);
    }
    let written = write_h5ad(&out, &data, &extras, true)?;

    let labels = data.labels().expect("labelled data");
    let expected = serde_json::json!({
        "copy_of": copy_from,
        "n_obs": n_cells,
        "n_vars": n_genes,
        "sparse": data.is_sparse(),
        "cell_ids": data.cell_ids(),
        "gene_names": data.gene_names(),
        "x": if copy_from.is_some() { serde_json::Value::Null } else { serde_json::json!(data.to_dense_values()) },
        "label_column": groupby,
        "labels": (0..n_cells).map(|i| labels.name_of(i)).collect::<Vec<_>>(),
        "obsm_key": "X_kratos",
        "obsm": embedding,
        "obsm_columns": EMBEDDING_COLUMNS,
        "uns_key": "kratos",
        "groups": ranking.groups,
        "names": ranking.names,
        "scores": ranking.scores,
        "method": ranking.method,
    });
    let sidecar = PathBuf::from(format!("{}.expected.json", written.display()));
    std::fs::write(&sidecar, serde_json::to_string(&expected)?)?;
    println!("wrote {} and {}", written.display(), sidecar.display());
    Ok(())
}
