//! Dataframe columns (`obs`, `var`), their indexes, categorical labels and `obsm` matrices.

use super::*;

/// One column of a dataframe.
pub(super) enum Column {
    Strings(Vec<String>),
    Integers(Vec<i64>),
}

impl H5ad<'_> {
    pub(super) fn strings(&self, object: &str) -> Result<Vec<String>> {
        let ds = self.dataset(object)?;
        let dt = ds
            .datatype()
            .map_err(|e| self.err(object, format!("cannot read the datatype: {e}")))?;
        let read = if matches!(dt, Datatype::VariableLength { .. }) {
            // The strings themselves live in the file's heaps, uncompressed: together they
            // cannot be longer than the file.
            let limits = VlenStringReadOptions::new()
                .with_max_payload_bytes(usize::try_from(self.file_len).unwrap_or(usize::MAX));
            ds.read_vlen_strings(limits)
        } else {
            ds.read_string()
        };
        read.map_err(|e| self.err(object, format!("cannot read as strings: {e}")))
    }

    pub(super) fn integers(&self, object: &str) -> Result<Vec<i64>> {
        self.dataset(object)?
            .read_i64()
            .map_err(|e| self.err(object, format!("cannot read as integers: {e}")))
    }

    /// A 1-D column: strings if the dataset holds strings, else integers.
    pub(super) fn column(&self, object: &str) -> Result<Column> {
        let ds = self.dataset(object)?;
        let dt = ds
            .datatype()
            .map_err(|e| self.err(object, format!("cannot read the datatype: {e}")))?;
        match dt {
            Datatype::String { .. }
            | Datatype::VariableLength {
                is_string: true, ..
            } => Ok(Column::Strings(self.strings(object)?)),
            Datatype::FixedPoint { .. } | Datatype::Enumeration { .. } => {
                Ok(Column::Integers(self.integers(object)?))
            }
            other => Err(self.err(
                object,
                format!("unsupported column type {other:?} (expected strings or integers)"),
            )),
        }
    }

    /// A field of a compound (structured) dataset: fixed-length strings or integers.
    pub(super) fn compound_field(&self, object: &str, field: &str) -> Result<Option<Column>> {
        let ds = self.dataset(object)?;
        let dt = ds
            .datatype()
            .map_err(|e| self.err(object, format!("cannot read the datatype: {e}")))?;
        let Datatype::Compound { size, members } = dt else {
            return Err(self.err(object, "expected a compound (structured) dataset"));
        };
        let Some(member) = members.iter().find(|m| m.name == field) else {
            return Ok(None);
        };
        let raw = ds
            .read_raw()
            .map_err(|e| self.err(object, format!("cannot read records: {e}")))?;
        let size = size as usize;
        let offset = member.byte_offset as usize;
        let place = format!("{object}` field `{field}");
        let width = member.datatype.type_size() as usize;
        if size == 0 || offset.checked_add(width).is_none_or(|end| end > size) {
            return Err(self.err(
                &place,
                format!("a field of {width} bytes at offset {offset} does not fit records of {size} bytes (damaged file?)"),
            ));
        }
        let records = raw.chunks_exact(size);
        match &member.datatype {
            Datatype::String { padding, .. } => {
                let mut out = Vec::with_capacity(raw.len() / size);
                for (row, rec) in records.enumerate() {
                    let s = fixed_string(&rec[offset..offset + width], padding).map_err(|_| {
                        self.err(&place, format!("row {}: invalid UTF-8", row + 1))
                    })?;
                    out.push(s);
                }
                Ok(Some(Column::Strings(out)))
            }
            Datatype::FixedPoint {
                byte_order, layout, ..
            } if matches!(width, 1 | 2 | 4 | 8) => {
                let big = matches!(byte_order, DatatypeByteOrder::BigEndian);
                Ok(Some(Column::Integers(
                    records
                        .map(|rec| read_int(&rec[offset..offset + width], layout.signed, big))
                        .collect(),
                )))
            }
            other => Err(self.err(
                &place,
                format!("unsupported field type {other:?} (expected a fixed-length string or an integer)"),
            )),
        }
    }

    /// The index (row names) of a dataframe stored as a group or as a compound dataset.
    pub(crate) fn index(&self, object: &str) -> Result<Vec<String>> {
        match self.kind(object) {
            None => Err(self.err(object, "not found in the file")),
            Some(Kind::Group) => {
                let attrs = self.group_attrs(object)?;
                let name = match attrs.get("_index").and_then(attr_string) {
                    Some(n) => n,
                    None if self.kind(&format!("{object}/_index")) == Some(Kind::Dataset) => {
                        "_index".into()
                    }
                    None if self.kind(&format!("{object}/index")) == Some(Kind::Dataset) => {
                        "index".into()
                    }
                    None => {
                        return Err(self.err(object, "unsupported layout: dataframe group without an `_index` attribute or index dataset"));
                    }
                };
                let ds = format!("{object}/{name}");
                match self.column(&ds)? {
                    Column::Strings(s) => Ok(s),
                    Column::Integers(v) => Ok(v.iter().map(i64::to_string).collect()),
                }
            }
            Some(Kind::Dataset) => match self.compound_field(object, "index")? {
                Some(Column::Strings(s)) => Ok(s),
                Some(Column::Integers(v)) => Ok(v.iter().map(i64::to_string).collect()),
                None => Err(self.err(
                    object,
                    "unsupported layout: compound dataframe without an `index` field",
                )),
            },
        }
    }

    /// Per-cell label names from `obs` column `key`, one per cell of a matrix of `n_cells`
    /// rows.
    pub(crate) fn obs_labels(&self, key: &str, n_cells: usize) -> Result<Vec<String>> {
        let names = self.obs_column(key)?;
        if names.len() != n_cells {
            return Err(DataError::LabelMismatch {
                path: self.path.to_path_buf(),
                problem: format!(
                    "`obs/{key}`: {} labels for {n_cells} cells (the label column and the matrix disagree)",
                    names.len()
                ),
            });
        }
        Ok(names)
    }

    /// The names in `obs` column `key` (see [`H5ad::obs_labels`]).
    pub(super) fn obs_column(&self, key: &str) -> Result<Vec<String>> {
        let place = format!("obs/{key}");
        let (codes, categories) = match self.kind("obs") {
            Some(Kind::Group) => match self.kind(&place) {
                Some(Kind::Group) => (
                    self.integers(&format!("{place}/codes"))?,
                    self.strings(&format!("{place}/categories"))?,
                ),
                Some(Kind::Dataset) => {
                    let old = format!("obs/__categories/{key}");
                    match self.column(&place)? {
                        Column::Integers(codes) if self.kind(&old) == Some(Kind::Dataset) => {
                            (codes, self.strings(&old)?)
                        }
                        Column::Integers(v) => return Ok(v.iter().map(i64::to_string).collect()),
                        Column::Strings(s) => return Ok(s),
                    }
                }
                None => return Err(self.err(&place, "no such obs column")),
            },
            Some(Kind::Dataset) => {
                let categories = format!("uns/{key}_categories");
                match self.compound_field("obs", key)? {
                    Some(Column::Integers(codes))
                        if self.kind(&categories) == Some(Kind::Dataset) =>
                    {
                        (codes, self.strings(&categories)?)
                    }
                    Some(Column::Integers(v)) => return Ok(v.iter().map(i64::to_string).collect()),
                    Some(Column::Strings(s)) => return Ok(s),
                    None => {
                        return Err(self.err(
                            "obs",
                            format!("no field `{key}` in the compound obs dataset"),
                        ));
                    }
                }
            }
            None => return Err(self.err("obs", "not found in the file")),
        };
        codes
            .iter()
            .enumerate()
            .map(|(row, &c)| {
                if c < 0 {
                    Err(DataError::LabelMismatch {
                        path: self.path.to_path_buf(),
                        problem: format!(
                            "`{place}`: cell at row {} has no label (missing category, code {c})",
                            row + 1
                        ),
                    })
                } else {
                    categories.get(c as usize).cloned().ok_or_else(|| {
                        self.err(
                            &place,
                            format!(
                                "row {}: code {c} but only {} categories",
                                row + 1,
                                categories.len()
                            ),
                        )
                    })
                }
            })
            .collect()
    }

    /// The names of the groups and datasets in group `object`, sorted; empty if it is not a
    /// readable group.
    pub(crate) fn children(&self, object: &str) -> Vec<String> {
        let Ok(group) = self.file.group(object) else {
            return Vec::new();
        };
        let mut names = group.groups().unwrap_or_default();
        names.extend(group.datasets().unwrap_or_default());
        names.sort();
        names
    }

    /// Column `key` of an anndata < 0.7 compound `obsm` dataset: a fixed-size array of
    /// numbers per cell (or one number per cell).
    pub(super) fn compound_obsm(&self, key: &str) -> Result<(Vec<f32>, usize, usize)> {
        let ds = self.dataset("obsm")?;
        let dt = ds
            .datatype()
            .map_err(|e| self.err("obsm", format!("cannot read the datatype: {e}")))?;
        let Datatype::Compound { size, members } = dt else {
            return Err(self.err(
                "obsm",
                "unsupported layout: neither a group nor a compound dataset",
            ));
        };
        let Some(member) = members.iter().find(|m| m.name == key) else {
            let names: Vec<String> = members.iter().map(|m| m.name.clone()).collect();
            return Err(self.err(
                "obsm",
                format!(
                    "no field `{key}` in the compound obsm dataset (it has {})",
                    name_list(&names)
                ),
            ));
        };
        let place = format!("obsm` field `{key}");
        let (base, n_cols) = match &member.datatype {
            Datatype::Array {
                base_type,
                dimensions,
            } => (
                base_type.as_ref(),
                dimensions
                    .iter()
                    .try_fold(1usize, |acc, &d| acc.checked_mul(d as usize))
                    .unwrap_or(usize::MAX),
            ),
            other => (other, 1),
        };
        let (size, offset) = (size as usize, member.byte_offset as usize);
        let width = base.type_size() as usize;
        let fits = n_cols
            .checked_mul(width)
            .and_then(|w| w.checked_add(offset))
            .is_some_and(|end| end <= size);
        if size == 0 || width == 0 || !fits {
            return Err(self.err(
                &place,
                format!("{n_cols} values of {width} bytes at offset {offset} do not fit records of {size} bytes (damaged file?)"),
            ));
        }
        let raw = ds
            .read_raw()
            .map_err(|e| self.err("obsm", format!("cannot read records: {e}")))?;
        let n_rows = raw.len() / size;
        let mut values = Vec::with_capacity(n_rows * n_cols);
        for record in raw.chunks_exact(size) {
            for bytes in record[offset..offset + n_cols * width].chunks_exact(width) {
                let v = read_number(bytes, base).ok_or_else(|| {
                    self.err(
                        &place,
                        format!("unsupported element type {base:?} (expected integers or floats)"),
                    )
                })?;
                values.push(v as f32);
            }
        }
        Ok((values, n_rows, n_cols))
    }
}
