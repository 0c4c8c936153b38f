//! A running node's state at a glance, kept from its event stream.
//!
//! [`StatusSink`] folds each event into a [`Status`] behind a shared lock,
//! so another thread (a Python session's `status()`, later the API) reads
//! a consistent copy while the kernel runs. Folding is a few counters and
//! map updates under an uncontended lock: cheap enough for the kernel
//! thread, as a sink must be.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use pyrt_engine::{EventSink, NodeEvent, Sequenced, TradingStateName};
use pyrt_model::{MarketEvent, Money, OrderId, Price, Quantity, UnixNanos};
use serde::Serialize;

/// What a node has done so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    /// The last event's sequence number (0 before the first).
    pub seq: u64,
    /// The kernel's clock at the last event.
    pub ts: UnixNanos,
    pub market_events: u64,
    pub bars: u64,
    /// The last trade or bar close, by instrument symbol index.
    pub last_price: BTreeMap<u32, Price>,
    pub orders_submitted: u64,
    /// By pre-trade checks or by the venue.
    pub orders_rejected: u64,
    /// The last rejection's reason.
    pub last_rejection: Option<String>,
    pub fills: u64,
    /// Orders sent and not yet filled whole, cancelled, expired or rejected.
    pub open_orders: BTreeSet<OrderId>,
    /// Positions after the last fill, by instrument index.
    pub positions: BTreeMap<u32, Quantity>,
    /// Cash and equity after the last fill (`None` before the first).
    pub cash: Option<Money>,
    pub equity: Option<Money>,
    pub trading_state: TradingStateName,
    /// Strategies that failed and were stopped: (strategy id, why).
    pub failed_strategies: Vec<(u32, String)>,
}

impl Default for Status {
    fn default() -> Self {
        Self {
            seq: 0,
            ts: 0,
            market_events: 0,
            bars: 0,
            last_price: BTreeMap::new(),
            orders_submitted: 0,
            orders_rejected: 0,
            last_rejection: None,
            fills: 0,
            open_orders: BTreeSet::new(),
            positions: BTreeMap::new(),
            cash: None,
            equity: None,
            trading_state: TradingStateName::Active,
            failed_strategies: Vec::new(),
        }
    }
}

impl Status {
    /// Folds one event in.
    pub fn apply(&mut self, s: &Sequenced) {
        self.seq = s.seq;
        self.ts = s.ts;
        match &s.event {
            NodeEvent::Market { event } => {
                self.market_events += 1;
                let price = match event {
                    MarketEvent::Bar(bar) => {
                        self.bars += 1;
                        Some(bar.close)
                    }
                    MarketEvent::Trade(trade) => Some(trade.price),
                    _ => None,
                };
                if let Some(price) = price {
                    self.last_price.insert(event.instrument().0, price);
                }
            }
            NodeEvent::OrderSubmitted { order_id, .. } => {
                self.orders_submitted += 1;
                self.open_orders.insert(*order_id);
            }
            NodeEvent::OrderRejected { order_id, reason, .. } => {
                self.orders_rejected += 1;
                self.last_rejection = Some(reason.clone());
                self.open_orders.remove(order_id);
            }
            NodeEvent::OrderCancelled { order_id, .. } | NodeEvent::OrderExpired { order_id } => {
                self.open_orders.remove(order_id);
            }
            NodeEvent::OrderFilled { fill, complete } => {
                self.fills += 1;
                if *complete {
                    self.open_orders.remove(&fill.order_id);
                }
            }
            NodeEvent::Position { instrument, qty, .. } => {
                self.positions.insert(instrument.0, *qty);
            }
            NodeEvent::Balance { cash, equity } => {
                self.cash = Some(*cash);
                self.equity = Some(*equity);
            }
            NodeEvent::TradingState { state, .. } => self.trading_state = *state,
            NodeEvent::StrategyFailed { strategy, reason } => self.failed_strategies.push((strategy.0, reason.clone())),
            NodeEvent::OrderAccepted { .. }
            | NodeEvent::Report { .. }
            | NodeEvent::Operator { .. }
            | NodeEvent::OrderTriggered { .. }
            | NodeEvent::OrderModified { .. }
            | NodeEvent::CommandRejected { .. }
            | NodeEvent::Timer { .. } => {}
        }
    }
}

/// The status another thread reads.
pub type SharedStatus = Arc<Mutex<Status>>;

/// Keeps a [`SharedStatus`] current.
#[derive(Default, Clone)]
pub struct StatusSink(pub SharedStatus);

impl StatusSink {
    /// A copy of the status now.
    pub fn snapshot(&self) -> Status {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

impl EventSink for StatusSink {
    fn publish(&mut self, event: &Sequenced) {
        // A reader that panicked holding the lock left a whole Status (it
        // only clones); keep folding into it.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).apply(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyrt_model::{Fill, InstrumentId, Liquidity, OrderRequest, Side, Trade};

    fn seq(n: u64, event: NodeEvent) -> Sequenced {
        Sequenced { seq: n, ts: n as i64 * 10, ts_exchange: None, event }
    }

    fn fill(id: u64, qty: &str, complete: bool) -> NodeEvent {
        NodeEvent::OrderFilled {
            fill: Fill {
                order_id: OrderId(id),
                instrument: InstrumentId(0),
                side: Side::Buy,
                price: "100".parse().unwrap(),
                qty: qty.parse().unwrap(),
                fee: Money::ZERO,
                liquidity: Liquidity::Taker,
                ts: 0,
                fee_base: Quantity::ZERO,
            },
            complete,
        }
    }

    #[test]
    fn an_order_stays_open_until_filled_whole_or_ended() {
        let submitted = |id| NodeEvent::OrderSubmitted {
            order_id: OrderId(id),
            strategy: pyrt_engine::StrategyId(0),
            request: OrderRequest::market(InstrumentId(0), Side::Buy, "2".parse().unwrap()),
        };
        let mut s = Status::default();
        let trade = Trade {
            instrument: InstrumentId(0),
            ts_event: 5,
            ts_recv: 5,
            price: "101.5".parse().unwrap(),
            size: "1".parse().unwrap(),
            aggressor: None,
        };
        let events = [
            NodeEvent::Market { event: MarketEvent::Trade(trade) },
            submitted(1),
            submitted(2),
            submitted(3),
            fill(1, "1", false),
            NodeEvent::OrderRejected { order_id: OrderId(2), local: true, code: "X", reason: "too big".into() },
        ];
        for (i, e) in events.into_iter().enumerate() {
            s.apply(&seq(i as u64 + 1, e));
        }
        assert_eq!(s.open_orders.iter().map(|o| o.0).collect::<Vec<_>>(), [1, 3], "a partial fill leaves it open");
        assert_eq!((s.orders_submitted, s.orders_rejected, s.fills), (3, 1, 1));
        assert_eq!(s.last_rejection.as_deref(), Some("too big"));
        assert_eq!(s.last_price[&0], "101.5".parse().unwrap());
        s.apply(&seq(7, fill(1, "1", true)));
        s.apply(&seq(8, NodeEvent::OrderCancelled { order_id: OrderId(3), reason: "stop".into() }));
        assert!(s.open_orders.is_empty());
        assert_eq!((s.seq, s.ts, s.market_events), (8, 80, 1));
    }

    #[test]
    fn the_sink_shares_what_it_folds() {
        let sink = StatusSink::default();
        let mut writer = sink.clone();
        writer.publish(&seq(1, NodeEvent::Balance { cash: "5".parse().unwrap(), equity: "6".parse().unwrap() }));
        writer.publish(&seq(
            2,
            NodeEvent::TradingState { state: TradingStateName::Halted, reason: "kill switch".into() },
        ));
        let s = sink.snapshot();
        assert_eq!((s.cash, s.equity), (Some("5".parse().unwrap()), Some("6".parse().unwrap())));
        assert_eq!(s.trading_state, TradingStateName::Halted);
    }
}
