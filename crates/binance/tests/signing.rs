//! The three worked examples from Binance's docs
//! (`shared/fixtures/binance/signing/hmac_sha256_examples.json`).

mod common;

use pyrt_binance::signing::{payload, sign, verify};

#[test]
fn official_examples_sign_and_verify() {
    let Some(shared) = common::shared() else { return };
    let path = shared.join("fixtures/binance/signing/hmac_sha256_examples.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let secret = doc["secretKey"].as_str().unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (query, body) = (case["query_string"].as_str().unwrap(), case["body"].as_str().unwrap());
        let expected = case["expected_signature"].as_str().unwrap();
        assert_eq!(payload(query, body), case["signature_payload"].as_str().unwrap(), "{name}");
        assert_eq!(sign(secret, &payload(query, body)), expected, "{name}");
        // As a server receives it: the signature appended to the part that
        // carried the parameters.
        let (q, b) = if body.is_empty() {
            (format!("{query}&signature={expected}"), String::new())
        } else {
            (query.to_string(), format!("{body}&signature={expected}"))
        };
        assert_eq!(verify(secret, &q, &b), Ok(()), "{name}");
    }
}
