//! Gene panels: per-class gene rankings built from attributions, and their files.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use kratos_data::{Dataset, Labels};
use kratos_model::{AutodiffBackend, TrainedModel};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{CellBatch, ExplainError, Explainer, Result};

/// How per-cell attributions of a class are combined into one score per gene.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aggregation {
    /// Mean of |attribution| over the class's cells (the paper's choice).
    MeanAbsolute,
    /// |mean of the signed attribution|: genes pushed the same way in every cell rank first.
    AbsoluteMean,
}

/// Which cells are explained and how their attributions are combined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelOptions {
    /// Combination of attributions over cells (default: mean |attribution|).
    pub aggregation: Aggregation,
    /// Explain only cells the model classifies correctly (default true, as in the paper).
    pub correct_only: bool,
    /// At most this many cells per class are explained, drawn at random (seeded), so the cost
    /// does not grow with atlas size (default 2,000).
    pub max_cells_per_class: Option<usize>,
    /// Cells per call of the explainer (bounds memory; default 4,096).
    pub batch_cells: usize,
    /// Seed of the cell subsampling and of stochastic explainers.
    pub seed: u64,
}

impl Default for PanelOptions {
    fn default() -> Self {
        PanelOptions {
            aggregation: Aggregation::MeanAbsolute,
            correct_only: true,
            max_cells_per_class: Some(2000),
            batch_cells: 4096,
            seed: 7,
        }
    }
}

/// The marker panel of every class: genes ranked by their score for the class, best first.
///
/// Ties are broken by column position (the earlier gene first), never by name. A class whose
/// scores are degenerate (no cell explained, non-finite scores, or the top 20 not above the
/// median score — e.g. a saturated network whose perturbations never moved) is flagged by
/// [`GenePanel::degenerate_classes`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenePanel {
    method: String,
    gene_names: Vec<String>,
    class_names: Vec<String>,
    scores: Vec<Vec<f32>>,
    rankings: Vec<Vec<usize>>,
    cells_used: Vec<usize>,
}

/// Gene indices sorted by score, highest first; ties (and NaN, ranked last) by column position.
fn rank_by_score(scores: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    let key = |v: f32| if v.is_nan() { f32::NEG_INFINITY } else { v };
    order.sort_by(|&a, &b| key(scores[b]).total_cmp(&key(scores[a])).then(a.cmp(&b)));
    order
}

const TSV_HEADER: &str = "class\trank\tgene\tscore";

impl GenePanel {
    /// Builds a panel from per-class, per-gene scores (`scores[class][gene]`), ranking every
    /// class's genes. `cells_used[class]` is how many cells the scores come from.
    pub fn from_scores(
        method: impl Into<String>,
        gene_names: Vec<String>,
        class_names: Vec<String>,
        scores: Vec<Vec<f32>>,
        cells_used: Vec<usize>,
    ) -> Result<Self> {
        if scores.len() != class_names.len() || cells_used.len() != class_names.len() {
            return Err(ExplainError::InvalidInput(format!(
                "{} score rows and {} cell counts for {} classes",
                scores.len(),
                cells_used.len(),
                class_names.len()
            )));
        }
        if let Some(c) = scores.iter().position(|s| s.len() != gene_names.len()) {
            return Err(ExplainError::InvalidInput(format!(
                "class `{}` has {} scores for {} genes",
                class_names[c],
                scores[c].len(),
                gene_names.len()
            )));
        }
        let rankings = scores.iter().map(|s| rank_by_score(s)).collect();
        Ok(GenePanel {
            method: method.into(),
            gene_names,
            class_names,
            scores,
            rankings,
            cells_used,
        })
    }

    /// The method that produced the panel (`cw`, `smoothgrad`, `wilcoxon`, ...).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The same genes, classes, method and cells with new per-class `scores` (re-ranked).
    pub fn with_scores(&self, scores: Vec<Vec<f32>>) -> Result<Self> {
        GenePanel::from_scores(
            self.method.clone(),
            self.gene_names.clone(),
            self.class_names.clone(),
            scores,
            self.cells_used.clone(),
        )
    }

    /// Renames the method (e.g. `kratos` for the default panel).
    pub fn with_method(mut self, method: impl Into<String>) -> Self {
        self.method = method.into();
        self
    }

    /// All genes the panel knows, in the data's column order.
    pub fn gene_names(&self) -> &[String] {
        &self.gene_names
    }

    /// The classes, in the model's order.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.class_names.len()
    }

    /// Score of every gene (column order) for class `class`.
    pub fn scores(&self, class: usize) -> &[f32] {
        &self.scores[class]
    }

    /// Gene indices of class `class`, best first.
    pub fn ranking(&self, class: usize) -> &[usize] {
        &self.rankings[class]
    }

    /// Every class's ranking (gene indices, best first), e.g. for `kratos-metrics`.
    pub fn rankings(&self) -> &[Vec<usize>] {
        &self.rankings
    }

    /// The indices of the `k` best genes of class `class` (fewer if the panel lists fewer).
    pub fn top_indices(&self, class: usize, k: usize) -> &[usize] {
        let r = &self.rankings[class];
        &r[..k.min(r.len())]
    }

    /// The names of the `k` best genes of class `class`.
    pub fn top_genes(&self, class: usize, k: usize) -> Vec<&str> {
        self.top_indices(class, k)
            .iter()
            .map(|&g| self.gene_names[g].as_str())
            .collect()
    }

    /// How many cells each class's scores come from.
    pub fn cells_used(&self) -> &[usize] {
        &self.cells_used
    }

    /// Whether class `class`'s scores are degenerate: no cell explained, a non-finite or
    /// constant score, or the score at rank 20 (the top quarter for fewer than 80 genes) not
    /// above the median score.
    pub fn is_degenerate(&self, class: usize) -> bool {
        let s = &self.scores[class];
        if self.cells_used[class] == 0 || s.is_empty() || s.iter().any(|v| !v.is_finite()) {
            return true;
        }
        let ranking = &self.rankings[class];
        if ranking.len() < 2 {
            return false;
        }
        let mut sorted: Vec<f32> = s.clone();
        sorted.sort_by(f32::total_cmp);
        let median = sorted[sorted.len() / 2];
        // "Top 20" for real panels; on tiny gene sets the top quarter.
        let k = ranking.len().div_ceil(4).clamp(1, 20);
        let kth = s[ranking[k - 1]];
        sorted[0] == sorted[sorted.len() - 1] || kth <= median
    }

    /// The classes whose scores are degenerate (see [`GenePanel::is_degenerate`]).
    pub fn degenerate_classes(&self) -> Vec<usize> {
        (0..self.n_classes())
            .filter(|&c| self.is_degenerate(c))
            .collect()
    }

    /// Every class's ranking as column indices of `data`, matched by gene name. Genes of the
    /// panel that `data` lacks are an error naming the first one.
    pub fn rankings_for(&self, data: &Dataset) -> Result<Vec<Vec<usize>>> {
        let index: std::collections::HashMap<&str, usize> = data
            .gene_names()
            .iter()
            .enumerate()
            .map(|(i, g)| (g.as_str(), i))
            .collect();
        let column: Vec<Option<usize>> = self
            .gene_names
            .iter()
            .map(|g| index.get(g.as_str()).copied())
            .collect();
        self.rankings
            .iter()
            .map(|r| {
                r.iter()
                    .map(|&g| {
                        column[g].ok_or_else(|| {
                            ExplainError::InvalidInput(format!(
                                "the panel's gene `{}` is not in the data",
                                self.gene_names[g]
                            ))
                        })
                    })
                    .collect()
            })
            .collect()
    }

    /// Writes the panel as TSV with header `class\trank\tgene\tscore` (tab-separated) (rank from 1, every
    /// gene of every class). The file is written under a temporary name and renamed when
    /// complete.
    pub fn write_tsv(&self, path: impl AsRef<Path>) -> Result<()> {
        let mut text = String::with_capacity(32 * self.gene_names.len() * self.n_classes());
        text.push_str(TSV_HEADER);
        text.push('\n');
        for (c, class) in self.class_names.iter().enumerate() {
            for (r, &g) in self.rankings[c].iter().enumerate() {
                text.push_str(&format!(
                    "{class}\t{}\t{}\t{}\n",
                    r + 1,
                    self.gene_names[g],
                    self.scores[c][g]
                ));
            }
        }
        write_atomically(path.as_ref(), text.as_bytes())
    }

    /// Reads a panel TSV (`class\trank\tgene\tscore` (tab-separated), as written by [`GenePanel::write_tsv`] or
    /// by any other tool). Classes keep their order of first appearance; a class may list only
    /// some genes; genes it does not list score 0 and are absent from its ranking.
    pub fn read_tsv(path: impl AsRef<Path>, method: impl Into<String>) -> Result<Self> {
        let path = path.as_ref();
        let err = |line: usize, problem: String| ExplainError::PanelFile {
            path: path.to_path_buf(),
            line,
            problem,
        };
        let bytes = fs::read(path).map_err(|e| err(0, format!("cannot read: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| err(0, format!("not UTF-8 text: {e}")))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, h)) if h.trim_end_matches('\r') == TSV_HEADER => {}
            Some((_, h)) => {
                return Err(err(
                    1,
                    format!("header is `{h}`, expected `class<TAB>rank<TAB>gene<TAB>score`"),
                ));
            }
            None => return Err(err(0, "the file is empty".into())),
        }
        let mut class_names: Vec<String> = Vec::new();
        let mut gene_names: Vec<String> = Vec::new();
        let mut gene_index = std::collections::HashMap::new();
        let mut entries: Vec<Vec<(usize, usize, f32)>> = Vec::new(); // (rank, gene, score)
        for (i, raw) in lines {
            let line_no = i + 1;
            let line = raw.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            if fields.len() != 4 {
                return Err(err(line_no, format!("{} fields, expected 4", fields.len())));
            }
            let class = match class_names.iter().position(|c| c == fields[0]) {
                Some(c) => c,
                None => {
                    class_names.push(fields[0].to_string());
                    entries.push(Vec::new());
                    class_names.len() - 1
                }
            };
            let rank: usize = fields[1].parse().ok().filter(|&r| r >= 1).ok_or_else(|| {
                err(
                    line_no,
                    format!("rank `{}` is not a positive integer", fields[1]),
                )
            })?;
            let score: f32 = fields[3]
                .parse()
                .ok()
                .filter(|v: &f32| !v.is_nan())
                .ok_or_else(|| err(line_no, format!("score `{}` is not a number", fields[3])))?;
            let next = gene_names.len();
            let gene = *gene_index.entry(fields[2].to_string()).or_insert(next);
            if gene == next {
                gene_names.push(fields[2].to_string());
            }
            if entries[class].iter().any(|&(_, g, _)| g == gene) {
                return Err(err(
                    line_no,
                    format!(
                        "gene `{}` listed twice for class `{}`",
                        fields[2], fields[0]
                    ),
                ));
            }
            entries[class].push((rank, gene, score));
        }
        if class_names.is_empty() {
            return Err(err(0, "no rows after the header".into()));
        }
        let n_genes = gene_names.len();
        let mut scores = Vec::with_capacity(class_names.len());
        let mut rankings = Vec::with_capacity(class_names.len());
        for e in &mut entries {
            e.sort_by_key(|&(rank, gene, _)| (rank, gene));
            let mut s = vec![0f32; n_genes];
            for &(_, g, v) in e.iter() {
                s[g] = v;
            }
            scores.push(s);
            rankings.push(e.iter().map(|&(_, g, _)| g).collect());
        }
        let cells_used = entries.iter().map(|_| 1).collect();
        Ok(GenePanel {
            method: method.into(),
            gene_names,
            class_names,
            scores,
            rankings,
            cells_used,
        })
    }

    /// Writes the panel as JSON (serde), atomically.
    pub fn write_json(&self, path: impl AsRef<Path>) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| ExplainError::PanelFile {
            path: path.as_ref().to_path_buf(),
            line: 0,
            problem: e.to_string(),
        })?;
        write_atomically(path.as_ref(), &json)
    }

    /// Reads a panel written by [`GenePanel::write_json`].
    pub fn read_json(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = fs::read(path).map_err(|e| ExplainError::PanelFile {
            path: path.to_path_buf(),
            line: 0,
            problem: format!("cannot read: {e}"),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| ExplainError::PanelFile {
            path: path.to_path_buf(),
            line: e.line(),
            problem: e.to_string(),
        })
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a
/// reader never sees a half-written file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let err = |p: &Path, e: std::io::Error| ExplainError::PanelFile {
        path: p.to_path_buf(),
        line: 0,
        problem: format!("cannot write: {e}"),
    };
    let mut tmp = PathBuf::from(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    tmp.set_file_name(format!(".{name}.partial"));
    let mut file = fs::File::create(&tmp).map_err(|e| err(&tmp, e))?;
    file.write_all(bytes).map_err(|e| err(&tmp, e))?;
    file.sync_all().map_err(|e| err(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| err(path, e))
}

/// Scaled values, class of every cell in the model's numbering (None if the model lacks it),
/// and the predicted class of every cell.
struct Prepared {
    scaled: Vec<f32>,
    classes: Vec<Option<usize>>,
    predicted: Vec<usize>,
    gene_mean: Vec<f32>,
    gene_std: Vec<f32>,
}

/// The labels of `data`, or an input error "`what` needs labelled cells".
pub(crate) fn require_labels<'a>(data: &'a Dataset, what: &str) -> Result<&'a Labels> {
    data.labels()
        .ok_or_else(|| ExplainError::InvalidInput(format!("{what} needs labelled cells")))
}

fn prepare<B: AutodiffBackend>(model: &TrainedModel<B>, data: &Dataset) -> Result<Prepared> {
    let labels = require_labels(data, "explaining a panel")?;
    let scaled = model.scaled_values(data)?;
    let k = model.n_classes();
    let predicted: Vec<usize> = model
        .probabilities_of_scaled(&scaled)
        .chunks_exact(k)
        .map(|p| {
            p.iter()
                .enumerate()
                .fold(
                    (0, f32::NEG_INFINITY),
                    |b, (j, &v)| if v > b.1 { (j, v) } else { b },
                )
                .0
        })
        .collect();
    let by_name: Vec<Option<usize>> = labels
        .class_names()
        .iter()
        .map(|name| model.class_names().iter().position(|c| c == name))
        .collect();
    let classes = labels.assignments().iter().map(|&c| by_name[c]).collect();
    let (n, g) = data.shape();
    let mut gene_mean = vec![0f64; g];
    let mut gene_sq = vec![0f64; g];
    for row in scaled.chunks_exact(g) {
        for (j, &v) in row.iter().enumerate() {
            gene_mean[j] += v as f64;
            gene_sq[j] += (v as f64) * (v as f64);
        }
    }
    let nf = n.max(1) as f64;
    let gene_std = gene_mean
        .iter()
        .zip(&gene_sq)
        .map(|(s, q)| ((q / nf - (s / nf).powi(2)).max(0.0)).sqrt() as f32)
        .collect();
    let gene_mean = gene_mean.iter().map(|s| (s / nf) as f32).collect();
    Ok(Prepared {
        scaled,
        classes,
        predicted,
        gene_mean,
        gene_std,
    })
}

/// The cells to explain for each model class: labelled with it (and correctly classified if
/// asked), subsampled to the per-class maximum.
fn select_cells(p: &Prepared, n_classes: usize, options: &PanelOptions) -> Vec<Vec<usize>> {
    let mut members = vec![Vec::new(); n_classes];
    for (i, c) in p.classes.iter().enumerate() {
        if let Some(c) = *c
            && (!options.correct_only || p.predicted[i] == c)
        {
            members[c].push(i);
        }
    }
    if let Some(max) = options.max_cells_per_class {
        cap_per_class(&mut members, max, options.seed);
    }
    members
}

/// Keeps a seeded random `max` of every class's cells (`members[c]`, sorted afterwards) where a
/// class has more; the classes draw from one generator in class order.
pub(crate) fn cap_per_class(members: &mut [Vec<usize>], max: usize, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for m in members.iter_mut() {
        if m.len() > max {
            m.shuffle(&mut rng);
            m.truncate(max);
            m.sort_unstable();
        }
    }
}

/// Runs `explainer` over `cells` (with their classes and contrast classes) in batches and adds
/// each cell's aggregated attribution to `sums[slot[i]]`.
#[allow(clippy::too_many_arguments)]
fn accumulate<B: AutodiffBackend, E: Explainer<B> + ?Sized>(
    explainer: &E,
    model: &TrainedModel<B>,
    p: &Prepared,
    cells: &[usize],
    classes: &[usize],
    versus: Option<&[usize]>,
    slots: &[usize],
    sums: &mut [Vec<f64>],
    options: &PanelOptions,
) -> Result<()> {
    let g = model.gene_names().len();
    let batch_cells = options.batch_cells.max(1);
    for (b, start) in (0..cells.len()).step_by(batch_cells).enumerate() {
        let end = (start + batch_cells).min(cells.len());
        let mut values = Vec::with_capacity((end - start) * g);
        for &c in &cells[start..end] {
            values.extend_from_slice(&p.scaled[c * g..(c + 1) * g]);
        }
        let batch = CellBatch {
            values: &values,
            n_cells: end - start,
            n_genes: g,
            classes: &classes[start..end],
            versus: versus.map(|v| &v[start..end]),
            gene_std: &p.gene_std,
            gene_mean: &p.gene_mean,
            seed: options
                .seed
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add(b as u64),
        };
        let attributions = explainer.attribute(model, &batch)?;
        if attributions.len() != values.len() {
            return Err(ExplainError::InvalidInput(format!(
                "explainer `{}` returned {} values for {} cells x {g} genes",
                explainer.name(),
                attributions.len(),
                end - start
            )));
        }
        for (i, row) in attributions.chunks_exact(g).enumerate() {
            let sum = &mut sums[slots[start + i]];
            for (s, &a) in sum.iter_mut().zip(row) {
                *s += match options.aggregation {
                    Aggregation::MeanAbsolute => a.abs() as f64,
                    Aggregation::AbsoluteMean => a as f64,
                };
            }
        }
    }
    Ok(())
}

fn finish_scores(sums: Vec<Vec<f64>>, counts: &[usize], aggregation: Aggregation) -> Vec<Vec<f32>> {
    sums.into_iter()
        .zip(counts)
        .map(|(s, &n)| {
            s.into_iter()
                .map(|v| {
                    let mean = if n == 0 { 0.0 } else { v / n as f64 };
                    (match aggregation {
                        Aggregation::MeanAbsolute => mean,
                        Aggregation::AbsoluteMean => mean.abs(),
                    }) as f32
                })
                .collect()
        })
        .collect()
}

/// The panel of every class: runs `explainer` over the (correctly classified) cells of each
/// class of the labelled `data` (raw values of the model's genes) and ranks genes by the
/// aggregated attribution.
pub fn explain_panel<B: AutodiffBackend, E: Explainer<B> + ?Sized>(
    explainer: &E,
    model: &TrainedModel<B>,
    data: &Dataset,
    options: &PanelOptions,
) -> Result<GenePanel> {
    if explainer.is_one_vs_one() {
        return Err(ExplainError::InvalidInput(format!(
            "`{}` explains pairs of classes: use explain_pair",
            explainer.name()
        )));
    }
    let p = prepare(model, data)?;
    let k = model.n_classes();
    let members = select_cells(&p, k, options);
    let cells: Vec<usize> = members.iter().flatten().copied().collect();
    let classes: Vec<usize> = members
        .iter()
        .enumerate()
        .flat_map(|(c, m)| std::iter::repeat_n(c, m.len()))
        .collect();
    let g = model.gene_names().len();
    let mut sums = vec![vec![0f64; g]; k];
    accumulate(
        explainer, model, &p, &cells, &classes, None, &classes, &mut sums, options,
    )?;
    let counts: Vec<usize> = members.iter().map(Vec::len).collect();
    GenePanel::from_scores(
        explainer.name(),
        model.gene_names().to_vec(),
        model.class_names().to_vec(),
        finish_scores(sums, &counts, options.aggregation),
        counts,
    )
}

/// Several explainers over the same cells, one panel each.
pub fn explain_panels<B: AutodiffBackend>(
    explainers: &[&dyn Explainer<B>],
    model: &TrainedModel<B>,
    data: &Dataset,
    options: &PanelOptions,
) -> Result<Vec<GenePanel>> {
    explainers
        .iter()
        .map(|e| explain_panel(*e, model, data, options))
        .collect()
}

/// The genes separating class `class` from class `versus` (both by name): a one-vs-one
/// explainer (e.g. [`crate::CwExplainer::one_vs_one`]) run over the cells of `class`. The panel
/// has one class, named `"<class> vs <versus>"`.
pub fn explain_pair<B: AutodiffBackend, E: Explainer<B> + ?Sized>(
    explainer: &E,
    model: &TrainedModel<B>,
    data: &Dataset,
    class: &str,
    versus: &str,
    options: &PanelOptions,
) -> Result<GenePanel> {
    let find = |name: &str| {
        model
            .class_names()
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| {
                ExplainError::InvalidInput(format!(
                    "class `{name}` is not one of the model's classes ({})",
                    model.class_names().join(", ")
                ))
            })
    };
    let (ci, vi) = (find(class)?, find(versus)?);
    if ci == vi {
        return Err(ExplainError::InvalidInput(format!(
            "a pair needs two different classes, got `{class}` twice"
        )));
    }
    let p = prepare(model, data)?;
    let members = select_cells(&p, model.n_classes(), options);
    let cells = members[ci].clone();
    let classes = vec![ci; cells.len()];
    let versus_classes = vec![vi; cells.len()];
    let slots = vec![0; cells.len()];
    let g = model.gene_names().len();
    let mut sums = vec![vec![0f64; g]];
    let versus_arg = explainer
        .is_one_vs_one()
        .then_some(versus_classes.as_slice());
    accumulate(
        explainer, model, &p, &cells, &classes, versus_arg, &slots, &mut sums, options,
    )?;
    let counts = [cells.len()];
    GenePanel::from_scores(
        explainer.name(),
        model.gene_names().to_vec(),
        vec![format!("{class} vs {versus}")],
        finish_scores(sums, &counts, options.aggregation),
        counts.to_vec(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel() -> GenePanel {
        GenePanel::from_scores(
            "test",
            vec!["a".into(), "b".into(), "c".into()],
            vec!["X".into(), "Y".into()],
            vec![vec![0.5, 0.5, 0.9], vec![0.0, 0.0, 0.0]],
            vec![3, 0],
        )
        .unwrap()
    }

    #[test]
    fn ties_fall_back_to_column_position() {
        let p = panel();
        assert_eq!(p.ranking(0), &[2, 0, 1]);
        assert_eq!(p.top_genes(0, 2), ["c", "a"]);
        assert_eq!(rank_by_score(&[1.0, f32::NAN, 2.0, 1.0]), vec![2, 0, 3, 1]);
    }

    #[test]
    fn degenerate_classes_are_flagged() {
        let p = panel();
        assert_eq!(p.degenerate_classes(), vec![1]);
        // 30 genes whose top 20 do not rise above the median: flagged.
        let flat: Vec<f32> = (0..30).map(|i| if i < 5 { 1.0 } else { 0.1 }).collect();
        let names: Vec<String> = (0..30).map(|i| format!("g{i}")).collect();
        let q = GenePanel::from_scores("t", names, vec!["X".into()], vec![flat], vec![4]).unwrap();
        assert!(q.is_degenerate(0));
    }

    #[test]
    fn tsv_and_json_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = panel();
        p.write_tsv(dir.path().join("p.tsv")).unwrap();
        let text = fs::read_to_string(dir.path().join("p.tsv")).unwrap();
        assert!(text.starts_with("class\trank\tgene\tscore\nX\t1\tc\t0.9\nX\t2\ta\t0.5\n"));
        assert_eq!(text.lines().count(), 1 + 2 * 3);
        let back = GenePanel::read_tsv(dir.path().join("p.tsv"), "test").unwrap();
        assert_eq!(back.class_names(), p.class_names());
        for c in 0..2 {
            assert_eq!(back.top_genes(c, 3), p.top_genes(c, 3));
            let score_of = |q: &GenePanel, gene: &str| {
                q.scores(c)[q.gene_names().iter().position(|g| g == gene).unwrap()]
            };
            for gene in ["a", "b", "c"] {
                assert_eq!(score_of(&back, gene), score_of(&p, gene));
            }
        }
        p.write_json(dir.path().join("p.json")).unwrap();
        assert_eq!(GenePanel::read_json(dir.path().join("p.json")).unwrap(), p);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temporary files left"
        );
    }

    #[test]
    fn bad_tsv_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.tsv");
        fs::write(
            &path,
            "class\trank\tgene\tscore\nX\t1\tg\t0.5\nX\tfirst\th\t0.1\n",
        )
        .unwrap();
        let e = GenePanel::read_tsv(&path, "x").unwrap_err().to_string();
        assert!(e.contains("bad.tsv:3") && e.contains("rank `first`"), "{e}");
        fs::write(&path, "gene\tscore\n").unwrap();
        let e = GenePanel::read_tsv(&path, "x").unwrap_err().to_string();
        assert!(e.contains(":1:") && e.contains("header"), "{e}");
    }
}
