"""Checks an .h5ad file written by kratos-data's `write_h5ad` with anndata and scanpy.

Usage: python check_h5ad.py FILE [--key KEY] [--obsm KEY] [--label-column NAME]

Reads FILE with `anndata.read_h5ad`, checks `X`, `obs`, `var` and `obsm`, calls
`sc.get.rank_genes_groups_df(adata, group=None, key=KEY)` and
`sc.pl.rank_genes_groups_dotplot(adata, key=KEY, show=False)`, and exits non-zero on the
first failure. When `FILE.expected.json` exists (the example `write_h5ad` writes one), the
values are compared with it; when it names the input of a copy, everything the copy was to
keep (X, obs, var, layers, raw, the other obsm and uns entries) is compared with the input.

Written by `cargo run --release -p kratos-data --example write_h5ad -- FILE`.
"""

import argparse
import json
import os
from importlib.metadata import version
import sys

import matplotlib

matplotlib.use("Agg")

import anndata  # noqa: E402
import numpy as np  # noqa: E402
import scanpy as sc  # noqa: E402
import scipy.sparse as sp  # noqa: E402


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def dense(x):
    return x.toarray() if sp.issparse(x) else np.asarray(x)


def same_uns(a, b, where):
    """Compares two `uns` values (dicts, arrays, dataframes, scalars) recursively."""
    if isinstance(a, dict):
        check(isinstance(b, dict) and set(a) == set(b), f"{where}: keys {sorted(a)} vs {sorted(b) if isinstance(b, dict) else b!r}")
        for k in a:
            same_uns(a[k], b[k], f"{where}/{k}")
    elif hasattr(a, "equals"):  # pandas
        check(a.equals(b), f"{where}: dataframes differ")
    elif isinstance(a, np.ndarray):
        check(isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, f"{where}: arrays differ in dtype or shape")
        if a.dtype.names:
            for name in a.dtype.names:
                check(np.array_equal(a[name], b[name]), f"{where}: field {name} differs")
        else:
            check(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f"{where}: values differ")
    else:
        check(a == b or (a is None and b is None), f"{where}: {a!r} vs {b!r}")


def check_copy(adata, source_path, obsm_key, uns_key):
    src = anndata.read_h5ad(source_path)
    check(adata.shape == src.shape, f"copy shape {adata.shape} vs input {src.shape}")
    check(type(adata.X) is type(src.X), f"X type {type(adata.X)} vs input {type(src.X)}")
    check(np.array_equal(dense(adata.X), dense(src.X)), "X differs from the input")
    check(adata.obs.equals(src.obs), "obs differs from the input")
    check(adata.var.equals(src.var), "var differs from the input")
    check(set(adata.layers) == set(src.layers), "layers differ from the input")
    for k in src.layers:
        check(np.array_equal(dense(adata.layers[k]), dense(src.layers[k])), f"layer {k} differs")
    check((adata.raw is None) == (src.raw is None), "raw kept or lost")
    if src.raw is not None:
        check(np.array_equal(dense(adata.raw.X), dense(src.raw.X)), "raw.X differs")
        check(adata.raw.var.equals(src.raw.var), "raw.var differs")
    kept_obsm = [k for k in src.obsm if k != obsm_key]
    kept_uns = [k for k in src.uns if k != uns_key]
    for k in kept_obsm:
        check(np.array_equal(np.asarray(adata.obsm[k]), np.asarray(src.obsm[k])), f"obsm {k} differs")
    for k in kept_uns:
        check(k in adata.uns, f"uns {k} lost in the copy")
        same_uns(src.uns[k], adata.uns[k], f"uns/{k}")
    print(f"copy of {source_path}: X, obs, var, layers {sorted(src.layers)}, raw, obsm {kept_obsm} and uns {kept_uns} as in the input")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--key", default=None, help="uns key of the ranking (default: from the sidecar, else kratos)")
    parser.add_argument("--obsm", default=None, help="obsm key (default: from the sidecar, else X_kratos)")
    parser.add_argument("--label-column", default=None, help="obs label column (default: from the sidecar, else the ranking's groupby)")
    args = parser.parse_args()

    sidecar = args.file + ".expected.json"
    expected = None
    if os.path.exists(sidecar):
        with open(sidecar) as f:
            expected = json.load(f)
    key = args.key or (expected or {}).get("uns_key", "kratos")
    obsm_key = args.obsm or (expected or {}).get("obsm_key", "X_kratos")

    adata = anndata.read_h5ad(args.file)
    print(f"anndata {version('anndata')}, scanpy {version('scanpy')}: {adata}")

    # X, obs, var
    n_obs, n_vars = adata.shape
    check(adata.X.shape == (n_obs, n_vars), "X shape differs from obs x var")
    check(adata.obs_names.is_unique, "obs names are not unique")
    print(f"X: {type(adata.X).__name__} {adata.X.dtype} {adata.X.shape}")

    rgg = adata.uns[key]
    label_column = args.label_column or (expected or {}).get("label_column") or str(rgg["params"]["groupby"])
    check(label_column in adata.obs, f"no obs column {label_column!r}")
    labels = adata.obs[label_column]
    check(isinstance(labels.dtype, __import__("pandas").CategoricalDtype), f"obs {label_column!r} is not categorical")

    # obsm
    check(obsm_key in adata.obsm, f"no obsm {obsm_key!r}")
    emb = np.asarray(adata.obsm[obsm_key])
    check(emb.shape[0] == n_obs and emb.dtype == np.float32, f"obsm {obsm_key}: {emb.shape} {emb.dtype}")

    # uns: the structure scanpy's rank_genes_groups leaves
    params = rgg["params"]
    for p in ("groupby", "reference", "method", "use_raw", "layer", "corr_method"):
        check(p in params, f"params lacks {p}")
    check(params["groupby"] == label_column, f"groupby {params['groupby']!r}")
    groups = list(rgg["names"].dtype.names)
    for field, kind in (("names", "U"), ("scores", "f"), ("logfoldchanges", "f"), ("pvals", "f"), ("pvals_adj", "f")):
        if field in rgg:
            check(list(rgg[field].dtype.names) == groups, f"{field} fields {rgg[field].dtype.names}")
            check(all(rgg[field].dtype[g].kind in (kind, "O") for g in groups), f"{field} dtype {rgg[field].dtype}")
    for table in ("pts", "pts_rest"):
        if table in rgg:
            check(list(rgg[table].columns) == groups, f"{table} columns {list(rgg[table].columns)}")
            check(rgg[table].index.equals(adata.var_names), f"{table} index is not var_names")

    if expected is not None:
        check((n_obs, n_vars) == (expected["n_obs"], expected["n_vars"]), "shape differs from expected")
        check(list(adata.obs_names) == expected["cell_ids"], "cell ids differ from expected")
        check(list(labels.astype(str)) == expected["labels"], "labels differ from expected")
        check(np.array_equal(emb, np.asarray(expected["obsm"], dtype=np.float32).reshape(n_obs, expected["obsm_columns"])), "obsm values differ")
        check(groups == expected["groups"], "groups differ")
        for g, names, scores in zip(groups, expected["names"], expected["scores"]):
            check(list(rgg["names"][g]) == names, f"names of {g} differ")
            check(np.array_equal(rgg["scores"][g], np.asarray(scores, dtype=np.float32)), f"scores of {g} differ")
        if expected.get("x") is not None:
            check(sp.issparse(adata.X) == expected["sparse"], "X sparse/dense differs")
            check(list(adata.var_names) == expected["gene_names"], "gene names differ")
            check(np.array_equal(dense(adata.X), np.asarray(expected["x"], dtype=np.float32).reshape(n_obs, n_vars)), "X values differ")
        if expected.get("copy_of"):
            check_copy(adata, expected["copy_of"], obsm_key, key)
        print("values as expected (sidecar)")

    df = sc.get.rank_genes_groups_df(adata, group=None, key=key)
    check(len(df) == len(groups) * len(rgg["names"]), f"rank_genes_groups_df has {len(df)} rows")
    print(f"rank_genes_groups_df: {df.shape[0]} rows, columns {list(df.columns)}")
    print(df.head(3).to_string())

    sc.pl.rank_genes_groups_dotplot(adata, key=key, show=False)
    print("rank_genes_groups_dotplot: drawn")
    print("OK")


if __name__ == "__main__":
    try:
        main()
    except CheckFailed as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
