//! Plugging a custom explainer into kratos.
//!
//! `ExpressionContrast` needs no gradient at all: it scores a gene by how far the cell's scaled
//! value lies above the gene's mean over all explained cells. `MarginGradient` is a gradient
//! method built on the model's public input gradient: the gradient of the cell's class
//! probability minus the mean of the others'. Because both implement [`Explainer`],
//! `explain_panel` turns them into ranked `GenePanel`s — and the CLI's reports and the
//! evaluation in `kratos-metrics` accept those panels like any other.
//!
//! Run with `cargo run --release -p kratos-explain --example custom_explainer`.

use kratos_data::{Dataset, Labels};
use kratos_explain::{CellBatch, Explainer, PanelOptions, Result, explain_panel};
use kratos_model::{AutodiffBackend, DefaultBackend, TrainedModel, TrainingConfig, fit};

/// Scores gene g of a cell by max(0, x_g − mean_g): expression above the average cell.
pub struct ExpressionContrast;

impl<B: AutodiffBackend> Explainer<B> for ExpressionContrast {
    fn name(&self) -> String {
        "expression-contrast".into()
    }

    fn attribute(&self, model: &TrainedModel<B>, batch: &CellBatch<'_>) -> Result<Vec<f32>> {
        batch.check(model.n_classes())?;
        let mean = batch.mean_or_own();
        Ok(batch
            .values
            .chunks_exact(batch.n_genes)
            .flat_map(|row| row.iter().zip(mean.iter()).map(|(x, m)| (x - m).max(0.0)))
            .collect())
    }
}

/// ∂(a_own − mean of the other classes' a)/∂x: how each gene moves the cell's margin.
pub struct MarginGradient;

impl<B: AutodiffBackend> Explainer<B> for MarginGradient {
    fn name(&self) -> String {
        "margin-gradient".into()
    }

    fn attribute(&self, model: &TrainedModel<B>, batch: &CellBatch<'_>) -> Result<Vec<f32>> {
        batch.check(model.n_classes())?;
        let k = model.n_classes();
        let others = 1.0 / (k - 1).max(1) as f32;
        let upstream: Vec<f32> = batch
            .classes
            .iter()
            .flat_map(|&own| (0..k).map(move |c| if c == own { 1.0 } else { -others }))
            .collect();
        Ok(model.input_gradient(batch.values, batch.n_cells, &upstream)?)
    }
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    // Two cell types; gene 2 marks type B, gene 0 marks type A.
    let values: Vec<f32> = (0..80)
        .flat_map(|i| {
            let b = i % 2 == 1;
            [
                if b { 0.0 } else { 3.0 },
                (i % 7) as f32,
                if b { 5.0 } else { 0.0 },
            ]
        })
        .collect();
    let labels: Vec<&str> = (0..80)
        .map(|i| if i % 2 == 1 { "B" } else { "A" })
        .collect();
    let data = Dataset::from_matrix(values, 80, 3)?.with_labels(Labels::from_names(&labels)?)?;
    let config = TrainingConfig::new()
        .with_epochs(40)
        .with_learning_rate(1e-2)
        .check()?;
    let model = fit::<DefaultBackend>(&data, &config, &Default::default())?;
    let options = PanelOptions::new().check()?;
    for panel in [
        explain_panel(&ExpressionContrast, &model, &data, &options)?,
        explain_panel(&MarginGradient, &model, &data, &options)?,
    ] {
        for (k, class) in panel.class_names().iter().enumerate() {
            println!("{} {class}: {:?}", panel.method(), panel.top_genes(k, 3));
        }
    }
    Ok(())
}
