//! What a session's options must satisfy before anything is sent.
//!
//! Each check names the setting it refuses (`what`: a CLI flag or a Python
//! argument, as the caller spells it) and what to do instead.

use anyhow::{Result, bail};
use pyrt_risk::RiskLimits;

/// The longest run id: client order ids are `<run id>-<session>-<order id>`, at most
/// 36 characters at Binance, and order ids need the rest.
pub const MAX_RUN_ID_LEN: usize = 16;

/// A run id is 1 to 16 letters, digits or underscores.
pub fn check_run_id(what: &str, id: &str) -> Result<()> {
    let id_ok = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if id.is_empty() || id.len() > MAX_RUN_ID_LEN || !id.chars().all(id_ok) {
        bail!(
            "{what} `{id}` must be 1 to {MAX_RUN_ID_LEN} letters, digits or underscores \
             (client order ids are `<run id>-<session>-<order id>`, at most 36 characters at Binance)"
        );
    }
    Ok(())
}

/// `url` uses `secure` (`https`/`wss`), or stays on this machine.
pub fn check_encrypted(what: &str, url: &str, secure: &str) -> Result<()> {
    let Ok(parsed) = url::Url::parse(url) else {
        bail!("{what} `{url}` is not a URL; expected {secure}://host[:port]")
    };
    let scheme = parsed.scheme();
    if scheme == secure {
        return Ok(());
    }
    let loopback = match parsed.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if loopback {
        return Ok(());
    }
    bail!(
        "{what} `{url}` is not encrypted; a live run sends its API key and orders only over {secure}:// \
         (plain {scheme}:// is allowed on loopback only)"
    )
}

/// Live orders go out only through limits that cap every order's size.
/// `what` names where the limits come from (a flag, a file, an argument).
pub fn check_order_cap(what: &str, limits: Option<&RiskLimits>) -> Result<()> {
    let Some(limits) = limits else {
        bail!(
            "a live run needs risk limits ({what}): real orders go out only through pre-trade limits, \
             with at least a per-order cap ([order_limits] max_quantity or max_notional)"
        )
    };
    if limits.order_limits.max_quantity.is_none() && limits.order_limits.max_notional.is_none() {
        bail!(
            "the risk limits in {what} cap no single order; a live run needs [order_limits] max_quantity or max_notional"
        );
    }
    Ok(())
}

/// An API credential from `env`, which must be set and not blank.
pub fn required_env(name: &str, env: impl Fn(&str) -> Option<String>) -> Result<String> {
    match env(name) {
        Some(value) if !value.trim().is_empty() => Ok(value),
        _ => bail!(
            "{name} is not set; a live run takes the API key and secret from BINANCE_API_KEY and BINANCE_API_SECRET"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_refuses_plain_connections_off_this_machine() {
        let err = check_encrypted("--venue", "http://api.binance.com", "https").unwrap_err().to_string();
        assert!(err.contains("--venue `http://api.binance.com` is not encrypted"), "{err}");
        let err = check_encrypted("ws=", "ws://10.0.0.7:8765/ws-api/v3", "wss").unwrap_err().to_string();
        assert!(err.starts_with("ws= `ws://10.0.0.7"), "{err}");
        let err = check_encrypted("--venue", "api.binance.com", "https").unwrap_err().to_string();
        assert!(err.contains("is not a URL"), "{err}");
        // Loopback may be plain: a local venue, or a tunnel ending here.
        for (url, secure) in [
            ("http://127.0.0.1:8765", "https"),
            ("ws://127.0.0.1:8765", "wss"),
            ("http://localhost:1", "https"),
            ("ws://[::1]:2/x", "wss"),
            ("HTTPS://a", "https"),
        ] {
            assert!(check_encrypted("x", url, secure).is_ok(), "{url}");
        }
        // A host that merely starts like loopback is not loopback.
        assert!(check_encrypted("x", "http://127.0.0.1.example.com", "https").is_err());
    }

    #[test]
    fn run_ids_fit_a_client_order_id() {
        for good in ["pyrt", "a", "node_7", "ABCDEFGHIJKLMNOP"] {
            assert!(check_run_id("--run-id", good).is_ok(), "{good}");
        }
        for bad in ["", "has-dash", "ABCDEFGHIJKLMNOPQ", "sp ace", "é"] {
            let err = check_run_id("run_id=", bad).unwrap_err().to_string();
            assert!(err.starts_with(&format!("run_id= `{bad}`")), "{err}");
        }
    }

    #[test]
    fn live_needs_a_cap_on_every_order() {
        let err = check_order_cap("--risk FILE", None).unwrap_err().to_string();
        assert!(err.contains("needs risk limits (--risk FILE)"), "{err}");
        let uncapped = RiskLimits::from_toml("[position_limits]\nmax_quantity = 1\n").unwrap();
        let err = check_order_cap("limits.toml", Some(&uncapped)).unwrap_err().to_string();
        assert!(err.contains("limits.toml cap no single order"), "{err}");
        let capped = RiskLimits::from_toml("[order_limits]\nmax_notional = 1000\n").unwrap();
        assert!(check_order_cap("x", Some(&capped)).is_ok());
    }

    #[test]
    fn credentials_must_be_set_and_are_never_shown() {
        let blank = |_: &str| Some("  ".to_string());
        let err = required_env("BINANCE_API_KEY", blank).unwrap_err().to_string();
        assert!(err.contains("BINANCE_API_KEY is not set"), "{err}");
        let set = |_: &str| Some("s3cret".to_string());
        assert_eq!(required_env("BINANCE_API_SECRET", set).unwrap(), "s3cret");
    }
}
