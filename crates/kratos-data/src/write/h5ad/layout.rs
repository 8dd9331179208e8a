//! The objects of an `.h5ad` file in anndata's layout, described once ([`Node`]) and written
//! into a new file or staged into a copy.

use hdf5_pure::{
    AttrValue, CharacterSet, CompoundTypeBuilder, DatasetBuilder, Datatype, EnumTypeBuilder,
    FileBuilder, GroupBuilder, StringPadding, make_f32_type, make_f64_type, make_i8_type,
};

use super::{GeneFractions, H5adExtras, RankGenesGroups, Staging};
use crate::Dataset;

fn text(v: &str) -> AttrValue {
    AttrValue::VarLenString(v.to_string())
}

/// Fills a dataset's builder (data, type, shape).
type Fill<'a> = Box<dyn FnOnce(&mut DatasetBuilder) + 'a>;

/// An object to write, described once and written either into a new file ([`FileBuilder`])
/// or into a copy opened for editing, whose API takes paths instead of nested builders.
pub(super) enum Node<'a> {
    Group {
        name: String,
        attrs: Vec<(&'static str, AttrValue)>,
        children: Vec<Node<'a>>,
    },
    Dataset {
        name: String,
        fill: Fill<'a>,
    },
}

impl<'a> Node<'a> {
    /// A group carrying anndata's encoding attributes.
    fn group(name: impl Into<String>, kind: &str, version: &str) -> Self {
        Node::Group {
            name: name.into(),
            attrs: vec![
                ("encoding-type", text(kind)),
                ("encoding-version", text(version)),
            ],
            children: Vec::new(),
        }
    }

    /// An empty anndata `dict`.
    pub(super) fn dict(name: impl Into<String>) -> Self {
        Node::group(name, "dict", "0.1.0")
    }

    /// A dataset carrying anndata's encoding attributes.
    fn dataset(
        name: impl Into<String>,
        kind: &'a str,
        version: &'a str,
        fill: impl FnOnce(&mut DatasetBuilder) + 'a,
    ) -> Self {
        Node::Dataset {
            name: name.into(),
            fill: Box::new(move |b| {
                fill(b);
                b.set_attr("encoding-type", text(kind))
                    .set_attr("encoding-version", text(version));
            }),
        }
    }

    /// A dataset without attributes (the parts of a sparse matrix).
    fn plain(name: impl Into<String>, fill: impl FnOnce(&mut DatasetBuilder) + 'a) -> Self {
        Node::Dataset {
            name: name.into(),
            fill: Box::new(fill),
        }
    }

    fn attr(mut self, key: &'static str, value: AttrValue) -> Self {
        if let Node::Group { attrs, .. } = &mut self {
            attrs.push((key, value));
        }
        self
    }

    pub(super) fn with(mut self, child: Node<'a>) -> Self {
        if let Node::Group { children, .. } = &mut self {
            children.push(child);
        }
        self
    }

    fn name(&self) -> &str {
        match self {
            Node::Group { name, .. } | Node::Dataset { name, .. } => name,
        }
    }

    /// Writes this node into a group of a new file.
    fn emit(self, parent: &mut GroupBuilder) {
        match self {
            Node::Dataset { name, fill } => fill(parent.create_dataset(&name)),
            Node::Group {
                name,
                attrs,
                children,
            } => {
                let mut g = parent.create_group(&name);
                for (key, value) in attrs {
                    g.set_attr(key, value);
                }
                for child in children {
                    child.emit(&mut g);
                }
                parent.add_group(g.finish());
            }
        }
    }

    /// Writes this node at the root of a new file.
    fn emit_root(self, fb: &mut FileBuilder) {
        match self {
            Node::Dataset { name, fill } => fill(fb.create_dataset(&name)),
            Node::Group {
                name,
                attrs,
                children,
            } => {
                let mut g = fb.create_group(&name);
                for (key, value) in attrs {
                    g.set_attr(key, value);
                }
                for child in children {
                    child.emit(&mut g);
                }
                fb.add_group(g.finish());
            }
        }
    }

    /// Stages this node under `parent` (a path) in a file opened for editing.
    pub(super) fn stage(
        self,
        root: &hdf5_pure::Group,
        parent: &str,
    ) -> std::result::Result<(), (String, hdf5_pure::Error)> {
        let path = if parent.is_empty() {
            self.name().to_string()
        } else {
            format!("{parent}/{}", self.name())
        };
        match self {
            Node::Dataset { fill, .. } => {
                root.create_dataset(&path, fill)
                    .map_err(|e| (path.clone(), e))?;
            }
            Node::Group {
                attrs, children, ..
            } => {
                root.create_group_with(&path, |g| {
                    for (key, value) in attrs {
                        g.set_attr(key, value);
                    }
                })
                .map_err(|e| (path.clone(), e))?;
                for child in children {
                    child.stage(root, &path)?;
                }
            }
        }
        Ok(())
    }
}

/// A `string-array` dataset.
fn strings<'a>(name: &str, values: &'a [String]) -> Node<'a> {
    Node::dataset(name, "string-array", "0.2.0", move |b| {
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        b.with_vlen_strings(&refs);
    })
}

/// A scalar `string` dataset.
fn scalar_string<'a>(name: &str, value: &'a str) -> Node<'a> {
    Node::dataset(name, "string", "0.2.0", move |b| {
        b.with_vlen_strings(&[value]).with_shape(&[]);
    })
}

/// A dataframe indexed by `index` (in `_index`) whose columns are `columns`, to be added.
fn dataframe<'a>(name: &str, index: &'a [String], columns: &[String]) -> Node<'a> {
    Node::group(name, "dataframe", "0.2.0")
        .attr("_index", text("_index"))
        .attr(
            "column-order",
            AttrValue::VarLenStringArray(columns.to_vec()),
        )
        .with(strings("_index", index))
}

/// A categorical column: codes into `categories`, in the smallest integer type that holds
/// them (as pandas does).
fn categorical<'a>(name: &str, categories: &'a [String], codes: &'a [usize]) -> Node<'a> {
    let n = categories.len();
    let codes = Node::dataset("codes", "array", "0.2.0", move |b| {
        if n <= i8::MAX as usize {
            b.with_i8_data(&codes.iter().map(|&c| c as i8).collect::<Vec<_>>());
        } else if n <= i16::MAX as usize {
            b.with_i16_data(&codes.iter().map(|&c| c as i16).collect::<Vec<_>>());
        } else {
            b.with_i32_data(&codes.iter().map(|&c| c as i32).collect::<Vec<_>>());
        }
    });
    Node::group(name, "categorical", "0.2.0")
        // h5py stores numpy's bool as an enumeration, which AttrValue cannot express;
        // anndata reads the flag with bool(), for which an int8 0 is the same.
        .attr("ordered", AttrValue::I8(0))
        .with(strings("categories", categories))
        .with(codes)
}

/// A record array (numpy structured array) of `n` records with the given fields.
fn record_array<'a>(
    name: &str,
    fields: Vec<(String, Datatype)>,
    raw: Vec<u8>,
    n: usize,
) -> std::result::Result<Node<'a>, Staging> {
    let mut builder = CompoundTypeBuilder::new();
    for (field, dt) in fields {
        builder = builder.field(&field, dt);
    }
    let dt = builder.build().map_err(|source| Staging {
        object: name.to_string(),
        source,
    })?;
    Ok(Node::dataset(name, "rec-array", "0.2.0", move |b| {
        b.with_compound_data(dt, raw, n as u64);
    }))
}

/// A record array of numbers: `lists[g][i]` is record `i`'s field `groups[g]`.
fn numeric_records<'a, T: Copy>(
    name: &str,
    groups: &[String],
    lists: &[Vec<T>],
    datatype: Datatype,
    bytes: impl Fn(T) -> Vec<u8>,
) -> std::result::Result<Node<'a>, Staging> {
    let n = lists.first().map_or(0, Vec::len);
    let mut raw = Vec::with_capacity(n * groups.len() * datatype.type_size() as usize);
    for i in 0..n {
        for list in lists {
            raw.extend_from_slice(&bytes(list[i]));
        }
    }
    let fields = groups
        .iter()
        .map(|g| (g.clone(), datatype.clone()))
        .collect();
    record_array(name, fields, raw, n)
}

/// The `names` record array: fixed-length ASCII strings, one field per group, each as wide as
/// its longest name.
fn name_records<'a>(
    groups: &[String],
    names: &[Vec<String>],
) -> std::result::Result<Node<'a>, Staging> {
    let n = names.first().map_or(0, Vec::len);
    let widths: Vec<usize> = names
        .iter()
        .map(|l| l.iter().map(String::len).max().unwrap_or(0).max(1))
        .collect();
    let mut raw = Vec::with_capacity(n * widths.iter().sum::<usize>());
    for i in 0..n {
        for (list, &w) in names.iter().zip(&widths) {
            let start = raw.len();
            raw.extend_from_slice(list[i].as_bytes());
            raw.resize(start + w, 0);
        }
    }
    let fields = groups
        .iter()
        .zip(&widths)
        .map(|(group, &w)| {
            (
                group.clone(),
                Datatype::String {
                    size: w as u32,
                    padding: StringPadding::NullPad,
                    charset: CharacterSet::Ascii,
                },
            )
        })
        .collect();
    record_array("names", fields, raw, n)
}

/// A `pts`-style dataframe: genes x groups of `float64`.
fn fractions<'a>(name: &str, groups: &'a [String], t: &'a GeneFractions) -> Node<'a> {
    let mut df = dataframe(name, &t.genes, groups);
    for (group, values) in groups.iter().zip(&t.values) {
        df = df.with(Node::dataset(group.as_str(), "array", "0.2.0", move |b| {
            b.with_f64_data(values);
        }));
    }
    df
}

/// The `params` dict of a ranking, as scanpy writes it.
fn params<'a>(r: &'a RankGenesGroups) -> std::result::Result<Node<'a>, Staging> {
    // numpy's bool as h5py writes it: an int8 enumeration FALSE = 0, TRUE = 1.
    let boolean = EnumTypeBuilder::with_base(make_i8_type())
        .value("FALSE", 0)
        .value("TRUE", 1)
        .build()
        .map_err(|source| Staging {
            object: "params/use_raw".into(),
            source,
        })?;
    let use_raw = u8::from(r.use_raw);
    let layer = match &r.layer {
        Some(layer) => scalar_string("layer", layer),
        // anndata writes None as an empty (null-dataspace) float32 dataset, which hdf5-pure
        // cannot create; anndata reads any dataset encoded `null` as None, so a scalar does.
        None => Node::dataset("layer", "null", "0.1.0", |b| {
            b.with_f32_data(&[0.0]).with_shape(&[]);
        }),
    };
    Ok(Node::dict("params")
        .with(scalar_string("groupby", &r.groupby))
        .with(scalar_string("reference", &r.reference))
        .with(scalar_string("method", &r.method))
        .with(Node::dataset(
            "use_raw",
            "numeric-scalar",
            "0.2.0",
            move |b| {
                b.with_enum_u8_data(boolean, &[use_raw]).with_shape(&[]);
            },
        ))
        .with(layer)
        .with(scalar_string("corr_method", &r.corr_method)))
}

/// The `uns/<key>` dict of a ranking.
fn ranking<'a>(key: &str, r: &'a RankGenesGroups) -> std::result::Result<Node<'a>, Staging> {
    let f32_bytes = |v: f32| v.to_le_bytes().to_vec();
    let f64_bytes = |v: f64| v.to_le_bytes().to_vec();
    let mut node = Node::dict(key)
        .with(params(r)?)
        .with(name_records(&r.groups, &r.names)?)
        .with(numeric_records(
            "scores",
            &r.groups,
            &r.scores,
            make_f32_type(),
            f32_bytes,
        )?);
    if let Some(l) = &r.logfoldchanges {
        node = node.with(numeric_records(
            "logfoldchanges",
            &r.groups,
            l,
            make_f32_type(),
            f32_bytes,
        )?);
    }
    for (name, lists) in [("pvals", &r.pvals), ("pvals_adj", &r.pvals_adj)] {
        if let Some(l) = lists {
            node = node.with(numeric_records(
                name,
                &r.groups,
                l,
                make_f64_type(),
                f64_bytes,
            )?);
        }
    }
    for (name, table) in [("pts", &r.pts), ("pts_rest", &r.pts_rest)] {
        if let Some(t) = table {
            node = node.with(fractions(name, &r.groups, t));
        }
    }
    Ok(node)
}

/// The `uns` entry and the `obsm` entries of `extras`.
pub(super) fn extra_nodes<'a>(
    n_cells: usize,
    extras: &'a H5adExtras,
) -> std::result::Result<(Option<Node<'a>>, Vec<Node<'a>>), Staging> {
    let uns = match &extras.uns {
        Some((key, r)) => Some(ranking(key, r).map_err(|e| Staging {
            object: format!("uns/{key}/{}", e.object),
            source: e.source,
        })?),
        None => None,
    };
    let obsm = extras
        .obsm
        .iter()
        .map(|m| {
            Node::dataset(m.key.as_str(), "array", "0.2.0", move |b| {
                b.with_f32_data(&m.values)
                    .with_shape(&[n_cells as u64, m.n_cols as u64]);
            })
        })
        .collect();
    Ok((uns, obsm))
}

/// `X`: a CSR group when the data set is sparse, a dense array otherwise.
fn matrix(data: &Dataset) -> Node<'_> {
    let (n_cells, n_genes) = data.shape();
    let shape = [n_cells as u64, n_genes as u64];
    let Some(m) = data.sparse_matrix() else {
        let values = data.dense_values().unwrap_or_default();
        return Node::dataset("X", "array", "0.2.0", move |b| {
            b.with_f32_data(values).with_shape(&shape);
        });
    };
    // scipy's index type: int32 while the offsets and the column indices fit.
    let narrow = m.nnz() <= i32::MAX as usize && n_genes <= i32::MAX as usize;
    let indices = Node::plain("indices", move |b| {
        if narrow {
            b.with_i32_data(&m.indices().iter().map(|&j| j as i32).collect::<Vec<_>>());
        } else {
            b.with_i64_data(
                &m.indices()
                    .iter()
                    .map(|&j| i64::from(j))
                    .collect::<Vec<_>>(),
            );
        }
    });
    let indptr = Node::plain("indptr", move |b| {
        if narrow {
            b.with_i32_data(&m.indptr().iter().map(|&p| p as i32).collect::<Vec<_>>());
        } else {
            b.with_i64_data(&m.indptr().iter().map(|&p| p as i64).collect::<Vec<_>>());
        }
    });
    Node::group("X", "csr_matrix", "0.1.0")
        .attr(
            "shape",
            AttrValue::I64Array(vec![n_cells as i64, n_genes as i64]),
        )
        .with(Node::plain("data", move |b| {
            b.with_f32_data(m.values());
        }))
        .with(indices)
        .with(indptr)
}

/// A whole new file: `X`, `obs`, `var`, the empty groups anndata writes, and the extras.
pub(super) fn new_file(
    fb: &mut FileBuilder,
    data: &Dataset,
    extras: &H5adExtras,
) -> std::result::Result<(), Staging> {
    fb.set_attr("encoding-type", text("anndata"));
    fb.set_attr("encoding-version", text("0.1.0"));
    matrix(data).emit_root(fb);
    let obs = match data.labels() {
        Some(labels) => {
            let column = extras.label_column_name();
            dataframe("obs", data.cell_ids(), &[column.to_string()]).with(categorical(
                column,
                labels.class_names(),
                labels.assignments(),
            ))
        }
        None => dataframe("obs", data.cell_ids(), &[]),
    };
    obs.emit_root(fb);
    dataframe("var", data.gene_names(), &[]).emit_root(fb);
    let (uns, obsm) = extra_nodes(data.n_cells(), extras)?;
    let mut uns_group = Node::dict("uns");
    if let Some(node) = uns {
        uns_group = uns_group.with(node);
    }
    uns_group.emit_root(fb);
    obsm.into_iter()
        .fold(Node::dict("obsm"), Node::with)
        .emit_root(fb);
    for name in ["layers", "obsp", "varm", "varp"] {
        Node::dict(name).emit_root(fb);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranking() -> RankGenesGroups {
        RankGenesGroups::new(
            "label",
            "logreg",
            vec!["a".into(), "b".into()],
            vec![
                vec!["g1".into(), "g22".into()],
                vec!["g2".into(), "g1".into()],
            ],
            vec![vec![1.0, 0.5], vec![2.0, 1.0]],
        )
    }

    #[test]
    fn names_are_records_of_fixed_width_fields() {
        let node = name_records(&["a".into(), "b".into()], &ranking().names)
            .ok()
            .unwrap();
        let mut fb = FileBuilder::new();
        node.emit_root(&mut fb);
        let file = hdf5_pure::File::from_bytes(fb.finish().unwrap()).unwrap();
        let ds = file.dataset("names").unwrap();
        // field a is 3 bytes wide (its longest name), field b 2
        assert_eq!(ds.read_raw().unwrap(), b"g1\0g2g22g1");
        let attrs = ds.attrs().unwrap();
        assert_eq!(attrs["encoding-type"].as_str(), Some("rec-array"));
    }
}
