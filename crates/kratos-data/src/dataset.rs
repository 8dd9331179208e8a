use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{DataError, Result};

/// Cell-type labels: the class names and, for every cell, the index of its class.
///
/// Class names are unique; class `k` is `class_names()[k]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labels {
    class_names: Vec<String>,
    assignments: Vec<usize>,
}

impl Labels {
    /// Builds labels from explicit class names and per-cell class indices.
    ///
    /// Errors if a class name repeats or an index is out of range.
    pub fn new(class_names: Vec<String>, assignments: Vec<usize>) -> Result<Self> {
        let mut seen = HashMap::new();
        for (i, name) in class_names.iter().enumerate() {
            if let Some(first) = seen.insert(name.as_str(), i) {
                return Err(DataError::Invalid(format!(
                    "class name `{name}` given twice (classes {first} and {i})"
                )));
            }
        }
        if let Some((cell, &k)) = assignments
            .iter()
            .enumerate()
            .find(|(_, k)| **k >= class_names.len())
        {
            return Err(DataError::Invalid(format!(
                "cell {cell} has class index {k}, but there are only {} classes",
                class_names.len()
            )));
        }
        Ok(Labels {
            class_names,
            assignments,
        })
    }

    /// Builds labels from one class name per cell. Classes are ordered by name, numerically
    /// when every name is an integer (so "2" comes before "10").
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Self> {
        let mut classes: Vec<String> = names.iter().map(|s| s.as_ref().to_string()).collect();
        classes.sort();
        classes.dedup();
        if classes.iter().all(|c| c.parse::<i64>().is_ok()) {
            classes.sort_by_key(|c| c.parse::<i64>().unwrap_or(0));
        }
        let index: HashMap<&str, usize> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let assignments = names.iter().map(|n| index[n.as_ref()]).collect();
        Ok(Labels {
            class_names: classes,
            assignments,
        })
    }

    /// The class names; class `k` is `class_names()[k]`.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// The class index of every cell.
    pub fn assignments(&self) -> &[usize] {
        &self.assignments
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.class_names.len()
    }

    /// Number of labelled cells.
    pub fn len(&self) -> usize {
        self.assignments.len()
    }

    /// True if no cell is labelled.
    pub fn is_empty(&self) -> bool {
        self.assignments.is_empty()
    }

    /// The class name of cell `cell`.
    pub fn name_of(&self, cell: usize) -> &str {
        &self.class_names[self.assignments[cell]]
    }

    /// Cells per class, in class order.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.class_names.len()];
        for &k in &self.assignments {
            counts[k] += 1;
        }
        counts
    }

    /// The index of a class by name.
    pub fn class_index(&self, name: &str) -> Option<usize> {
        self.class_names.iter().position(|c| c == name)
    }

    /// The labels of the given cells, keeping every class (even one left without cells).
    pub fn select(&self, cells: &[usize]) -> Labels {
        Labels {
            class_names: self.class_names.clone(),
            assignments: cells.iter().map(|&c| self.assignments[c]).collect(),
        }
    }

    /// Drops classes that have no cell and renumbers the rest, keeping their order.
    pub fn drop_empty_classes(&self) -> Labels {
        let counts = self.class_counts();
        let mut new_index = vec![usize::MAX; counts.len()];
        let mut class_names = Vec::new();
        for (k, &n) in counts.iter().enumerate() {
            if n > 0 {
                new_index[k] = class_names.len();
                class_names.push(self.class_names[k].clone());
            }
        }
        Labels {
            class_names,
            assignments: self.assignments.iter().map(|&k| new_index[k]).collect(),
        }
    }
}

/// A dense cells x genes expression matrix (`f32`, row-major: cell `i`'s values are
/// `values()[i * n_genes .. (i + 1) * n_genes]`) with cell ids, gene names and optional labels.
///
/// Cell ids and gene names are unique; every value is finite. Build one with [`Dataset::new`] or
/// read one with the functions in [`crate::read`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    values: Vec<f32>,
    n_cells: usize,
    n_genes: usize,
    cell_ids: Vec<String>,
    gene_names: Vec<String>,
    labels: Option<Labels>,
}

fn check_unique(names: &[String], kind: &'static str) -> Result<()> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        if let Some(first) = seen.insert(n.as_str(), i) {
            return Err(DataError::Invalid(format!(
                "duplicate {kind} `{n}` (positions {} and {})",
                first + 1,
                i + 1
            )));
        }
    }
    Ok(())
}

impl Dataset {
    /// Builds a data set from row-major values, one id per cell and one name per gene.
    ///
    /// Errors if the sizes do not agree, a value is NaN or infinite, or an id or name repeats.
    pub fn new(values: Vec<f32>, cell_ids: Vec<String>, gene_names: Vec<String>) -> Result<Self> {
        let (n_cells, n_genes) = (cell_ids.len(), gene_names.len());
        if values.len() != n_cells * n_genes {
            return Err(DataError::Invalid(format!(
                "{} values for {n_cells} cells x {n_genes} genes (expected {})",
                values.len(),
                n_cells * n_genes
            )));
        }
        if let Some(pos) = values.iter().position(|v| !v.is_finite()) {
            return Err(DataError::Invalid(format!(
                "value of cell `{}`, gene `{}` is {} (values must be finite)",
                cell_ids[pos / n_genes],
                gene_names[pos % n_genes],
                values[pos]
            )));
        }
        check_unique(&cell_ids, "cell id")?;
        check_unique(&gene_names, "gene name")?;
        Ok(Dataset {
            values,
            n_cells,
            n_genes,
            cell_ids,
            gene_names,
            labels: None,
        })
    }

    /// Builds a data set with generated ids (`cell0..`, `gene0..`), handy in tests and examples.
    pub fn from_matrix(values: Vec<f32>, n_cells: usize, n_genes: usize) -> Result<Self> {
        Dataset::new(
            values,
            (0..n_cells).map(|i| format!("cell{i}")).collect(),
            (0..n_genes).map(|j| format!("gene{j}")).collect(),
        )
    }

    /// Attaches labels (one per cell, in cell order).
    pub fn with_labels(mut self, labels: Labels) -> Result<Self> {
        if labels.len() != self.n_cells {
            return Err(DataError::Invalid(format!(
                "{} labels for {} cells",
                labels.len(),
                self.n_cells
            )));
        }
        self.labels = Some(labels);
        Ok(self)
    }

    /// Removes the labels.
    pub fn without_labels(mut self) -> Self {
        self.labels = None;
        self
    }

    /// (cells, genes).
    pub fn shape(&self) -> (usize, usize) {
        (self.n_cells, self.n_genes)
    }

    /// Number of cells (rows).
    pub fn n_cells(&self) -> usize {
        self.n_cells
    }

    /// Number of genes (columns).
    pub fn n_genes(&self) -> usize {
        self.n_genes
    }

    /// All values, row-major.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// All values, row-major, mutable (used by in-place preprocessing). Callers must keep them
    /// finite.
    pub fn values_mut(&mut self) -> &mut [f32] {
        &mut self.values
    }

    /// Consumes the data set and returns its values.
    pub fn into_values(self) -> Vec<f32> {
        self.values
    }

    /// The values of one cell.
    pub fn row(&self, cell: usize) -> &[f32] {
        &self.values[cell * self.n_genes..(cell + 1) * self.n_genes]
    }

    /// The value of one cell and gene.
    pub fn get(&self, cell: usize, gene: usize) -> f32 {
        self.values[cell * self.n_genes + gene]
    }

    /// The values of one gene across all cells (a copy: columns are strided).
    pub fn column(&self, gene: usize) -> Vec<f32> {
        (0..self.n_cells).map(|i| self.get(i, gene)).collect()
    }

    /// Cell ids, in row order.
    pub fn cell_ids(&self) -> &[String] {
        &self.cell_ids
    }

    /// Gene names, in column order.
    pub fn gene_names(&self) -> &[String] {
        &self.gene_names
    }

    /// The labels, if any.
    pub fn labels(&self) -> Option<&Labels> {
        self.labels.as_ref()
    }

    /// The labels, or an error saying the data set has none.
    pub fn require_labels(&self) -> Result<&Labels> {
        self.labels.as_ref().ok_or_else(|| {
            DataError::Invalid("the data set has no labels; give a label file".into())
        })
    }

    /// The position of a gene by name.
    pub fn gene_index(&self, name: &str) -> Option<usize> {
        self.gene_names.iter().position(|g| g == name)
    }

    /// A new data set with the given cells (rows), in the given order. Labels keep every class.
    ///
    /// Panics if an index is out of range (indices come from code, not from users).
    pub fn select_cells(&self, cells: &[usize]) -> Dataset {
        let mut values = Vec::with_capacity(cells.len() * self.n_genes);
        for &c in cells {
            values.extend_from_slice(self.row(c));
        }
        Dataset {
            values,
            n_cells: cells.len(),
            n_genes: self.n_genes,
            cell_ids: cells.iter().map(|&c| self.cell_ids[c].clone()).collect(),
            gene_names: self.gene_names.clone(),
            labels: self.labels.as_ref().map(|l| l.select(cells)),
        }
    }

    /// A new data set with the given genes (columns), in the given order.
    ///
    /// Panics if an index is out of range. Selecting a gene twice makes names repeat, which
    /// this type forbids, so indices must be distinct.
    pub fn select_genes(&self, genes: &[usize]) -> Dataset {
        let mut values = Vec::with_capacity(self.n_cells * genes.len());
        for i in 0..self.n_cells {
            let row = self.row(i);
            values.extend(genes.iter().map(|&g| row[g]));
        }
        Dataset {
            values,
            n_cells: self.n_cells,
            n_genes: genes.len(),
            cell_ids: self.cell_ids.clone(),
            gene_names: genes.iter().map(|&g| self.gene_names[g].clone()).collect(),
            labels: self.labels.clone(),
        }
    }

    /// Cells of class `class` (row indices), in row order. Empty if unlabelled.
    pub fn cells_of_class(&self, class: usize) -> Vec<usize> {
        match &self.labels {
            Some(l) => (0..self.n_cells)
                .filter(|&i| l.assignments()[i] == class)
                .collect(),
            None => Vec::new(),
        }
    }

    /// Renames genes (e.g. to neutral names `g0001..` for evaluating simulations).
    pub fn with_gene_names(mut self, gene_names: Vec<String>) -> Result<Self> {
        if gene_names.len() != self.n_genes {
            return Err(DataError::Invalid(format!(
                "{} gene names for {} genes",
                gene_names.len(),
                self.n_genes
            )));
        }
        check_unique(&gene_names, "gene name")?;
        self.gene_names = gene_names;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Dataset {
        Dataset::from_matrix((0..12).map(|v| v as f32).collect(), 4, 3)
            .unwrap()
            .with_labels(Labels::from_names(&["b", "a", "b", "c"]).unwrap())
            .unwrap()
    }

    #[test]
    fn subsets_keep_rows_columns_and_labels() {
        let ds = toy();
        let s = ds.select_cells(&[3, 0]);
        assert_eq!(s.values(), &[9.0, 10.0, 11.0, 0.0, 1.0, 2.0]);
        assert_eq!(s.cell_ids(), &["cell3", "cell0"]);
        assert_eq!(s.labels().unwrap().assignments(), &[2, 1]);
        let g = ds.select_genes(&[2, 0]);
        assert_eq!(g.row(1), &[5.0, 3.0]);
        assert_eq!(g.gene_names(), &["gene2", "gene0"]);
        assert_eq!(ds.cells_of_class(1), vec![0, 2]);
    }

    #[test]
    fn rejects_bad_shapes_and_values() {
        assert!(Dataset::from_matrix(vec![1.0; 5], 2, 3).is_err());
        assert!(Dataset::from_matrix(vec![1.0, f32::NAN], 1, 2).is_err());
        let dup = Dataset::new(
            vec![1.0, 2.0],
            vec!["a".into()],
            vec!["g".into(), "g".into()],
        );
        assert!(
            dup.unwrap_err()
                .to_string()
                .contains("duplicate gene name `g`")
        );
        assert!(
            toy()
                .with_labels(Labels::from_names(&["a"]).unwrap())
                .is_err()
        );
    }

    #[test]
    fn numeric_class_names_sort_numerically() {
        let l = Labels::from_names(&["10", "2", "1", "2"]).unwrap();
        assert_eq!(l.class_names(), &["1", "2", "10"]);
        assert_eq!(l.assignments(), &[2, 1, 0, 1]);
        assert_eq!(l.class_counts(), vec![1, 2, 1]);
    }
}
