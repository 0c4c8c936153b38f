//! Every committed fuzz input, replayed: a finding, once fixed, stays fixed.
//! (Overflow checks are on in tests, so arithmetic that would wrap fails here.)

use std::path::Path;

#[test]
fn every_corpus_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut replayed = 0;
    for target in pyrt_fuzz::TARGETS {
        let dir = root.join(target.name);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        assert!(!paths.is_empty(), "target {} has no corpus in {}", target.name, dir.display());
        for path in paths {
            let input = std::fs::read(&path).unwrap();
            let result = std::panic::catch_unwind(|| (target.run)(&input));
            assert!(result.is_ok(), "{} fails on {}", target.name, path.display());
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} inputs");
}
