use kratos_data::{Dataset, GeneRole};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::{Result, SimError};

/// The roles encoded in the column names of the published Kratos simulation CSVs
/// (`causal*`, `dep*`, `useless*`); errors on the first name that encodes none.
pub fn roles_from_published_names(names: &[String]) -> Result<Vec<GeneRole>> {
    names
        .iter()
        .enumerate()
        .map(|(j, n)| {
            GeneRole::from_published_name(n).ok_or_else(|| SimError::UnknownRole {
                column: j + 1,
                name: n.clone(),
            })
        })
        .collect()
}

/// A copy of a published simulation data set that is safe to evaluate on: columns shuffled
/// (seeded) and renamed `g001`, ..., with the roles returned in the new column order. The
/// published files list causal genes first and their names sort causal < dep < useless, so a
/// method whose scores tie would look perfect on the original.
pub fn evaluation_copy(data: &Dataset, seed: u64) -> Result<(Dataset, Vec<GeneRole>)> {
    let roles = roles_from_published_names(data.gene_names())?;
    let mut order: Vec<usize> = (0..data.n_genes()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let width = data.n_genes().to_string().len().max(3);
    let names = (1..=data.n_genes())
        .map(|j| format!("g{j:0width$}"))
        .collect();
    let copy = data.select_genes(&order).with_gene_names(names)?;
    Ok((copy, order.iter().map(|&j| roles[j]).collect()))
}
