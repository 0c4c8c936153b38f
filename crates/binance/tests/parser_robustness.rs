//! Whatever bytes arrive, the parser answers with a message or an error —
//! never a panic. Random text, and real recorded frames cut short or with
//! bytes changed (what a broken connection or a buggy proxy delivers).
//! `fuzz/` holds the libFuzzer target for longer runs.

mod common;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use pyrt_binance::capture::CaptureReader;
use pyrt_binance::parse;

/// A few hundred real frames of every kind from one recording.
fn real_frames() -> Vec<String> {
    let Some(shared) = common::shared() else { return Vec::new() };
    let mut reader = CaptureReader::open(shared.join("data/hftbacktest/raw/spot_btcusdt_20240808.gz")).unwrap();
    let mut frames = Vec::new();
    while let Some(r) = reader.next_record() {
        let msg = r.unwrap().message;
        // The snapshot is 60 kB; keep the mutations on ordinary frames.
        if msg.len() < 4000 {
            frames.push(msg.to_string());
        }
        if frames.len() == 400 {
            break;
        }
    }
    frames
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,200}") {
        let _ = parse(&text);
    }

    #[test]
    fn json_shaped_noise_never_panics(text in r#"\{("[a-zA-Z]{1,3}":(-?[0-9]{1,20}|"[0-9.e-]{0,12}"|\[\[("[0-9.]{0,8}",?){0,3}\]\]|true|null|\{\}),?){0,8}\}"#) {
        let _ = parse(&text);
    }
}

#[test]
fn damaged_real_frames_never_panic() {
    let frames = real_frames();
    if frames.is_empty() {
        return;
    }
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (0..frames.len(), any::<prop::sample::Index>(), any::<u8>(), any::<bool>());
    for _ in 0..5000 {
        let (i, at, byte, cut) = strategy.new_tree(&mut runner).unwrap().current();
        let mut bytes = frames[i].clone().into_bytes();
        let pos = at.index(bytes.len());
        if cut {
            bytes.truncate(pos);
        } else {
            bytes[pos] = byte;
        }
        if let Ok(text) = String::from_utf8(bytes) {
            let _ = parse(&text);
        }
    }
}
