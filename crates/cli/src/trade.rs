//! `pyrt paper` and `pyrt live`: arguments into a [`pyrt_session`] run.
//!
//! The session (venue ports, the node, the report) is `pyrt_session`'s;
//! this module parses flags, applies the checks real money needs, and stops
//! the session on Ctrl-C, SIGTERM or after `--duration-s`.
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
use pyrt_session::checks::{check_encrypted, check_order_cap, check_run_id, required_env};
use pyrt_session::{Credentials, RecordedStrategy, SessionOptions};

use crate::Format;

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
    /// Stop after this many seconds (default: run until Ctrl-C or SIGTERM).
    #[arg(long)]
    pub duration_s: Option<f64>,
    /// This node's name at the venue: client order ids are `<run id>-<session>-<order id>`, so its orders are told from other programs' and earlier sessions' ids are never reused.
    #[arg(long, default_value = "pyrt")]
    pub run_id: String,
    /// On stop, leave open orders working instead of cancelling them.
    #[arg(long)]
    pub keep_open: bool,
    /// Record the session's event stream to FILE (JSON lines; a new file) for `pyrt divergence`.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Take over what earlier sessions of this run id left at the venue (after a crash, a restart or --keep-open): the position their trades add up to and their open orders, read from the venue's allOrders and myTrades.
    #[arg(long)]
    pub resume: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// A checked run: the session and the strategy it trades.
pub struct TradeRun {
    pub session: SessionOptions,
    pub strategy: String,
    pub params: BTreeMap<String, String>,
    pub duration: Option<Duration>,
}

/// Paper trading: any venue, the local venue's example account by default.
pub fn paper_options(
    venue: String,
    ws: Option<String>,
    args: &TradeArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<TradeRun> {
    let example = Credentials::local_example();
    let credentials = Credentials {
        api_key: env("BINANCE_API_KEY").unwrap_or(example.api_key),
        secret: env("BINANCE_API_SECRET").unwrap_or(example.secret),
    };
    options(venue, ws, args, credentials)
}

/// Live trading: a venue named on the command line, keys from the
/// environment, encrypted connections off loopback, capped orders.
pub fn live_options(
    venue: String,
    ws: String,
    args: &TradeArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<TradeRun> {
    let api_key = required_env("BINANCE_API_KEY", &env)?;
    let secret = required_env("BINANCE_API_SECRET", &env)?;
    check_encrypted("--venue", &venue, "https")?;
    check_encrypted("--ws", &ws, "wss")?;
    if let Some(user_ws) = &args.user_ws {
        check_encrypted("--user-ws", user_ws, "wss")?;
    }
    let run = options(venue, Some(ws), args, Credentials { api_key, secret })?;
    let source = match &args.risk {
        Some(path) => path.display().to_string(),
        None => "--risk FILE".into(),
    };
    check_order_cap(&source, run.session.risk.as_ref())?;
    Ok(run)
}

fn options(venue: String, ws: Option<String>, args: &TradeArgs, credentials: Credentials) -> Result<TradeRun> {
    let params: BTreeMap<String, String> = args
        .params
        .iter()
        .map(|p| p.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect::<Option<_>>()
        .context("--param takes NAME=VALUE")?;
    if args.duration_s.is_some_and(|d| !(d > 0.0 && d.is_finite())) {
        bail!("--duration-s must be a number of seconds above 0");
    }
    check_run_id("--run-id", &args.run_id)?;
    let tls = pyrt_adapters::tls::client_config(args.ca_file.as_deref())?;
    let risk = match &args.risk {
        None => None,
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read risk limits {}", path.display()))?;
            Some(pyrt_risk::RiskLimits::from_toml(&text).with_context(|| format!("in {}", path.display()))?)
        }
    };
    let bars = args.bar.parse().with_context(|| format!("--bar `{}`", args.bar))?;
    Ok(TradeRun {
        session: SessionOptions {
            venue,
            ws,
            user_ws: args.user_ws.clone(),
            tls,
            symbol: args.symbol.clone(),
            bars,
            credentials,
            risk,
            run_id: args.run_id.clone(),
            keep_open: args.keep_open,
            record: args.record.clone(),
            resume: args.resume,
        },
        strategy: args.strategy.clone(),
        params,
        duration: args.duration_s.map(Duration::from_secs_f64),
    })
}

/// Runs the session until Ctrl-C, SIGTERM or the duration, and prints its report.
pub fn run(run: TradeRun, format: Format) -> Result<()> {
    let strategy = pyrt_strategies::build(&run.strategy, &run.params)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let report = runtime.block_on(async {
        let duration = run.duration.unwrap_or(Duration::from_secs(365 * 24 * 3600));
        let shutdown = async move {
            tokio::select! {
                _ = tokio::time::sleep(duration) => {}
                _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C: stopping"),
                _ = terminated() => tracing::info!("SIGTERM: stopping"),
            }
        };
        let described =
            RecordedStrategy { name: run.strategy.clone(), params: run.params.clone(), kind: "builtin".into() };
        pyrt_session::run(run.session, strategy, described, Vec::new(), shutdown).await
    })?;
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Table => print!("{report}"),
    }
    Ok(())
}

/// Resolves on SIGTERM (what `kill`, systemd and Docker send to stop).
async fn terminated() {
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot watch SIGTERM ({e}); stop with Ctrl-C");
                std::future::pending::<()>().await
            }
        }
    }
    #[cfg(not(unix))]
    std::future::pending::<()>().await
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

    fn live_err(venue: &str, ws: &str, a: &TradeArgs, env: impl Fn(&str) -> Option<String>) -> String {
        format!("{:#}", live_options(venue.into(), ws.into(), a, env).err().expect("refused"))
    }

    #[test]
    fn live_needs_both_keys_and_never_shows_them() {
        let only_key = |name: &str| (name == "BINANCE_API_KEY").then(|| "k3y".to_string());
        let err = live_err("https://api.binance.com", "wss://stream.binance.com:9443", &args(&[]), only_key);
        assert!(err.contains("BINANCE_API_SECRET is not set"), "{err}");
        assert!(!err.contains("k3y"), "{err}");
        let blank = |_: &str| Some("  ".to_string());
        let err = live_err("https://a", "wss://b", &args(&[]), blank);
        assert!(err.contains("BINANCE_API_KEY is not set"), "{err}");
        let o = live_options("https://a".into(), "wss://b".into(), &capped(&[]), keys).unwrap();
        let c = &o.session.credentials;
        assert_eq!((c.api_key.as_str(), c.secret.as_str()), ("BINANCE_API_KEY-value", "BINANCE_API_SECRET-value"));
    }

    #[test]
    fn live_refuses_plain_connections_off_this_machine() {
        let err = live_err("http://api.binance.com", "wss://stream.binance.com:9443", &capped(&[]), keys);
        assert!(err.contains("--venue `http://api.binance.com` is not encrypted"), "{err}");
        let err = live_err("https://api.binance.com", "ws://stream.binance.com:9443", &capped(&[]), keys);
        assert!(err.contains("--ws `ws://stream.binance.com:9443` is not encrypted"), "{err}");
        let err = live_err("https://a", "wss://b", &capped(&["--user-ws", "ws://10.0.0.7:8765/ws-api/v3"]), keys);
        assert!(err.contains("--user-ws"), "{err}");
        assert!(live_options("http://127.0.0.1:8765".into(), "ws://127.0.0.1:8765".into(), &capped(&[]), keys).is_ok());
    }

    #[test]
    fn live_needs_risk_limits_that_cap_every_order() {
        let err = live_err("https://a", "wss://b", &args(&[]), keys);
        assert!(err.contains("needs risk limits (--risk FILE)"), "{err}");
        let uncapped = risk_file("uncapped", "[position_limits]\nmax_quantity = 1\n");
        let err = live_err("https://a", "wss://b", &args(&["--risk", uncapped.to_str().unwrap()]), keys);
        assert!(err.contains("cap no single order"), "{err}");
        assert!(err.contains(uncapped.to_str().unwrap()), "{err}");
        let bad = risk_file("bad", "[order_limits]\nmax_qty = 1\n");
        let err = live_err("https://a", "wss://b", &args(&["--risk", bad.to_str().unwrap()]), keys);
        assert!(err.contains("max_qty"), "{err}");
        let by_size = risk_file("by-size", "[order_limits]\nmax_quantity = 0.01\n");
        let o = live_options("https://a".into(), "wss://b".into(), &args(&["--risk", by_size.to_str().unwrap()]), keys)
            .unwrap();
        assert_eq!(o.session.risk.unwrap().order_limits.max_quantity, Some("0.01".parse().unwrap()));
    }

    #[test]
    fn paper_falls_back_to_the_local_example_account() {
        let o = paper_options("http://127.0.0.1:8765".into(), None, &args(&[]), |_| None).unwrap();
        assert_eq!(o.session.credentials.api_key, pyrt_venue_server::DOCS_API_KEY);
        let err = |extra: &[&str]| {
            format!("{:#}", paper_options("http://x".into(), None, &args(extra), |_| None).err().expect("refused"))
        };
        assert!(err(&["--param", "fast"]).contains("NAME=VALUE"));
        assert!(err(&["--duration-s=-1"]).contains("--duration-s"));
        assert!(err(&["--ca-file", "/nonexistent.pem"]).contains("/nonexistent.pem"));
        assert!(err(&["--run-id", "a-b"]).contains("--run-id `a-b`"));
        assert!(err(&["--bar", "7q"]).contains("--bar `7q`"));
    }
}
