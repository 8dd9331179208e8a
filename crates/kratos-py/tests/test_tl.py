"""kratos.tl on AnnData: scanpy's layout, scanpy's numbers, embedding, files, errors."""

import logging
import os
import threading
import time
from pathlib import Path

import anndata as ad
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import scanpy as sc
import scipy.sparse as sp

import kratos

# Few epochs keep the suite short; the layout and the plumbing do not depend on them.
EPOCHS = 12
DOCS_IMG = Path(__file__).resolve().parents[3] / "docs" / "img" / "python-dotplot.png"


def _groups(adata, groupby):
    return [str(c) for c in adata.obs[groupby].cat.categories]


@pytest.mark.parametrize("method", kratos.tl.METHODS)
def test_every_method_writes_scanpys_layout_and_scanpy_reads_it(pbmc, method):
    kratos.tl.rank_genes_groups(pbmc, "bulk_labels", method=method, epochs=EPOCHS, seed=1)
    u = pbmc.uns["kratos"]
    assert u["params"] == {
        "groupby": "bulk_labels",
        "reference": "rest",
        "method": method,
        "use_raw": True,  # .raw is set: scanpy's default
        "layer": None,
        "corr_method": "benjamini-hochberg",
    }
    groups = _groups(pbmc, "bulk_labels")
    n_genes = pbmc.raw.n_vars
    for key, dtype in [
        ("names", np.dtype(object)),
        ("scores", np.dtype("float32")),
        ("logfoldchanges", np.dtype("float32")),
        ("pvals", np.dtype("float64")),
        ("pvals_adj", np.dtype("float64")),
    ]:
        rec = u[key]
        assert isinstance(rec, np.recarray), key
        assert list(rec.dtype.names) == groups, key
        assert all(rec.dtype[g] == dtype for g in groups), key
        assert rec.shape == (n_genes,), key
    for g in groups:
        assert sorted(u["names"][g]) == sorted(pbmc.raw.var_names), g  # every gene, once
        p = u["pvals"][g]
        assert np.all((p >= 0) & (p <= 1)), g
        assert np.all(u["pvals_adj"][g] >= p - 1e-12), g
    for key in ("pts", "pts_rest"):
        assert isinstance(u[key], pd.DataFrame)
        assert list(u[key].columns) == groups
        assert list(u[key].index) == list(pbmc.raw.var_names)
        assert ((u[key].to_numpy() >= 0) & (u[key].to_numpy() <= 1)).all()

    df = sc.get.rank_genes_groups_df(pbmc, group=None, key="kratos")
    assert len(df) == len(groups) * n_genes
    assert {"group", "names", "scores", "logfoldchanges", "pvals", "pvals_adj"} <= set(df.columns)
    assert {"pct_nz_group", "pct_nz_reference"} <= set(df.columns)
    assert not df["scores"].isna().any()
    sc.pl.rank_genes_groups_dotplot(pbmc, key="kratos", n_genes=3, show=False)
    plt.close("all")


def test_the_dot_plot_of_the_kratos_panel(pbmc, tmp_path):
    """The default method with its default training; the image of docs/python.md (genes up in
    their group: scanpy's `min_logfoldchange` leaves out the panel's genes that are down)."""
    kratos.tl.rank_genes_groups(pbmc, "bulk_labels")
    dp = sc.pl.rank_genes_groups_dotplot(
        pbmc, key="kratos", n_genes=3, min_logfoldchange=1, return_fig=True, show=False
    )
    dp.savefig(tmp_path / "dotplot.png", dpi=80)
    assert (tmp_path / "dotplot.png").stat().st_size > 10_000
    if os.environ.get("KRATOS_WRITE_DOCS_IMG") == "1":
        dp.savefig(DOCS_IMG, dpi=80, bbox_inches="tight")
    plt.close("all")
    # The classic markers make the top of their panels.
    top = {g: list(pbmc.uns["kratos"]["names"][g][:10]) for g in ("CD19+ B", "Dendritic")}
    assert "CD79A" in top["CD19+ B"] or "MS4A1" in top["CD19+ B"], top
    assert "LYZ" in top["Dendritic"] or "CST3" in top["Dendritic"], top


@pytest.mark.parametrize(
    ("method", "scanpy_method"), [("wilcoxon", "wilcoxon"), ("t-test", "t-test")]
)
def test_the_tests_give_scanpys_numbers(pbmc, method, scanpy_method):
    sc.tl.rank_genes_groups(pbmc, "bulk_labels", method=scanpy_method, pts=True, key_added="scanpy")
    kratos.tl.rank_genes_groups(pbmc, "bulk_labels", method=method)
    theirs = sc.get.rank_genes_groups_df(pbmc, group=None, key="scanpy").set_index(
        ["group", "names"]
    )
    ours = sc.get.rank_genes_groups_df(pbmc, group=None, key="kratos").set_index(["group", "names"])
    for g in _groups(pbmc, "bulk_labels"):
        # The same top genes in the same order...
        assert list(pbmc.uns["kratos"]["names"][g][:10]) == list(
            pbmc.uns["scanpy"]["names"][g][:10]
        ), g
        # ... and the same statistics for the top 50.
        top = [(g, n) for n in pbmc.uns["kratos"]["names"][g][:50]]
        for col, rtol, atol in [
            ("scores", 1e-5, 1e-5),
            ("logfoldchanges", 1e-4, 1e-4),
            ("pvals", 1e-4, 1e-300),
            ("pvals_adj", 1e-4, 1e-300),
            ("pct_nz_group", 1e-6, 1e-6),
            ("pct_nz_reference", 1e-6, 1e-6),
        ]:
            np.testing.assert_allclose(
                ours.loc[top, col].to_numpy(dtype=float),
                theirs.loc[top, col].to_numpy(dtype=float),
                rtol=rtol,
                atol=atol,
                err_msg=f"{g}: {col}",
            )


def test_sparse_dense_and_layer_inputs_give_the_same_ranking(pbmc):
    """raw.X is CSR; the same values dense, and as a layer, rank identically."""
    kratos.tl.rank_genes_groups(pbmc, "louvain", method="wilcoxon", key_added="csr")
    dense = ad.AnnData(
        pbmc.raw.X.toarray().astype(np.float64), obs=pbmc.obs[["louvain"]], var=pbmc.raw.var[[]]
    )
    dense.layers["lognorm"] = sp.csc_matrix(pbmc.raw.X)  # converted to CSR on the way
    kratos.tl.rank_genes_groups(dense, "louvain", method="wilcoxon", key_added="dense")
    kratos.tl.rank_genes_groups(
        dense, "louvain", method="wilcoxon", layer="lognorm", key_added="layer"
    )
    assert dense.uns["dense"]["params"]["use_raw"] is False
    assert dense.uns["layer"]["params"]["layer"] == "lognorm"
    for g in _groups(pbmc, "louvain"):
        assert list(pbmc.uns["csr"]["names"][g]) == list(dense.uns["dense"]["names"][g])
        assert list(pbmc.uns["csr"]["names"][g]) == list(dense.uns["layer"]["names"][g])
        np.testing.assert_allclose(
            pbmc.uns["csr"]["scores"][g], dense.uns["dense"]["scores"][g], rtol=1e-6
        )


def test_embed_gives_64_dimensions_per_cell(pbmc):
    kratos.tl.embed(pbmc, "bulk_labels", epochs=EPOCHS)
    e = pbmc.obsm["X_kratos"]
    assert e.shape == (pbmc.n_obs, 64)
    assert e.dtype == np.float32
    assert np.isfinite(e).all() and e.std() > 0


def test_the_ranking_survives_write_h5ad(pbmc, tmp_path):
    kratos.tl.rank_genes_groups(pbmc, "bulk_labels", method="smoothgrad", epochs=EPOCHS, n_genes=20)
    path = tmp_path / "ranked.h5ad"
    pbmc.write_h5ad(path)
    back = ad.read_h5ad(path)
    assert "kratos" in back.uns
    assert back.uns["kratos"]["params"]["method"] == "smoothgrad"
    before = sc.get.rank_genes_groups_df(pbmc, group=None, key="kratos")
    after = sc.get.rank_genes_groups_df(back, group=None, key="kratos")
    assert len(after) == 10 * 20
    pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True))


def test_progress_goes_to_the_kratos_logger(small, caplog):
    with caplog.at_level(logging.DEBUG, logger="kratos"):
        kratos.tl.rank_genes_groups(small, "cell_type", method="ig", epochs=3)
    messages = [r.getMessage() for r in caplog.records if r.name == "kratos"]
    assert any(
        m.startswith("training the kratos classifier on 60 cells x 8 genes") for m in messages
    )
    assert sum("epoch" in m for m in messages) >= 3
    assert any(m.startswith("trained in") for m in messages)


def test_the_gil_is_released_while_kratos_works(pbmc):
    """Another Python thread keeps running during the training and explaining: it ticks about
    once a millisecond, which it could only do a few times if kratos held the GIL."""
    counter = 0
    stop = threading.Event()

    def count():
        nonlocal counter
        while not stop.is_set():
            counter += 1
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    try:
        kratos.tl.rank_genes_groups(pbmc, "bulk_labels", method="cw", epochs=EPOCHS)
    finally:
        stop.set()
        t.join()
    assert counter > 200, counter


def test_use_raw_defaults_to_x_without_raw(small):
    kratos.tl.rank_genes_groups(small, "cell_type", method="wilcoxon", n_genes=2)
    u = small.uns["kratos"]
    assert u["params"]["use_raw"] is False
    assert [u["names"][g][0] for g in ("A", "B", "C")] == ["g0", "g1", "g2"]
    assert u["scores"].shape == (2,)


def test_a_string_column_is_made_categorical_as_scanpy_does(small):
    small.obs["label"] = small.obs["cell_type"].astype(str)
    kratos.tl.rank_genes_groups(small, "label", method="t-test")
    assert isinstance(small.obs["label"].dtype, pd.CategoricalDtype)
    assert list(small.uns["kratos"]["names"].dtype.names) == ["A", "B", "C"]


# Bad input: ValueError, naming what is wrong.


def test_a_missing_groupby_column_lists_the_columns(small):
    with pytest.raises(
        ValueError,
        match=r"groupby='celltype' is not a column of adata\.obs \(available: 'cell_type', 'one'\)",
    ):
        kratos.tl.rank_genes_groups(small, "celltype")


def test_a_column_with_one_group_is_refused(small):
    with pytest.raises(
        ValueError, match=r"obs\['one'\] has 1 group\(s\) \(x\); kratos needs at least two groups"
    ):
        kratos.tl.rank_genes_groups(small, "one")
    with pytest.raises(ValueError, match="at least two groups"):
        kratos.tl.embed(small, "one")


@pytest.mark.parametrize("sparse", [False, True])
def test_nan_in_x_names_the_cell_and_the_gene(small, sparse):
    x = small.X.copy()
    x[7, 3] = np.nan
    small.X = sp.csr_matrix(x) if sparse else x
    with pytest.raises(ValueError, match=r"cell `cell7`, gene `g3` is NaN"):
        kratos.tl.rank_genes_groups(small, "cell_type", method="wilcoxon")


def test_infinite_values_are_refused_too(small):
    small.X[2, 5] = np.inf
    with pytest.raises(ValueError, match=r"cell `cell2`, gene `g5` is inf"):
        kratos.tl.embed(small, "cell_type")


def test_an_unknown_method_lists_the_methods(small):
    with pytest.raises(
        ValueError,
        match="unknown method `logreg`; use one of: kratos, cw, smoothgrad, ig, wilcoxon, t-test",
    ):
        kratos.tl.rank_genes_groups(small, "cell_type", method="logreg")


def test_direction_up_lists_the_genes_higher_in_the_group_first(small):
    kratos.tl.rank_genes_groups(small, "cell_type", method="kratos", epochs=5, key_added="both")
    kratos.tl.rank_genes_groups(
        small, "cell_type", method="kratos", epochs=5, key_added="up", direction="up"
    )
    for group in _groups(small, "cell_type"):
        both = sc.get.rank_genes_groups_df(small, group=group, key="both")
        up = sc.get.rank_genes_groups_df(small, group=group, key="up")
        assert sorted(both["names"]) == sorted(up["names"])  # the same genes, reordered
        lfc = up["logfoldchanges"].to_numpy()
        n_up = int((lfc >= 0).sum())
        assert (lfc[:n_up] >= 0).all() and (lfc[n_up:] < 0).all()
        # within the up-regulated genes, the ranking's own order is kept
        order = [g for g in both["names"] if g in set(up["names"][:n_up])]
        assert list(up["names"][:n_up]) == order
    with pytest.raises(ValueError, match="unknown direction `sideways`"):
        kratos.tl.rank_genes_groups(small, "cell_type", direction="sideways")


def test_missing_groups_raw_and_layers_are_named(small):
    small.obs["partial"] = small.obs["cell_type"].copy()
    small.obs.loc["cell4", "partial"] = np.nan
    with pytest.raises(ValueError, match=r"cell `cell4` has no group in obs\['partial'\]"):
        kratos.tl.rank_genes_groups(small, "partial", method="wilcoxon")
    with pytest.raises(ValueError, match="adata.raw is not set"):
        kratos.tl.rank_genes_groups(small, "cell_type", use_raw=True)
    with pytest.raises(
        ValueError, match=r"layer 'counts' is not in adata.layers \(available: none\)"
    ):
        kratos.tl.rank_genes_groups(small, "cell_type", layer="counts")
    with pytest.raises(ValueError, match="n_genes must be a positive integer"):
        kratos.tl.rank_genes_groups(small, "cell_type", n_genes=0)


def test_repeated_gene_names_say_how_to_fix_them(small):
    small.var_names = ["g0", "g1", "g2", "g3", "g4", "g5", "g6", "g0"]
    with pytest.raises(
        ValueError,
        match=r"repeat \(e\.g\. 'g0'\); make them unique with adata\.var_names_make_unique\(\)",
    ):
        kratos.tl.rank_genes_groups(small, "cell_type", method="wilcoxon")
