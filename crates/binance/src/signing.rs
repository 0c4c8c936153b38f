//! Request signing for Binance's SIGNED endpoints (HMAC-SHA256).
//!
//! The signature covers the request's parameters *exactly as sent*: the
//! percent-encoded query string, immediately followed — no `&` between
//! them — by the `application/x-www-form-urlencoded` body. Either may be
//! empty. The `signature` parameter itself is left out and appended last,
//! to whichever part carried the parameters. The result is lowercase hex;
//! the server compares it case-insensitively.
//!
//! Clients order parameters differently (python-binance sorts them, ccxt
//! puts `timestamp` first), so a server must verify over the raw bytes it
//! received, never over parameters it decoded and re-encoded:
//! [`verify`] takes the raw query and body.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The API key of Binance's documentation examples (public; the signature
/// examples in the docs are made with it and [`DOCS_SECRET`]).
pub const DOCS_API_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
/// The secret of Binance's documentation examples (public).
pub const DOCS_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

/// Why a signed request does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request carries no `signature` parameter")]
    Missing,
    #[error("`signature` is not a 64-character hex HMAC-SHA256")]
    Malformed,
    #[error("signature does not match the request's parameters")]
    Mismatch,
}

/// Lowercase hex HMAC-SHA256 of `payload` under `secret`.
pub fn sign(secret: &str, payload: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(payload.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Splits the `signature` parameter out of a raw query or body, returning
/// the rest as sent (parameter order and encoding untouched) and the
/// signature if there was one.
pub fn strip_signature(raw: &str) -> (String, Option<&str>) {
    let mut rest = Vec::new();
    let mut signature = None;
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        match pair.strip_prefix("signature=") {
            Some(sig) => signature = Some(sig),
            None => rest.push(pair),
        }
    }
    (rest.join("&"), signature)
}

/// The bytes a request's signature covers: query then body, each without
/// its `signature`, joined with nothing between.
pub fn payload(query: &str, body: &str) -> String {
    let (q, _) = strip_signature(query);
    let (b, _) = strip_signature(body);
    q + &b
}

/// Checks a request's signature against its raw query and body. The
/// signature may be in either part (the query's wins if both have one,
/// as for any parameter); hex case does not matter. The comparison runs
/// in constant time.
pub fn verify(secret: &str, query: &str, body: &str) -> Result<(), SignatureError> {
    let (q, q_sig) = strip_signature(query);
    let (b, b_sig) = strip_signature(body);
    let given = q_sig.or(b_sig).ok_or(SignatureError::Missing)?;
    let bytes = decode_hex(given).ok_or(SignatureError::Malformed)?;
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(q.as_bytes());
    mac.update(b.as_bytes());
    mac.verify_slice(&bytes).map_err(|_| SignatureError::Mismatch)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    // Hex digits only: `u8::from_str_radix` also takes a sign (`+f`).
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = DOCS_SECRET;

    #[test]
    fn strips_only_the_signature() {
        assert_eq!(strip_signature("a=1&signature=ff&b=2"), ("a=1&b=2".to_string(), Some("ff")));
        assert_eq!(strip_signature(""), (String::new(), None));
        assert_eq!(strip_signature("mysignature=1"), ("mysignature=1".to_string(), None));
    }

    #[test]
    fn verify_accepts_either_case_and_refuses_tampering() {
        let body = "symbol=BTCUSDT&side=BUY&quantity=0.001&timestamp=1";
        let sig = sign(SECRET, body);
        assert_eq!(verify(SECRET, "", &format!("{body}&signature={sig}")), Ok(()));
        assert_eq!(verify(SECRET, "", &format!("{body}&signature={}", sig.to_uppercase())), Ok(()));
        assert_eq!(verify(SECRET, &format!("signature={sig}"), body), Ok(()));
        let tampered = body.replace("0.001", "0.002");
        assert_eq!(verify(SECRET, "", &format!("{tampered}&signature={sig}")), Err(SignatureError::Mismatch));
        assert_eq!(verify("other", "", &format!("{body}&signature={sig}")), Err(SignatureError::Mismatch));
        assert_eq!(verify(SECRET, body, ""), Err(SignatureError::Missing));
        assert_eq!(verify(SECRET, "signature=xyz", ""), Err(SignatureError::Malformed));
        assert_eq!(verify(SECRET, &format!("signature={}", "zz".repeat(32)), ""), Err(SignatureError::Malformed));
        // A sign inside a hex pair (`+f` parses as 15 with from_str_radix) is not hex.
        let good = sign(SECRET, "a=1");
        let plus = format!("+{}", &good[1..]);
        assert_eq!(verify(SECRET, &format!("a=1&signature={plus}"), ""), Err(SignatureError::Malformed));
    }
}
