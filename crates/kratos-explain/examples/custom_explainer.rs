//! Plugging a custom explainer into kratos.
//!
//! `ExpressionContrast` needs no gradient at all: it scores a gene by how far the cell's scaled
//! value lies above the gene's mean over all explained cells. Because it implements
//! [`Explainer`], `explain_panel` turns it into a ranked `GenePanel` — and the CLI's reports and
//! the evaluation in `kratos-metrics` accept that panel like any other.
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
        Ok(batch
            .values
            .chunks_exact(batch.n_genes)
            .flat_map(|row| {
                row.iter()
                    .zip(batch.gene_mean)
                    .map(|(x, m)| (x - m).max(0.0))
            })
            .collect())
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
    let model = fit::<DefaultBackend>(
        &data,
        &TrainingConfig::new()
            .with_epochs(40)
            .with_learning_rate(1e-2),
        &Default::default(),
    )?;
    let panel = explain_panel(&ExpressionContrast, &model, &data, &PanelOptions::default())?;
    for (k, class) in panel.class_names().iter().enumerate() {
        println!("{class}: {:?}", panel.top_genes(k, 3));
    }
    Ok(())
}
