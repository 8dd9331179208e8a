"""kratos: marker genes of cell types from a neural classifier and its gradients, on AnnData.

The work is done in Rust (the kratos-rs crates); this package reads an :class:`~anndata.AnnData`
in memory and writes the results back the way scanpy does, so that scanpy's plots and getters
read them unchanged::

    import kratos
    kratos.tl.rank_genes_groups(adata, "bulk_labels")          # adata.uns["kratos"]
    sc.pl.rank_genes_groups_dotplot(adata, key="kratos")
    kratos.tl.embed(adata, "bulk_labels")                      # adata.obsm["X_kratos"]

Progress is logged to the standard :mod:`logging` logger ``"kratos"`` (INFO: training and
ranking; DEBUG: every epoch).
"""

import logging

from . import tl
from ._kratos import __version__

# A library leaves the handlers to the application; without one, nothing is printed.
logging.getLogger("kratos").addHandler(logging.NullHandler())

__all__ = ["tl", "__version__"]
