//! Writers: a [`Dataset`](crate::Dataset) as dense CSV/TSV (optionally gzipped) with its labels
//! as a `cell<TAB>label` file ([`write_csv`], [`write_labels`]).
//!
//! Every writer gives back what the matching reader reads: read -> write -> read returns the
//! same data.

mod csv;

pub use self::csv::{WriteOptions, write_csv, write_labels};
