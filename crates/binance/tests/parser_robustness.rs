//! Whatever bytes arrive, the parser answers with a message or an error —
//! never a panic. Random text, and real recorded frames cut short or with
//! bytes changed (what a broken connection or a buggy proxy delivers).
//! Damaged frames also check the depth fast path: `parse` must answer
//! exactly as the general parser does, messages and errors alike.
//! `fuzz/` holds the libFuzzer target for longer runs.

mod common;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use pyrt_binance::capture::CaptureReader;
use pyrt_binance::parse;
use pyrt_binance::stream::parse_general;

/// Real frames from two recordings (spot, and USD-M with its `pu`): the
/// first 400 under 4 kB of every kind, and the first 600 depth diffs under
/// 4 kB, of each.
fn real_frames() -> Vec<String> {
    let Some(shared) = common::shared() else { return Vec::new() };
    let mut frames = Vec::new();
    for file in ["spot_btcusdt_20240808.gz", "usdm_btcusdt_20240808.gz"] {
        let mut reader = CaptureReader::open(shared.join("data/hftbacktest/raw").join(file)).unwrap();
        let (mut any, mut depth) = (0, 0);
        while let Some(r) = reader.next_record() {
            let msg = r.unwrap().message;
            // The snapshot is 60 kB; keep the mutations on ordinary frames.
            if msg.len() >= 4000 {
                continue;
            }
            if any < 400 {
                any += 1;
                frames.push(msg.to_string());
            } else if depth < 600 && msg.contains("depthUpdate") {
                depth += 1;
                frames.push(msg.to_string());
            }
            if depth == 600 {
                break;
            }
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

/// Damaged real frames: never a panic, and the depth fast path inside
/// `parse` never answers differently from the general parser. The
/// replacement byte is often a digit or JSON punctuation, so that many
/// damaged frames are still messages (a digit for a digit, for one).
#[test]
fn damaged_real_frames_never_panic_and_parse_as_the_general_parser_does() {
    let frames = real_frames();
    if frames.is_empty() {
        return;
    }
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let byte = prop_oneof![b'0'..=b'9', prop::sample::select(br#"",[]{}:.-+eE "#.to_vec()), any::<u8>()];
    let strategy = (0..frames.len(), any::<prop::sample::Index>(), byte, any::<bool>());
    let mut depth_read = 0;
    for _ in 0..20_000 {
        let (i, at, byte, cut) = strategy.new_tree(&mut runner).unwrap().current();
        let mut bytes = frames[i].clone().into_bytes();
        let pos = at.index(bytes.len());
        if cut {
            bytes.truncate(pos);
        } else {
            bytes[pos] = byte;
        }
        if let Ok(text) = String::from_utf8(bytes) {
            let answer = parse(&text);
            assert_eq!(answer, parse_general(&text), "on {text}");
            depth_read += matches!(answer, Ok(pyrt_binance::StreamMessage::Depth(_))) as usize;
        }
    }
    assert!(depth_read > 1500, "only {depth_read} damaged frames were still depth messages");
}
