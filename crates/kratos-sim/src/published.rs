//! The published Kratos simulation files (`140var_clean.csv`, `220var_clean.csv`): gene roles
//! from their column names, and evaluation copies with shuffled columns and neutral names.
//!
//! The published columns come in role order and their names sort `causal` < `dep` < `useless`,
//! so a method whose scores tie would look perfect by falling back to column order or names.
//! Evaluate on a copy made by [`published_evaluation_copy`] instead.

use kratos_data::{Dataset, GeneRole};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::{Result, SimError, Simulation};

/// The roles encoded in the column names of the published simulation CSVs (`causal*`, `dep*`,
/// `useless*`), in column order. Errors naming the first column (1-based among the genes) whose
/// name encodes no role.
///
/// ```
/// use kratos_data::GeneRole;
/// let names = ["causal12", "dep3", "useless7"];
/// let roles = kratos_sim::roles_from_published_names(&names)?;
/// assert_eq!(roles, [GeneRole::Causal, GeneRole::Dependent, GeneRole::Noise]);
/// assert!(kratos_sim::roles_from_published_names(&["CD3E"]).is_err());
/// # Ok::<(), kratos_sim::SimError>(())
/// ```
pub fn roles_from_published_names<S: AsRef<str>>(names: &[S]) -> Result<Vec<GeneRole>> {
    names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            GeneRole::from_published_name(name.as_ref()).ok_or_else(|| {
                SimError::UnknownPublishedColumn {
                    column: name.as_ref().to_string(),
                    position: j + 1,
                }
            })
        })
        .collect()
}

/// Neutral gene names `g001`, `g002`, … (zero-padded to the width of `n`, at least 3 digits).
pub fn neutral_gene_names(n: usize) -> Vec<String> {
    let width = n.max(1).to_string().len().max(3);
    (1..=n).map(|j| format!("g{j:0width$}")).collect()
}

/// A copy of `dataset` that is safe to evaluate marker methods on: its columns shuffled with
/// `seed`, renamed `g001`, … in the new order, and `roles` permuted to match. Cells and labels are
/// kept. Errors if there is not one role per gene.
///
/// ```
/// use kratos_data::{Dataset, GeneRole};
/// let ds = Dataset::from_matrix(vec![1.0, 2.0, 3.0], 1, 3)?;
/// let roles = [GeneRole::Causal, GeneRole::Dependent, GeneRole::Noise];
/// let copy = kratos_sim::evaluation_copy(&ds, &roles, 5)?;
/// assert_eq!(copy.dataset.gene_names(), ["g001", "g002", "g003"]);
/// let j = copy.dataset.row(0).iter().position(|v| v == 1.0).unwrap();
/// assert_eq!(copy.roles[j], GeneRole::Causal);
/// # Ok::<(), kratos_sim::SimError>(())
/// ```
pub fn evaluation_copy(dataset: &Dataset, roles: &[GeneRole], seed: u64) -> Result<Simulation> {
    if roles.len() != dataset.n_genes() {
        return Err(SimError::Invalid(format!(
            "{} roles for {} genes",
            roles.len(),
            dataset.n_genes()
        )));
    }
    let mut order: Vec<usize> = (0..dataset.n_genes()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let copy = dataset
        .select_genes(&order)
        .with_gene_names(neutral_gene_names(order.len()))?;
    Ok(Simulation {
        dataset: copy,
        roles: order.iter().map(|&j| roles[j]).collect(),
    })
}

/// [`evaluation_copy`] of a published simulation data set, with the roles read from its column
/// names by [`roles_from_published_names`]. If the data set has no labels, they are taken from
/// the published cell ids `<index>_<type>` (`"17_3"` is of type `3`).
pub fn published_evaluation_copy(dataset: &Dataset, seed: u64) -> Result<Simulation> {
    let roles = roles_from_published_names(dataset.gene_names())?;
    let mut copy = evaluation_copy(dataset, &roles, seed)?;
    if copy.dataset.labels().is_none() {
        let labels = kratos_data::read::labels_from_cell_ids(copy.dataset.cell_ids())?;
        copy.dataset = copy.dataset.with_labels(labels)?;
    }
    Ok(copy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_column_is_named_with_its_position() {
        let names = vec!["causal1".to_string(), "dep2".into(), "CD3E".into()];
        let err = roles_from_published_names(&names).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("column 3") && text.contains("`CD3E`"),
            "{text}"
        );
    }

    #[test]
    fn published_copy_shuffles_renames_and_keeps_values_with_their_roles() {
        let names: Vec<String> = ["causal9", "dep1", "useless4", "useless2", "causal1"]
            .map(String::from)
            .into();
        let values: Vec<f32> = (0..10).map(|v| v as f32).collect();
        let ds = Dataset::new(values, vec!["1_1".into(), "2_2".into()], names.clone()).unwrap();
        let copy = published_evaluation_copy(&ds, 3).unwrap();
        assert_eq!(copy.dataset.gene_names(), neutral_gene_names(5));
        assert_eq!(copy.dataset.labels().unwrap().class_names(), ["1", "2"]);
        for (j, role) in copy.roles.iter().enumerate() {
            let original = ds
                .row(0)
                .iter()
                .position(|v| v == copy.dataset.get(0, j))
                .unwrap();
            assert_eq!(Some(*role), GeneRole::from_published_name(&names[original]));
            assert_eq!(copy.dataset.get(1, j), ds.get(1, original));
        }
        // Some seed moves the first column; the shuffle depends on the seed only.
        let moved = (0..20).any(|s| {
            let c = published_evaluation_copy(&ds, s).unwrap();
            c.dataset.get(0, 0) != 0.0
        });
        assert!(moved);
        assert_eq!(published_evaluation_copy(&ds, 3).unwrap(), copy);
        let bad_roles = evaluation_copy(&ds, &[GeneRole::Causal], 1).unwrap_err();
        assert!(bad_roles.to_string().contains("1 roles for 5 genes"));
    }
}
