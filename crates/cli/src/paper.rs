//! `pyrt paper`: a strategy trading live market data against a
//! Binance-compatible venue (the local `pyrt venue`, or any base URL),
//! through the same kernel that backtests it.
//!
//! The pieces, joined here on one thread for the kernel and tokio tasks
//! for the network:
//!
//! * the market-data feed (`adapters::binance::feed`): trades become bars
//!   (`data::BarAggregator`; a timer closes a bar through quiet spells) and
//!   book tickers become quotes, both into the kernel;
//! * the kernel's `ChannelVenue`: each command the strategy causes is sent
//!   by the order gateway over REST;
//! * the user-data stream: every execution comes back as the kernel's
//!   report, the only source of fills. When it reconnects, the engine's
//!   open orders are looked up over REST and reconciled
//!   (`Engine::reconcile`); a streamed fill the reconciliation already
//!   booked is recognised by its cumulative quantity and dropped.
//!
//! On Ctrl-C or after `--duration`, the kill switch cancels every open
//! order, the last answers are awaited, and the final state of the engine
//! and of the venue account is printed.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use pyrt_adapters::binance::feed::{self, FeedConfig, FeedEvent};
use pyrt_adapters::binance::user::{self, UserStreamConfig, UserStreamEvent};
use pyrt_adapters::binance::{BinanceRest, Gateway, GatewaySymbol, RestConfig};
use pyrt_binance::Market;
use pyrt_binance::user::{ExecutionUpdate, UserEvent};
use pyrt_data::{BarAggregator, BarRule};
use pyrt_engine::{AccountKind, ChannelVenue, Engine, EngineConfig, Rejections};
use pyrt_model::time::wall_clock;
use pyrt_model::{ExecutionReport, Instrument, InstrumentId, MarketEvent, Money, OrderId, Quantity};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{mpsc, watch};

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

        let (stop_tx, stop) = watch::channel(false);
        let (user_tx, mut user_rx) = mpsc::channel(4096);
        let user_url = o.user_ws.clone().unwrap_or_else(|| format!("{ws_base}/ws-api/v3"));
        let user_cfg = UserStreamConfig {
            url: user_url.clone(),
            api_key: o.api_key.clone(),
            secret: o.secret.clone(),
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            tls: o.tls.clone(),
        };
        tokio::spawn(user::run(user_cfg, user_tx, stop.clone()));
        // Fills must not be missed: trade only once the account stream is up.
        match tokio::time::timeout(Duration::from_secs(10), user_rx.recv()).await {
            Ok(Some(UserStreamEvent::Subscribed)) => {}
            Ok(Some(UserStreamEvent::Refused { reason })) => bail!("the venue refused the user-data stream: {reason}"),
            other => bail!("no user-data stream from {user_url}: {other:?}"),
        }
        let (feed_tx, mut feed_rx) = mpsc::channel(65_536);
        let mut feed_cfg = FeedConfig::new(&ws_base, Market::Spot, vec![(o.symbol.clone(), id)]);
        feed_cfg.tls = o.tls.clone();
        tokio::spawn(feed::run(feed_cfg, rest.clone(), feed_tx, stop.clone()));

        let symbols = vec![GatewaySymbol { symbol: o.symbol.clone(), base: info.base.clone(), quote: info.quote.clone() }];
        let gateway = Gateway::new(&rest, format!("pyrt{}", std::process::id()), symbols);
        let mut bars = BarAggregator::new(rule);
        let mut timer = tokio::time::interval(Duration::from_millis(100));
        let deadline = tokio::time::sleep(o.duration.unwrap_or(Duration::from_secs(365 * 24 * 3600)));
        tokio::pin!(deadline);
        let (mut bars_seen, mut feed_problems, mut reconciled) = (0u64, Vec::new(), 0usize);
        loop {
            let mut events = Vec::new();
            tokio::select! {
                _ = &mut deadline => break,
                _ = tokio::signal::ctrl_c() => break,
                _ = timer.tick() => events.extend(bars.on_time(wall_clock()).map(MarketEvent::Bar)),
                ev = feed_rx.recv() => match ev {
                    Some(FeedEvent::Market(MarketEvent::Trade(t))) => {
                        events.extend(bars.on_trade(&t)?.map(MarketEvent::Bar));
                    }
                    Some(FeedEvent::Market(q @ MarketEvent::Quote(_))) => events.push(q),
                    Some(FeedEvent::Gap { error, .. }) => feed_problems.push(error),
                    Some(FeedEvent::Disconnected { reason, .. }) => {
                        eprintln!("pyrt paper: market data: {reason}; reconnecting");
                        feed_problems.push(reason);
                    }
                    Some(_) => {}
                    None => bail!("the market-data feed stopped"),
                },
                ev = user_rx.recv() => match ev {
                    Some(UserStreamEvent::Event(UserEvent::Execution(e))) => deliver_execution(&mut engine, &gateway, &e),
                    Some(UserStreamEvent::Reconnected) => {
                        eprintln!("pyrt paper: user-data stream reconnected; reconciling open orders with the venue");
                        let open: Vec<OrderId> = engine.orders().open().map(|o| o.id).collect();
                        let states = gateway.venue_states(&open).await.context("asking the venue about open orders")?;
                        let r = engine.reconcile(wall_clock(), &states);
                        for line in &r.unexplained {
                            eprintln!("pyrt paper: reconcile: {line}");
                        }
                        reconciled += r.applied.len();
                    }
                    Some(UserStreamEvent::Refused { reason }) => bail!("the venue refused the user-data stream: {reason}"),
                    Some(_) => {}
                    None => bail!("the user-data stream stopped"),
                },
            }
            for mut event in events {
                // Live time only moves forward: a bar closed late is stamped when it is seen.
                let now = wall_clock().max(engine.now());
                match &mut event {
                    MarketEvent::Bar(b) => {
                        b.ts_recv = now;
                        bars_seen += 1;
                    }
                    MarketEvent::Quote(q) => q.ts_recv = now,
                    _ => {}
                }
                engine.process(&event).context("the kernel refused an event")?;
            }
            flush(&mut engine, &gateway).await;
        }

        // Stop: cancel everything, then wait for the last answers.
        engine.kill_switch(false);
        flush(&mut engine, &gateway).await;
        let settle = tokio::time::sleep(Duration::from_secs(2));
        tokio::pin!(settle);
        while engine.orders().open().next().is_some() {
            tokio::select! {
                _ = &mut settle => break,
                ev = user_rx.recv() => match ev {
                    Some(UserStreamEvent::Event(UserEvent::Execution(e))) => deliver_execution(&mut engine, &gateway, &e),
                    Some(_) => {}
                    None => break,
                },
            }
        }
        // Executions still in flight after the last order closed.
        tokio::time::sleep(Duration::from_millis(200)).await;
        while let Ok(ev) = user_rx.try_recv() {
            if let UserStreamEvent::Event(UserEvent::Execution(e)) = ev {
                deliver_execution(&mut engine, &gateway, &e);
            }
        }
        let _ = stop_tx.send(true);

        let end_account = rest.account().await?;
        let (quote_free, quote_locked) = money_of(&end_account, &info.quote)?;
        let (base_free, base_locked) = money_of(&end_account, &info.base)?;
        let portfolio = engine.portfolio();
        let fees = engine.fills().iter().fold(Money::ZERO, |acc, f| acc + f.fee);
        Ok(PaperReport {
            symbol: o.symbol,
            strategy: o.strategy,
            bars: bars_seen,
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
            feed_problems,
            reconciled_reports: reconciled,
        })
    })
}

/// Applies one execution of the account. A fill the engine already booked
/// (found by reconciliation while its event was in flight) is dropped: the
/// event's cumulative quantity says how much the order had filled.
fn deliver_execution(engine: &mut Engine<ChannelVenue>, gateway: &Gateway<'_>, e: &ExecutionUpdate) {
    let reports = gateway.on_execution(e).into_iter().filter(|r| match r {
        ExecutionReport::Filled(f) => engine.orders().get(f.order_id).is_none_or(|o| o.filled < e.cum_qty),
        _ => true,
    });
    let reports: Vec<_> = reports.collect();
    engine.deliver(wall_clock(), reports);
}

/// Sends what the kernel queued and feeds the immediate answers back,
/// until nothing more is queued.
async fn flush(engine: &mut Engine<ChannelVenue>, gateway: &Gateway<'_>) {
    loop {
        let commands = engine.venue_mut().take_commands();
        if commands.is_empty() {
            return;
        }
        for (_, cmd) in commands {
            let reports = gateway.send(cmd, wall_clock()).await;
            engine.deliver(wall_clock(), reports);
        }
    }
}
