//! The workspace's shared test data, no code.
//!
//! `tests/fixtures/` holds the hostile-input corpus (`bad/`, with a README naming what each file
//! breaks) and inputs that must be accepted (`good/`, with a README saying why), the workspace's
//! only copy of them: kratos-data's reader tests (`errors.rs`) and the CLI's binary tests read
//! them. The cross-crate tests themselves live beside the crate they drive, one merged binary per
//! crate (`crates/*/tests/integration/`): kratos-explain's run the simulator, the model and the
//! explainers together, the facade's the whole `Pipeline`, and kratos-cli's the `kratos` binary
//! from input file to report — one test binary per crate instead of one per file, which keeps the
//! workspace's test build inside CI's budget.
