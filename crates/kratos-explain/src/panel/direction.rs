//! What a biologist reads first beside a panel's genes — up or down in the class, by how much,
//! in how many cells — and listing one direction's genes first.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::GenePanel;
use crate::{Direction, GeneStatistics, Result};

/// [`GeneStatistics`] attached to a panel, with the panel's genes and classes looked up once.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attached {
    statistics: Arc<GeneStatistics>,
    /// Index in the statistics of every gene of the panel.
    genes: Vec<usize>,
    /// Index in the statistics of every class of the panel.
    classes: Vec<usize>,
}

impl Attached {
    /// Looks up `genes` and `classes` in `statistics`; a missing one is an error naming it.
    pub(crate) fn new(
        statistics: Arc<GeneStatistics>,
        genes: &[String],
        classes: &[String],
    ) -> Result<Self> {
        let (genes, classes) = statistics.indices_of(genes, classes)?;
        Ok(Attached {
            statistics,
            genes,
            classes,
        })
    }

    pub(crate) fn statistics(&self) -> &Arc<GeneStatistics> {
        &self.statistics
    }

    /// The summary of panel gene `gene` for panel class `class`.
    pub(crate) fn summary(&self, class: usize, gene: usize) -> GeneSummary {
        let (c, g) = (self.classes[class], self.genes[gene]);
        let s = &self.statistics;
        GeneSummary {
            direction: s.direction(c, g),
            log_fold_change: s.log_fold_change(c)[g],
            fraction_in: s.fraction_in(c)[g],
            fraction_rest: s.fraction_rest(c)[g],
        }
    }
}

/// One gene of one class, as [`GeneStatistics`] describes it: the columns `direction`,
/// `log_fold_change`, `fraction_in` and `fraction_rest` of a panel file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeneSummary {
    /// Higher (`up`) or lower (`down`) in the class than in the other cells, by mean.
    pub direction: Direction,
    /// scanpy's log2 fold change of the class against the rest (values taken as log1p).
    pub log_fold_change: f32,
    /// Fraction of the class's cells in which the gene is not zero (scanpy's `pts`).
    pub fraction_in: f32,
    /// Fraction of the other cells in which the gene is not zero (scanpy's `pts_rest`).
    pub fraction_rest: f32,
}

/// Which genes a panel lists first ([`GenePanel::listing`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Listing {
    /// The ranking as it is, genes higher and lower in the class mixed (the default: listing
    /// one direction first loses discrimination, docs/reproduction.md "Listing the
    /// up-regulated markers first").
    #[default]
    Both,
    /// Genes higher in the class first, then the others, each group in the ranking's order.
    Up,
    /// Genes lower in the class first, then the others, each group in the ranking's order.
    Down,
}

impl Listing {
    /// `"both"`, `"up"` or `"down"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Listing::Both => "both",
            Listing::Up => "up",
            Listing::Down => "down",
        }
    }
}

impl GenePanel {
    /// The panel with `statistics` attached (shared, e.g. by every panel of a run), so that
    /// [`GenePanel::summary`] and the panel file give each gene's direction, fold change and
    /// fractions. Every gene and class of the panel must be in the statistics (matched by
    /// name); a one-vs-one panel's pairs are not, and are refused.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use kratos_data::{Dataset, Labels};
    /// use kratos_explain::{Direction, GeneStatistics, mean_difference_panel};
    /// let data = Dataset::from_matrix(vec![2.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 2.0], 4, 2)?
    ///     .with_labels(Labels::from_names(&["A", "A", "B", "B"])?)?;
    /// let classes = data.labels().unwrap().class_names().to_vec();
    /// let stats = Arc::new(GeneStatistics::of(&data)?);
    /// let panel = mean_difference_panel(&data, &classes)?.with_statistics(stats)?;
    /// let best = panel.ranking(0)[0];
    /// assert_eq!(panel.summary(0, best).unwrap().direction, Direction::Up);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_statistics(mut self, statistics: Arc<GeneStatistics>) -> Result<GenePanel> {
        self.statistics = Some(Attached::new(
            statistics,
            &self.gene_names,
            &self.class_names,
        )?);
        Ok(self)
    }

    /// The attached statistics, if any ([`GenePanel::with_statistics`]).
    pub fn statistics(&self) -> Option<&GeneStatistics> {
        self.statistics.as_ref().map(|a| a.statistics().as_ref())
    }

    /// Direction, fold change and fractions of gene `gene` (column index) for class `class`,
    /// when statistics are attached.
    pub fn summary(&self, class: usize, gene: usize) -> Option<GeneSummary> {
        self.statistics.as_ref().map(|a| a.summary(class, gene))
    }

    /// The panel with each class's genes of direction `listing` (by `statistics`) listed first,
    /// then the others, each group keeping its order in the ranking; scores, genes and classes
    /// are unchanged. [`Listing::Both`] keeps the ranking as it is. Every gene and class of the
    /// panel must be in `statistics`.
    ///
    /// ```
    /// use kratos_data::{Dataset, Labels};
    /// use kratos_explain::{GenePanel, GeneStatistics, Listing};
    /// // gene0 is lower in A, gene1 and gene2 higher.
    /// let values = vec![0.0, 2.0, 1.0, 0.0, 2.0, 1.0, 3.0, 0.0, 0.0, 3.0, 0.0, 0.0];
    /// let data = Dataset::from_matrix(values, 4, 3)?
    ///     .with_labels(Labels::from_names(&["A", "A", "B", "B"])?)?;
    /// let stats = GeneStatistics::of(&data)?;
    /// let genes = data.gene_names().to_vec();
    /// let panel = GenePanel::from_scores("p", genes, vec!["A".into()], vec![vec![3.0, 2.0, 1.0]], vec![2])?;
    /// assert_eq!(panel.listing(Listing::Up, &stats)?.top_genes(0, 3), ["gene1", "gene2", "gene0"]);
    /// assert_eq!(panel.listing(Listing::Both, &stats)?.ranking(0), panel.ranking(0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn listing(&self, listing: Listing, statistics: &GeneStatistics) -> Result<GenePanel> {
        let first = match listing {
            Listing::Both => return Ok(self.clone()),
            Listing::Up => Direction::Up,
            Listing::Down => Direction::Down,
        };
        let (genes, classes) = statistics.indices_of(&self.gene_names, &self.class_names)?;
        let mut out = self.clone();
        for (c, ranking) in out.rankings.iter_mut().enumerate() {
            let (mut chosen, rest): (Vec<usize>, Vec<usize>) = ranking
                .iter()
                .partition(|&&g| statistics.direction(classes[c], genes[g]) == first);
            chosen.extend(rest);
            *ranking = chosen;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kratos_data::{Dataset, Labels};

    /// 6 genes; for class A genes 1, 3, 4 are higher, 0, 2, 5 lower (by mean).
    fn data() -> Dataset {
        let a = [0.0, 3.0, 0.0, 2.0, 1.0, 0.0];
        let b = [2.0, 0.0, 1.0, 0.0, 0.0, 3.0];
        let values: Vec<f32> = [a, a, b, b].concat();
        Dataset::from_matrix(values, 4, 6)
            .unwrap()
            .with_labels(Labels::from_names(&["A", "A", "B", "B"]).unwrap())
            .unwrap()
    }

    fn panel(data: &Dataset) -> GenePanel {
        // Ranking of A: 5, 4, 3, 2, 1, 0; of B: 0, 1, 2, 3, 4, 5.
        GenePanel::from_scores(
            "test",
            data.gene_names().to_vec(),
            vec!["A".into(), "B".into()],
            vec![
                vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                vec![6.0, 5.0, 4.0, 3.0, 2.0, 1.0],
            ],
            vec![2, 2],
        )
        .unwrap()
    }

    #[test]
    fn listing_keeps_the_order_within_each_direction() {
        let d = data();
        let stats = GeneStatistics::of(&d).unwrap();
        let p = panel(&d);
        let up = p.listing(Listing::Up, &stats).unwrap();
        assert_eq!(up.ranking(0), &[4, 3, 1, 5, 2, 0]);
        assert_eq!(up.ranking(1), &[0, 2, 5, 1, 3, 4]);
        let down = p.listing(Listing::Down, &stats).unwrap();
        assert_eq!(down.ranking(0), &[5, 2, 0, 4, 3, 1]);
        assert_eq!(down.ranking(1), &[1, 3, 4, 0, 2, 5]);
        // Scores stay; `both` is the ranking as it was.
        assert_eq!(up.scores(0), p.scores(0));
        assert_eq!(p.listing(Listing::Both, &stats).unwrap(), p);
    }

    #[test]
    fn summaries_come_from_the_attached_statistics() {
        let d = data();
        let stats = Arc::new(GeneStatistics::of(&d).unwrap());
        let p = panel(&d);
        assert!(p.summary(0, 0).is_none() && p.statistics().is_none());
        let p = p.with_statistics(stats.clone()).unwrap();
        let s = p.summary(0, 1).unwrap();
        assert_eq!(s.direction, Direction::Up);
        assert_eq!((s.fraction_in, s.fraction_rest), (1.0, 0.0));
        assert_eq!(s.log_fold_change, stats.log_fold_change(0)[1]);
        assert_eq!(p.summary(1, 1).unwrap().direction, Direction::Down);
        // Re-scoring keeps them; a panel with a class the statistics lack is refused.
        let rescored = p.with_scores(vec![vec![0.0; 6], vec![1.0; 6]]).unwrap();
        assert!(rescored.summary(1, 5).is_some());
        let pairs = GenePanel::from_scores(
            "cw-ovo",
            d.gene_names().to_vec(),
            vec!["A vs B".into()],
            vec![vec![1.0; 6]],
            vec![2],
        )
        .unwrap();
        let e = pairs.with_statistics(stats).unwrap_err().to_string();
        assert!(e.contains("`A vs B`"), "{e}");
    }
}
