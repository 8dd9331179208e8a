//! Panel design on planted markers: each type is marked by a combination of genes, not by one,
//! so only a panel chosen jointly tells all of them apart with the fewest genes.

use kratos_data::{Dataset, Labels};
use kratos_explain::{DesignParams, design_panel};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Four types over three marker genes: A = a+b+, B = a+c+, C = b+c+, D = none; `a_copy`
/// repeats gene a with noise (as informative alone, nothing new beside a); 20 noise genes.
/// Returns the data and the columns of a, b, c and a_copy.
fn combinatorial(seed: u64) -> (Dataset, [usize; 4]) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let types = ["A", "B", "C", "D"];
    let on = [[1, 1, 0], [1, 0, 1], [0, 1, 1], [0, 0, 0]];
    let (cells, noise) = (240, 20);
    let genes = 4 + noise;
    let mut values = Vec::with_capacity(cells * genes);
    let mut labels = Vec::with_capacity(cells);
    for i in 0..cells {
        let t = i % 4;
        labels.push(types[t]);
        let mut row = vec![0f32; genes];
        for (m, &state) in on[t].iter().enumerate() {
            row[m] = state as f32 * 2.0 + rng.random::<f32>() * 0.8;
        }
        row[3] = row[0] + rng.random::<f32>() * 0.9;
        for v in row.iter_mut().skip(4) {
            *v = rng.random::<f32>() * 2.0;
        }
        values.extend(row);
    }
    let names: Vec<String> = ["a", "b", "c", "a_copy"]
        .iter()
        .map(|s| s.to_string())
        .chain((0..noise).map(|j| format!("noise{j}")))
        .collect();
    let data = Dataset::from_matrix(values, cells, genes)
        .unwrap()
        .with_gene_names(names)
        .unwrap()
        .with_labels(Labels::from_names(&labels).unwrap())
        .unwrap();
    (data, [0, 1, 2, 3])
}

fn all_cells(data: &Dataset) -> Vec<usize> {
    (0..data.n_cells()).collect()
}

#[test]
fn the_design_recovers_the_combination_that_marks_every_type() {
    for seed in [1, 2, 3] {
        let (data, [a, b, c, _]) = combinatorial(seed);
        let candidates: Vec<usize> = (0..data.n_genes()).collect();
        let panel = design_panel(
            &data,
            &all_cells(&data),
            &candidates,
            &DesignParams::new(3).check().unwrap(),
        )
        .unwrap();
        let mut chosen = panel.indices();
        chosen.sort_unstable();
        assert_eq!(chosen, [a, b, c], "seed {seed}: {:?}", panel.gene_names());
        assert!(
            panel
                .genes
                .iter()
                .all(|g| g.gain > 0.0 && !g.serves.is_empty())
        );
    }
}

#[test]
fn excluded_genes_are_replaced_and_included_genes_come_first() {
    let (data, [_, _, _, copy]) = combinatorial(1);
    let candidates: Vec<usize> = (0..data.n_genes()).collect();
    let cells = all_cells(&data);
    // Without a, its noisy copy stands in for it.
    let params = DesignParams::new(3).exclude(&["a"]).check().unwrap();
    let panel = design_panel(&data, &cells, &candidates, &params).unwrap();
    assert!(panel.indices().contains(&copy), "{:?}", panel.gene_names());
    assert!(!panel.gene_names().contains(&"a"));
    // A forced noise gene comes first and the design still finds the three markers after it.
    let params = DesignParams::new(4).include(&["noise7"]).check().unwrap();
    let panel = design_panel(&data, &cells, &candidates, &params).unwrap();
    assert_eq!(panel.gene_names()[0], "noise7");
    assert!(panel.genes[0].included && !panel.genes[1].included);
    let mut rest: Vec<&str> = panel.gene_names()[1..].to_vec();
    rest.sort_unstable();
    assert_eq!(rest, ["a", "b", "c"]);
}

#[test]
fn the_design_is_deterministic() {
    let (data, _) = combinatorial(4);
    let candidates: Vec<usize> = (0..data.n_genes()).collect();
    let params = DesignParams::new(8).check().unwrap();
    let first = design_panel(&data, &all_cells(&data), &candidates, &params).unwrap();
    let second = design_panel(&data, &all_cells(&data), &candidates, &params).unwrap();
    assert_eq!(first, second);
}

#[test]
fn bad_sizes_and_unknown_genes_are_errors_that_say_so() {
    let (data, _) = combinatorial(1);
    let cells = all_cells(&data);
    let e = DesignParams::new(0).check().unwrap_err();
    assert!(e.to_string().contains("at least 1 gene"), "{e}");
    let e = design_panel(
        &data,
        &cells,
        &[0, 1, 2],
        &DesignParams::new(5).check().unwrap(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("only 3 genes can be chosen"), "{e}");
    let params = DesignParams::new(2).include(&["CD3E"]).check().unwrap();
    let e = design_panel(&data, &cells, &[0, 1, 2], &params).unwrap_err();
    assert!(e.to_string().contains("`CD3E`"), "{e}");
}
