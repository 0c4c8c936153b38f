//! The node: the kernel between its ports, on the wall clock.
//!
//! Paper and live trading differ only in the ports a [`Node`] is given: a
//! market-data port (the Binance feed, a replay), and an execution port
//! (Binance over REST and its user-data stream, or a simulated venue in
//! the process). The node owns no venue knowledge (what a venue lacks,
//! it emulates: [`Emulated`]); it runs this loop on
//! one task:
//!
//! ```text
//!   start ── wait for the account stream (Ready) ── reconcile adopted orders ─┐
//!                                                  ▼
//!   ┌─▶ select: shutdown │ account item │ feed item │ 100 ms tick
//!   │      report  → engine.deliver (a fill already booked is dropped)
//!   │      reconnected → order_states → engine.reconcile
//!   │      market  → execution port (a simulated venue matches) → kernel
//!   │      tick    → timers fire, time bars close through quiet spells,
//!   │                a feed quiet past the stale limit is reported
//!   └── flush: the kernel's queued commands → port.send (queues, never waits)
//!
//!   stop ── cancel open orders (or keep them) ── wait for the last answers
//! ```
//!
//! A strategy that fails (panics, or a Python strategy raises) is stopped
//! alone: its orders are cancelled and the others trade on. When none is
//! left, the node stops.
//!
//! Live time only moves forward: an event is stamped with the wall clock
//! when the node takes it (never before the kernel's last time), so a bar
//! closed late is stamped when it is seen. Everything the kernel does goes
//! out as its event stream, to the sinks registered on the engine.

mod emulation;
mod log_sink;
pub mod recording;
mod status;

use std::time::Duration;

use pyrt_data::{BarAggregator, BarRule};
use pyrt_engine::{ChannelVenue, Engine, EngineError};
use pyrt_model::time::wall_clock;
use pyrt_model::{ExecutionReport, MarketEvent, OrderId, UnixNanos};
use pyrt_ports::{AccountItem, ExecutionPort, FeedItem, MarketDataPort};
use serde::Serialize;
use tracing::{info, warn};

pub use emulation::Emulated;
pub use log_sink::LogSink;
pub use status::{SharedStatus, Status, StatusSink};

/// How a node runs.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Trades become bars by this rule, which the strategies see; trades,
    /// quotes and book changes go to them as well. `None`: no bars.
    pub bars: Option<BarRule>,
    /// On stop: cancel every open order (the default), or leave them working.
    pub cancel_on_stop: bool,
    /// How long the stop waits for the venue's last answers.
    pub settle: Duration,
    /// How long start waits for the account stream.
    pub ready_timeout: Duration,
    /// Stop when the market-data port ends (a replay), instead of failing.
    pub stop_at_feed_end: bool,
    /// The feed is stale after this long without market data: the node
    /// says so once per quiet spell (the kernel's pre-trade check refuses
    /// orders priced off data that old). `None`: the risk limits'
    /// `circuit_breakers.max_data_age_ms`, if set.
    pub stale_after: Option<Duration>,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            bars: None,
            cancel_on_stop: true,
            settle: Duration::from_secs(2),
            ready_timeout: Duration::from_secs(10),
            stop_at_feed_end: false,
            stale_after: None,
        }
    }
}

/// Why a node stopped without finishing its stop.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("the venue refused the account stream: {0}")]
    Refused(String),
    #[error("no account stream within {0:?}: is the venue up, and are the keys right?")]
    NotReady(Duration),
    #[error("the account stream ended")]
    AccountEnded,
    #[error("the market-data feed ended")]
    FeedEnded,
    #[error("the kernel stopped: {0}")]
    Kernel(#[from] EngineError),
    #[error("bars from trades: {0}")]
    Bars(String),
    #[error("reconciliation failed: {0}")]
    Reconcile(String),
}

/// What a session did, beyond the engine's own books.
#[derive(Debug, Default, Clone, Serialize)]
pub struct NodeReport {
    pub market_events: u64,
    pub bars: u64,
    /// Gaps, disconnections and unreadable messages of the feed.
    pub feed_problems: Vec<String>,
    /// Disconnections of the account stream.
    pub account_problems: Vec<String>,
    /// Reports reconciliation applied after the account stream came back.
    pub reconciled_reports: usize,
    /// What reconciliation could not explain, one line each.
    pub unexplained: Vec<String>,
    /// Fills the account stream delivered that reconciliation had already booked.
    pub duplicate_fills_dropped: u64,
    /// Trades stamped earlier (exchange time) than the one before them (a
    /// feed's streams interleave by a millisecond or so); each went into
    /// the bar being built, at the previous trade's time.
    pub late_trades: u64,
    /// Quiet spells longer than the stale limit (each is also in `feed_problems`).
    pub stale_spells: u64,
    /// Strategies that failed and were stopped (their orders cancelled)
    /// while the others ran on, one line each.
    pub failed_strategies: Vec<String>,
    /// Orders of kinds the venue lacks, which the node emulated (see [`Emulated`]).
    pub emulated_orders: u64,
}

/// The kernel between a market-data port and an execution port.
pub struct Node<M, E> {
    engine: Engine<ChannelVenue>,
    market: M,
    exec: Emulated<E>,
    config: NodeConfig,
    bars: Option<BarAggregator>,
    report: NodeReport,
    /// Account items taken without waiting that need the loop (reconnects).
    deferred: std::collections::VecDeque<AccountItem>,
    /// The exchange time of the last trade given to the bar builder.
    last_trade: UnixNanos,
    /// The stale-data limit, and when market data last came (or the run
    /// started): the node's watch over a feed that stops sending.
    stale_after: Option<i64>,
    last_market: UnixNanos,
    stale: bool,
}

impl<M: MarketDataPort, E: ExecutionPort> Node<M, E> {
    /// A node over `engine` (with its strategies, risk limits and sinks
    /// set). What `exec`'s venue does not offer, the node emulates.
    pub fn new(mut engine: Engine<ChannelVenue>, market: M, exec: E, config: NodeConfig) -> Self {
        engine.venue_mut().set_native_notional(exec.sizes_notional());
        // One strategy's failure stops that strategy, not the others.
        engine.isolate_failures(true);
        let bars = config.bars.map(BarAggregator::new);
        let report = NodeReport::default();
        let stale_after = match config.stale_after {
            Some(d) => Some(d.as_nanos().min(i64::MAX as u128) as i64),
            None => engine.risk().limits().circuit_breakers.max_data_age_ms.map(|ms| ms as i64 * 1_000_000),
        };
        Self {
            engine,
            market,
            exec: Emulated::new(exec),
            config,
            bars,
            report,
            deferred: Default::default(),
            last_trade: UnixNanos::MIN,
            stale_after,
            last_market: wall_clock(),
            stale: false,
        }
    }

    /// Runs until `shutdown` resolves, then stops: cancels open orders
    /// (unless told to keep them) and waits for the last answers. Returns
    /// the engine, for its books, and what the session did.
    pub async fn run(
        mut self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(Engine<ChannelVenue>, NodeReport), NodeError> {
        self.wait_ready().await?;
        // Orders taken over from an earlier session (`Engine::adopt`) may
        // have filled between reading the venue's history and the account
        // stream's start: ask the venue now that nothing more can be missed.
        if self.engine.orders().open().next().is_some() {
            info!("reconciling the orders adopted from earlier sessions");
            self.reconcile().await?;
        }
        tokio::pin!(shutdown);
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            while let Some(item) = self.deferred.pop_front() {
                self.on_account(item).await?;
            }
            tokio::select! {
                // The venue's answers before new market data, so the kernel
                // learns of a fill before it sees the next price.
                biased;
                () = &mut shutdown => break,
                item = self.exec.next() => match item {
                    Some(item) => self.on_account(item).await?,
                    None => return Err(NodeError::AccountEnded),
                },
                item = self.market.next() => match item {
                    Some(item) => self.on_feed(item)?,
                    None if self.config.stop_at_feed_end => break,
                    None => return Err(NodeError::FeedEnded),
                },
                _ = tick.tick() => self.on_tick()?,
            }
            self.flush();
            if self.engine.active_strategies() == 0 && !self.engine.strategy_failures().is_empty() {
                warn!("every strategy has failed; stopping the node");
                break;
            }
        }
        self.stop().await;
        self.report.failed_strategies = self
            .engine
            .strategy_failures()
            .iter()
            .map(|f| format!("strategy {} at {}: {}", f.strategy.0, f.ts, f.reason))
            .collect();
        self.report.emulated_orders = self.exec.emulated_orders();
        Ok((self.engine, self.report))
    }

    async fn wait_ready(&mut self) -> Result<(), NodeError> {
        info!("waiting for the account stream");
        let timeout = self.config.ready_timeout;
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            let item = tokio::select! {
                () = &mut deadline => return Err(NodeError::NotReady(timeout)),
                item = self.exec.next() => item,
            };
            match item {
                Some(AccountItem::Ready) => {
                    info!("account stream ready; trading");
                    return Ok(());
                }
                Some(AccountItem::Refused { reason }) => return Err(NodeError::Refused(reason)),
                Some(other) => self.on_account(other).await?,
                None => return Err(NodeError::AccountEnded),
            }
        }
    }

    /// The kernel's clock for an event taken now: wall time, never back.
    fn now(&self) -> UnixNanos {
        wall_clock().max(self.engine.now())
    }

    async fn on_account(&mut self, item: AccountItem) -> Result<(), NodeError> {
        match item {
            AccountItem::Report { report, filled_total } => {
                let now = self.now();
                self.deliver(report, filled_total, now);
            }
            AccountItem::Reconnected => {
                info!("account stream reconnected; reconciling open orders with the venue");
                self.reconcile().await?;
            }
            AccountItem::Disconnected { reason } => {
                warn!("account stream: {reason}");
                self.report.account_problems.push(reason);
            }
            AccountItem::Refused { reason } => return Err(NodeError::Refused(reason)),
            AccountItem::Ready => {}
        }
        self.account_in_range()
    }

    /// Brings the engine's open orders in line with what the venue says.
    pub async fn reconcile(&mut self) -> Result<(), NodeError> {
        let open: Vec<OrderId> = self.engine.orders().open().map(|o| o.id).collect();
        if open.is_empty() {
            return Ok(());
        }
        let states = self.exec.order_states(&open).await.map_err(|e| NodeError::Reconcile(e.to_string()))?;
        let r = self.engine.reconcile(self.now(), &states);
        info!(open = open.len(), applied = r.applied.len(), "reconciled");
        for line in &r.unexplained {
            warn!("reconcile: {line}");
        }
        self.report.reconciled_reports += r.applied.len();
        self.report.unexplained.extend(r.unexplained);
        Ok(())
    }

    fn on_feed(&mut self, item: FeedItem) -> Result<(), NodeError> {
        match item {
            FeedItem::Market(event) => self.on_market(event),
            FeedItem::Gap { instrument, reason } => {
                warn!(instrument = instrument.0, "market data gap: {reason}");
                self.report.feed_problems.push(format!("instrument {}: {reason}", instrument.0));
                Ok(())
            }
            FeedItem::BadMessage { reason } | FeedItem::Disconnected { reason } => {
                warn!("market data: {reason}");
                self.report.feed_problems.push(reason);
                Ok(())
            }
            FeedItem::Connected => {
                info!("market data connected");
                Ok(())
            }
            FeedItem::Synced { instrument } => {
                info!(instrument = instrument.0, "book synced from a snapshot");
                Ok(())
            }
        }
    }

    fn on_market(&mut self, mut event: MarketEvent) -> Result<(), NodeError> {
        let now = self.now();
        stamp(&mut event, now);
        self.report.market_events += 1;
        if self.stale {
            self.stale = false;
            info!(quiet_ms = (now - self.last_market) / 1_000_000, "market data is back");
        }
        self.last_market = now;
        let bar = match (&mut self.bars, &event) {
            (Some(agg), MarketEvent::Trade(t)) => {
                // Bars need trades in time order; a trade a little late
                // joins the bar being built rather than stop the session.
                let mut t = *t;
                if t.ts_event < self.last_trade {
                    t.ts_event = self.last_trade;
                    self.report.late_trades += 1;
                }
                self.last_trade = t.ts_event;
                agg.on_trade(&t).map_err(|e| NodeError::Bars(e.to_string()))?
            }
            _ => None,
        };
        // A simulated venue matches against the market first, as the
        // kernel's own venue would in a backtest.
        self.exec.on_market(&event, now);
        self.take_ready(now);
        self.engine.process(&event)?;
        if let Some(bar) = bar {
            self.process_bar(bar)?;
        }
        Ok(())
    }

    fn on_tick(&mut self) -> Result<(), NodeError> {
        let now = self.now();
        // Timers fire through quiet spells, not at the next market event.
        self.engine.advance(now);
        self.watch_staleness(now);
        let bar = self.bars.as_mut().and_then(|agg| agg.on_time(now));
        match bar {
            Some(bar) => self.process_bar(bar),
            None => Ok(()),
        }
    }

    /// Says once per quiet spell that the feed went stale.
    fn watch_staleness(&mut self, now: UnixNanos) {
        let Some(limit) = self.stale_after else { return };
        let quiet = now - self.last_market;
        if self.stale || quiet <= limit {
            return;
        }
        self.stale = true;
        self.report.stale_spells += 1;
        let line = format!(
            "no market data for {} ms, over the {} ms limit: orders are refused as stale until it returns",
            quiet / 1_000_000,
            limit / 1_000_000
        );
        warn!("market data: {line}");
        self.report.feed_problems.push(line);
    }

    fn process_bar(&mut self, mut bar: pyrt_model::Bar) -> Result<(), NodeError> {
        bar.ts_recv = self.now();
        self.report.bars += 1;
        let event = MarketEvent::Bar(bar);
        self.exec.on_market(&event, bar.ts_recv);
        self.take_ready(bar.ts_recv);
        self.engine.process(&event)?;
        Ok(())
    }

    /// Delivers the reports that have already arrived (a simulated venue's
    /// answers to the market data it was just given); anything else waits
    /// for the loop.
    fn take_ready(&mut self, now: UnixNanos) {
        while let Some(item) = self.exec.try_next() {
            match item {
                AccountItem::Report { report, filled_total } => self.deliver(report, filled_total, now),
                other => self.deferred.push_back(other),
            }
        }
    }

    /// Applies a report at `now` (the kernel's clock never goes back).
    fn deliver(&mut self, report: ExecutionReport, filled_total: Option<pyrt_model::Quantity>, now: UnixNanos) {
        // A fill reconciliation already booked (its event was in flight).
        if let (ExecutionReport::Filled(f), Some(total)) = (&report, filled_total)
            && self.engine.orders().get(f.order_id).is_some_and(|o| o.filled >= total)
        {
            self.report.duplicate_fills_dropped += 1;
            return;
        }
        self.engine.deliver(now, [report]);
    }

    /// Hands the kernel's queued commands to the execution port (which
    /// queues them in turn: nothing here waits on the network).
    fn flush(&mut self) {
        for (at, cmd) in self.engine.venue_mut().take_commands() {
            self.exec.send(cmd, at);
        }
    }

    fn account_in_range(&self) -> Result<(), NodeError> {
        match self.engine.portfolio().overflow() {
            Some(source) => Err(NodeError::Kernel(EngineError::Account { ts: self.engine.now(), source })),
            None => Ok(()),
        }
    }

    /// Cancels what is open (unless told to keep it), then takes the last
    /// answers until nothing is open or `settle` has passed.
    async fn stop(&mut self) {
        info!(cancel_open_orders = self.config.cancel_on_stop, "stopping");
        if self.config.cancel_on_stop {
            self.engine.kill_switch(false);
        }
        self.engine.stop();
        self.flush();
        if !self.config.cancel_on_stop {
            return;
        }
        let settle = tokio::time::sleep(self.config.settle);
        tokio::pin!(settle);
        while self.engine.orders().open().next().is_some() {
            tokio::select! {
                () = &mut settle => break,
                item = self.exec.next() => match item {
                    Some(item) => {
                        if self.on_account(item).await.is_err() {
                            break;
                        }
                        self.flush();
                    }
                    None => break,
                },
            }
        }
    }
}

/// Live events are stamped when the node takes them.
fn stamp(event: &mut MarketEvent, now: UnixNanos) {
    match event {
        MarketEvent::Bar(b) => b.ts_recv = now,
        MarketEvent::Trade(t) => t.ts_recv = now,
        MarketEvent::Quote(q) => q.ts_recv = now,
        MarketEvent::BookDelta(d) => d.ts_recv = now,
    }
}
