//! What the data tests share.

use std::path::PathBuf;

/// `../shared/data` (or `$PYRT_SHARED_DATA`), or `None` with a note that
/// the tests needing it are skipped.
pub fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("PYRT_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: shared data not found at {} (set PYRT_SHARED_DATA)", dir.display());
        None
    }
}
