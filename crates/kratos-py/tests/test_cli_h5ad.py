"""`kratos run --write-h5ad`: the file the command line writes (pure-Rust HDF5) is read by
anndata and scanpy. Needs the `kratos` binary: $KRATOS_BIN, else the workspace's release build
(`cargo test --workspace --release`, which `.ci/run` runs first, builds it)."""

import os
import subprocess
from pathlib import Path

import anndata as ad
import matplotlib.pyplot as plt
import numpy as np
import pytest
import scanpy as sc

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def kratos_bin() -> Path:
    path = Path(os.environ.get("KRATOS_BIN", REPO / "target" / "release" / "kratos"))
    if not path.is_file():
        pytest.skip(f"needs the kratos binary at {path} (cargo build --release -p kratos-cli)")
    return path


def test_the_written_copy_is_read_by_anndata_and_scanpy(kratos_bin, pbmc_modern_file, tmp_path):
    out = tmp_path / "out.h5ad"
    run = subprocess.run(
        [
            str(kratos_bin), "run",
            "--data", str(pbmc_modern_file), "--label-key", "louvain",
            "--epochs", "12", "--no-plots",
            "--out", str(tmp_path / "run"),
            "--write-h5ad", str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    written = ad.read_h5ad(out)
    original = ad.read_h5ad(pbmc_modern_file)
    # A copy: the input's matrix, cells, genes and labels as they were.
    assert written.shape == original.shape
    np.testing.assert_array_equal(np.asarray(written.X), np.asarray(original.X))
    assert list(written.obs_names) == list(original.obs_names)
    assert list(written.var_names) == list(original.var_names)
    assert (written.obs["louvain"] == original.obs["louvain"]).all()
    # The additions: the embedding and the default panel in scanpy's layout.
    assert written.obsm["X_kratos"].shape == (original.n_obs, 64)
    assert np.isfinite(written.obsm["X_kratos"]).all()
    uns = written.uns["kratos"]
    assert uns["params"]["groupby"] == "louvain"
    groups = [str(c) for c in original.obs["louvain"].cat.categories]
    assert list(uns["names"].dtype.names) == groups
    df = sc.get.rank_genes_groups_df(written, group=None, key="kratos")
    assert set(df["group"]) == set(groups)
    assert {"names", "scores", "logfoldchanges", "pvals", "pvals_adj"} <= set(df.columns)
    assert df["scores"].between(0, 1, inclusive="right").all()  # the default panel's score
    sc.pl.rank_genes_groups_dotplot(written, key="kratos", n_genes=2, show=False)
    plt.close("all")
