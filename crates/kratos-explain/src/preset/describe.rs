use std::fmt::Write as _;

use kratos_model::LossKind;
use serde::{Deserialize, Serialize};

use super::{AttributionUnits, Combination, Preprocessing, Preset};
use crate::Aggregation;

/// What a preset is made of and what a run did, for `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresetDescription {
    /// One paragraph in words ([`Preset::describe`]).
    pub summary: String,
    /// The training seed of every model.
    pub member_seeds: Vec<u64>,
    /// Whether log1p was applied (known after a run; `None` before).
    pub log1p_applied: Option<bool>,
    /// The full preset.
    pub preset: Preset,
}

impl Preset {
    /// A one-paragraph description of what the preset does, for logs and reports.
    pub fn describe(&self) -> String {
        let t = &self.training;
        let c = &self.cw;
        let mut s = format!("{}: ", self.name);
        s.push_str(match self.preprocessing {
            Preprocessing::AsIs => "values as given",
            Preprocessing::Log1p => "log1p of the values",
            Preprocessing::Log1pIfCounts => "log1p when the input is counts",
        });
        let _ = write!(
            s,
            ", min-max scaled on the training cells; {} {} ({}, {} epochs, Adam lr {}, batch {}, \
             hidden {:?}{}{}, seed {}); CW one-vs-rest (λ {}, lr {}, α {}, {} iterations), \
             |d| in {} units",
            self.ensemble_size,
            if self.ensemble_size == 1 {
                "model"
            } else {
                "models"
            },
            match t.loss {
                LossKind::BinaryCrossEntropy => "binary cross-entropy",
                LossKind::CategoricalCrossEntropy => "categorical cross-entropy",
            },
            self.member_training(0).epochs,
            t.learning_rate,
            t.batch_size,
            t.hidden_sizes,
            if t.early_stopping.is_some() {
                ", early stopping"
            } else {
                ""
            },
            if t.dropout > 0.0 || t.input_noise > 0.0 || t.l1_first_layer > 0.0 {
                ", regularised"
            } else {
                ""
            },
            t.seed,
            c.lambda,
            c.learning_rate,
            c.alpha,
            c.max_iter,
            match self.units {
                AttributionUnits::Scaled => "min-max",
                AttributionUnits::Input => "input",
            },
        );
        let _ = write!(
            s,
            ", {} over the {} cells of each class",
            match self.panel_options.aggregation {
                Aggregation::MeanAbsolute => "mean |d|",
                Aggregation::AbsoluteMean => "|mean d|",
            },
            if self.panel_options.correct_only {
                "correctly classified"
            } else {
                "labelled"
            }
        );
        if self.ensemble_size > 1 {
            s.push_str("; per-model scores normalised to sum 1 and averaged");
        }
        match self.combination {
            Combination::Attribution => {}
            Combination::RankProductWithExpressionChange => {
                s.push_str("; ranked by the rank product with |Δ mean expression| (class vs rest)")
            }
            Combination::RankProductWithChangeAndRankTest => s.push_str(
                "; ranked by the rank product with |Δ mean expression| and the Wilcoxon \
                 rank-sum |z| (class vs rest)",
            ),
        }
        if self.split_cells && self.ensemble_size > 1 {
            s.push_str("; each model explains its own share of the cells");
        }
        if self.split_epochs && self.ensemble_size > 1 {
            let _ = write!(
                s,
                "; the models share the {} epochs of one training",
                t.epochs
            );
        }
        if let Some(m) = self.max_train_cells_per_class {
            let _ = write!(s, "; at most {m} training cells per class");
        }
        if let Some(m) = t.max_steps {
            let _ = write!(s, "; at most about {m} mini-batches a model");
        }
        if let Some(m) = self.max_genes {
            let _ = write!(
                s,
                "; at most {m} genes (those whose mean changes most in some class) enter the models"
            );
        }
        if let Some(r) = &self.redundancy {
            let _ = write!(
                s,
                "; redundancy-aware re-ranking of the top {} genes (penalty {}{}{})",
                r.candidates,
                r.penalty,
                match r.significance {
                    Some(a) => format!(", genes significantly higher in the class at q < {a}"),
                    None => String::new(),
                },
                match r.relevance_floor {
                    Some(f) => format!(", attribution at least {f} of the class's best"),
                    None => String::new(),
                }
            );
        }
        s
    }

    /// The serialisable description of the preset (before a run).
    pub fn description(&self) -> PresetDescription {
        PresetDescription {
            summary: self.describe(),
            member_seeds: self.member_seeds(),
            preset: self.clone(),
            log1p_applied: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_names_the_default_changes_and_round_trips() {
        let d = Preset::default();
        let text = d.describe();
        assert!(
            text.contains("log1p") && text.contains("3 models") && text.contains("rank product")
        );
        let json = serde_json::to_string(&d.description()).unwrap();
        let back: PresetDescription = serde_json::from_str(&json).unwrap();
        assert_eq!(back.preset, d);
    }
}
