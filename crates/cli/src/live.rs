//! `pyrt live` and `pyrt paper` share one run (`paper::run`); this module
//! turns either command's arguments into its options, with the checks that
//! real money needs before anything is sent.
//!
//! `pyrt live` differs from `pyrt paper` only in what it refuses:
//! * no venue is assumed: `--venue` and `--ws` must be given;
//! * the API key and secret come from `BINANCE_API_KEY` and
//!   `BINANCE_API_SECRET` and must both be set (paper falls back to the
//!   local venue's public example account); they are never printed;
//! * every endpoint must be `https://` or `wss://`, except on loopback
//!   (a local venue or a tunnel), so a key never crosses a network in clear;
//! * risk limits (`--risk`) are required, with a cap on every order's size
//!   (`[order_limits] max_quantity` or `max_notional`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::Args;

use crate::Format;
use crate::paper::PaperOptions;

/// What a trading run needs besides its venue.
#[derive(Args)]
pub struct TradeArgs {
    /// The WebSocket API for the user-data stream (default: the --ws URL + /ws-api/v3; Binance: wss://ws-api.binance.com:443/ws-api/v3).
    #[arg(long)]
    pub user_ws: Option<String>,
    /// A PEM file of extra certificate authorities to trust (a venue with its own certificate); Mozilla's roots are always trusted.
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    /// Built-in strategy (see `pyrt strategies`).
    #[arg(long, default_value = "sma_cross")]
    pub strategy: String,
    /// Strategy parameter NAME=VALUE; repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Bars the strategy trades on, built from live trades: 1s, 1m, tick:100, volume:10...
    #[arg(long, default_value = "1m")]
    pub bar: String,
    /// Pre-trade risk limits (TOML: [order_limits], [position_limits], [margin], [risk_metrics], ...); every order passes them. Required by `pyrt live`.
    #[arg(long, value_name = "FILE")]
    pub risk: Option<PathBuf>,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub duration_s: Option<f64>,
    /// This node's name at the venue: client order ids are `<run id>-<order id>`, so a node restarted with the same id knows its orders.
    #[arg(long, default_value = "pyrt")]
    pub run_id: String,
    /// On stop, leave open orders working instead of cancelling them.
    #[arg(long)]
    pub keep_open: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Paper trading: any venue, the local venue's example account by default.
pub fn paper_options(
    venue: String,
    ws: Option<String>,
    args: &TradeArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<PaperOptions> {
    let api_key = env("BINANCE_API_KEY").unwrap_or_else(|| pyrt_venue_server::DOCS_API_KEY.into());
    let secret = env("BINANCE_API_SECRET").unwrap_or_else(|| pyrt_venue_server::DOCS_SECRET.into());
    options(venue, ws, args, api_key, secret)
}

/// Live trading: a venue named on the command line, keys from the
/// environment, encrypted connections off loopback.
pub fn live_options(
    venue: String,
    ws: String,
    args: &TradeArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<PaperOptions> {
    let required = |name: &str| -> Result<String> {
        match env(name) {
            Some(value) if !value.trim().is_empty() => Ok(value),
            _ => bail!(
                "{name} is not set; `pyrt live` takes the API key and secret from BINANCE_API_KEY and BINANCE_API_SECRET"
            ),
        }
    };
    let (api_key, secret) = (required("BINANCE_API_KEY")?, required("BINANCE_API_SECRET")?);
    check_encrypted("--venue", &venue, "https")?;
    check_encrypted("--ws", &ws, "wss")?;
    if let Some(user_ws) = &args.user_ws {
        check_encrypted("--user-ws", user_ws, "wss")?;
    }
    let options = options(venue, Some(ws), args, api_key, secret)?;
    let Some(limits) = &options.risk else {
        bail!(
            "`pyrt live` needs --risk FILE: real orders go out only through pre-trade limits, \
             with at least a per-order cap ([order_limits] max_quantity or max_notional)"
        )
    };
    if limits.order_limits.max_quantity.is_none() && limits.order_limits.max_notional.is_none() {
        bail!(
            "the risk limits in {} cap no single order; `pyrt live` needs [order_limits] max_quantity or max_notional",
            args.risk.as_deref().unwrap_or(std::path::Path::new("--risk")).display()
        );
    }
    Ok(options)
}

fn options(
    venue: String,
    ws: Option<String>,
    args: &TradeArgs,
    api_key: String,
    secret: String,
) -> Result<PaperOptions> {
    let params: BTreeMap<String, String> = args
        .params
        .iter()
        .map(|p| p.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect::<Option<_>>()
        .context("--param takes NAME=VALUE")?;
    if args.duration_s.is_some_and(|d| !(d > 0.0 && d.is_finite())) {
        bail!("--duration-s must be a number of seconds above 0");
    }
    let id_ok = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if args.run_id.is_empty() || args.run_id.len() > 16 || !args.run_id.chars().all(id_ok) {
        bail!(
            "--run-id `{}` must be 1 to 16 letters, digits or underscores (client order ids are `<run id>-<order id>`, at most 36 characters at Binance)",
            args.run_id
        );
    }
    let tls = pyrt_adapters::tls::client_config(args.ca_file.as_deref())?;
    let risk = match &args.risk {
        None => None,
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read risk limits {}", path.display()))?;
            Some(pyrt_risk::RiskLimits::from_toml(&text).with_context(|| format!("in {}", path.display()))?)
        }
    };
    Ok(PaperOptions {
        venue,
        ws,
        user_ws: args.user_ws.clone(),
        tls,
        symbol: args.symbol.clone(),
        strategy: args.strategy.clone(),
        params,
        bar: args.bar.clone(),
        duration: args.duration_s.map(Duration::from_secs_f64),
        api_key,
        secret,
        risk,
        run_id: args.run_id.clone(),
        keep_open: args.keep_open,
    })
}

/// `url` uses `secure` (`https`/`wss`), or stays on this machine.
fn check_encrypted(flag: &str, url: &str, secure: &str) -> Result<()> {
    let Ok(parsed) = url::Url::parse(url) else {
        bail!("{flag} `{url}` is not a URL; expected {secure}://host[:port]")
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
        "{flag} `{url}` is not encrypted; a live run sends its API key and orders only over {secure}:// (plain {scheme}:// is allowed on loopback only)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        trade: TradeArgs,
    }

    fn args(extra: &[&str]) -> TradeArgs {
        Cli::parse_from(std::iter::once("pyrt").chain(extra.iter().copied())).trade
    }

    fn keys(name: &str) -> Option<String> {
        Some(format!("{name}-value"))
    }

    /// A risk-limits file with `text`, kept for the test's life.
    fn risk_file(name: &str, text: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("pyrt-live-{name}-{}.toml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `extra` plus a risk file that caps each order.
    fn capped(extra: &[&str]) -> TradeArgs {
        let risk = risk_file("capped", "[order_limits]\nmax_notional = 1000\n");
        let mut all = vec!["--risk", risk.to_str().unwrap()];
        all.extend_from_slice(extra);
        args(&all)
    }

    #[test]
    fn live_needs_both_keys_and_never_shows_them() {
        let only_key = |name: &str| (name == "BINANCE_API_KEY").then(|| "k3y".to_string());
        let err = live_options(
            "https://api.binance.com".into(),
            "wss://stream.binance.com:9443".into(),
            &args(&[]),
            only_key,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("BINANCE_API_SECRET is not set"), "{err}");
        assert!(!err.contains("k3y"), "{err}");
        let blank = |_: &str| Some("  ".to_string());
        let err = live_options("https://a".into(), "wss://b".into(), &args(&[]), blank).err().unwrap().to_string();
        assert!(err.contains("BINANCE_API_KEY is not set"), "{err}");
        let o = live_options("https://a".into(), "wss://b".into(), &capped(&[]), keys).unwrap();
        assert_eq!((o.api_key.as_str(), o.secret.as_str()), ("BINANCE_API_KEY-value", "BINANCE_API_SECRET-value"));
    }

    #[test]
    fn live_refuses_plain_connections_off_this_machine() {
        let live = |venue: &str, ws: &str, extra: &[&str]| {
            live_options(venue.into(), ws.into(), &capped(extra), keys).err().map(|e| e.to_string())
        };
        let err = live("http://api.binance.com", "wss://stream.binance.com:9443", &[]).unwrap();
        assert!(err.contains("--venue `http://api.binance.com` is not encrypted"), "{err}");
        let err = live("https://api.binance.com", "ws://stream.binance.com:9443", &[]).unwrap();
        assert!(err.contains("--ws `ws://stream.binance.com:9443` is not encrypted"), "{err}");
        let err = live("https://a", "wss://b", &["--user-ws", "ws://10.0.0.7:8765/ws-api/v3"]).unwrap();
        assert!(err.contains("--user-ws"), "{err}");
        let err = live("api.binance.com", "wss://b", &[]).unwrap();
        assert!(err.contains("is not a URL"), "{err}");
        // Loopback may be plain: a local venue, or a tunnel ending here.
        for (venue, ws) in [
            ("http://127.0.0.1:8765", "ws://127.0.0.1:8765"),
            ("http://localhost:1", "ws://[::1]:2/x"),
            ("HTTPS://a", "WSS://b"),
        ] {
            assert_eq!(live(venue, ws, &[]), None, "{venue} {ws}");
        }
        // A host that merely starts like loopback is not loopback.
        assert!(live("http://127.0.0.1.example.com", "wss://b", &[]).is_some());
    }

    #[test]
    fn live_needs_risk_limits_that_cap_every_order() {
        let live =
            |a: TradeArgs| live_options("https://a".into(), "wss://b".into(), &a, keys).err().map(|e| e.to_string());
        let err = live(args(&[])).unwrap();
        assert!(err.contains("needs --risk FILE"), "{err}");
        let uncapped = risk_file("uncapped", "[position_limits]\nmax_quantity = 1\n");
        let err = live(args(&["--risk", uncapped.to_str().unwrap()])).unwrap();
        assert!(err.contains("cap no single order"), "{err}");
        assert!(err.contains(uncapped.to_str().unwrap()), "{err}");
        let bad = risk_file("bad", "[order_limits]\nmax_qty = 1\n");
        let err = format!(
            "{:#}",
            live_options("https://a".into(), "wss://b".into(), &args(&["--risk", bad.to_str().unwrap()]), keys)
                .err()
                .unwrap()
        );
        assert!(err.contains("max_qty"), "{err}");
        let by_size = risk_file("by-size", "[order_limits]\nmax_quantity = 0.01\n");
        let o = live_options("https://a".into(), "wss://b".into(), &args(&["--risk", by_size.to_str().unwrap()]), keys)
            .unwrap();
        assert_eq!(o.risk.unwrap().order_limits.max_quantity, Some("0.01".parse().unwrap()));
    }

    #[test]
    fn paper_falls_back_to_the_local_example_account() {
        let o = paper_options("http://127.0.0.1:8765".into(), None, &args(&[]), |_| None).unwrap();
        assert_eq!(o.api_key, pyrt_venue_server::DOCS_API_KEY);
        let err = paper_options("http://x".into(), None, &args(&["--param", "fast"]), |_| None).err().unwrap();
        assert!(err.to_string().contains("NAME=VALUE"));
        let err = paper_options("http://x".into(), None, &args(&["--duration-s=-1"]), |_| None).err().unwrap();
        assert!(err.to_string().contains("--duration-s"));
        let err =
            paper_options("http://x".into(), None, &args(&["--ca-file", "/nonexistent.pem"]), |_| None).err().unwrap();
        assert!(err.to_string().contains("/nonexistent.pem"), "{err}");
    }
}
