//! Multinomial logistic regression with an L2 penalty, fitted by L-BFGS: scikit-learn's
//! `LogisticRegression(C=…)` (lbfgs solver), with optional sample weights and warm starts.
//!
//! Written here rather than taken from linfa-logistic because the panel design refits it once
//! per gene added, warm-started and with class-balancing sample weights, which that crate does
//! not take.

use ndarray::{Array2, ArrayView2, Axis};

/// A fitted multinomial logistic regression: class scores `x · coefᵀ + intercept`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// Weights, classes x features.
    pub coef: Array2<f64>,
    /// One intercept per class (not penalised).
    pub intercept: Vec<f64>,
    /// The minimised objective: weighted mean cross-entropy plus `‖coef‖² / (2 C Σw)`.
    pub loss: f64,
    /// L-BFGS iterations used.
    pub iterations: usize,
}

/// How a [`fit_logistic`] is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogisticOptions {
    /// Inverse penalty strength, as scikit-learn's `C` (penalty `‖coef‖² / 2` against the
    /// summed, weighted cross-entropy times `C`).
    pub c: f64,
    /// At most this many L-BFGS iterations.
    pub max_iter: usize,
    /// Stop when the largest gradient entry of the (per-weight-normalised) objective is below
    /// this (default 1e-4, scikit-learn's `tol` for lbfgs).
    pub tol: f64,
}

impl Default for LogisticOptions {
    fn default() -> Self {
        LogisticOptions {
            c: 1.0,
            max_iter: 1000,
            tol: 1e-4,
        }
    }
}

impl LogisticFit {
    /// Class scores (cells x classes) of the rows of `x`.
    pub fn decision(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let mut z = standard(x.dot(&self.coef.t()));
        for mut row in z.rows_mut() {
            for (v, b) in row.iter_mut().zip(&self.intercept) {
                *v += b;
            }
        }
        z
    }

    /// The most likely class of each row of `x` (ties to the lower class, as numpy's argmax).
    pub fn predict(&self, x: ArrayView2<f64>) -> Vec<usize> {
        self.decision(x)
            .rows()
            .into_iter()
            .map(|r| argmax(r.as_slice().expect("rows of a standard-layout array")))
            .collect()
    }

    /// Class probabilities (cells x classes) of the rows of `x`.
    pub fn probabilities(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let mut z = self.decision(x);
        for mut row in z.rows_mut() {
            softmax_in_place(row.as_slice_mut().expect("standard layout"));
        }
        z
    }
}

/// `a` in row-major order (a matrix product may hand back column-major results).
fn standard(a: Array2<f64>) -> Array2<f64> {
    if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    }
}

pub(crate) fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (k, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = k;
        }
    }
    best
}

fn softmax_in_place(v: &mut [f64]) -> f64 {
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
    max + sum.ln()
}

/// The objective and its gradient at `theta` (classes x (features + 1), intercept last).
struct Problem<'x, 'y, 'o> {
    x: ArrayView2<'x, f64>,
    y: &'y [usize],
    /// Fixed class scores added to every row's (cells x classes), if any.
    offset: Option<ArrayView2<'o, f64>>,
    /// Sample weights divided by their sum.
    w: Vec<f64>,
    classes: usize,
    /// `1 / (C Σw)`: the penalty's factor on the normalised objective.
    alpha: f64,
}

impl Problem<'_, '_, '_> {
    fn features(&self) -> usize {
        self.x.ncols()
    }

    fn split<'t>(&self, theta: &'t [f64]) -> (ArrayView2<'t, f64>, &'t [f64]) {
        let f = self.features();
        let k = self.classes;
        let coef = ArrayView2::from_shape((k, f), &theta[..k * f]).expect("shape");
        (coef, &theta[k * f..])
    }

    /// Loss and gradient (same layout as `theta`).
    fn evaluate(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let (coef, intercept) = self.split(theta);
        let mut z = standard(self.x.dot(&coef.t()));
        if let Some(offset) = &self.offset {
            z += offset;
        }
        let mut loss = 0.0;
        for (i, mut row) in z.rows_mut().into_iter().enumerate() {
            let r = row.as_slice_mut().expect("standard layout");
            for (v, b) in r.iter_mut().zip(intercept) {
                *v += b;
            }
            let target = r[self.y[i]];
            let log_sum = softmax_in_place(r);
            loss += self.w[i] * (log_sum - target);
            // r now holds probabilities: the residual, weighted.
            r[self.y[i]] -= 1.0;
            for v in r.iter_mut() {
                *v *= self.w[i];
            }
        }
        let f = self.features();
        let k = self.classes;
        let g_coef = z.t().dot(&self.x);
        let mut penalty = 0.0;
        for c in 0..k {
            for j in 0..f {
                let t = theta[c * f + j];
                penalty += t * t;
                grad[c * f + j] = g_coef[[c, j]] + self.alpha * t;
            }
        }
        let g_intercept = z.sum_axis(Axis(0));
        grad[k * f..].copy_from_slice(g_intercept.as_slice().expect("contiguous"));
        loss + 0.5 * self.alpha * penalty
    }
}

/// Fits a multinomial logistic regression of `y` (class indices below `classes`) on the rows of
/// `x`: minimises `Σ wᵢ CE(i) / Σw + ‖coef‖² / (2 C Σw)`, which has scikit-learn's minimiser.
/// `weights` are per-row sample weights (`None`: all 1); `start` warm-starts from an earlier fit
/// with the same classes (its features first, extra features start at 0).
///
/// Panics if the lengths do not fit together (callers are this crate and the panel design).
pub fn fit_logistic(
    x: ArrayView2<f64>,
    y: &[usize],
    classes: usize,
    weights: Option<&[f64]>,
    start: Option<&LogisticFit>,
    options: &LogisticOptions,
) -> LogisticFit {
    fit_logistic_with_offset(x, y, classes, weights, None, start, options)
}

/// [`fit_logistic`] with fixed class scores `offset` (cells x classes) added to the model's:
/// fits new features on top of a fitted model's scores without refitting it (how the panel
/// design tries a candidate gene).
///
/// Panics if the lengths do not fit together (callers are this crate and the panel design).
pub fn fit_logistic_with_offset(
    x: ArrayView2<f64>,
    y: &[usize],
    classes: usize,
    weights: Option<&[f64]>,
    offset: Option<ArrayView2<f64>>,
    start: Option<&LogisticFit>,
    options: &LogisticOptions,
) -> LogisticFit {
    assert_eq!(x.nrows(), y.len(), "one class per row");
    if let Some(o) = &offset {
        assert_eq!(o.dim(), (y.len(), classes), "one offset per row and class");
    }
    let n = y.len();
    let f = x.ncols();
    let w: Vec<f64> = match weights {
        Some(w) => {
            assert_eq!(w.len(), n, "one weight per row");
            w.to_vec()
        }
        None => vec![1.0; n],
    };
    let total: f64 = w.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let problem = Problem {
        x,
        y,
        offset,
        w: w.iter().map(|v| v / total).collect(),
        classes,
        alpha: 1.0 / (options.c * total),
    };
    let mut theta = vec![0.0; classes * (f + 1)];
    if let Some(s) = start {
        let prev = s.coef.ncols().min(f);
        for c in 0..classes.min(s.coef.nrows()) {
            for j in 0..prev {
                theta[c * f + j] = s.coef[[c, j]];
            }
            theta[classes * f + c] = s.intercept[c];
        }
    }
    let (loss, iterations) = lbfgs(&problem, &mut theta, options);
    let (coef, intercept) = problem.split(&theta);
    LogisticFit {
        coef: coef.to_owned(),
        intercept: intercept.to_vec(),
        loss,
        iterations,
    }
}

/// L-BFGS (10 corrections) with a backtracking Armijo line search; returns the final loss and
/// the iterations used.
fn lbfgs(problem: &Problem, theta: &mut [f64], options: &LogisticOptions) -> (f64, usize) {
    const MEMORY: usize = 10;
    let dim = theta.len();
    let mut grad = vec![0.0; dim];
    let mut loss = problem.evaluate(theta, &mut grad);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut rho_hist: Vec<f64> = Vec::new();
    let mut next = vec![0.0; dim];
    let mut next_grad = vec![0.0; dim];
    for iteration in 0..options.max_iter {
        if max_abs(&grad) < options.tol {
            return (loss, iteration);
        }
        // Two-loop recursion: direction = −H·grad.
        let mut d: Vec<f64> = grad.iter().map(|g| -g).collect();
        let mut alphas = vec![0.0; s_hist.len()];
        for j in (0..s_hist.len()).rev() {
            alphas[j] = rho_hist[j] * dot(&s_hist[j], &d);
            axpy(-alphas[j], &y_hist[j], &mut d);
        }
        let gamma = match (s_hist.last(), y_hist.last()) {
            (Some(s), Some(y)) => dot(s, y) / dot(y, y),
            _ => 1.0 / max_abs(&grad).max(1.0),
        };
        d.iter_mut().for_each(|v| *v *= gamma);
        for j in 0..s_hist.len() {
            let beta = rho_hist[j] * dot(&y_hist[j], &d);
            axpy(alphas[j] - beta, &s_hist[j], &mut d);
        }
        let mut slope = dot(&grad, &d);
        if slope >= 0.0 {
            // Not a descent direction (curvature pairs gone stale): restart from the gradient.
            s_hist.clear();
            y_hist.clear();
            rho_hist.clear();
            d = grad.iter().map(|g| -g / max_abs(&grad).max(1.0)).collect();
            slope = dot(&grad, &d);
        }
        let mut step = 1.0;
        let mut next_loss;
        loop {
            for ((n, t), di) in next.iter_mut().zip(theta.iter()).zip(&d) {
                *n = t + step * di;
            }
            next_loss = problem.evaluate(&next, &mut next_grad);
            if next_loss <= loss + 1e-4 * step * slope || step < 1e-12 {
                break;
            }
            step *= 0.5;
        }
        if next_loss.partial_cmp(&loss) != Some(std::cmp::Ordering::Less) && step < 1e-12 {
            return (loss, iteration + 1);
        }
        let s: Vec<f64> = next.iter().zip(theta.iter()).map(|(a, b)| a - b).collect();
        let yv: Vec<f64> = next_grad.iter().zip(&grad).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &yv);
        if sy > 1e-12 * dot(&yv, &yv).max(f64::MIN_POSITIVE) {
            if s_hist.len() == MEMORY {
                s_hist.remove(0);
                y_hist.remove(0);
                rho_hist.remove(0);
            }
            s_hist.push(s);
            y_hist.push(yv);
            rho_hist.push(1.0 / sy);
        }
        let decrease = loss - next_loss;
        theta.copy_from_slice(&next);
        std::mem::swap(&mut grad, &mut next_grad);
        loss = next_loss;
        if decrease.abs() <= 1e-15 * loss.abs().max(1.0) && max_abs(&grad) < options.tol * 1e3 {
            return (loss, iteration + 1);
        }
    }
    (loss, options.max_iter)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn the_gradient_matches_finite_differences() {
        let x = array![
            [0.5, -1.0],
            [1.5, 0.2],
            [-0.3, 0.8],
            [0.0, -0.4],
            [2.0, 1.0]
        ];
        let y = [0, 1, 2, 0, 1];
        let problem = Problem {
            x: x.view(),
            y: &y,
            offset: None,
            w: vec![0.1, 0.3, 0.2, 0.25, 0.15],
            classes: 3,
            alpha: 0.4,
        };
        let theta: Vec<f64> = (0..9).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut grad = vec![0.0; 9];
        problem.evaluate(&theta, &mut grad);
        for j in 0..9 {
            let mut up = theta.clone();
            let mut down = theta.clone();
            up[j] += 1e-6;
            down[j] -= 1e-6;
            let mut scratch = vec![0.0; 9];
            let numeric = (problem.evaluate(&up, &mut scratch)
                - problem.evaluate(&down, &mut scratch))
                / 2e-6;
            assert!(
                (numeric - grad[j]).abs() < 1e-7,
                "{j}: {numeric} vs {}",
                grad[j]
            );
        }
    }

    #[test]
    fn a_warm_start_reaches_the_same_optimum() {
        let x = array![
            [0.5, -1.0],
            [1.5, 0.2],
            [-0.3, 0.8],
            [0.0, -0.4],
            [2.0, 1.0],
            [1.0, 1.0]
        ];
        let y = [0, 1, 2, 0, 1, 2];
        let options = LogisticOptions {
            tol: 1e-10,
            ..LogisticOptions::default()
        };
        let cold = fit_logistic(x.view(), &y, 3, None, None, &options);
        let first = fit_logistic(x.slice(ndarray::s![.., ..1]), &y, 3, None, None, &options);
        let warm = fit_logistic(x.view(), &y, 3, None, Some(&first), &options);
        assert!((cold.loss - warm.loss).abs() < 1e-10);
        for (a, b) in cold.coef.iter().zip(warm.coef.iter()) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        assert!(first.loss > cold.loss);
    }
}
