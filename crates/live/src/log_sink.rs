//! The event stream as log lines: what a node did, readable by a person
//! (`--log-format text`) or a machine (`--log-format json`).
//!
//! Each order's events are logged inside an `order{id=O-7}` span, so its
//! life can be followed by its id; rejections and trading-state changes are
//! warnings, a failed strategy an error; positions, cash and timers are `debug`; market data `trace`.
//! Nothing here knows a key or a signature: the stream carries none.

use pyrt_engine::{EventSink, NodeEvent, Sequenced};
use tracing::{debug, error, info, info_span, trace, warn};

/// An event-stream sink that writes through `tracing`.
#[derive(Debug, Default)]
pub struct LogSink;

impl EventSink for LogSink {
    fn publish(&mut self, e: &Sequenced) {
        let seq = e.seq;
        match &e.event {
            NodeEvent::Market { event } => trace!(seq, instrument = event.instrument().0, ts = event.ts(), "market"),
            NodeEvent::Report { report } => in_order(&report.order_id(), || debug!(seq, "venue report: {report:?}")),
            NodeEvent::Operator { action } => info!(seq, "operator: {action:?}"),
            NodeEvent::OrderSubmitted { order_id, strategy, request } => {
                let _order = info_span!("order", id = %order_id).entered();
                info!(seq, strategy = strategy.0, side = %request.side, kind = request.kind.name(), qty = ?request.qty, "submitted");
            }
            NodeEvent::OrderRejected { order_id, local, code, reason } => {
                let _order = info_span!("order", id = %order_id).entered();
                warn!(seq, local, code, "rejected: {reason}");
            }
            NodeEvent::OrderAccepted { order_id } => in_order(order_id, || info!(seq, "accepted")),
            NodeEvent::OrderTriggered { order_id } => in_order(order_id, || info!(seq, "triggered")),
            NodeEvent::OrderModified { order_id, qty, price, trigger } => {
                in_order(order_id, || info!(seq, qty = %qty, price = ?price, trigger = ?trigger, "modified"))
            }
            NodeEvent::OrderCancelled { order_id, reason } => in_order(order_id, || info!(seq, "cancelled: {reason}")),
            NodeEvent::OrderExpired { order_id } => in_order(order_id, || info!(seq, "expired")),
            NodeEvent::OrderFilled { fill, complete } => in_order(
                &fill.order_id,
                || info!(seq, side = %fill.side, qty = %fill.qty, price = %fill.price, fee = %fill.fee, complete, "filled"),
            ),
            NodeEvent::CommandRejected { order_id, reason } => {
                in_order(order_id, || warn!(seq, "cancel or modify refused: {reason}"))
            }
            NodeEvent::Position { instrument, qty, cost } => {
                debug!(seq, instrument = instrument.0, qty = %qty, cost = %cost, "position")
            }
            NodeEvent::Balance { cash, equity } => debug!(seq, cash = %cash, equity = %equity, "balance"),
            NodeEvent::TradingState { state, reason } => warn!(seq, state = ?state, "trading state: {reason}"),
            NodeEvent::Timer { strategy, name } => debug!(seq, strategy = strategy.0, "timer {name}"),
            NodeEvent::StrategyFailed { strategy, reason } => {
                error!(seq, strategy = strategy.0, "strategy stopped, its orders cancelled: {reason}")
            }
        }
    }
}

fn in_order(id: &pyrt_model::OrderId, log: impl FnOnce()) {
    let _order = info_span!("order", id = %id).entered();
    log();
}
