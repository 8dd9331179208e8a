//! A marker-gene ranking in scanpy's `rank_genes_groups` layout, as [`super::write_h5ad`]
//! writes it into `uns`.

/// Marker genes per group in the layout scanpy's `sc.tl.rank_genes_groups` leaves in
/// `adata.uns[key]`, so that `sc.get.rank_genes_groups_df(adata, group=None, key=key)` and
/// `sc.pl.rank_genes_groups_dotplot(adata, key=key)` work on the written file.
///
/// `names`, `scores` and the optional per-gene statistics hold one list per group (in the
/// order of `groups`), each ranked best first and all of the same length; they are written as
/// record arrays with one field per group. `logfoldchanges`, `pvals` and `pvals_adj` may be
/// left out only when `method` is `"logreg"` (scanpy's `rank_genes_groups_df` reads them for
/// every other method).
///
/// ```
/// use kratos_data::write::{GeneFractions, RankGenesGroups};
/// let mut r = RankGenesGroups::new(
///     "label",
///     "kratos",
///     vec!["B".into(), "T".into()],
///     vec![vec!["g1".into(), "g2".into()], vec!["g2".into(), "g1".into()]],
///     vec![vec![3.0, 1.0], vec![2.5, 0.5]],
/// );
/// r.logfoldchanges = Some(vec![vec![1.2, 0.1], vec![0.9, -0.3]]);
/// r.pvals = Some(vec![vec![0.001, 0.2], vec![0.01, 0.5]]);
/// r.pvals_adj = Some(vec![vec![0.002, 0.2], vec![0.02, 0.5]]);
/// r.pts = Some(GeneFractions::new(
///     vec!["g1".into(), "g2".into()],
///     vec![vec![0.9, 0.4], vec![0.3, 0.8]],
/// ));
/// assert_eq!(r.reference, "rest");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RankGenesGroups {
    /// The `obs` column the groups come from (`params/groupby`); the plots group cells by it.
    pub groupby: String,
    /// How the genes were ranked (`params/method`), e.g. `"kratos"`, `"wilcoxon"`,
    /// `"t-test"`, `"logreg"`.
    pub method: String,
    /// What each group was compared with (`params/reference`); default `"rest"`.
    pub reference: String,
    /// Whether the ranking used `adata.raw` (`params/use_raw`); default `false`.
    pub use_raw: bool,
    /// The layer the ranking used (`params/layer`); default `None` (`X`).
    pub layer: Option<String>,
    /// The multiple-testing correction (`params/corr_method`); default
    /// `"benjamini-hochberg"`.
    pub corr_method: String,
    /// The group names, in the order of the per-group lists below.
    pub groups: Vec<String>,
    /// The ranked gene names of each group.
    pub names: Vec<Vec<String>>,
    /// The score of each ranked gene (written as `float32`).
    pub scores: Vec<Vec<f32>>,
    /// The log2 fold change of each ranked gene (written as `float32`).
    pub logfoldchanges: Option<Vec<Vec<f32>>>,
    /// The p-value of each ranked gene (written as `float64`).
    pub pvals: Option<Vec<Vec<f64>>>,
    /// The corrected p-value of each ranked gene (written as `float64`).
    pub pvals_adj: Option<Vec<Vec<f64>>>,
    /// The fraction of each group's cells expressing each gene (scanpy's `pts=True`).
    pub pts: Option<GeneFractions>,
    /// The fraction of the other cells expressing each gene (scanpy's `pts_rest`).
    pub pts_rest: Option<GeneFractions>,
}

impl RankGenesGroups {
    /// A ranking with the required parts; `reference` is `"rest"`, `use_raw` `false`, `layer`
    /// `None`, `corr_method` `"benjamini-hochberg"`, and the optional statistics are unset.
    pub fn new(
        groupby: impl Into<String>,
        method: impl Into<String>,
        groups: Vec<String>,
        names: Vec<Vec<String>>,
        scores: Vec<Vec<f32>>,
    ) -> Self {
        RankGenesGroups {
            groupby: groupby.into(),
            method: method.into(),
            reference: "rest".into(),
            use_raw: false,
            layer: None,
            corr_method: "benjamini-hochberg".into(),
            groups,
            names,
            scores,
            logfoldchanges: None,
            pvals: None,
            pvals_adj: None,
            pts: None,
            pts_rest: None,
        }
    }
}

/// A genes x groups table of fractions (scanpy's `pts` and `pts_rest`): `values[g][i]` is the
/// value of gene `genes[i]` in group `g` (groups in the order of [`RankGenesGroups::groups`]).
/// Written as a dataframe indexed by gene with one `float64` column per group.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GeneFractions {
    /// The genes (the dataframe's index), unique.
    pub genes: Vec<String>,
    /// One column per group, one value per gene.
    pub values: Vec<Vec<f64>>,
}

impl GeneFractions {
    /// A table from its genes and one column of values per group.
    pub fn new(genes: Vec<String>, values: Vec<Vec<f64>>) -> Self {
        GeneFractions { genes, values }
    }
}
