//! The dashboard example's board (`examples/dashboard/board.rs`): coalescing per vehicle, chunks,
//! counters and bounded logs. The page itself is tested in a real browser by `cargo xtask
//! integration`.
//!
//! This file is hand-written; `cargo xtask regen` does not touch it.

// The example builds the connection states this test does not.
#[allow(dead_code)]
#[path = "../examples/dashboard/board.rs"]
mod board;
