#!/usr/bin/env bash
# A fuzzing campaign over every parser of outside input (not part of CI;
# CI replays the committed corpora in `cargo test`).
#
#   scripts/fuzz.sh            # every target, 10 minutes each
#   scripts/fuzz.sh 60         # every target, 60 seconds each
#   scripts/fuzz.sh 600 decimal
#
# Built with the `fuzz` profile: release speed with overflow checks on, so
# arithmetic that would wrap is a finding. Inputs that panic are written to
# crates/fuzz/crashes/<target>/; once fixed, copy them into
# crates/fuzz/corpus/<target>/ so the test suite keeps them fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
target="${2:-}"
cargo build --locked --profile fuzz -p pyrt-fuzz
bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/fuzz/pyrt-fuzz"
RUST_BACKTRACE=0 "$bin" --seconds "$seconds" --seed "${FUZZ_SEED:-$(date +%s)}" ${target:+--target "$target"}
