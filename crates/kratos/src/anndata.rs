//! Panels as scanpy's `rank_genes_groups` result: what `kratos run --write-h5ad` and the Python
//! package put in `adata.uns[key]`, so that scanpy's `rank_genes_groups_df` and
//! `rank_genes_groups_dotplot` read kratos panels unchanged.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kratos_data::Dataset;
use kratos_data::write::{GeneFractions, H5adExtras, RankGenesGroups, write_h5ad};
use kratos_explain::{GenePanel, GeneStatistics, MarkerTest, WilcoxonParams, wilcoxon_test};

use crate::analysis::Analysis;
use crate::{Error, Result};

/// The `uns` key of the default panel in a run's AnnData file (`key="kratos"` in scanpy).
pub const PANEL_KEY: &str = "kratos";
/// The `obsm` key of the cell embedding in a run's AnnData file.
pub const EMBEDDING_KEY: &str = "X_kratos";

/// What a run's AnnData file is made from ([`write_analysis_h5ad`]).
#[derive(Debug, Clone, Copy)]
pub enum H5adSource<'a> {
    /// A copy of the `.h5ad` file the analysis's cells were read from, every entry kept.
    Copy {
        /// The input file.
        input: &'a Path,
        /// The `obs` column the labels were read from (scanpy's `groupby`).
        groupby: &'a str,
        /// The layer read instead of `X`, if any (the ranking's `params/layer`).
        layer: Option<&'a str>,
    },
    /// A new file holding `data` — the cells as read (for input other than `.h5ad`), with
    /// their labels, in the analysis's cell order — the labels in the `obs` column `groupby`.
    New {
        /// The cells.
        data: &'a Dataset,
        /// The `obs` column for the labels.
        groupby: &'a str,
    },
}

/// A class name anndata cannot store as a column of the `pts` / `pts_rest` dataframes (a
/// dataframe column is stored under its name).
fn is_column_name(name: &str) -> bool {
    !(name.is_empty() || name.contains('/') || name == "_index" || name == ".")
}

/// Checks, before a long run, that `data`'s names fit a run's AnnData file: the ranking of
/// every gene is a record array of fixed-length ASCII strings, so every gene name and class
/// name must be ASCII (and class names non-empty). The error names the first that is not.
pub fn check_h5ad_names(data: &Dataset) -> Result<()> {
    let bad = |what: &str, name: &str| Error::InvalidParameter {
        name: "data",
        problem: format!(
            "{what} `{name}` cannot be written to the AnnData ranking, which holds names as ASCII strings (scanpy's record arrays)"
        ),
    };
    if let Some(g) = data.gene_names().iter().find(|g| !g.is_ascii()) {
        return Err(bad("gene", g));
    }
    if let Some(labels) = data.labels()
        && let Some(c) = labels
            .class_names()
            .iter()
            .find(|c| c.is_empty() || !c.is_ascii())
    {
        return Err(bad("class", c));
    }
    Ok(())
}

/// What a run adds to AnnData: `uns[`[`PANEL_KEY`]`]`, the default panel (the analysis's first)
/// in scanpy's `rank_genes_groups` layout ([`rank_genes_groups`]: every gene, with the
/// analysis's statistics and the p-values of a Wilcoxon test on the same values: the run's own,
/// [`Analysis::wilcoxon`], when it has one), and
/// `obsm[`[`EMBEDDING_KEY`]`]`, the models' embedding of every cell. `groupby` is the `obs`
/// column of the labels, `layer` the layer the values came from.
///
/// The fractions `pts` and `pts_rest` are left out (scanpy's readers do without them) when a
/// class name cannot be a dataframe column (a `/` in it, e.g. `CD4+/CD25 T Reg`); the second
/// value then says so.
pub fn analysis_extras(
    analysis: &Analysis,
    groupby: &str,
    layer: Option<&str>,
) -> Result<(H5adExtras, Vec<String>)> {
    let panel = analysis
        .panels
        .first()
        .ok_or_else(|| Error::InvalidParameter {
            name: "analysis",
            problem: "has no panel".into(),
        })?;
    // The run's own Wilcoxon test when it made one (same values, same parameters).
    let own_test;
    let test = match &analysis.wilcoxon {
        Some(test) => test,
        None => {
            own_test = wilcoxon_test(analysis.trained.all_genes_input(), &WilcoxonParams::new())?;
            &own_test
        }
    };
    let mut ranking = rank_genes_groups(panel, &analysis.statistics, Some(test), groupby, None)?;
    ranking.layer = layer.map(str::to_string);
    let mut notes = Vec::new();
    if let Some(bad) = ranking.groups.iter().find(|g| !is_column_name(g)) {
        notes.push(format!(
            "uns['{PANEL_KEY}'] has no pts / pts_rest (fractions of expressing cells): class `{bad}` cannot be a column name in AnnData (no `/`); the fractions are in panels/{}.tsv",
            panel.method()
        ));
        ranking.pts = None;
        ranking.pts_rest = None;
    }
    let dims = analysis.trained.model().embedding_size();
    let extras = H5adExtras::new()
        .obsm(EMBEDDING_KEY, analysis.embedding.clone(), dims)
        .rank_genes_groups(PANEL_KEY, ranking);
    Ok((extras, notes))
}

/// A run's AnnData file, written.
#[derive(Debug, Clone, PartialEq)]
pub struct H5adWritten {
    /// Where.
    pub path: PathBuf,
    /// What the user should know about it (e.g. fractions left out).
    pub notes: Vec<String>,
}

/// Writes the AnnData file of `analysis` at `path`: [`analysis_extras`] added to a copy of the
/// input `.h5ad` or to a new file of the cells ([`H5adSource`]). An existing file is replaced
/// only with `overwrite`; the file appears whole or not at all
/// ([`kratos_data::write::write_h5ad`]).
///
/// Errors: [`Error::InvalidParameter`] when a new file's cells are not the analysis's (in
/// order) or a name is not ASCII ([`check_h5ad_names`]); the writer's errors
/// ([`Error::Data`]) for a file that exists, an input that cannot be copied exactly, labels
/// that are not the `groupby` column's.
pub fn write_analysis_h5ad(
    path: &Path,
    analysis: &Analysis,
    source: &H5adSource<'_>,
    overwrite: bool,
) -> Result<H5adWritten> {
    let cells = analysis.trained.all_genes_input();
    check_h5ad_names(cells)?;
    let (written, notes) = match *source {
        H5adSource::Copy {
            input,
            groupby,
            layer,
        } => {
            let (extras, notes) = analysis_extras(analysis, groupby, layer)?;
            let extras = extras.copy_from(input);
            (write_h5ad(path, cells, &extras, overwrite)?, notes)
        }
        H5adSource::New { data, groupby } => {
            if data.cell_ids() != cells.cell_ids() {
                return Err(Error::InvalidParameter {
                    name: "data",
                    problem: format!(
                        "its {} cells are not the analysis's {} cells in the analysis's order",
                        data.n_cells(),
                        cells.n_cells()
                    ),
                });
            }
            let (extras, notes) = analysis_extras(analysis, groupby, None)?;
            let extras = extras.label_column(groupby);
            (write_h5ad(path, data, &extras, overwrite)?, notes)
        }
    };
    Ok(H5adWritten {
        path: written,
        notes,
    })
}

/// `panel` in scanpy's `rank_genes_groups` layout: per class (the panel's, in its order) the
/// genes in the panel's ranking, at most `n_genes` of them (all when `None`), with the
/// panel's scores, the log fold changes of `statistics`, and `pts` / `pts_rest` over every gene
/// of `statistics`. `test` (a Wilcoxon or t-test of the same data) gives `pvals` and
/// `pvals_adj`, looked up per class and gene; without it they are NaN (scanpy's readers need
/// the fields). `groupby` is the `obs` column the classes come from.
///
/// Errors: [`Error::Explain`] when `statistics` lacks a gene or class of the panel
/// ([`GeneStatistics::indices_of`]); [`Error::PanelClassMissing`] when `test` lacks a class of
/// the panel; [`Error::InvalidParameter`] when `n_genes` is 0.
///
/// ```
/// use kratos::anndata::rank_genes_groups;
/// use kratos::explain::{GeneStatistics, mean_difference_panel};
/// use kratos::{Dataset, Labels};
/// let data = Dataset::from_matrix(vec![2.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 2.0], 4, 2)?
///     .with_labels(Labels::from_names(&["A", "A", "B", "B"])?)?;
/// let classes = data.labels().unwrap().class_names().to_vec();
/// let panel = mean_difference_panel(&data, &classes)?;
/// let stats = GeneStatistics::of(&data)?;
/// let ranking = rank_genes_groups(&panel, &stats, None, "cell_type", Some(1))?;
/// assert_eq!(ranking.names, vec![vec!["gene0".to_string()], vec!["gene1".to_string()]]);
/// assert!(ranking.logfoldchanges.unwrap()[0][0] > 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rank_genes_groups(
    panel: &GenePanel,
    statistics: &GeneStatistics,
    test: Option<&MarkerTest>,
    groupby: &str,
    n_genes: Option<usize>,
) -> Result<RankGenesGroups> {
    if n_genes == Some(0) {
        return Err(Error::InvalidParameter {
            name: "n_genes",
            problem: "must be at least 1".into(),
        });
    }
    let (panel_to_stat, stat_class) =
        statistics.indices_of(panel.gene_names(), panel.class_names())?;
    let test_gene: Option<HashMap<&str, usize>> = test.map(|t| {
        t.panel()
            .gene_names()
            .iter()
            .enumerate()
            .map(|(i, g)| (g.as_str(), i))
            .collect()
    });
    let missing = |class: &str, names: &[String]| Error::PanelClassMissing {
        class: class.to_string(),
        panel_classes: names.join(", "),
    };

    let groups = panel.class_names().to_vec();
    let (mut names, mut scores, mut lfc, mut pvals, mut pvals_adj) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut pts = Vec::with_capacity(groups.len());
    let mut pts_rest = Vec::with_capacity(groups.len());
    for (c, class) in groups.iter().enumerate() {
        let s = stat_class[c];
        let t = match test {
            Some(t) => Some((
                t,
                t.panel()
                    .class_names()
                    .iter()
                    .position(|n| n == class)
                    .ok_or_else(|| missing(class, t.panel().class_names()))?,
            )),
            None => None,
        };
        let ranking = panel.ranking(c);
        let top = &ranking[..n_genes.unwrap_or(ranking.len()).min(ranking.len())];
        names.push(top.iter().map(|&g| panel.gene_names()[g].clone()).collect());
        scores.push(top.iter().map(|&g| panel.scores(c)[g]).collect());
        lfc.push(
            top.iter()
                .map(|&g| statistics.log_fold_change(s)[panel_to_stat[g]])
                .collect(),
        );
        let p_of = |values: &[f64], g: usize| -> f64 {
            let name = panel.gene_names()[g].as_str();
            test_gene
                .as_ref()
                .and_then(|m| m.get(name))
                .map_or(f64::NAN, |&i| values[i])
        };
        match t {
            Some((t, tc)) => {
                pvals.push(top.iter().map(|&g| p_of(t.p_values(tc), g)).collect());
                pvals_adj.push(top.iter().map(|&g| p_of(t.p_adjusted(tc), g)).collect());
            }
            None => {
                pvals.push(vec![f64::NAN; top.len()]);
                pvals_adj.push(vec![f64::NAN; top.len()]);
            }
        }
        pts.push(
            statistics
                .fraction_in(s)
                .iter()
                .map(|&v| f64::from(v))
                .collect(),
        );
        pts_rest.push(
            statistics
                .fraction_rest(s)
                .iter()
                .map(|&v| f64::from(v))
                .collect(),
        );
    }
    let mut ranking = RankGenesGroups::new(groupby, panel.method(), groups, names, scores);
    ranking.logfoldchanges = Some(lfc);
    ranking.pvals = Some(pvals);
    ranking.pvals_adj = Some(pvals_adj);
    ranking.pts = Some(GeneFractions::new(statistics.gene_names().to_vec(), pts));
    ranking.pts_rest = Some(GeneFractions::new(
        statistics.gene_names().to_vec(),
        pts_rest,
    ));
    Ok(ranking)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kratos_data::{Dataset, Labels};
    use kratos_explain::{WilcoxonParams, mean_difference_panel, wilcoxon_test};

    fn data() -> Dataset {
        let values = vec![
            3.0, 0.0, 1.0, //
            2.0, 0.0, 1.0, //
            4.0, 1.0, 0.0, //
            0.0, 2.0, 1.0, //
            0.0, 3.0, 0.0, //
            1.0, 2.0, 1.0,
        ];
        Dataset::from_matrix(values, 6, 3)
            .unwrap()
            .with_labels(Labels::from_names(&["A", "A", "A", "B", "B", "B"]).unwrap())
            .unwrap()
    }

    #[test]
    fn fills_every_field_from_the_panel_statistics_and_test() {
        let d = data();
        let classes = d.labels().unwrap().class_names().to_vec();
        let panel = mean_difference_panel(&d, &classes).unwrap();
        let stats = GeneStatistics::of(&d).unwrap();
        let test = wilcoxon_test(&d, &WilcoxonParams::new()).unwrap();
        let r = rank_genes_groups(&panel, &stats, Some(&test), "label", None).unwrap();
        assert_eq!(r.groups, classes);
        assert_eq!(r.names[0][0], "gene0");
        assert_eq!(r.names[1][0], "gene1");
        assert_eq!(r.names[0].len(), 3);
        let lfc = r.logfoldchanges.as_ref().unwrap();
        assert!(lfc[0][0] > 0.0 && lfc[1][0] > 0.0);
        let p = r.pvals.as_ref().unwrap();
        assert_eq!(p[0][0], test.p_values(0)[0]);
        assert!(p.iter().flatten().all(|v| (0.0..=1.0).contains(v)));
        let pts = r.pts.as_ref().unwrap();
        assert_eq!(pts.values[0][0], 1.0);
        assert_eq!(
            r.pts_rest.as_ref().unwrap().values[0][0],
            f64::from(1.0f32 / 3.0)
        );
        assert_eq!(r.method, "mean-difference");
    }

    #[test]
    fn without_a_test_the_p_values_are_nan_and_n_genes_cuts() {
        let d = data();
        let classes = d.labels().unwrap().class_names().to_vec();
        let panel = mean_difference_panel(&d, &classes).unwrap();
        let stats = GeneStatistics::of(&d).unwrap();
        let r = rank_genes_groups(&panel, &stats, None, "label", Some(2)).unwrap();
        assert_eq!(r.names[0].len(), 2);
        assert!(r.pvals.unwrap().iter().flatten().all(|v| v.is_nan()));
        assert!(rank_genes_groups(&panel, &stats, None, "label", Some(0)).is_err());
    }
}
