//! [`Row`]: one cell's values as a [`crate::Dataset`] holds them, dense or sparse.

/// One cell's values: all of them, or the non-zero ones with their genes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Row<'a> {
    /// Every gene's value, in gene order.
    Dense(&'a [f32]),
    /// The genes with a non-zero value (ascending) and their values; every other gene is 0.
    Sparse {
        /// Gene (column) indices, ascending.
        indices: &'a [u32],
        /// Their values.
        values: &'a [f32],
        /// Genes of the row.
        n_genes: usize,
    },
}

impl<'a> Row<'a> {
    /// Number of genes.
    pub fn len(&self) -> usize {
        match self {
            Row::Dense(v) => v.len(),
            Row::Sparse { n_genes, .. } => *n_genes,
        }
    }

    /// Whether the row has no genes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of gene `gene` (0 when a sparse row does not store it).
    pub fn get(&self, gene: usize) -> f32 {
        match self {
            Row::Dense(v) => v[gene],
            Row::Sparse {
                indices, values, ..
            } => match indices.binary_search(&(gene as u32)) {
                Ok(k) => values[k],
                Err(_) => 0.0,
            },
        }
    }

    /// The (gene, value) pairs with a non-zero value, in gene order.
    pub fn nonzeros(&self) -> Nonzeros<'a> {
        self.nonzeros_in(0..self.len())
    }

    /// The (gene, value) pairs with a non-zero value among the genes `genes`, in gene order.
    ///
    /// Panics if the range reaches past the last gene.
    pub fn nonzeros_in(&self, genes: std::ops::Range<usize>) -> Nonzeros<'a> {
        match *self {
            Row::Dense(v) => Nonzeros::Dense {
                offset: genes.start,
                values: v[genes].iter().enumerate(),
            },
            Row::Sparse {
                indices,
                values,
                n_genes,
            } => {
                assert!(genes.end <= n_genes, "genes {genes:?} of {n_genes}");
                let from = indices.partition_point(|&j| (j as usize) < genes.start);
                let to = indices.partition_point(|&j| (j as usize) < genes.end);
                Nonzeros::Sparse(indices[from..to].iter().zip(values[from..to].iter()))
            }
        }
    }

    /// Every gene's value, in gene order.
    pub fn iter(&self) -> Values<'a> {
        match *self {
            Row::Dense(v) => Values::Dense(v.iter()),
            Row::Sparse {
                indices,
                values,
                n_genes,
            } => Values::Sparse {
                indices,
                values,
                at: 0,
                gene: 0,
                n_genes,
            },
        }
    }

    /// Appends every gene's value to `out`.
    pub fn extend_dense(&self, out: &mut Vec<f32>) {
        match self {
            Row::Dense(v) => out.extend_from_slice(v),
            Row::Sparse {
                indices,
                values,
                n_genes,
            } => {
                let start = out.len();
                out.resize(start + n_genes, 0.0);
                for (&j, &v) in indices.iter().zip(values.iter()) {
                    out[start + j as usize] = v;
                }
            }
        }
    }

    /// Every gene's value as a new vector.
    pub fn to_vec(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.len());
        self.extend_dense(&mut out);
        out
    }
}

impl<'a> IntoIterator for Row<'a> {
    type Item = f32;
    type IntoIter = Values<'a>;

    /// Every gene's value, in gene order ([`Row::iter`]).
    fn into_iter(self) -> Values<'a> {
        self.iter()
    }
}

/// The non-zero (gene, value) pairs of a [`Row`].
#[derive(Debug, Clone)]
pub enum Nonzeros<'a> {
    /// Of a dense row: every value of a range of genes starting at `offset`, zeros skipped.
    Dense {
        /// The first gene of the range.
        offset: usize,
        /// The range's values.
        values: std::iter::Enumerate<std::slice::Iter<'a, f32>>,
    },
    /// Of a sparse row: the stored values.
    Sparse(std::iter::Zip<std::slice::Iter<'a, u32>, std::slice::Iter<'a, f32>>),
}

impl Iterator for Nonzeros<'_> {
    type Item = (usize, f32);

    fn next(&mut self) -> Option<(usize, f32)> {
        match self {
            Nonzeros::Dense { offset, values } => values
                .find(|(_, v)| **v != 0.0)
                .map(|(j, &v)| (*offset + j, v)),
            Nonzeros::Sparse(it) => it.find(|(_, v)| **v != 0.0).map(|(&j, &v)| (j as usize, v)),
        }
    }
}

/// Every value of a [`Row`], in gene order.
#[derive(Debug, Clone)]
pub enum Values<'a> {
    /// Of a dense row.
    Dense(std::slice::Iter<'a, f32>),
    /// Of a sparse row: zeros between the stored values.
    Sparse {
        /// Stored genes.
        indices: &'a [u32],
        /// Stored values.
        values: &'a [f32],
        /// Next stored entry.
        at: usize,
        /// Next gene.
        gene: usize,
        /// Genes of the row.
        n_genes: usize,
    },
}

impl Iterator for Values<'_> {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        match self {
            Values::Dense(it) => it.next().copied(),
            Values::Sparse {
                indices,
                values,
                at,
                gene,
                n_genes,
            } => {
                if *gene >= *n_genes {
                    return None;
                }
                let v = if *at < indices.len() && indices[*at] as usize == *gene {
                    *at += 1;
                    values[*at - 1]
                } else {
                    0.0
                };
                *gene += 1;
                Some(v)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_rows_read_alike() {
        let dense = [0.0, 2.0, 0.0, 3.0];
        let a = Row::Dense(&dense);
        let b = Row::Sparse {
            indices: &[1, 3],
            values: &[2.0, 3.0],
            n_genes: 4,
        };
        for r in [a, b] {
            assert_eq!(r.to_vec(), dense);
            assert_eq!(r.iter().collect::<Vec<_>>(), dense);
            assert_eq!(r.nonzeros().collect::<Vec<_>>(), [(1, 2.0), (3, 3.0)]);
            assert_eq!(r.nonzeros_in(2..4).collect::<Vec<_>>(), [(3, 3.0)]);
            assert_eq!(r.nonzeros_in(0..1).count(), 0);
            assert_eq!((r.get(0), r.get(3), r.len()), (0.0, 3.0, 4));
        }
    }
}
