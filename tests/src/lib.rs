//! Cross-crate integration tests of kratos-rs live in `tests/tests/`.
