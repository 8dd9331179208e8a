//! Copies of an input `.h5ad` with the extras added or replaced: `hdf5-pure`'s `repack`, the
//! new entries staged into the copy, and every input object compared with the copy.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use hdf5_pure::Datatype;

use super::layout::{Node, extra_nodes};
use super::{H5adExtras, check_groups_and_genes};
use crate::read::h5ad::{H5ad, Kind};
use crate::{DataError, Dataset, Result};

/// What the copy check compares of one object: datasets by shape and datatype, groups and
/// datasets by their attributes' names and datatypes.
#[derive(Debug, Clone, PartialEq)]
struct Inventoried {
    dataset: Option<(Vec<u64>, Datatype)>,
    attrs: BTreeMap<String, Datatype>,
}

/// Groups nested deeper than this are taken for a cycle of hard links (which HDF5 allows and a
/// walk would follow forever); anndata nests a few levels.
const MAX_DEPTH: usize = 64;

/// Why an object could not be inventoried.
#[derive(Debug)]
enum WalkError {
    Hdf5(hdf5_pure::Error),
    TooDeep,
}

impl std::fmt::Display for WalkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WalkError::Hdf5(e) => write!(f, "{e}"),
            WalkError::TooDeep => write!(
                f,
                "groups nested more than {MAX_DEPTH} deep (a cycle of links?) cannot be copied"
            ),
        }
    }
}

impl std::error::Error for WalkError {}

/// Every group and dataset under `group` (at `prefix`, `depth` levels down), by path, into
/// `out`.
fn inventory(
    group: &hdf5_pure::Group,
    prefix: &str,
    depth: usize,
    out: &mut BTreeMap<String, Inventoried>,
) -> std::result::Result<(), (String, WalkError)> {
    if depth > MAX_DEPTH {
        return Err((prefix.to_string(), WalkError::TooDeep));
    }
    let at = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{name}")
        }
    };
    let here = if prefix.is_empty() { "/" } else { prefix };
    let failed = |path: &str| {
        let path = path.to_string();
        move |e| (path, WalkError::Hdf5(e))
    };
    let attrs = group.attr_datatypes().map_err(failed(here))?;
    out.insert(
        here.to_string(),
        Inventoried {
            dataset: None,
            attrs: attrs.into_iter().collect(),
        },
    );
    for name in group.datasets().map_err(failed(here))? {
        let path = at(&name);
        let describe = || -> std::result::Result<Inventoried, hdf5_pure::Error> {
            let ds = group.dataset(&name)?;
            Ok(Inventoried {
                dataset: Some((ds.shape()?, ds.datatype()?)),
                attrs: ds.attr_datatypes()?.into_iter().collect(),
            })
        };
        let item = describe().map_err(failed(&path))?;
        out.insert(path, item);
    }
    for name in group.groups().map_err(failed(here))? {
        let path = at(&name);
        let child = group.group(&name).map_err(failed(&path))?;
        inventory(&child, &path, depth + 1, out)?;
    }
    Ok(())
}

/// The objects of the `.h5ad` file at `input`, after checking that `hdf5-pure` can copy
/// each of them faithfully where `repack` itself would not say so.
fn inventory_of(input: &Path) -> Result<BTreeMap<String, Inventoried>> {
    let file = hdf5_pure::File::open_streaming(input)
        .map_err(|e| DataError::format(input, format!("cannot open as HDF5: {e}")))?;
    let mut objects = BTreeMap::new();
    inventory(&file.root(), "", 0, &mut objects).map_err(|(object, e)| {
        DataError::format(
            input,
            format!("`{object}`: cannot be read for copying: {e}"),
        )
    })?;
    for (path, item) in &objects {
        let Some((shape, _)) = &item.dataset else {
            continue;
        };
        if !shape.is_empty() {
            continue;
        }
        // A scalar and a null dataspace both have the shape []; only a null one holds no
        // bytes. hdf5-pure writes it back as a scalar, which anndata reads the same only when
        // the dataset is anndata's encoding of None.
        let ds = file.dataset(path).map_err(|e| {
            DataError::format(input, format!("`{path}`: cannot be read for copying: {e}"))
        })?;
        let empty = ds.read_raw().map(|raw| raw.is_empty()).unwrap_or(false);
        let encoding = ds.attrs().ok().and_then(|a| {
            a.get("encoding-type")
                .and_then(|v| v.as_str().map(str::to_string))
        });
        if empty && encoding.as_deref() != Some("null") {
            return Err(DataError::format(
                input,
                format!(
                    "`{path}`: cannot be copied: a dataset with a null dataspace (no value), which hdf5-pure can only write as a scalar (only anndata's `null` encoding, read as None either way, is copied)"
                ),
            ));
        }
    }
    Ok(objects)
}

/// Checks the copy at `output` against the inventory of its input: every object not replaced
/// is there, as the same kind, with the same shape, datatype and attributes.
fn check_copy(
    input: &Path,
    output: &Path,
    dest: &Path,
    before: &BTreeMap<String, Inventoried>,
    replaced: &[String],
) -> Result<()> {
    let file = hdf5_pure::File::open_streaming(output)
        .map_err(|e| DataError::hdf5(dest, "/", "cannot reopen the copy", e))?;
    let mut after = BTreeMap::new();
    inventory(&file.root(), "", 0, &mut after)
        .map_err(|(object, e)| DataError::hdf5(dest, object, "cannot read the copy back", e))?;
    let is_replaced = |path: &str| {
        replaced.iter().any(|r| {
            path == r
                || path
                    .strip_prefix(r.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    };
    for (path, item) in before.iter().filter(|(p, _)| !is_replaced(p)) {
        let problem = match after.get(path) {
            None => "is missing from the copy",
            Some(copy) if copy.dataset.is_some() != item.dataset.is_some() => {
                "changed between group and dataset in the copy"
            }
            Some(copy) if copy.dataset != item.dataset => {
                "has another shape or datatype in the copy"
            }
            Some(copy) if copy.attrs != item.attrs => "has other attributes in the copy",
            Some(_) => continue,
        };
        return Err(DataError::format(
            input,
            format!("`{path}` {problem}; hdf5-pure cannot copy it faithfully"),
        ));
    }
    Ok(())
}

/// Checks that the input file fits the data set and the extras: same cells in the same order,
/// `uns` and `obsm` groups (not the compound datasets of anndata < 0.7), and for a ranking an
/// `obs` column holding its groups and genes of the input.
fn check_input(input: &Path, data: &Dataset, extras: &H5adExtras) -> Result<(bool, bool)> {
    let h = H5ad::open_streaming(input)?;
    let cells = h.index("obs")?;
    if cells != data.cell_ids() {
        let problem = match cells.iter().zip(data.cell_ids()).position(|(a, b)| a != b) {
            Some(row) => format!(
                "row {} is `{}` in the file but `{}` in the data set",
                row + 1,
                cells[row],
                data.cell_ids()[row]
            ),
            None => format!(
                "the file has {} cells, the data set {}",
                cells.len(),
                data.n_cells()
            ),
        };
        return Err(h.err(
            "obs",
            format!(
                "the data set's cells are not the file's (obsm rows would not line up): {problem}"
            ),
        ));
    }
    let mut has = [false, false];
    for (i, group) in ["uns", "obsm"].into_iter().enumerate() {
        match h.kind(group) {
            Some(Kind::Dataset) => {
                return Err(h.err(
                    group,
                    "is a compound dataset (an anndata < 0.7 layout), so no entry can be added to it; write the file anew with anndata first",
                ));
            }
            Some(Kind::Group) => has[i] = true,
            None => {}
        }
    }
    if let Some((key, r)) = &extras.uns {
        let labels = h.obs_labels(&r.groupby, cells.len())?;
        let labels: HashSet<&str> = labels.iter().map(String::as_str).collect();
        let var = if !r.use_raw {
            "var"
        } else if h.kind("raw") == Some(Kind::Group) {
            "raw/var"
        } else {
            "raw.var"
        };
        let genes = h.index(var)?;
        let genes: HashSet<&str> = genes.iter().map(String::as_str).collect();
        check_groups_and_genes(key, r, &labels, &genes, &format!("of `{var}`"))
            .map_err(|problem| DataError::format(input, problem))?;
    }
    Ok((has[0], has[1]))
}

/// Copies `input` to `output` (a temporary file), with the extras added or replaced; errors
/// name `dest`, the file being written.
pub(super) fn copy_with_extras(
    input: &Path,
    output: &Path,
    dest: &Path,
    data: &Dataset,
    extras: &H5adExtras,
) -> Result<()> {
    let (has_uns, has_obsm) = check_input(input, data, extras)?;
    let before = inventory_of(input)?;

    let mut replaced: Vec<String> = Vec::new();
    if let Some((key, _)) = &extras.uns {
        replaced.push(format!("uns/{key}"));
    }
    replaced.extend(extras.obsm.iter().map(|m| format!("obsm/{}", m.key)));
    let mut options = hdf5_pure::RepackOptions::new();
    for path in replaced.iter().filter(|p| before.contains_key(p.as_str())) {
        options = options.drop_path(path);
    }
    hdf5_pure::repack(input, output, &options)
        .map_err(|e| DataError::hdf5(dest, "/", format!("cannot copy {}", input.display()), e))?;

    // The new entries are described by the same code as in a new file and staged into the
    // copy (hdf5-pure's cross-file copy cannot carry variable-length string attributes).
    let (uns, obsm) = extra_nodes(data.n_cells(), extras).map_err(|e| e.into_error(dest))?;
    let edit =
        |object: &str, what: &str, e: hdf5_pure::Error| DataError::hdf5(dest, object, what, e);
    let file =
        hdf5_pure::File::open_rw(output).map_err(|e| edit("/", "cannot open the copy", e))?;
    let root = file.root();
    let stage = |node: Node<'_>, parent: &str, has_parent: bool| -> Result<()> {
        let staged = if has_parent {
            node.stage(&root, parent)
        } else {
            Node::dict(parent).with(node).stage(&root, "")
        };
        staged.map_err(|(object, e)| edit(&object, "cannot add", e))
    };
    if let Some(node) = uns {
        stage(node, "uns", has_uns)?;
    }
    let mut has_obsm = has_obsm;
    for node in obsm {
        stage(node, "obsm", has_obsm)?;
        has_obsm = true;
    }
    file.commit()
        .map_err(|e| edit("/", "cannot commit the new entries", e))?;
    drop(root);
    file.close().map_err(|e| edit("/", "cannot close", e))?;
    check_copy(input, output, dest, &before, &replaced)
}
