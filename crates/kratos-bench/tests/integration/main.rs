//! The claims docs/reproduction.md makes, checked on the typed results of a quick reproduction
//! (needs `KRATOS_DATA`), and the registry's bookkeeping.

mod claims;
mod registry;
