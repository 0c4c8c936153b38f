//! What the Binance tests share.

use std::path::PathBuf;

/// `../shared` (or `$PYRT_SHARED`), or `None` with a note that the tests
/// needing it are skipped.
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("PYRT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: shared fixtures and data not found at {} (set PYRT_SHARED)", dir.display());
        None
    }
}
