//! Panel files: TSV (`class`, `rank`, `gene`, `score`, and with statistics `direction`,
//! `log_fold_change`, `fraction_in`, `fraction_rest`) and JSON, written atomically.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::GenePanel;
use crate::{ExplainError, Result};

/// The header of a panel file without statistics (and of other tools' panels).
pub(super) const TSV_HEADER: &str = "class\trank\tgene\tscore";
/// The header of a panel file with statistics.
pub(super) const TSV_HEADER_WITH_STATISTICS: &str =
    "class\trank\tgene\tscore\tdirection\tlog_fold_change\tfraction_in\tfraction_rest";

impl GenePanel {
    /// Writes the panel as TSV (tab-separated), one line per gene of every class in the
    /// panel's order, rank from 1: header `class rank gene score`, and with statistics
    /// attached ([`GenePanel::with_statistics`]) also `direction` (`up`/`down`),
    /// `log_fold_change`, `fraction_in`, `fraction_rest` ([`crate::GeneSummary`]). The file is
    /// written under a temporary name and renamed when complete.
    pub fn write_tsv(&self, path: impl AsRef<Path>) -> Result<()> {
        let columns = if self.statistics.is_some() { 8 } else { 4 };
        let mut text =
            String::with_capacity(8 * columns * self.gene_names.len() * self.n_classes());
        text.push_str(if self.statistics.is_some() {
            TSV_HEADER_WITH_STATISTICS
        } else {
            TSV_HEADER
        });
        text.push('\n');
        for (c, class) in self.class_names.iter().enumerate() {
            for (r, &g) in self.rankings[c].iter().enumerate() {
                text.push_str(&format!(
                    "{class}\t{}\t{}\t{}",
                    r + 1,
                    self.gene_names[g],
                    self.scores[c][g]
                ));
                if let Some(s) = self.summary(c, g) {
                    text.push_str(&format!(
                        "\t{}\t{}\t{}\t{}",
                        s.direction, s.log_fold_change, s.fraction_in, s.fraction_rest
                    ));
                }
                text.push('\n');
            }
        }
        write_atomically(path.as_ref(), text.as_bytes())
    }

    /// Reads a panel TSV, as written by [`GenePanel::write_tsv`] or by any other tool: header
    /// `class rank gene score` (tab-separated), optionally followed by `direction
    /// log_fold_change fraction_in fraction_rest`. Classes keep their order of first
    /// appearance; a class may list only some genes; genes it does not list score 0 and are
    /// absent from its ranking. The statistics columns are checked (`up`/`down` and numbers)
    /// but not kept: the panel read has no statistics attached.
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
        let columns = match lines.next().map(|(_, h)| h.trim_end_matches('\r')) {
            Some(TSV_HEADER) => 4,
            Some(TSV_HEADER_WITH_STATISTICS) => 8,
            Some(h) => {
                return Err(err(
                    1,
                    format!(
                        "header is `{h}`, expected `class<TAB>rank<TAB>gene<TAB>score`, optionally followed by `<TAB>direction<TAB>log_fold_change<TAB>fraction_in<TAB>fraction_rest`"
                    ),
                ));
            }
            None => return Err(err(0, "the file is empty".into())),
        };
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
            if fields.len() != columns {
                return Err(err(
                    line_no,
                    format!("{} fields, expected {columns}", fields.len()),
                ));
            }
            if columns == 8 {
                check_statistics(&fields[4..]).map_err(|problem| err(line_no, problem))?;
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
            statistics: None,
        })
    }

    /// Writes the panel as JSON (serde), atomically. Attached statistics are not written.
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

/// Checks the statistics columns of a panel line: a direction and three numbers.
fn check_statistics(fields: &[&str]) -> std::result::Result<(), String> {
    if !matches!(fields[0], "up" | "down") {
        return Err(format!(
            "direction `{}` is neither `up` nor `down`",
            fields[0]
        ));
    }
    let names = ["log_fold_change", "fraction_in", "fraction_rest"];
    for (name, value) in names.iter().zip(&fields[1..]) {
        if value.parse::<f32>().is_err() {
            return Err(format!("{name} `{value}` is not a number"));
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_and_json_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = crate::panel::gene_panel::example_panel();
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
    fn tsv_with_statistics_round_trips_and_old_files_still_read() {
        use kratos_data::{Dataset, Labels};
        let dir = tempfile::tempdir().unwrap();
        // gene a higher in X, b lower, c never expressed.
        let data = Dataset::from_matrix(vec![2.0, 0.0, 0.0, 0.0, 1.0, 0.0], 2, 3)
            .unwrap()
            .with_labels(Labels::from_names(&["X", "Y"]).unwrap())
            .unwrap();
        let stats = std::sync::Arc::new(crate::GeneStatistics::of(&data).unwrap());
        let p = GenePanel::from_scores(
            "test",
            vec!["gene0".into(), "gene1".into(), "gene2".into()],
            vec!["X".into(), "Y".into()],
            vec![vec![0.5, 1.0, 0.25], vec![1.0, 0.5, 0.25]],
            vec![1, 1],
        )
        .unwrap()
        .with_statistics(stats.clone())
        .unwrap();
        let path = dir.path().join("p.tsv");
        p.write_tsv(&path).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let lfc = stats.log_fold_change(0)[1];
        assert!(
            text.starts_with(&format!(
                "class\trank\tgene\tscore\tdirection\tlog_fold_change\tfraction_in\tfraction_rest\nX\t1\tgene1\t1\tdown\t{lfc}\t0\t1\nX\t2\tgene0\t0.5\tup\t"
            )),
            "{text}"
        );
        assert!(text.lines().all(|l| l.split('\t').count() == 8));
        let back = GenePanel::read_tsv(&path, "test").unwrap();
        for c in 0..2 {
            assert_eq!(back.top_genes(c, 3), p.top_genes(c, 3));
            let score_of = |q: &GenePanel, gene: &str| {
                q.scores(c)[q.gene_names().iter().position(|g| g == gene).unwrap()]
            };
            for gene in ["gene0", "gene1", "gene2"] {
                assert_eq!(score_of(&back, gene), score_of(&p, gene));
            }
        }
        assert!(back.statistics().is_none());
        // A 4-column file (older kratos, other tools) still reads.
        fs::write(
            &path,
            "class\trank\tgene\tscore\nX\t1\tgene1\t1\nX\t2\tgene0\t0.5\n",
        )
        .unwrap();
        let old = GenePanel::read_tsv(&path, "old").unwrap();
        assert_eq!(old.top_genes(0, 2), ["gene1", "gene0"]);
        // A bad statistics field names the line.
        fs::write(
            &path,
            format!("{TSV_HEADER_WITH_STATISTICS}\nX\t1\tgene1\t1\tsideways\t0\t0\t1\n"),
        )
        .unwrap();
        let e = GenePanel::read_tsv(&path, "x").unwrap_err().to_string();
        assert!(e.contains("p.tsv:2") && e.contains("sideways"), "{e}");
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
