//! `pyrt paper` and `pyrt live`: a built-in strategy on the node
//! (`pyrt_live::Node`) between Binance's ports (`adapters::binance::ports`):
//! the WebSocket feed in, orders out over REST, executions back from the
//! user-data stream. This module only wires them and reports: the runtime
//! (bars from trades, reconnects and reconciliation, the stop) is the
//! node's, and every Binance detail the adapter's.
//!
//! On Ctrl-C or after `--duration-s`, the node cancels every open order
//! (unless `--keep-open`), waits for the last answers, and the engine's
//! books and the venue's balances are reported side by side.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use pyrt_adapters::binance::feed::FeedConfig;
use pyrt_adapters::binance::user::UserStreamConfig;
use pyrt_adapters::binance::{BinanceExecution, BinanceMarketData, BinanceRest, GatewaySymbol, RestConfig};
use pyrt_binance::Market;
use pyrt_data::BarRule;
use pyrt_engine::{AccountKind, ChannelVenue, Engine, EngineConfig, Rejections};
use pyrt_live::{LogSink, Node, NodeConfig, NodeError};
use pyrt_model::{Instrument, InstrumentId, Money, Quantity};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;

pub struct PaperOptions {
    pub venue: String,
    pub ws: Option<String>,
    /// The WebSocket API for the user-data stream (default: `<ws>/ws-api/v3`).
    pub user_ws: Option<String>,
    /// Trust for `https://` and `wss://`.
    pub tls: Arc<rustls::ClientConfig>,
    pub symbol: String,
    pub strategy: String,
    pub params: std::collections::BTreeMap<String, String>,
    pub bar: String,
    pub duration: Option<Duration>,
    pub api_key: String,
    pub secret: String,
    /// Pre-trade limits every order passes (`--risk`).
    pub risk: Option<pyrt_risk::RiskLimits>,
    /// Client order ids are `<run_id>-<order id>`.
    pub run_id: String,
    /// Leave open orders working on stop.
    pub keep_open: bool,
}

fn money_of(account: &Value, asset: &str) -> Result<(Money, Money)> {
    let balances = account["balances"].as_array().context("the account answer has no balances")?;
    let Some(b) = balances.iter().find(|b| b["asset"] == asset) else { return Ok((Money::ZERO, Money::ZERO)) };
    let parse = |field: &str| -> Result<Money> {
        let text = b[field].as_str().with_context(|| format!("balance {asset}.{field} missing"))?;
        text.parse().map_err(|e| anyhow::anyhow!("balance {asset}.{field} `{text}`: {e}"))
    };
    Ok((parse("free")?, parse("locked")?))
}

/// What a paper or live session did: the engine's books and the venue's
/// balances (free plus locked, at the start and the end).
#[derive(Debug, Serialize)]
pub struct PaperReport {
    pub symbol: String,
    pub strategy: String,
    pub bars: u64,
    pub orders: usize,
    pub open_orders: usize,
    /// By pre-trade risk or by the venue; `rejections` has the reasons.
    pub rejected_orders: u64,
    pub rejections: Rejections,
    pub fills: usize,
    pub engine: EngineBooks,
    pub venue: VenueBooks,
    pub feed_problems: Vec<String>,
    pub reconciled_reports: usize,
}

#[derive(Debug, Serialize)]
pub struct EngineBooks {
    pub position: Quantity,
    pub cash: Money,
    pub fees: Money,
    pub equity: Money,
}

#[derive(Debug, Serialize)]
pub struct VenueBooks {
    pub base_start: Money,
    pub quote_start: Money,
    pub base: Money,
    pub quote: Money,
}

impl std::fmt::Display for PaperReport {
    /// The table `--format table` prints.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (e, v) = (&self.engine, &self.venue);
        let rows: [(&str, String); 13] = [
            ("symbol", self.symbol.clone()),
            ("strategy", self.strategy.clone()),
            ("bars", self.bars.to_string()),
            ("orders", format!("{} ({} still open)", self.orders, self.open_orders)),
            ("rejected orders", self.rejected_orders.to_string()),
            ("fills", self.fills.to_string()),
            ("engine position", e.position.to_string()),
            ("engine cash", format!("{:.8}", e.cash)),
            ("engine fees", format!("{:.8}", e.fees)),
            ("engine equity", format!("{:.8}", e.equity)),
            ("venue base", format!("{:.8} -> {:.8}", v.base_start, v.base)),
            ("venue quote", format!("{:.8} -> {:.8}", v.quote_start, v.quote)),
            ("reconciled", format!("{} report(s)", self.reconciled_reports)),
        ];
        for (k, v) in rows {
            writeln!(f, "{k:<18} {v}")?;
        }
        for r in &self.rejections.examples {
            writeln!(f, "  rejected {} [{}]: {}", r.order_id, r.code, r.reason)?;
        }
        for p in &self.feed_problems {
            writeln!(f, "  feed: {p}")?;
        }
        Ok(())
    }
}

pub fn run(o: PaperOptions) -> Result<PaperReport> {
    let rule: BarRule = o.bar.parse()?;
    let strategy = pyrt_strategies::build(&o.strategy, &o.params)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async move {
        let base_url = o.venue.trim_end_matches('/').to_string();
        let ws_base = o.ws.clone().unwrap_or_else(|| base_url.replacen("http", "ws", 1));
        let mut rest_cfg = RestConfig::new(&base_url, &o.api_key, &o.secret);
        rest_cfg.tls = o.tls.clone();
        let rest = Arc::new(BinanceRest::new(rest_cfg)?);
        if let Err(e) = rest.sync_time().await {
            let hint = if e.to_string().contains("certificate") {
                "; its TLS certificate is not trusted: pass the authority that signed it with --ca-file"
            } else {
                ""
            };
            return Err(anyhow::Error::new(e).context(format!("cannot reach the venue at {base_url}{hint}")));
        }
        let info = rest.symbol_info(&o.symbol).await?;
        let start_account = rest.account().await?;
        // Free and locked alike, at the start as at the end: an order left
        // resting from an earlier session locks part of the balance.
        let (quote_free, quote_locked) = money_of(&start_account, &info.quote)?;
        let (base_free, base_locked) = money_of(&start_account, &info.base)?;
        let (quote_start, base_start) = (quote_free + quote_locked, base_free + base_locked);

        let id = InstrumentId(0);
        let mut instrument = Instrument::new(id, &o.symbol, info.tick_size, info.step_size);
        instrument.min_quantity = info.min_qty;
        instrument.max_quantity = Some(info.max_qty);
        // The engine trades what is free; what an older order locks is not its to spend.
        let config = EngineConfig { initial_cash: quote_free, account: AccountKind::Cash, ..EngineConfig::default() };
        let mut engine = Engine::new(vec![instrument.clone()], ChannelVenue::new(vec![instrument]), config);
        if let Some(limits) = o.risk.clone() {
            engine.set_risk_limits(limits).context("the risk limits do not fit this run")?;
        }
        engine.add_strategy(strategy);
        engine.add_sink(Box::new(LogSink));

        let (stop_tx, stop) = watch::channel(false);
        let user_url = o.user_ws.clone().unwrap_or_else(|| format!("{ws_base}/ws-api/v3"));
        let user_cfg = UserStreamConfig {
            url: user_url.clone(),
            api_key: o.api_key.clone(),
            secret: o.secret.clone(),
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            tls: o.tls.clone(),
        };
        let symbols =
            vec![GatewaySymbol { symbol: o.symbol.clone(), base: info.base.clone(), quote: info.quote.clone() }];
        let exec = BinanceExecution::start(rest.clone(), &o.run_id, symbols, user_cfg, stop.clone());
        let mut feed_cfg = FeedConfig::new(&ws_base, Market::Spot, vec![(o.symbol.clone(), id)]);
        feed_cfg.tls = o.tls.clone();
        let market = BinanceMarketData::start(feed_cfg, rest.clone(), stop);

        let node_config = NodeConfig { bars: Some(rule), cancel_on_stop: !o.keep_open, ..NodeConfig::default() };
        let duration = o.duration.unwrap_or(Duration::from_secs(365 * 24 * 3600));
        let shutdown = async move {
            tokio::select! {
                _ = tokio::time::sleep(duration) => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        };
        let outcome = Node::new(engine, market, exec, node_config).run(shutdown).await;
        let _ = stop_tx.send(true);
        let (engine, node) = outcome.map_err(|e| match e {
            NodeError::NotReady(_) => anyhow::anyhow!("no user-data stream from {user_url}: {e}"),
            other => anyhow::Error::new(other),
        })?;

        let end_account = rest.account().await?;
        let (quote_free, quote_locked) = money_of(&end_account, &info.quote)?;
        let (base_free, base_locked) = money_of(&end_account, &info.base)?;
        let portfolio = engine.portfolio();
        let fees = engine.fills().iter().fold(Money::ZERO, |acc, f| acc + f.fee);
        Ok(PaperReport {
            symbol: o.symbol,
            strategy: o.strategy,
            bars: node.bars,
            orders: engine.orders().all().len(),
            open_orders: engine.orders().open().count(),
            rejected_orders: engine.orders().rejections().total,
            rejections: engine.orders().rejections().clone(),
            fills: engine.fills().len(),
            engine: EngineBooks {
                position: portfolio.position(id).qty,
                cash: portfolio.cash(),
                fees,
                equity: portfolio.equity(),
            },
            venue: VenueBooks {
                base_start,
                quote_start,
                base: base_free + base_locked,
                quote: quote_free + quote_locked,
            },
            feed_problems: node.feed_problems,
            reconciled_reports: node.reconciled_reports,
        })
    })
}
