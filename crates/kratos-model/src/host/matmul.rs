//! Matrix products on plain row-major buffers, for the host-side loops of training and of the
//! explainers (the first layer during training, CW's backward product).
//!
//! They call matrixmultiply — the GEMM under Burn's NdArray backend — directly: a product
//! through a Burn tensor copies both operands and allocates its output on every call, a large
//! share of CW's time at the explainer's shapes (docs/performance.md, "What each design choice
//! gains"). Without the `blas` feature the results are those of Burn's `matmul` on the default
//! backend; with it, these products still run on matrixmultiply (only Burn's own products go to
//! OpenBLAS).

/// A row-major matrix borrowed for [`matmul_into`], or its transpose.
///
/// ```
/// use kratos_model::host::{MatrixView, matmul_into};
/// let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2 x 3
/// let mut c = [0.0; 4];
/// // a · aᵀ (2 x 2)
/// matmul_into(MatrixView::new(&a, 2, 3), MatrixView::new(&a, 2, 3).transposed(), 0.0, &mut c);
/// assert_eq!(c, [14.0, 32.0, 32.0, 77.0]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MatrixView<'a> {
    values: &'a [f32],
    rows: usize,
    cols: usize,
    transposed: bool,
}

impl<'a> MatrixView<'a> {
    /// The `rows x cols` matrix stored row-major in `values`.
    ///
    /// # Panics
    /// If `values` holds fewer than `rows · cols` values.
    pub fn new(values: &'a [f32], rows: usize, cols: usize) -> Self {
        assert!(
            values.len() >= rows * cols,
            "a {rows} x {cols} matrix needs {} values, got {}",
            rows * cols,
            values.len()
        );
        MatrixView {
            values,
            rows,
            cols,
            transposed: false,
        }
    }

    /// The transpose (no copy).
    pub fn transposed(self) -> Self {
        MatrixView {
            transposed: !self.transposed,
            ..self
        }
    }

    /// Rows and columns as seen by the product (after transposition).
    pub fn shape(&self) -> (usize, usize) {
        if self.transposed {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }

    /// Row and column strides of the matrix as seen by the product.
    fn strides(&self) -> (isize, isize) {
        if self.transposed {
            (1, self.cols as isize)
        } else {
            (self.cols as isize, 1)
        }
    }
}

/// `c ← a·b + β·c`, with `c` row-major (`a`'s rows x `b`'s columns); `β = 0` overwrites `c`.
///
/// # Panics
/// If the inner dimensions differ or `c` holds fewer values than the product.
pub fn matmul_into(a: MatrixView<'_>, b: MatrixView<'_>, beta: f32, c: &mut [f32]) {
    let (m, k) = a.shape();
    let (k2, n) = b.shape();
    assert_eq!(k, k2, "inner dimensions of the product differ");
    assert!(
        c.len() >= m * n,
        "the output holds fewer than {m} x {n} values"
    );
    let ((rsa, csa), (rsb, csb)) = (a.strides(), b.strides());
    // SAFETY: `a` and `b` hold at least rows · cols values each (checked in `MatrixView::new`)
    // and their strides address exactly those; `c` holds m · n values (asserted above) and,
    // being borrowed mutably, aliases neither.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.values.as_ptr(),
            rsa,
            csa,
            b.values.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Every combination of transposed operands against a triple loop, with β = 0 and β = 1.
    #[test]
    fn products_match_a_triple_loop() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let (m, k, n) = (7, 19, 5);
        let a: Vec<f32> = (0..m * k).map(|_| rng.random_range(-1.0..1.0)).collect();
        let b: Vec<f32> = (0..k * n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let at: Vec<f32> = (0..k * m).map(|i| a[(i % m) * k + i / m]).collect();
        let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
        let want: Vec<f32> = (0..m * n)
            .map(|i| (0..k).map(|l| a[(i / n) * k + l] * b[l * n + i % n]).sum())
            .collect();
        let views = [
            (MatrixView::new(&a, m, k), MatrixView::new(&b, k, n)),
            (
                MatrixView::new(&at, k, m).transposed(),
                MatrixView::new(&b, k, n),
            ),
            (
                MatrixView::new(&a, m, k),
                MatrixView::new(&bt, n, k).transposed(),
            ),
            (
                MatrixView::new(&at, k, m).transposed(),
                MatrixView::new(&bt, n, k).transposed(),
            ),
        ];
        for (va, vb) in views {
            let mut c = vec![1.0f32; m * n];
            matmul_into(va, vb, 1.0, &mut c);
            for (got, w) in c.iter().zip(&want) {
                assert!((got - (w + 1.0)).abs() < 1e-5);
            }
            matmul_into(va, vb, 0.0, &mut c);
            for (got, w) in c.iter().zip(&want) {
                assert!((got - w).abs() < 1e-5);
            }
        }
    }

    #[test]
    #[should_panic(expected = "inner dimensions")]
    fn mismatched_shapes_panic() {
        let a = [0.0; 6];
        let mut c = [0.0; 4];
        matmul_into(
            MatrixView::new(&a, 2, 3),
            MatrixView::new(&a, 2, 3),
            0.0,
            &mut c,
        );
    }
}
