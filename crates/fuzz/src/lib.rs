//! Fuzz targets for every parser that reads outside input, on the stable
//! toolchain.
//!
//! A target takes arbitrary bytes and feeds them to one parser the way the
//! product does (a file on disk for the CSV and Parquet readers, text for
//! specs and configs, a request for the venue). It panics only when the
//! code under test does: a panic, an arithmetic overflow (the corpus replay
//! runs with overflow checks on) or a broken invariant the target asserts
//! (the fast decimal path disagrees with the general one, the streaming
//! features disagree with the batch kernels, a bar that was accepted is
//! not a bar). Errors are fine: refusing bad input is the point.
//!
//! Two drivers use them:
//!
//! * `tests/corpus.rs` replays every input committed under `corpus/<target>/`
//!   as an ordinary `cargo test`, so a finding stays fixed;
//! * the `pyrt-fuzz` binary runs a seeded mutation campaign from those
//!   corpora (`scripts/fuzz.sh`), and writes any input that panics to
//!   `crashes/<target>/` for you to add to the corpus once fixed.

pub mod mutate;
mod targets;

pub use targets::TARGETS;

/// One fuzz target.
pub struct Target {
    pub name: &'static str,
    /// What it feeds and what it checks.
    pub about: &'static str,
    pub run: fn(&[u8]),
}

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}
