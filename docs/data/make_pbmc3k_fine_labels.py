"""Fine-grained labels for pbmc3k: Leiden clusters at a high resolution, as "c<N>" strings.

Makes docs/data/pbmc3k_fine_labels.tsv (header "cell<TAB>label"; the 2,638 cells of
$KRATOS_DATA/pbmc3k/labels.tsv, same ids, same order) and prints a summary (cluster count, sizes,
cross-tab against the 8 coarse labels) that docs/data/README.md quotes.

Run (from any folder; writes next to this script):
    KRATOS_DATA=/work/shared/data /tmp/kvenv/bin/python make_pbmc3k_fine_labels.py
    ... make_pbmc3k_fine_labels.py --scan     # also print the cluster counts at R = 2, 3, 4, 5
(KRATOS_DATA defaults to /work/shared/data.) Needs scanpy, igraph and leidenalg
(`pip install scanpy igraph leidenalg`). Made with scanpy 1.11.5, anndata 0.12.19, numpy 2.4.6,
scipy 1.17.1, pandas 2.3.3, scikit-learn 1.9.1, igraph 1.0.0, leidenalg 0.12.0, Python 3.11.
All random seeds are fixed (random_state=0), so a rerun with these versions gives the same file;
other versions (or BLAS builds) may move a few cells.

Recipe (the standard scanpy one, on the raw UMI counts of counts.csv.gz, which holds exactly the
cells of labels.tsv in the same order and the 13,714 genes seen in >= 3 cells):
    sc.pp.normalize_total(target_sum=1e4); sc.pp.log1p
    sc.pp.highly_variable_genes(n_top_genes=2000, flavor="seurat"); keep the HVGs
    sc.pp.scale(max_value=10); sc.tl.pca(n_comps=50, random_state=0)
    sc.pp.neighbors(n_neighbors=10, n_pcs=40, random_state=0)
    sc.tl.leiden(resolution=RESOLUTION, random_state=0, flavor="igraph", n_iterations=2, directed=False)
Label = "c" + scanpy's cluster number ("0", "1", ... in scanpy's order).
"""
import os
import platform
import sys
import warnings

import anndata
import igraph
import leidenalg
import numpy as np
import pandas as pd
import scanpy as sc
import scipy
import scipy.sparse as sp
import sklearn

warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", message="zero-centering a sparse")

# Chosen resolution. Cluster counts seen with the versions above (clusters; smallest cluster):
#   R = 2: 19 clusters (min 15 cells)      R = 3: 34 clusters (min 15 cells)  <- chosen
#   R = 4: 45 clusters (min 15 cells)      R = 5: 64 clusters (min 12 cells)
# No cluster has fewer than 10 cells at any of these. R = 3 and R = 4 both give 30-50 clusters;
# R = 3 is taken because it splits CD4 T less into small near-identical pieces (23 vs 31
# CD4-T-majority clusters) and keeps a margin on both sides of the 30-50 window.
RESOLUTION = 3.0

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(os.environ.get("KRATOS_DATA", "/work/shared/data"), "pbmc3k")


def load():
    coarse = pd.read_csv(os.path.join(DATA, "labels.tsv"), sep="\t", dtype=str)
    counts = pd.read_csv(os.path.join(DATA, "counts.csv.gz"), index_col=0, dtype={"cell": str})
    assert list(counts.index) == list(coarse["cell"]), "counts.csv.gz and labels.tsv disagree on cells"
    a = anndata.AnnData(sp.csr_matrix(counts.to_numpy(dtype=np.float32)),
                        obs=pd.DataFrame({"coarse": coarse["label"].to_numpy()}, index=counts.index),
                        var=pd.DataFrame(index=counts.columns))
    return a, coarse


def embed(a):
    a = a.copy()
    sc.pp.normalize_total(a, target_sum=1e4)
    sc.pp.log1p(a)
    sc.pp.highly_variable_genes(a, n_top_genes=2000, flavor="seurat")
    a = a[:, a.var["highly_variable"]].copy()
    sc.pp.scale(a, max_value=10)
    sc.tl.pca(a, n_comps=50, random_state=0)
    sc.pp.neighbors(a, n_neighbors=10, n_pcs=40, random_state=0)
    return a


def cluster(b, resolution):
    sc.tl.leiden(b, resolution=resolution, random_state=0, flavor="igraph", n_iterations=2,
                 directed=False, key_added="fine")
    return ("c" + b.obs["fine"].astype(str)).to_numpy()


def main():
    a, coarse = load()
    b = embed(a)
    print(f"{a.n_obs} cells x {a.n_vars} genes; {b.n_vars} HVGs")
    if "--scan" in sys.argv:
        for r in (2.0, 3.0, 4.0, 5.0):
            n = pd.Series(cluster(b, r)).value_counts()
            print(f"R = {r:g}: {len(n)} clusters, {int((n < 10).sum())} with < 10 cells, "
                  f"sizes {n.min()}..{n.max()}")
    lab = cluster(b, RESOLUTION)
    out = pd.DataFrame({"cell": coarse["cell"], "label": lab})
    out.to_csv(os.path.join(HERE, "pbmc3k_fine_labels.tsv"), sep="\t", index=False, lineterminator="\n")

    sizes = out["label"].value_counts()
    sizes = sizes.reindex(sorted(sizes.index, key=lambda s: int(s[1:])))
    print("versions:", {"scanpy": sc.__version__, "anndata": anndata.__version__, "numpy": np.__version__,
                        "scipy": scipy.__version__, "pandas": pd.__version__, "sklearn": sklearn.__version__,
                        "igraph": igraph.__version__, "leidenalg": leidenalg.__version__,
                        "python": platform.python_version()})
    print(f"resolution {RESOLUTION:g}: {len(sizes)} clusters; sizes min {sizes.min()}, median "
          f"{int(sizes.median())}, max {sizes.max()}; {int((sizes < 10).sum())} with < 10 cells")
    print("sizes:", " ".join(f"{k}:{v}" for k, v in sizes.items()))
    xt = pd.crosstab(coarse["label"], out["label"])
    plural = xt.idxmax(axis=0)                          # fine cluster -> its most frequent coarse label
    print("coarse label: fine clusters holding any of its cells / needed to cover 90% of its cells / "
          "in which it is the most frequent coarse label [those clusters]")
    for c in xt.index:
        row = xt.loc[c]
        cover = int(np.searchsorted(np.cumsum(np.sort(row.to_numpy())[::-1]), 0.9 * row.sum()) + 1)
        mine = sorted(plural.index[plural == c], key=lambda s: int(s[1:]))
        print(f"  {c} ({row.sum()} cells): {int((row > 0).sum())} / {cover} / {len(mine)}  [{', '.join(mine)}]")
    purity = xt.max(axis=0) / xt.sum(axis=0)
    print(f"fine-cluster purity w.r.t. coarse labels: min {purity.min():.3f}, "
          f"{int((purity == 1).sum())} of {len(purity)} pure")


if __name__ == "__main__":
    main()
