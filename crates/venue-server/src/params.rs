//! A request's parameters, from the query string and the form body.
//!
//! Clients put parameters in either place (python-binance sends DELETE
//! parameters in the body, ccxt in the query); a parameter in both takes
//! the query's value. Signed requests are verified over the raw bytes as
//! received (see `pyrt_binance::signing`), before anything is decoded.

use std::collections::HashMap;
use std::str::FromStr;

use pyrt_binance::signing::{SignatureError, verify};

use crate::errors::ApiError;

/// Decoded parameters.
#[derive(Debug, Default, Clone)]
pub struct Params {
    values: HashMap<String, String>,
}

impl Params {
    pub fn parse(query: &str, body: &str) -> Self {
        let mut values = HashMap::new();
        for (k, v) in form_urlencoded::parse(body.as_bytes()) {
            values.insert(k.into_owned(), v.into_owned());
        }
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            values.insert(k.into_owned(), v.into_owned());
        }
        Self { values }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::mandatory(name))
    }

    /// A number parameter parsed as `T`; absent is `None`. Only what
    /// Binance takes is read: digits with an optional point and, for
    /// signed fields, a leading minus; no exponent (`1e3`), no spaces
    /// (`" 1"`), no plus (-1100 otherwise).
    pub fn parsed<T: FromStr>(&self, name: &str) -> Result<Option<T>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(text) if !plain_number(text) => Err(ApiError::illegal_chars(name)),
            Some(text) => text.parse().map(Some).map_err(|_| ApiError::illegal_chars(name)),
        }
    }

    /// A price, quantity or amount: a plain number with at most
    /// [`MAX_DECIMALS`] decimals, never rounded (-1111 for more: a venue
    /// that rounds trades an amount the client did not ask for).
    pub fn decimal<T: FromStr>(&self, name: &str) -> Result<Option<T>, ApiError> {
        let Some(text) = self.get(name) else { return Ok(None) };
        match pyrt_model::decimal::parse_strict(text, MAX_DECIMALS) {
            Ok(_) => text.parse().map(Some).map_err(|_| ApiError::illegal_chars(name)),
            Err(pyrt_model::ValueError::TooPrecise { .. }) => Err(ApiError::too_much_precision(name)),
            Err(_) => Err(ApiError::illegal_chars(name)),
        }
    }
}

/// The most decimals Binance Spot takes in a price or quantity.
pub const MAX_DECIMALS: u32 = 8;

/// `-?[0-9]+(\.[0-9]+)?`: the only spelling of a number parameter.
fn plain_number(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(int) && digits(frac)
}

impl Params {}

/// Checks a SIGNED request: the signature over the raw query and body,
/// then the timing rule (`timestamp < now + 1000` and
/// `now - timestamp <= recvWindow`, recvWindow ≤ 60000, default 5000).
pub fn check_signed(secret: &str, query: &str, body: &str, params: &Params, now_ms: i64) -> Result<(), ApiError> {
    let timestamp: i64 = params.parsed("timestamp")?.ok_or_else(|| ApiError::mandatory("timestamp"))?;
    verify(secret, query, body).map_err(|e| match e {
        SignatureError::Missing => ApiError::mandatory("signature"),
        SignatureError::Malformed | SignatureError::Mismatch => ApiError::bad_signature(),
    })?;
    let window: f64 = params.parsed("recvWindow")?.unwrap_or(5000.0);
    if !(window > 0.0 && window <= 60_000.0) {
        return Err(ApiError::recv_window_too_large());
    }
    // Timestamps may be in microseconds (16 digits).
    let ts_ms = if timestamp > 10_000_000_000_000 { timestamp / 1000 } else { timestamp };
    if ts_ms >= now_ms.saturating_add(1000) {
        return Err(ApiError::ahead_of_server());
    }
    // Checked: a timestamp near i64::MIN made `now - ts` wrap into the
    // window (and panic in a debug build), so a signed request could be
    // replayed at any time.
    match now_ms.checked_sub(ts_ms) {
        Some(age) if ts_ms > 0 && age as f64 <= window => Ok(()),
        _ => Err(ApiError::outside_recv_window()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyrt_binance::signing::sign;

    #[test]
    fn query_wins_over_body() {
        let p = Params::parse("a=1&b=%20x", "a=2&c=3&d=");
        assert_eq!((p.get("a"), p.get("b"), p.get("c"), p.get("d")), (Some("1"), Some(" x"), Some("3"), None));
        assert_eq!(p.required("d").unwrap_err().code, -1102);
        assert_eq!(p.parsed::<i64>("b").unwrap_err().code, -1100);
    }

    #[test]
    fn numbers_are_read_as_binance_reads_them() {
        let p = Params::parse("a=1e3&b=%201&c=%2B1&d=0.00100000001&e=50000.0000000001&f=0.001&g=-5&h=1.&i=.5", "");
        for name in ["a", "b", "c", "h", "i"] {
            assert_eq!(p.parsed::<f64>(name).unwrap_err().code, -1100, "{name}");
            assert_eq!(p.decimal::<pyrt_model::Quantity>(name).unwrap_err().code, -1100, "{name}");
        }
        for name in ["d", "e"] {
            let e = p.decimal::<pyrt_model::Price>(name).unwrap_err();
            assert_eq!((e.code, e.msg.clone()), (-1111, format!("Parameter '{name}' has too much precision.")));
        }
        assert_eq!(p.decimal::<pyrt_model::Quantity>("f").unwrap(), Some("0.001".parse().unwrap()));
        assert_eq!(p.parsed::<i64>("g").unwrap(), Some(-5));
        assert_eq!(p.decimal::<pyrt_model::Quantity>("g").unwrap_err().code, -1100, "no negative amounts");
    }

    #[test]
    fn signed_requests_check_signature_then_time() {
        let now = 1_700_000_000_000;
        let signed = |body: &str| format!("{body}&signature={}", sign("s3cret", body));
        let ok = signed(&format!("symbol=BTCUSDT&timestamp={}", now - 100));
        let params = Params::parse("", &ok);
        assert_eq!(check_signed("s3cret", "", &ok, &params, now), Ok(()));
        assert_eq!(check_signed("other", "", &ok, &params, now).unwrap_err().code, -1022);
        let old = signed(&format!("timestamp={}&recvWindow=1000", now - 2000));
        let e = check_signed("s3cret", "", &old, &Params::parse("", &old), now).unwrap_err();
        assert_eq!((e.code, e.msg.as_str()), (-1021, "Timestamp for this request is outside of the recvWindow."));
        let ahead = signed(&format!("timestamp={}", now + 5000));
        assert_eq!(check_signed("s3cret", "", &ahead, &Params::parse("", &ahead), now).unwrap_err().code, -1021);
        // Timestamps at the ends of the range: refused with -1021, never
        // wrapped into the window (and no overflow panic in a debug build).
        for ts in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX] {
            let q = signed(&format!("timestamp={ts}"));
            assert_eq!(check_signed("s3cret", "", &q, &Params::parse("", &q), now).unwrap_err().code, -1021, "{ts}");
        }
        let huge = signed(&format!("timestamp={now}&recvWindow=70000"));
        assert_eq!(check_signed("s3cret", "", &huge, &Params::parse("", &huge), now).unwrap_err().code, -1131);
        let unsigned = format!("timestamp={now}");
        let e = check_signed("s3cret", &unsigned, "", &Params::parse(&unsigned, ""), now).unwrap_err();
        assert_eq!(e.msg, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
    }
}
