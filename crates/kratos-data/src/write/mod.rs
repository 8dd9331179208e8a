//! Writers: a [`Dataset`](crate::Dataset) as dense CSV/TSV (optionally gzipped) with its labels
//! as a `cell<TAB>label` file ([`write_csv`], [`write_labels`]), and as an AnnData `.h5ad` file
//! that `anndata.read_h5ad` and scanpy read, optionally with embeddings (`obsm`), marker-gene
//! rankings in scanpy's `rank_genes_groups` layout (`uns`), or as a copy of the `.h5ad` file
//! the data came from ([`write_h5ad`], [`H5adExtras`]).
//!
//! Every writer gives back what the matching reader reads: read -> write -> read returns the
//! same data.

mod csv;
mod h5ad;

pub use self::csv::{WriteOptions, write_csv, write_labels};
pub use self::h5ad::{GeneFractions, H5adExtras, RankGenesGroups, write_h5ad};
