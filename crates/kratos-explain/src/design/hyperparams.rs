use serde::{Deserialize, Serialize};

use kratos_data::Dataset;

use crate::{ExplainError, Result};

/// Parameters of [`crate::design_panel`]: how many genes, which must or must not be in the
/// panel, and the selection's classifier.
///
/// Builder style; [`DesignParams::check`] turns them into [`ValidDesignParams`] or names the
/// first bad value (the number of genes is checked against the data by
/// [`crate::design_panel`]).
///
/// ```
/// use kratos_explain::DesignParams;
/// let params = DesignParams::new(32).include(&["CD3E", "MS4A1"]).exclude(&["MALAT1"]);
/// assert!(params.check().is_ok());
/// assert!(DesignParams::new(0).check().is_err());
/// assert!(DesignParams::new(1).include(&["CD3E", "MS4A1"]).check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignParams {
    /// Genes in the panel (N), the included ones among them.
    pub genes: usize,
    /// Genes forced into the panel (by name), first and in this order: markers a lab already
    /// has.
    pub include: Vec<String>,
    /// Genes kept out of the panel (by name).
    pub exclude: Vec<String>,
    /// L2 penalty of the selection's logistic regression per cell: the squared weights are
    /// penalised by `penalty · Σw / 2` against the summed, weighted cross-entropy (scikit-learn's
    /// `C = 1 / (penalty · Σw)`; default 0.02). Stronger than scikit-learn's default on large
    /// data, which keeps the selection from fitting the small types' noise.
    pub penalty: f64,
    /// How the cells are weighted in the selection (default [`ClassWeighting::SquareRoot`]).
    pub weighting: ClassWeighting,
    /// Of each class, this many of its best genes by the model's panel are candidates
    /// (default 50; see [`crate::design_panel`]).
    pub candidates_per_class: usize,
    /// At each step, this many of the best-scoring candidates are tried — each fitted on top of
    /// the current model's class scores — and the one that lowers the loss most is taken
    /// (default 10; 0 takes the best score without trying).
    pub refits: usize,
    /// How candidates are scored before the refits.
    pub score: DesignScore,
}

/// How [`crate::design_panel`] weights the cells of each class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClassWeighting {
    /// Every cell 1: large types dominate the selection.
    Equal,
    /// Cells weighted by `1 / √n_class` (scaled to mean 1): small types count more than their
    /// size, less than in [`ClassWeighting::Balanced`] (default).
    #[default]
    SquareRoot,
    /// Cells weighted by `n / (K n_class)`: every type counts the same.
    Balanced,
}

/// How [`crate::design_panel`] scores the candidates at each step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DesignScore {
    /// The loss decrease one Newton step on the gene's class weights would give (the squared
    /// gradient over the diagonal of the Hessian, per class; default).
    #[default]
    Newton,
    /// The squared norm of the loss gradient over the gene's class weights ("grafting").
    Gradient,
}

impl DesignParams {
    /// A design of `genes` genes with the defaults.
    pub fn new(genes: usize) -> Self {
        DesignParams {
            genes,
            include: Vec::new(),
            exclude: Vec::new(),
            penalty: 0.02,
            weighting: ClassWeighting::SquareRoot,
            candidates_per_class: 50,
            refits: 10,
            score: DesignScore::Newton,
        }
    }

    /// Genes forced into the panel, in this order.
    pub fn include<S: AsRef<str>>(mut self, genes: &[S]) -> Self {
        self.include = genes.iter().map(|g| g.as_ref().to_string()).collect();
        self
    }

    /// Genes kept out of the panel.
    pub fn exclude<S: AsRef<str>>(mut self, genes: &[S]) -> Self {
        self.exclude = genes.iter().map(|g| g.as_ref().to_string()).collect();
        self
    }

    /// L2 penalty per cell of the selection's logistic regression.
    pub fn penalty(mut self, penalty: f64) -> Self {
        self.penalty = penalty;
        self
    }

    /// How the cells of each class are weighted.
    pub fn weighting(mut self, weighting: ClassWeighting) -> Self {
        self.weighting = weighting;
        self
    }

    /// Candidates per class from the model's panel.
    pub fn candidates_per_class(mut self, m: usize) -> Self {
        self.candidates_per_class = m;
        self
    }

    /// Candidates tried by refitting at each step (0: none).
    pub fn refits(mut self, refits: usize) -> Self {
        self.refits = refits;
        self
    }

    /// How candidates are scored.
    pub fn score(mut self, score: DesignScore) -> Self {
        self.score = score;
        self
    }

    /// Checks the values, naming the first bad one.
    pub fn check(&self) -> Result<ValidDesignParams> {
        if self.genes == 0 {
            return Err(ExplainError::invalid(
                "genes",
                "a panel needs at least 1 gene, got 0",
            ));
        }
        if self.include.len() > self.genes {
            return Err(ExplainError::invalid(
                "include",
                format!(
                    "{} genes to include do not fit into a panel of {}",
                    self.include.len(),
                    self.genes
                ),
            ));
        }
        if let Some(g) = self.include.iter().find(|g| self.exclude.contains(g)) {
            return Err(ExplainError::invalid(
                "include",
                format!("gene `{g}` is both included and excluded"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(g) = self.include.iter().find(|g| !seen.insert(*g)) {
            return Err(ExplainError::invalid(
                "include",
                format!("gene `{g}` is listed twice"),
            ));
        }
        if !(self.penalty > 0.0 && self.penalty.is_finite()) {
            return Err(ExplainError::invalid(
                "penalty",
                format!("must be positive and finite, got {}", self.penalty),
            ));
        }
        if self.candidates_per_class == 0 {
            return Err(ExplainError::invalid(
                "candidates_per_class",
                "must be at least 1, got 0",
            ));
        }
        Ok(ValidDesignParams(self.clone()))
    }
}

/// [`DesignParams`] that passed [`DesignParams::check`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidDesignParams(DesignParams);

impl std::ops::Deref for ValidDesignParams {
    type Target = DesignParams;

    fn deref(&self) -> &DesignParams {
        &self.0
    }
}

impl ValidDesignParams {
    /// The columns of `data` of the genes to include (in their order) and to exclude, or an
    /// error naming the first gene `data` lacks — what a caller checks before training models
    /// for a design.
    ///
    /// ```
    /// use kratos_data::Dataset;
    /// use kratos_explain::DesignParams;
    /// let data = Dataset::from_matrix(vec![0.0; 6], 2, 3)?; // genes gene0..gene2
    /// let params = DesignParams::new(2).include(&["gene2"]).exclude(&["gene0"]).check()?;
    /// assert_eq!(params.gene_columns(&data)?, (vec![2], vec![0]));
    /// let unknown = DesignParams::new(2).include(&["CD3E"]).check()?;
    /// assert!(unknown.gene_columns(&data).unwrap_err().to_string().contains("`CD3E`"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn gene_columns(&self, data: &Dataset) -> Result<(Vec<usize>, Vec<usize>)> {
        let find = |names: &[String], what: &str| {
            names
                .iter()
                .map(|name| {
                    data.gene_index(name).ok_or_else(|| {
                        ExplainError::InvalidInput(format!(
                            "the gene `{name}` to {what} is not among the data's {} genes",
                            data.n_genes()
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()
        };
        Ok((
            find(&self.include, "include")?,
            find(&self.exclude, "exclude")?,
        ))
    }
}
