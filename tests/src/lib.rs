//! Snapshot tests of the generator; see `tests/`.
