//! What a session did: the engine's books beside the venue's balances.

use pyrt_engine::{ChannelVenue, Engine, Rejections};
use pyrt_live::NodeReport;
use pyrt_live::recording::RecordingStats;
use pyrt_model::{InstrumentId, Money, Quantity};
use serde::Serialize;

/// A finished session: the engine's books and the venue's balances (free
/// plus locked, at the start and the end), so a difference between what
/// the engine thinks and what the venue holds shows at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct SessionReport {
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
    pub account_problems: Vec<String>,
    pub reconciled_reports: usize,
    /// What reconciliation could not explain.
    pub unexplained: Vec<String>,
    /// Trades that arrived out of exchange-time order (counted in the open bar).
    pub late_trades: u64,
    /// Strategies that failed and were stopped, with why.
    pub failed_strategies: Vec<String>,
    /// The recording, when the session was recorded.
    pub recording: Option<RecordingStats>,
    /// What the session took over from its run's earlier sessions, when
    /// it resumed (the engine's position and orders include it).
    pub resumed: Option<Resumed>,
}

/// What a resumed session found at the venue and took over.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Resumed {
    /// The run's orders and their trades in the venue's history.
    pub orders: usize,
    pub trades: usize,
    /// The position those trades add up to, and its cost.
    pub position: Quantity,
    pub cost: Money,
    /// Orders still open, now the engine's.
    pub open_orders: usize,
    /// What could not be taken over.
    pub problems: Vec<String>,
}

impl Resumed {
    /// The summary of a run's history (one instrument: the session's).
    pub(crate) fn of(h: &pyrt_adapters::binance::RunHistory) -> Self {
        let (position, cost) = h.adoption.positions.first().map_or((Quantity::ZERO, Money::ZERO), |p| (p.1, p.2));
        Self {
            orders: h.orders,
            trades: h.trades,
            position,
            cost,
            open_orders: h.adoption.orders.len(),
            problems: h.problems.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EngineBooks {
    pub position: Quantity,
    pub cash: Money,
    pub fees: Money,
    pub equity: Money,
}

/// One asset's balance at the venue, free plus locked.
#[derive(Debug, Clone, Serialize)]
pub struct VenueBooks {
    pub base_start: Money,
    pub quote_start: Money,
    pub base: Money,
    pub quote: Money,
}

impl SessionReport {
    pub(crate) fn new(
        engine: &Engine<ChannelVenue>,
        node: NodeReport,
        symbol: String,
        strategy: String,
        venue: VenueBooks,
    ) -> Self {
        let portfolio = engine.portfolio();
        let fees = engine.fills().iter().fold(Money::ZERO, |acc, f| acc + f.fee);
        Self {
            symbol,
            strategy,
            bars: node.bars,
            orders: engine.orders().all().len(),
            open_orders: engine.orders().open().count(),
            rejected_orders: engine.orders().rejections().total,
            rejections: engine.orders().rejections().clone(),
            fills: engine.fills().len(),
            engine: EngineBooks {
                position: portfolio.position(InstrumentId(0)).qty,
                cash: portfolio.cash(),
                fees,
                equity: portfolio.equity(),
            },
            venue,
            feed_problems: node.feed_problems,
            account_problems: node.account_problems,
            reconciled_reports: node.reconciled_reports,
            unexplained: node.unexplained,
            late_trades: node.late_trades,
            failed_strategies: node.failed_strategies,
            recording: None,
            resumed: None,
        }
    }
}

impl std::fmt::Display for SessionReport {
    /// The table `pyrt paper --format table` prints.
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
        for p in &self.account_problems {
            writeln!(f, "  account stream: {p}")?;
        }
        for p in &self.unexplained {
            writeln!(f, "  unexplained: {p}")?;
        }
        for p in &self.failed_strategies {
            writeln!(f, "  failed: {p}")?;
        }
        if self.late_trades > 0 {
            writeln!(f, "  feed: {} trade(s) out of time order, counted in the bar being built", self.late_trades)?;
        }
        if let Some(r) = &self.resumed {
            writeln!(
                f,
                "{:<18} {} order(s) and {} trade(s) of the run found; carried {} at cost {:.8}, {} open order(s) adopted",
                "resumed", r.orders, r.trades, r.position, r.cost, r.open_orders
            )?;
            for p in &r.problems {
                writeln!(f, "  resume: {p}")?;
            }
        }
        if let Some(r) = &self.recording {
            writeln!(f, "{:<18} {} ({} events, {} lost)", "recording", r.path.display(), r.events, r.lost)?;
            if let Some(e) = &r.error {
                writeln!(f, "  recording failed: {e}")?;
            }
        }
        Ok(())
    }
}
