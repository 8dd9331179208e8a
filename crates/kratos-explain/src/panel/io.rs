//! Panel files: TSV (`class`, `rank`, `gene`, `score`) and JSON, written atomically.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::GenePanel;
use crate::{ExplainError, Result};

pub(super) const TSV_HEADER: &str = "class\trank\tgene\tscore";

impl GenePanel {
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
