//! Trading sessions: one strategy on live market data, sending orders to a
//! venue, run by the node ([`pyrt_live::Node`]) between the venue's ports.
//!
//! `pyrt paper`, `pyrt live`, `py_rt.Paper` and `py_rt.Live` all come down
//! to [`run`]: they differ only in how they fill [`SessionOptions`] and
//! which [`checks`] they apply first (a live run refuses plain connections
//! off this machine, missing keys and risk limits without a per-order cap).
//! The strategy is any kernel [`Strategy`]: a built-in one or a Python
//! object behind the same trait, so what backtests is what trades.
//!
//! A session today trades on a Binance-compatible venue (Binance itself or
//! the local `pyrt venue`): [`run`] asks the venue for the symbol's filters
//! and the account's balances, starts the adapter's feed and execution
//! ports, and hands them to the node. Another venue is another pair of
//! ports chosen here; nothing below this crate changes.

pub mod checks;
mod report;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use pyrt_adapters::binance::feed::FeedConfig;
use pyrt_adapters::binance::user::UserStreamConfig;
use pyrt_adapters::binance::{
    BinanceExecution, BinanceMarketData, BinanceRest, GatewaySymbol, RestConfig, run_history,
};
use pyrt_binance::Market;
use pyrt_data::BarRule;
use pyrt_engine::{AccountKind, ChannelVenue, Engine, EngineConfig, EventSink, Strategy};
use pyrt_live::recording::{self, RecordingHeader};
use pyrt_live::{LogSink, Node, NodeConfig, NodeError};

pub use pyrt_adapters::binance::gateway::client_prefix;
pub use pyrt_live::recording::RecordedStrategy;
use pyrt_model::{Instrument, InstrumentId, Money, OrderKind, OrderQty, Side};
use serde_json::Value;
use tokio::sync::watch;

pub use report::{EngineBooks, Resumed, SessionReport, VenueBooks};

/// An API key and its secret. Never printed: `Debug` shows neither.
#[derive(Clone)]
pub struct Credentials {
    pub api_key: String,
    pub secret: String,
}

impl Credentials {
    /// The local venue's default account (Binance's documentation example,
    /// public): what a paper session uses when given no keys.
    pub fn local_example() -> Self {
        Self { api_key: pyrt_binance::signing::DOCS_API_KEY.into(), secret: pyrt_binance::signing::DOCS_SECRET.into() }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials { api_key: <hidden>, secret: <hidden> }")
    }
}

/// Where and what a session trades.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// The venue's REST base URL (`http://127.0.0.1:8765`, `https://api.binance.com`).
    pub venue: String,
    /// Its WebSocket market streams (default: the REST URL with `ws` for `http`).
    pub ws: Option<String>,
    /// Its WebSocket API, for the user-data stream (default: `<ws>/ws-api/v3`).
    pub user_ws: Option<String>,
    /// Trust for `https://` and `wss://`.
    pub tls: Arc<rustls::ClientConfig>,
    pub symbol: String,
    /// Trades become the strategy's bars by this rule.
    pub bars: BarRule,
    pub credentials: Credentials,
    /// Pre-trade limits every order passes.
    pub risk: Option<pyrt_risk::RiskLimits>,
    /// Client order ids are `<run_id>-<order id>` (see [`checks::check_run_id`]).
    pub run_id: String,
    /// Leave open orders working on stop.
    pub keep_open: bool,
    /// Record the event stream to this file (for `pyrt divergence`).
    pub record: Option<std::path::PathBuf>,
    /// Take over what earlier sessions of this run id left at the venue:
    /// the position their fills add up to and their open orders (see
    /// `pyrt_adapters::binance::history`). A first session finds nothing.
    pub resume: bool,
}

impl SessionOptions {
    /// A paper session on the local venue at `venue` with its example
    /// account, 1-minute bars and run id `pyrt`.
    pub fn paper(venue: &str, symbol: &str) -> Self {
        Self {
            venue: venue.into(),
            ws: None,
            user_ws: None,
            tls: pyrt_adapters::tls::default_client_config(),
            symbol: symbol.into(),
            bars: BarRule::Time(60_000_000_000),
            credentials: Credentials::local_example(),
            risk: None,
            run_id: "pyrt".into(),
            keep_open: false,
            record: None,
            resume: false,
        }
    }

    fn ws_base(&self) -> String {
        let rest = self.venue.trim_end_matches('/');
        self.ws.clone().unwrap_or_else(|| rest.replacen("http", "ws", 1))
    }

    /// The user-data stream's URL.
    pub fn user_ws_url(&self) -> String {
        self.user_ws.clone().unwrap_or_else(|| format!("{}/ws-api/v3", self.ws_base()))
    }
}

/// Runs `strategy` (described by `described`, for a recording) until
/// `shutdown` resolves, then stops the node (cancels open orders unless
/// `keep_open`) and reports. `sinks` watch the event stream (a log of it
/// is always attached, and a recording when `options.record` names a file).
///
/// The future is not `Send` (a strategy need not be): drive it with
/// `block_on` on the thread that built it.
pub async fn run(
    options: SessionOptions,
    strategy: Box<dyn Strategy>,
    described: RecordedStrategy,
    sinks: Vec<Box<dyn EventSink>>,
    shutdown: impl Future<Output = ()>,
) -> Result<SessionReport> {
    let base_url = options.venue.trim_end_matches('/').to_string();
    let ws_base = options.ws_base();
    let Credentials { api_key, secret } = options.credentials.clone();
    let mut rest_cfg = RestConfig::new(&base_url, &api_key, &secret);
    rest_cfg.tls = options.tls.clone();
    let rest = Arc::new(BinanceRest::new(rest_cfg)?);
    if let Err(e) = rest.sync_time().await {
        let hint = if e.to_string().contains("certificate") {
            "; its TLS certificate is not trusted: pass the authority that signed it (pyrt: --ca-file FILE; py_rt: ca_file=)"
        } else {
            ""
        };
        return Err(anyhow::Error::new(e).context(format!("cannot reach the venue at {base_url}{hint}")));
    }
    let info = rest.symbol_info(&options.symbol).await?;
    let start_account = rest.account().await?;
    // Free and locked alike, at the start as at the end: an order left
    // resting from an earlier session locks part of the balance.
    let (quote_free, quote_locked) = money_of(&start_account, &info.quote)?;
    let (base_free, base_locked) = money_of(&start_account, &info.base)?;
    let (quote_start, base_start) = (quote_free + quote_locked, base_free + base_locked);

    let symbols =
        vec![GatewaySymbol { symbol: options.symbol.clone(), base: info.base.clone(), quote: info.quote.clone() }];
    let history = match options.resume {
        false => None,
        true => Some(
            run_history(&rest, &symbols, &options.run_id)
                .await
                .with_context(|| format!("reading run `{}`'s orders and trades at the venue", options.run_id))?,
        ),
    };
    // What the run's own resting buys lock is the run's cash.
    let locked_by_adopted = history.iter().flat_map(|h| &h.adoption.orders).fold(Money::ZERO, |sum, o| {
        match (o.request.side, o.request.kind, o.request.qty) {
            (Side::Buy, OrderKind::Limit { price } | OrderKind::StopLimit { limit: price, .. }, OrderQty::Base(q)) => {
                sum + Money::notional(price, q - o.filled)
            }
            _ => sum,
        }
    });

    let id = InstrumentId(0);
    let mut instrument = Instrument::new(id, &options.symbol, info.tick_size, info.step_size);
    instrument.min_quantity = info.min_qty;
    instrument.max_quantity = Some(info.max_qty);
    // The engine trades what is free; what an older order locks is not its to spend.
    let initial_cash = quote_free + locked_by_adopted;
    let config = EngineConfig { initial_cash, account: AccountKind::Cash, ..EngineConfig::default() };
    let recorder = match &options.record {
        None => None,
        Some(path) => {
            let mut header =
                RecordingHeader::new(vec![instrument.clone()], initial_cash, AccountKind::Cash, described.clone());
            header.risk_limits = options.risk.clone();
            header.bars = Some(options.bars.to_string());
            header.adoption = history.as_ref().map(|h| h.adoption.clone());
            Some(recording::record(path, &header)?)
        }
    };
    let mut engine = Engine::new(vec![instrument.clone()], ChannelVenue::new(vec![instrument]), config);
    if let Some(limits) = options.risk.clone() {
        engine.set_risk_limits(limits).context("the risk limits do not fit this run")?;
    }
    engine.add_strategy(strategy);
    let mut adopted = Vec::new();
    let resumed = history.as_ref().map(Resumed::of);
    if let (Some(h), Some(r)) = (&history, &resumed) {
        let ids = engine.adopt(h.adoption.clone()).context("taking over the run's earlier sessions")?;
        adopted = ids.into_iter().zip(h.names.iter().cloned()).map(|(id, (name, sym))| (id, name, sym)).collect();
        tracing::info!(
            orders = r.orders,
            trades = r.trades,
            open = r.open_orders,
            position = %r.position,
            "resumed run `{}` from the venue's records",
            options.run_id
        );
        for p in &r.problems {
            tracing::warn!("resume: {p}");
        }
    }
    engine.add_sink(Box::new(LogSink));
    for sink in sinks {
        engine.add_sink(sink);
    }
    let recorder = recorder.map(|(sink, recorder)| {
        engine.add_sink(Box::new(sink));
        recorder
    });

    let (stop_tx, stop) = watch::channel(false);
    let user_url = options.user_ws_url();
    let user_cfg = UserStreamConfig {
        url: user_url.clone(),
        api_key,
        secret,
        backoff: Duration::from_millis(250),
        max_backoff: Duration::from_secs(10),
        tls: options.tls.clone(),
    };
    let prefix = client_prefix(&options.run_id, pyrt_model::time::wall_clock() / 1_000_000);
    tracing::info!(%prefix, "client order ids are <run id>-<session>-<order id>");
    let exec = BinanceExecution::start(rest.clone(), &prefix, symbols, adopted, user_cfg, stop.clone());
    let mut feed_cfg = FeedConfig::new(&ws_base, Market::Spot, vec![(options.symbol.clone(), id)]);
    feed_cfg.tls = options.tls.clone();
    let market = BinanceMarketData::start(feed_cfg, rest.clone(), stop);

    let node_config =
        NodeConfig { bars: Some(options.bars), cancel_on_stop: !options.keep_open, ..NodeConfig::default() };
    let outcome = Node::new(engine, market, exec, node_config).run(shutdown).await;
    let _ = stop_tx.send(true);
    let (engine, node) = match outcome {
        Ok(done) => done,
        Err(e) => {
            // The engine is gone with the node: the recording is complete.
            if let Some(stats) = recorder.map(recording::Recorder::finish) {
                tracing::warn!(
                    events = stats.events,
                    lost = stats.lost,
                    "recording {} ended with the run",
                    stats.path.display()
                );
            }
            return Err(match e {
                NodeError::NotReady(_) => anyhow::anyhow!("no user-data stream from {user_url}: {e}"),
                other => anyhow::Error::new(other),
            });
        }
    };

    let end_account = rest.account().await?;
    let (quote_free, quote_locked) = money_of(&end_account, &info.quote)?;
    let (base_free, base_locked) = money_of(&end_account, &info.base)?;
    let venue = VenueBooks { base_start, quote_start, base: base_free + base_locked, quote: quote_free + quote_locked };
    let mut report = SessionReport::new(&engine, node, options.symbol, described.name, venue);
    report.resumed = resumed;
    drop(engine);
    report.recording = recorder.map(recording::Recorder::finish);
    Ok(report)
}

/// `asset`'s free and locked balance in an account answer (zero if absent).
fn money_of(account: &Value, asset: &str) -> Result<(Money, Money)> {
    let balances = account["balances"].as_array().context("the account answer has no balances")?;
    let Some(b) = balances.iter().find(|b| b["asset"] == asset) else { return Ok((Money::ZERO, Money::ZERO)) };
    let parse = |field: &str| -> Result<Money> {
        let text = b[field].as_str().with_context(|| format!("balance {asset}.{field} missing"))?;
        text.parse().map_err(|e| anyhow::anyhow!("balance {asset}.{field} `{text}`: {e}"))
    };
    Ok((parse("free")?, parse("locked")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_in_debug_output() {
        let o = SessionOptions {
            credentials: Credentials { api_key: "k3y-value".into(), secret: "s3cret-value".into() },
            ..SessionOptions::paper("http://127.0.0.1:1", "BTCUSDT")
        };
        let shown = format!("{o:?}");
        assert!(!shown.contains("k3y-value") && !shown.contains("s3cret-value"), "{shown}");
        assert!(shown.contains("<hidden>"));
    }

    #[test]
    fn a_restarted_node_never_reuses_a_client_order_id() {
        let first = client_prefix("pyrt", 1_733_400_000_000);
        let again = client_prefix("pyrt", 1_733_400_000_001);
        assert_eq!(first, "pyrt-m4b9ls00");
        assert_ne!(first, again);
        assert!(first.starts_with("pyrt-") && again.starts_with("pyrt-"), "the run id leads");
        // The longest run id, a start far in the future, the largest order id: 36 characters.
        let longest = client_prefix(&"r".repeat(checks::MAX_RUN_ID_LEN), 36_i64.pow(8) - 1);
        assert_eq!(format!("{longest}-9999999999").len(), 36);
    }

    #[test]
    fn endpoints_default_from_the_rest_url() {
        let o = SessionOptions::paper("http://127.0.0.1:8765/", "BTCUSDT");
        assert_eq!(o.user_ws_url(), "ws://127.0.0.1:8765/ws-api/v3");
        let o = SessionOptions { ws: Some("wss://stream.example:9443".into()), ..o };
        assert_eq!(o.user_ws_url(), "wss://stream.example:9443/ws-api/v3");
    }

    #[test]
    fn a_missing_asset_is_a_zero_balance_and_a_bad_one_is_named() {
        let account: Value = serde_json::json!({"balances": [{"asset": "BTC", "free": "1.5", "locked": "x"}]});
        assert_eq!(money_of(&account, "ETH").unwrap(), (Money::ZERO, Money::ZERO));
        let err = money_of(&account, "BTC").unwrap_err().to_string();
        assert!(err.contains("balance BTC.locked `x`"), "{err}");
    }
}
