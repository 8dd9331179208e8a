use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{DataError, Labels, Result, Row, SparseMatrix};

/// How a [`Dataset`] holds its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Matrix {
    /// Row-major, every value.
    Dense(Vec<f32>),
    /// Compressed sparse rows: the non-zero values only.
    Sparse(SparseMatrix),
}

/// A cells x genes expression matrix (`f32`) with cell ids, gene names and optional labels,
/// held dense (row-major) or sparse (compressed rows of the non-zero values, as single-cell
/// counts mostly are); [`Dataset::row`] reads either.
///
/// Cell ids and gene names are unique; every value is finite. Build one with [`Dataset::new`]
/// (dense) or [`Dataset::from_sparse`], or read one with the functions in [`crate::read`].
///
/// ```
/// use kratos_data::{Dataset, SparseMatrix};
/// let dense = Dataset::from_matrix(vec![0.0, 2.0, 0.0, 1.0, 0.0, 3.0], 2, 3)?;
/// let sparse = dense.clone().into_sparse();
/// assert!(sparse.is_sparse() && sparse.stored_values().len() == 3);
/// assert_eq!(sparse.row(1).to_vec(), dense.row(1).to_vec());
/// assert_eq!(sparse.column(2), vec![0.0, 3.0]);
/// # Ok::<(), kratos_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    matrix: Matrix,
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
    /// Builds a dense data set from row-major values, one id per cell and one name per gene.
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
            matrix: Matrix::Dense(values),
            n_cells,
            n_genes,
            cell_ids,
            gene_names,
            labels: None,
        })
    }

    /// Builds a sparse data set from a cells x genes [`SparseMatrix`] (whose values are finite
    /// by construction), one id per cell and one name per gene.
    ///
    /// Errors if the sizes do not agree or an id or name repeats.
    pub fn from_sparse(
        matrix: SparseMatrix,
        cell_ids: Vec<String>,
        gene_names: Vec<String>,
    ) -> Result<Self> {
        let (n_cells, n_genes) = matrix.shape();
        if cell_ids.len() != n_cells || gene_names.len() != n_genes {
            return Err(DataError::Invalid(format!(
                "{} cell ids and {} gene names for a {n_cells} x {n_genes} matrix",
                cell_ids.len(),
                gene_names.len()
            )));
        }
        check_unique(&cell_ids, "cell id")?;
        check_unique(&gene_names, "gene name")?;
        Ok(Dataset {
            matrix: Matrix::Sparse(matrix),
            n_cells,
            n_genes,
            cell_ids,
            gene_names,
            labels: None,
        })
    }

    /// Builds a dense data set with generated ids (`cell0..`, `gene0..`), handy in tests and
    /// examples.
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

    /// Whether the values are held sparse.
    pub fn is_sparse(&self) -> bool {
        matches!(self.matrix, Matrix::Sparse(_))
    }

    /// The values as held: every value row-major when dense, the non-zero ones (row by row)
    /// when sparse. Any statement about all values that holds for 0 can be checked on these.
    pub fn stored_values(&self) -> &[f32] {
        match &self.matrix {
            Matrix::Dense(v) => v,
            Matrix::Sparse(m) => m.values(),
        }
    }

    /// All values row-major, when held dense.
    pub fn dense_values(&self) -> Option<&[f32]> {
        match &self.matrix {
            Matrix::Dense(v) => Some(v),
            Matrix::Sparse(_) => None,
        }
    }

    /// The sparse matrix, when held sparse.
    pub fn sparse_matrix(&self) -> Option<&SparseMatrix> {
        match &self.matrix {
            Matrix::Dense(_) => None,
            Matrix::Sparse(m) => Some(m),
        }
    }

    /// All values row-major: borrowed when held dense, a dense copy when held sparse.
    pub fn row_major_values(&self) -> std::borrow::Cow<'_, [f32]> {
        match &self.matrix {
            Matrix::Dense(v) => std::borrow::Cow::Borrowed(v),
            Matrix::Sparse(m) => std::borrow::Cow::Owned(m.to_dense()),
        }
    }

    /// All values row-major, as a new vector (made dense when held sparse).
    pub fn to_dense_values(&self) -> Vec<f32> {
        match &self.matrix {
            Matrix::Dense(v) => v.clone(),
            Matrix::Sparse(m) => m.to_dense(),
        }
    }

    /// Applies `f` to every stored value (see [`Dataset::stored_values`]); for sparse data
    /// `f(0)` must be 0, since the zeros are not stored. The caller keeps the values finite.
    pub fn map_stored_values(&mut self, f: impl Fn(f32) -> f32 + Sync) {
        use rayon::prelude::*;
        let values: &mut [f32] = match &mut self.matrix {
            Matrix::Dense(v) => v,
            Matrix::Sparse(m) => m.values_mut(),
        };
        values.par_iter_mut().for_each(|v| *v = f(*v));
    }

    /// Replaces every stored value `v` of gene `j` by `f(j, v)` (see
    /// [`Dataset::stored_values`]); for sparse data `f(j, 0)` must be 0. The caller keeps the
    /// values finite.
    pub fn map_stored_by_gene(&mut self, f: impl Fn(usize, f32) -> f32 + Sync) {
        use rayon::prelude::*;
        let n_genes = self.n_genes.max(1);
        match &mut self.matrix {
            Matrix::Dense(v) => v
                .par_chunks_mut(n_genes)
                .for_each(|row| row.iter_mut().enumerate().for_each(|(j, x)| *x = f(j, *x))),
            Matrix::Sparse(m) => m.map_by_column(f),
        }
    }

    /// Divides every value of cell `i` by `divisors[i]` (zeros stay zeros).
    pub fn divide_rows(&mut self, divisors: &[f32]) {
        let n_genes = self.n_genes;
        match &mut self.matrix {
            Matrix::Dense(v) => {
                for (row, &d) in v.chunks_exact_mut(n_genes.max(1)).zip(divisors) {
                    row.iter_mut().for_each(|x| *x /= d);
                }
            }
            Matrix::Sparse(m) => m.divide_rows(divisors),
        }
    }

    /// Appends every value of the cells `cells` (in that order) to `out`, row-major: a dense
    /// block of rows however the data are held.
    ///
    /// Panics if an index is out of range (indices come from code, not from users).
    pub fn gather_rows(&self, cells: &[usize], out: &mut Vec<f32>) {
        out.reserve(cells.len() * self.n_genes);
        for &c in cells {
            self.row(c).extend_dense(out);
        }
    }

    /// The smallest and largest value of every gene over the cells `cells` (zeros a sparse row
    /// does not store included); `(+inf, -inf)` for every gene when `cells` is empty.
    ///
    /// Panics if an index is out of range (indices come from code, not from users).
    pub fn gene_ranges(&self, cells: &[usize]) -> (Vec<f32>, Vec<f32>) {
        let g = self.n_genes;
        let mut min = vec![f32::INFINITY; g];
        let mut max = vec![f32::NEG_INFINITY; g];
        match &self.matrix {
            Matrix::Dense(_) => {
                for &i in cells {
                    for (j, v) in self.row(i).iter().enumerate() {
                        min[j] = min[j].min(v);
                        max[j] = max[j].max(v);
                    }
                }
            }
            Matrix::Sparse(m) => {
                let mut stored = vec![0usize; g];
                for &i in cells {
                    let (indices, values) = m.row(i);
                    for (&j, &v) in indices.iter().zip(values) {
                        let j = j as usize;
                        min[j] = min[j].min(v);
                        max[j] = max[j].max(v);
                        stored[j] += 1;
                    }
                }
                for j in 0..g {
                    if stored[j] < cells.len() {
                        min[j] = min[j].min(0.0);
                        max[j] = max[j].max(0.0);
                    }
                }
            }
        }
        (min, max)
    }

    /// The values of one cell.
    pub fn row(&self, cell: usize) -> Row<'_> {
        match &self.matrix {
            Matrix::Dense(v) => Row::Dense(&v[cell * self.n_genes..(cell + 1) * self.n_genes]),
            Matrix::Sparse(m) => {
                let (indices, values) = m.row(cell);
                Row::Sparse {
                    indices,
                    values,
                    n_genes: self.n_genes,
                }
            }
        }
    }

    /// The value of one cell and gene.
    pub fn get(&self, cell: usize, gene: usize) -> f32 {
        self.row(cell).get(gene)
    }

    /// The values of one gene across all cells (a copy).
    pub fn column(&self, gene: usize) -> Vec<f32> {
        (0..self.n_cells).map(|i| self.get(i, gene)).collect()
    }

    /// The values of the genes `genes` across all cells, one vector per gene (copies), read in
    /// one pass over the cells.
    ///
    /// Panics if an index is out of range (indices come from code, not from users).
    pub fn columns(&self, genes: &[usize]) -> Vec<Vec<f32>> {
        let mut slot = vec![usize::MAX; self.n_genes];
        for (k, &g) in genes.iter().enumerate() {
            if slot[g] == usize::MAX {
                slot[g] = k;
            }
        }
        let mut columns = vec![vec![0f32; self.n_cells]; genes.len()];
        for (i, row) in (0..self.n_cells).map(|i| self.row(i)).enumerate() {
            for (g, v) in row.nonzeros() {
                if slot[g] != usize::MAX {
                    columns[slot[g]][i] = v;
                }
            }
        }
        for (k, &g) in genes.iter().enumerate() {
            if slot[g] != k {
                columns[k] = columns[slot[g]].clone();
            }
        }
        columns
    }

    /// The non-zero values of the genes `genes` (a range of columns), gene by gene: what
    /// column-wise statistics read without a dense copy. Two passes over the cells.
    ///
    /// Panics if the range reaches past the last gene (ranges come from code, not from users).
    pub fn gene_columns(&self, genes: std::ops::Range<usize>) -> GeneColumns {
        let width = genes.len();
        let mut indptr = vec![0usize; width + 1];
        for i in 0..self.n_cells {
            for (j, _) in self.row(i).nonzeros_in(genes.clone()) {
                indptr[j - genes.start + 1] += 1;
            }
        }
        for j in 0..width {
            indptr[j + 1] += indptr[j];
        }
        let mut next = indptr.clone();
        let mut cells = vec![0u32; indptr[width]];
        let mut values = vec![0f32; indptr[width]];
        for i in 0..self.n_cells {
            for (j, x) in self.row(i).nonzeros_in(genes.clone()) {
                let slot = &mut next[j - genes.start];
                cells[*slot] = i as u32;
                values[*slot] = x;
                *slot += 1;
            }
        }
        GeneColumns {
            first: genes.start,
            indptr,
            cells,
            values,
        }
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

    /// A new data set with the given cells (rows), in the given order, held as this one is.
    /// Labels keep every class.
    ///
    /// Panics if an index is out of range (indices come from code, not from users).
    pub fn select_cells(&self, cells: &[usize]) -> Dataset {
        let matrix = match &self.matrix {
            Matrix::Dense(_) => {
                let mut values = Vec::with_capacity(cells.len() * self.n_genes);
                for &c in cells {
                    self.row(c).extend_dense(&mut values);
                }
                Matrix::Dense(values)
            }
            Matrix::Sparse(m) => Matrix::Sparse(m.select_rows(cells)),
        };
        Dataset {
            matrix,
            n_cells: cells.len(),
            n_genes: self.n_genes,
            cell_ids: cells.iter().map(|&c| self.cell_ids[c].clone()).collect(),
            gene_names: self.gene_names.clone(),
            labels: self.labels.as_ref().map(|l| l.select(cells)),
        }
    }

    /// A new data set with the given genes (columns), in the given order, held as this one is.
    ///
    /// Panics if an index is out of range. Selecting a gene twice makes names repeat, which
    /// this type forbids, so indices must be distinct.
    pub fn select_genes(&self, genes: &[usize]) -> Dataset {
        let matrix = match &self.matrix {
            Matrix::Dense(_) => {
                let mut values = Vec::with_capacity(self.n_cells * genes.len());
                for i in 0..self.n_cells {
                    let row = self.row(i);
                    values.extend(genes.iter().map(|&g| row.get(g)));
                }
                Matrix::Dense(values)
            }
            Matrix::Sparse(m) => Matrix::Sparse(m.select_genes(genes)),
        };
        Dataset {
            matrix,
            n_cells: self.n_cells,
            n_genes: genes.len(),
            cell_ids: self.cell_ids.clone(),
            gene_names: genes.iter().map(|&g| self.gene_names[g].clone()).collect(),
            labels: self.labels.clone(),
        }
    }

    /// The same data held dense.
    pub fn into_dense(self) -> Dataset {
        match self.matrix {
            Matrix::Dense(_) => self,
            Matrix::Sparse(m) => Dataset {
                matrix: Matrix::Dense(m.to_dense()),
                ..self
            },
        }
    }

    /// The same data held sparse (the non-zero values).
    pub fn into_sparse(self) -> Dataset {
        match self.matrix {
            Matrix::Sparse(_) => self,
            Matrix::Dense(v) => Dataset {
                matrix: Matrix::Sparse(SparseMatrix::from_dense_unchecked(
                    &v,
                    self.n_cells,
                    self.n_genes,
                )),
                ..self
            },
        }
    }

    /// The same data held the smaller way: sparse when at most half of the values are non-zero
    /// (a stored value costs a value and a column index), dense otherwise.
    pub fn into_compact(self) -> Dataset {
        let stored = self.stored_values().iter().filter(|&&v| v != 0.0).count();
        if 2 * stored <= self.n_cells * self.n_genes {
            self.into_sparse()
        } else {
            self.into_dense()
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

/// The non-zero values of a range of genes, column by column (from [`Dataset::gene_columns`]).
#[derive(Debug, Clone, PartialEq)]
pub struct GeneColumns {
    first: usize,
    indptr: Vec<usize>,
    cells: Vec<u32>,
    values: Vec<f32>,
}

impl GeneColumns {
    /// The genes held (column indices of the data set).
    pub fn genes(&self) -> std::ops::Range<usize> {
        self.first..self.first + self.indptr.len() - 1
    }

    /// The cells (ascending) where gene `gene` (a column index of the data set, in
    /// [`GeneColumns::genes`]) is not zero, and its values there.
    pub fn column(&self, gene: usize) -> (&[u32], &[f32]) {
        let j = gene - self.first;
        let (a, b) = (self.indptr[j], self.indptr[j + 1]);
        (&self.cells[a..b], &self.values[a..b])
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
    fn subsets_keep_rows_columns_and_labels_dense_and_sparse() {
        for ds in [toy(), toy().into_sparse()] {
            let s = ds.select_cells(&[3, 0]);
            assert_eq!(s.to_dense_values(), [9.0, 10.0, 11.0, 0.0, 1.0, 2.0]);
            assert_eq!(s.cell_ids(), &["cell3", "cell0"]);
            assert_eq!(s.labels().unwrap().assignments(), &[2, 1]);
            assert_eq!(s.is_sparse(), ds.is_sparse());
            let g = ds.select_genes(&[2, 0]);
            assert_eq!(g.row(1).to_vec(), [5.0, 3.0]);
            assert_eq!(g.gene_names(), &["gene2", "gene0"]);
            assert_eq!(ds.cells_of_class(1), vec![0, 2]);
            assert_eq!(ds.column(1), [1.0, 4.0, 7.0, 10.0]);
            assert_eq!(
                ds.columns(&[2, 0, 2]),
                [ds.column(2), ds.column(0), ds.column(2)]
            );
            let block = ds.gene_columns(0..2);
            assert_eq!(block.genes(), 0..2);
            assert_eq!(block.column(0), (&[1u32, 2, 3][..], &[3.0, 6.0, 9.0][..]));
            assert_eq!(block.column(1).1, [1.0, 4.0, 7.0, 10.0]);
            assert_eq!(ds.gene_columns(2..3).column(2).0, [0, 1, 2, 3]);
            assert_eq!(ds.get(0, 0), 0.0);
        }
        // Cell 0's value 0 is not stored sparse.
        assert_eq!(toy().into_sparse().stored_values().len(), 11);
        assert_eq!(toy().into_sparse().into_dense(), toy());
    }

    #[test]
    fn values_map_and_rows_scale_alike_dense_and_sparse() {
        let mut a = toy();
        let mut b = toy().into_sparse();
        for ds in [&mut a, &mut b] {
            ds.map_stored_values(|v| v.ln_1p());
            ds.divide_rows(&[1.0, 0.5, 2.0, 1.0 / 3.0]);
            ds.map_stored_by_gene(|j, v| v * (j + 1) as f32);
        }
        assert_eq!(a.to_dense_values(), b.to_dense_values());
        assert!((a.get(1, 2) - 6.0 * 5f32.ln_1p()).abs() < 1e-5);
        let mut rows = Vec::new();
        b.gather_rows(&[3, 1], &mut rows);
        assert_eq!(rows[3..], a.row(1).to_vec()[..]);
    }

    #[test]
    fn gene_ranges_count_the_zeros_a_sparse_row_does_not_store() {
        let ds = Dataset::from_matrix(vec![0.0, 2.0, 3.0, 4.0, 0.0, 5.0], 2, 3).unwrap();
        for d in [ds.clone(), ds.into_sparse()] {
            assert_eq!(
                d.gene_ranges(&[0, 1]),
                (vec![0.0, 0.0, 3.0], vec![4.0, 2.0, 5.0])
            );
            assert_eq!(
                d.gene_ranges(&[1]),
                (vec![4.0, 0.0, 5.0], vec![4.0, 0.0, 5.0])
            );
        }
    }

    #[test]
    fn the_compact_form_is_the_smaller_one() {
        assert!(!toy().into_compact().is_sparse());
        let mostly_zero = Dataset::from_matrix(vec![0.0, 0.0, 0.0, 1.0], 2, 2).unwrap();
        assert!(mostly_zero.into_compact().is_sparse());
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
        let m = SparseMatrix::from_dense(&[1.0, 0.0], 1, 2).unwrap();
        assert!(Dataset::from_sparse(m, vec!["c".into()], vec!["g".into()]).is_err());
    }
}
