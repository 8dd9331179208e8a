"""Tools in scanpy's ``tl`` style: they read an AnnData in memory and write their results into it.

- :func:`rank_genes_groups`: marker genes of every group of an ``obs`` column, in
  ``adata.uns[key_added]`` with exactly the layout of ``sc.tl.rank_genes_groups``;
- :func:`embed`: the 64-d hidden layer of the kratos classifier, in ``adata.obsm[key_added]``.

The matrix is ``adata.raw.X`` when ``adata.raw`` is set, else ``adata.X`` (scanpy's default for
``use_raw``), or ``adata.layers[layer]``: dense (numpy) or sparse (scipy, CSR preferred). The
arrays are read once, in Rust, without an intermediate copy when they are float32 or float64.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import _kratos

logger = logging.getLogger("kratos")

#: The values of ``method``: the kratos default panel, three explainers of the same classifier,
#: and scanpy's two one-vs-rest tests.
METHODS = ("kratos", "cw", "smoothgrad", "ig", "wilcoxon", "t-test")

# scanpy's dtypes of the per-gene record arrays.
_RECORD_DTYPES = (
    ("scores", "float32"),
    ("pvals", "float64"),
    ("pvals_adj", "float64"),
    ("logfoldchanges", "float32"),
)


def rank_genes_groups(
    adata,
    groupby: str,
    *,
    method: str = "kratos",
    n_genes: int | None = None,
    key_added: str = "kratos",
    seed: int = 0,
    layer: str | None = None,
    use_raw: bool | None = None,
    epochs: int | None = None,
    direction: str = "both",
) -> None:
    """Rank the marker genes of every group of ``adata.obs[groupby]`` against the rest.

    Writes ``adata.uns[key_added]`` in the layout of ``sc.tl.rank_genes_groups`` (with
    ``pts=True``), so ``sc.pl.rank_genes_groups_dotplot(adata, key=key_added)`` and
    ``sc.get.rank_genes_groups_df(adata, group=None, key=key_added)`` work unchanged:
    ``params`` (groupby, reference ``"rest"``, method, use_raw, layer, corr_method), the record
    arrays ``names``, ``scores``, ``logfoldchanges``, ``pvals``, ``pvals_adj`` (one field per
    group, best gene first) and the DataFrames ``pts``, ``pts_rest`` (genes x groups).

    Parameters
    ----------
    adata
        The cells; groups come from ``adata.obs[groupby]`` (categorical, string or integer;
        a non-categorical column is made categorical in place, as scanpy does).
    groupby
        The ``obs`` column holding the groups (cell types, clusters).
    method
        ``"kratos"`` (default): the kratos panel — an ensemble of three classifiers explained by
        Carlini-Wagner perturbation, rank-combined with the expression change and re-ranked for
        less redundancy. ``"cw"``, ``"smoothgrad"``, ``"ig"``: one explainer of the same
        classifiers. ``"wilcoxon"``, ``"t-test"``: scanpy's one-vs-rest tests, no model.
    n_genes
        Genes per group in the ranking (default: all).
    key_added
        The ``uns`` key to write.
    seed
        Seed of the training split, the weights and the explainers (model methods only).
    layer
        Use ``adata.layers[layer]`` instead of ``X``.
    use_raw
        Use ``adata.raw``; default: when it is set and no layer is given (as scanpy).
    epochs
        Training epochs shared by the ensemble (default 100); fewer is faster and rougher.
    direction
        Model methods only: ``"both"`` (default) lists the ranking as it is, genes higher and
        lower in the group mixed (the most discriminative, see docs/reproduction.md);
        ``"up"`` lists the genes higher in the group first (markers as a dot plot shows them),
        ``"down"`` the lower ones first. The tests always rank up-regulated genes first.

    The models train on the chosen matrix (log1p is applied first when it looks like counts)
    after a per-gene min-max scaling; the log fold changes, fractions and p-values (a Wilcoxon
    test) are computed on the values the models saw, over every gene. For the tests they are
    computed on the values as given, as scanpy does: give them log-normalised values.

    Raises ``ValueError`` for what the caller can fix (a missing column, a single group, NaN or
    infinite values, an unknown method) and ``RuntimeError`` otherwise.
    """
    _check_count("n_genes", n_genes)
    _check_count("epochs", epochs)
    _check_seed(seed)
    use_raw = _use_raw(adata, use_raw, layer)
    matrix, cell_ids, gene_names = _matrix(adata, layer, use_raw)
    categories, codes = _groups(adata, groupby)
    result = _kratos.rank_genes_groups(
        matrix,
        cell_ids,
        gene_names,
        categories,
        codes,
        groupby,
        method,
        n_genes=n_genes,
        seed=seed,
        epochs=epochs,
        use_raw=use_raw,
        layer=layer,
        direction=direction,
    )
    adata.uns[key_added] = _uns(result)
    logger.info("added adata.uns[%r] (the ranking of %s)", key_added, method)


def embed(
    adata,
    groupby: str,
    *,
    key_added: str = "X_kratos",
    seed: int = 0,
    layer: str | None = None,
    use_raw: bool | None = None,
    epochs: int | None = None,
) -> None:
    """Train the kratos classifier on ``adata.obs[groupby]`` and embed every cell.

    Writes ``adata.obsm[key_added]``: the 64-d hidden layer of the first model of the ensemble
    (cells x 64, float32), e.g. for ``sc.pp.neighbors(adata, use_rep="X_kratos")``. The
    parameters mean what they mean in :func:`rank_genes_groups`; with the same ones, the model
    is the one ``rank_genes_groups`` trains.
    """
    _check_count("epochs", epochs)
    _check_seed(seed)
    use_raw = _use_raw(adata, use_raw, layer)
    matrix, cell_ids, gene_names = _matrix(adata, layer, use_raw)
    categories, codes = _groups(adata, groupby)
    adata.obsm[key_added] = _kratos.embed(
        matrix, cell_ids, gene_names, categories, codes, groupby, seed=seed, epochs=epochs
    )
    logger.info("added adata.obsm[%r] (%d x %d)", key_added, *adata.obsm[key_added].shape)


def _check_count(name: str, value) -> None:
    if value is not None and (not isinstance(value, (int, np.integer)) or value < 1):
        raise ValueError(f"{name} must be a positive integer or None, got {value!r}")


def _check_seed(seed) -> None:
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def _use_raw(adata, use_raw: bool | None, layer: str | None) -> bool:
    """scanpy's rule: ``.raw`` unless a layer is asked for or there is no ``.raw``."""
    if use_raw is None:
        return layer is None and adata.raw is not None
    if use_raw and layer is not None:
        raise ValueError(f"use_raw=True and layer={layer!r} ask for two matrices; pass one of them")
    if use_raw and adata.raw is None:
        raise ValueError("use_raw=True but adata.raw is not set; pass use_raw=False")
    return bool(use_raw)


def _matrix(adata, layer: str | None, use_raw: bool):
    """The matrix as the Rust side takes it, with the cell ids and gene names."""
    if use_raw:
        x, genes, where = adata.raw.X, adata.raw.var_names, "adata.raw.X"
    elif layer is not None:
        if layer not in adata.layers:
            available = ", ".join(repr(k) for k in adata.layers.keys()) or "none"
            raise ValueError(
                f"layer {layer!r} is not in adata.layers (available: {available}); "
                "pass layer=None for adata.X"
            )
        x, genes, where = adata.layers[layer], adata.var_names, f"adata.layers[{layer!r}]"
    else:
        x, genes, where = adata.X, adata.var_names, "adata.X"
    if x is None:
        raise ValueError(f"{where} is not set")
    _check_unique(genes, "gene names", "adata.var_names_make_unique()")
    _check_unique(adata.obs_names, "cell ids (obs_names)", "adata.obs_names_make_unique()")
    return _as_arrays(x, where), list(map(str, adata.obs_names)), list(map(str, genes))


def _check_unique(index: pd.Index, what: str, fix: str) -> None:
    if not index.is_unique:
        repeated = index[index.duplicated()][0]
        raise ValueError(f"the {what} repeat (e.g. {repeated!r}); make them unique with {fix}")


def _as_arrays(x, where: str):
    """A 2-D float32/float64 ndarray, or the CSR arrays ``(data, indices, indptr, shape)``.

    Converts only what the Rust side cannot read as it is: other sparse formats to CSR, other
    dtypes to float32, backed or array-like matrices to memory.
    """
    if hasattr(x, "to_memory"):  # anndata's backed sparse datasets
        x = x.to_memory()
    if sp.issparse(x):
        if x.format != "csr":
            logger.debug("converting %s from %s to CSR", where, x.format)
            x = x.tocsr()
        data = x.data if x.data.dtype in (np.float32, np.float64) else x.data.astype(np.float32)
        indices, indptr = x.indices, x.indptr
        if indices.dtype not in (np.int32, np.int64):
            indices = indices.astype(np.int64)
        if indptr.dtype not in (np.int32, np.int64):
            indptr = indptr.astype(np.int64)
        return (data, indices, indptr, tuple(int(n) for n in x.shape))
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"{where} has {x.ndim} dimensions; a cells x genes matrix has 2")
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float32)
    return x


def _groups(adata, groupby: str):
    """The categories (as strings, in their order) and the per-cell codes of the column."""
    if groupby not in adata.obs.columns:
        available = ", ".join(repr(c) for c in adata.obs.columns) or "none"
        raise ValueError(
            f"groupby={groupby!r} is not a column of adata.obs (available: {available})"
        )
    column = adata.obs[groupby]
    if not isinstance(column.dtype, pd.CategoricalDtype):
        if pd.api.types.is_float_dtype(column.dtype):
            raise ValueError(
                f"adata.obs[{groupby!r}] holds floating-point numbers; groupby needs groups "
                "(a categorical, string or integer column)"
            )
        # scanpy's plots group by categorical columns only; scanpy's own tools convert too.
        column = column.astype("category")
        adata.obs[groupby] = column
        logger.info(
            "made adata.obs[%r] categorical (%d groups)", groupby, len(column.cat.categories)
        )
    categories = [str(c) for c in column.cat.categories]
    codes = np.asarray(column.cat.codes, dtype=np.int64)
    return categories, codes


def _uns(result: dict) -> dict:
    """The Rust ranking in scanpy's layout: record arrays with one field per group."""
    groups = result["groups"]
    uns = {"params": result["params"]}
    for key in ("pts", "pts_rest"):
        if key in result:
            genes, values = result[key]
            uns[key] = pd.DataFrame(values.T, index=pd.Index(genes), columns=groups)
    uns["names"] = np.rec.fromarrays(
        [np.asarray(names, dtype=object) for names in result["names"]],
        dtype=[(g, "O") for g in groups],
    )
    for key, dtype in _RECORD_DTYPES:
        if key in result:
            uns[key] = np.rec.fromarrays(list(result[key]), dtype=[(g, dtype) for g in groups])
    return uns
