//! A user-defined explainer gets panels, files and metrics-ready rankings for free.

use crate::common::{MARKERS, marker_data, trained};
use kratos_explain::{CellBatch, Explainer, GenePanel, Result, ValidPanelOptions, explain_panel};
use kratos_model::{AutodiffBackend, TrainedModel};

/// Scores a gene by how far the cell's value lies above the gene's mean.
struct ExpressionContrast;

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

/// An explainer that breaks the contract (wrong output size) gets an error, not a panic.
struct Broken;

impl<B: AutodiffBackend> Explainer<B> for Broken {
    fn name(&self) -> String {
        "broken".into()
    }
    fn attribute(&self, _: &TrainedModel<B>, _: &CellBatch<'_>) -> Result<Vec<f32>> {
        Ok(vec![1.0])
    }
}

#[test]
fn custom_explainer_yields_a_usable_panel() {
    let data = marker_data();
    let model = trained(&data);
    let panel = explain_panel(
        &ExpressionContrast,
        &model,
        &data,
        &ValidPanelOptions::default(),
    )
    .unwrap();
    assert_eq!(panel.method(), "expression-contrast");
    for (k, &m) in MARKERS.iter().enumerate() {
        assert_eq!(panel.ranking(k)[0], m);
    }
    let dir = tempfile::tempdir().unwrap();
    panel.write_tsv(dir.path().join("custom.tsv")).unwrap();
    let back = GenePanel::read_tsv(dir.path().join("custom.tsv"), "expression-contrast").unwrap();
    assert_eq!(back.rankings_for(&data).unwrap(), panel.rankings());

    let err = explain_panel(&Broken, &model, &data, &ValidPanelOptions::default()).unwrap_err();
    assert!(err.to_string().contains("returned 1 values"), "{err}");
}
