//! Plain-Rust conversions between the arrays the Python side hands over and kratos' types: no
//! Python object is touched here, so every function can be unit-tested without an interpreter.

use kratos::data::SparseMatrix;
use kratos::{DataError, Dataset, ExplainError, Labels, MetricsError, ModelError};

/// An error for Python: `Value` becomes `ValueError` (the caller can fix the input or a
/// parameter), `Runtime` becomes `RuntimeError` (anything else).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindError {
    /// Bad input or parameter.
    Value(String),
    /// Everything else.
    Runtime(String),
}

impl From<kratos::Error> for BindError {
    fn from(e: kratos::Error) -> Self {
        if is_caller_error(&e) {
            BindError::Value(e.to_string())
        } else {
            BindError::Runtime(e.to_string())
        }
    }
}

impl From<DataError> for BindError {
    fn from(e: DataError) -> Self {
        kratos::Error::from(e).into()
    }
}

impl From<ExplainError> for BindError {
    fn from(e: ExplainError) -> Self {
        kratos::Error::from(e).into()
    }
}

/// Whether `e` is about the caller's data or parameters (as opposed to an I/O failure, a
/// diverged training or a bug), i.e. whether a `ValueError` is the right exception.
pub fn is_caller_error(e: &kratos::Error) -> bool {
    use kratos::Error as E;
    match e {
        E::InvalidParameter { .. } | E::NoData => true,
        E::Data(d) => is_caller_data_error(d),
        E::Model(ModelError::InvalidParameter { .. }) => true,
        E::Model(ModelError::Data(d)) => is_caller_data_error(d),
        E::Explain(ExplainError::InvalidParameter { .. } | ExplainError::InvalidInput(_)) => true,
        E::Explain(ExplainError::Data(d)) => is_caller_data_error(d),
        E::Metrics(MetricsError::InvalidParameter { .. } | MetricsError::InvalidInput(_)) => true,
        E::Metrics(MetricsError::Data(d)) => is_caller_data_error(d),
        _ => false,
    }
}

fn is_caller_data_error(d: &DataError) -> bool {
    matches!(
        d,
        DataError::Invalid(_)
            | DataError::ClassTooSmall { .. }
            | DataError::BadValue { .. }
            | DataError::Duplicate { .. }
            | DataError::LabelMismatch { .. }
    )
}

/// A matrix value numpy may hold, as kratos' `f32`.
pub trait Value: Copy + std::fmt::Display {
    /// The value as `f32` (rounded for `f64`; out of `f32`'s range it becomes infinite).
    fn to_f32(self) -> f32;
    /// Whether the value is finite in its own type.
    fn finite(self) -> bool;
}

impl Value for f32 {
    fn to_f32(self) -> f32 {
        self
    }
    fn finite(self) -> bool {
        self.is_finite()
    }
}

impl Value for f64 {
    fn to_f32(self) -> f32 {
        self as f32
    }
    fn finite(self) -> bool {
        self.is_finite()
    }
}

/// An index type of scipy's CSR arrays (`int32` or `int64`).
pub trait Index: Copy + std::fmt::Display + TryInto<usize> {}
impl Index for i32 {}
impl Index for i64 {}

/// `values` (cells x genes, row-major order as iterated) as a dense data set. A value that is
/// NaN or infinite, or too large for `f32`, is refused naming its cell and gene.
pub fn dense_dataset<V: Value>(
    values: impl ExactSizeIterator<Item = V>,
    cell_ids: Vec<String>,
    gene_names: Vec<String>,
) -> Result<Dataset, BindError> {
    let n_genes = gene_names.len();
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        let x = v.to_f32();
        if !x.is_finite() {
            let pos = out.len();
            return Err(not_finite(
                v,
                &cell_ids,
                &gene_names,
                pos / n_genes,
                pos % n_genes,
            ));
        }
        out.push(x);
    }
    Ok(Dataset::new(out, cell_ids, gene_names)?)
}

fn not_finite<V: Value>(
    v: V,
    cell_ids: &[String],
    gene_names: &[String],
    cell: usize,
    gene: usize,
) -> BindError {
    let (cell, gene) = (
        cell_ids.get(cell).map_or("?", String::as_str),
        gene_names.get(gene).map_or("?", String::as_str),
    );
    let problem = if v.finite() {
        "too large for 32-bit floats"
    } else {
        "not finite"
    };
    BindError::Value(format!(
        "the value of cell `{cell}`, gene `{gene}` is {v} ({problem}); kratos needs finite values \
         (fix or drop them, e.g. with numpy.nan_to_num)"
    ))
}

/// The CSR arrays of a cells x genes matrix (scipy's `data`, `indices`, `indptr`) as a sparse
/// data set. A non-finite value is refused naming its cell and gene; bad index arrays are
/// refused with kratos' message.
pub fn csr_dataset<V: Value, I: Index, J: Index>(
    shape: (usize, usize),
    values: &[V],
    indices: &[J],
    indptr: &[I],
    cell_ids: Vec<String>,
    gene_names: Vec<String>,
) -> Result<Dataset, BindError> {
    let index = |what: &str, i: usize, v: &dyn std::fmt::Display| {
        BindError::Value(format!(
            "X is a CSR matrix whose {what}[{i}] is {v}; indices must be non-negative"
        ))
    };
    let indptr: Vec<usize> = indptr
        .iter()
        .enumerate()
        .map(|(i, &p)| p.try_into().map_err(|_| index("indptr", i, &p)))
        .collect::<Result<_, _>>()?;
    let indices: Vec<u32> = indices
        .iter()
        .enumerate()
        .map(|(i, &j)| {
            j.try_into()
                .ok()
                .and_then(|j: usize| u32::try_from(j).ok())
                .ok_or_else(|| index("indices", i, &j))
        })
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(values.len());
    for (pos, &v) in values.iter().enumerate() {
        let x = v.to_f32();
        if !x.is_finite() {
            // The row holding entry `pos`: the last row starting at or before it.
            let cell = indptr.partition_point(|&p| p <= pos).saturating_sub(1);
            let gene = indices.get(pos).map_or(usize::MAX, |&j| j as usize);
            return Err(not_finite(v, &cell_ids, &gene_names, cell, gene));
        }
        out.push(x);
    }
    let matrix = SparseMatrix::from_csr(shape.0, shape.1, indptr, indices, out)?;
    Ok(Dataset::from_sparse(matrix, cell_ids, gene_names)?)
}

/// Labels from pandas' categorical codes (`-1` for a missing value) and categories; the
/// categories keep their order (scanpy's group order). Categories without cells are dropped.
pub fn labels_from_codes(
    categories: Vec<String>,
    codes: &[i64],
    cell_ids: &[String],
    groupby: &str,
) -> Result<Labels, BindError> {
    let k = categories.len();
    let mut assignments = Vec::with_capacity(codes.len());
    for (cell, &c) in codes.iter().enumerate() {
        match usize::try_from(c) {
            Ok(c) if c < k => assignments.push(c),
            _ => {
                let id = cell_ids.get(cell).map_or("?", String::as_str);
                return Err(BindError::Value(format!(
                    "cell `{id}` has no group in obs['{groupby}'] (missing value); drop such \
                     cells or give them a group"
                )));
            }
        }
    }
    Ok(Labels::new(categories, assignments)?.drop_empty_classes())
}

/// Rows of equal length as one row-major buffer with its shape (rows, columns).
pub fn flatten_rows<T>(rows: Vec<Vec<T>>) -> Result<(Vec<T>, usize, usize), BindError> {
    let n_rows = rows.len();
    let n_cols = rows.first().map_or(0, Vec::len);
    if let Some(i) = rows.iter().position(|r| r.len() != n_cols) {
        return Err(BindError::Runtime(format!(
            "row {i} has {} values, row 0 has {n_cols}: the ranking is ragged",
            rows[i].len()
        )));
    }
    Ok((rows.into_iter().flatten().collect(), n_rows, n_cols))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    #[test]
    fn dense_values_convert_and_nan_names_the_cell_and_gene() {
        let d = dense_dataset(
            [1.0f64, 2.0, 3.0, 4.0].into_iter(),
            names("c", 2),
            names("g", 2),
        )
        .unwrap();
        assert_eq!(d.to_dense_values(), vec![1.0, 2.0, 3.0, 4.0]);
        let e = dense_dataset(
            [1.0f32, 2.0, f32::NAN, 4.0].into_iter(),
            names("c", 2),
            names("g", 2),
        )
        .unwrap_err();
        let BindError::Value(m) = e else {
            panic!("{e:?}")
        };
        assert!(
            m.contains("cell `c1`, gene `g0`") && m.contains("NaN"),
            "{m}"
        );
        let e = dense_dataset([1e300f64].into_iter(), names("c", 1), names("g", 1)).unwrap_err();
        assert!(
            matches!(&e, BindError::Value(m) if m.contains("too large")),
            "{e:?}"
        );
    }

    #[test]
    fn csr_arrays_become_the_same_matrix_and_bad_entries_are_named() {
        // [[0, 2, 0], [1, 0, 3]]
        let d = csr_dataset(
            (2, 3),
            &[2.0f32, 1.0, 3.0],
            &[1i32, 0, 2],
            &[0i64, 1, 3],
            names("c", 2),
            names("g", 3),
        )
        .unwrap();
        assert!(d.is_sparse());
        assert_eq!(d.to_dense_values(), vec![0.0, 2.0, 0.0, 1.0, 0.0, 3.0]);

        let e = csr_dataset(
            (2, 3),
            &[2.0f64, 1.0, f64::INFINITY],
            &[1i64, 0, 2],
            &[0i32, 1, 3],
            names("c", 2),
            names("g", 3),
        )
        .unwrap_err();
        assert!(
            matches!(&e, BindError::Value(m) if m.contains("cell `c1`, gene `g2`") && m.contains("inf")),
            "{e:?}"
        );
        // An empty first row: entry 0 belongs to row 1.
        let e = csr_dataset(
            (2, 2),
            &[f32::NAN],
            &[1i32],
            &[0i32, 0, 1],
            names("c", 2),
            names("g", 2),
        )
        .unwrap_err();
        assert!(
            matches!(&e, BindError::Value(m) if m.contains("cell `c1`, gene `g1`")),
            "{e:?}"
        );

        let e = csr_dataset(
            (1, 2),
            &[1.0f32],
            &[-1i32],
            &[0i32, 1],
            names("c", 1),
            names("g", 2),
        )
        .unwrap_err();
        assert!(
            matches!(&e, BindError::Value(m) if m.contains("indices[0] is -1")),
            "{e:?}"
        );
        let e = csr_dataset(
            (1, 2),
            &[1.0f32],
            &[5i32],
            &[0i32, 1],
            names("c", 1),
            names("g", 2),
        )
        .unwrap_err();
        assert!(
            matches!(&e, BindError::Value(m) if m.contains("out of range")),
            "{e:?}"
        );
    }

    #[test]
    fn codes_keep_the_category_order_and_a_missing_group_is_named() {
        let cats = vec!["T".to_string(), "B".to_string(), "unused".to_string()];
        let l = labels_from_codes(cats.clone(), &[1, 0, 1], &names("c", 3), "cell_type").unwrap();
        assert_eq!(l.class_names(), ["T", "B"]);
        assert_eq!(l.assignments(), [1, 0, 1]);
        let e = labels_from_codes(cats, &[1, -1, 0], &names("c", 3), "cell_type").unwrap_err();
        assert!(
            matches!(&e, BindError::Value(m) if m.contains("cell `c1`") && m.contains("obs['cell_type']")),
            "{e:?}"
        );
    }

    #[test]
    fn rows_flatten_row_major_and_ragged_rows_are_refused() {
        assert_eq!(
            flatten_rows(vec![vec![1, 2], vec![3, 4], vec![5, 6]]).unwrap(),
            (vec![1, 2, 3, 4, 5, 6], 3, 2)
        );
        assert_eq!(flatten_rows::<u8>(vec![]).unwrap(), (vec![], 0, 0));
        assert!(flatten_rows(vec![vec![1], vec![2, 3]]).is_err());
    }

    #[test]
    fn data_and_parameter_errors_are_the_callers_others_are_not() {
        let data = kratos::Error::from(DataError::Invalid("bad".into()));
        assert!(matches!(BindError::from(data), BindError::Value(_)));
        let param = kratos::Error::InvalidParameter {
            name: "n_genes",
            problem: "must be at least 1".into(),
        };
        assert!(is_caller_error(&param));
        let missing = kratos::Error::PanelClassMissing {
            class: "A".into(),
            panel_classes: "B".into(),
        };
        assert!(matches!(BindError::from(missing), BindError::Runtime(_)));
    }
}
