//! Matrix-multiply peak of the backend the project uses (`NdArray<f32>`, matrixmultiply's
//! GEMM, both cores), at the shapes that dominate training and explaining, so that the other
//! benchmarks' GFLOP/s can be read against what this machine's GEMM achieves.
//!
//! ```text
//! cargo run --release -p kratos-benches --bin bench_gemm
//! ```

use kratos_benches::time;
use kratos_model::DefaultBackend;
use kratos_model::burn::tensor::{Distribution, Tensor};

type B = <DefaultBackend as kratos_model::AutodiffBackend>::InnerBackend;

fn main() {
    let device = Default::default();
    // (rows, inner, columns, what it is)
    let shapes = [
        (
            2399usize,
            1838usize,
            256usize,
            "explainer forward, first layer (PBMC3k cells x genes x 256)",
        ),
        (2399, 256, 1838, "explainer backward, first layer"),
        (64, 1838, 256, "training batch, first layer"),
        (2048, 2048, 2048, "square"),
    ];
    for (m, k, n, what) in shapes {
        let a = Tensor::<B, 2>::random([m, k], Distribution::Uniform(-1.0, 1.0), &device);
        let b = Tensor::<B, 2>::random([k, n], Distribution::Uniform(-1.0, 1.0), &device);
        let product = || {
            let c = a.clone().matmul(b.clone());
            // Read one value so the product is certainly computed.
            c.slice([0..1, 0..1]).into_scalar()
        };
        product();
        let reps = ((4e10 / (2.0 * (m * k * n) as f64)) as usize).clamp(3, 200);
        let (seconds, _) = time(|| (0..reps).map(|_| product()).sum::<f32>());
        let per = seconds / reps as f64;
        println!(
            "{}",
            serde_json::json!({
                "name": "gemm", "what": what, "m": m, "k": k, "n": n,
                "seconds": per, "gflops": 2.0 * (m * k * n) as f64 / per / 1e9,
            })
        );
    }
}
