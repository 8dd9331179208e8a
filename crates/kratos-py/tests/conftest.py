"""Shared fixtures: the pbmc68k_reduced data set (from $KRATOS_DATA) and small synthetic AnnData."""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # draw without a display

import anndata as ad
import numpy as np
import pandas as pd
import pytest


def shared_data_file(name: str) -> Path:
    """`pbmc68k_reduced/<name>` of $KRATOS_DATA; the tests that need it skip without it."""
    root = os.environ.get("KRATOS_DATA")
    if not root:
        pytest.skip("needs KRATOS_DATA (the shared data folder)")
    path = Path(root) / "pbmc68k_reduced" / name
    assert path.is_file(), f"{path} not found; KRATOS_DATA={root}"
    return path


@pytest.fixture(scope="session")
def pbmc_file() -> Path:
    """scanpy's pbmc68k_reduced.h5ad."""
    return shared_data_file("pbmc68k_reduced.h5ad")


@pytest.fixture(scope="session")
def pbmc_modern_file() -> Path:
    """pbmc68k_reduced.modern.h5ad: the same data in anndata's current layout."""
    return shared_data_file("pbmc68k_reduced.modern.h5ad")


@pytest.fixture(scope="session")
def pbmc_once(pbmc_file) -> ad.AnnData:
    return ad.read_h5ad(pbmc_file)


@pytest.fixture
def pbmc(pbmc_once) -> ad.AnnData:
    """A fresh copy for each test (the tools write into it)."""
    return pbmc_once.copy()


@pytest.fixture
def small() -> ad.AnnData:
    """60 cells of three types, 8 genes; gene k marks type k for k < 3 (log-like values)."""
    rng = np.random.default_rng(0)
    types = np.repeat(["A", "B", "C"], 20)
    x = rng.gamma(1.0, 0.3, size=(60, 8)).astype(np.float32)
    for k, t in enumerate(["A", "B", "C"]):
        x[types == t, k] += 3.0
    obs = pd.DataFrame(
        {"cell_type": pd.Categorical(types), "one": pd.Categorical(["x"] * 60)},
        index=[f"cell{i}" for i in range(60)],
    )
    var = pd.DataFrame(index=[f"g{j}" for j in range(8)])
    return ad.AnnData(x, obs=obs, var=var)
