//! Orders: what a strategy asks for, the lifecycle an order goes through,
//! and the reports a venue sends back.
//!
//! ```text
//!              ┌──────────── Rejected
//!  Submitted ──┤
//!              └─ Accepted ─┬─ Triggered ─┐ (stop orders)
//!                           │             ▼
//!                           ├──────▶ PartiallyFilled ──▶ Filled
//!                           │             │
//!                           └─────────────┴──▶ Cancelled / Expired
//! ```
//! `Filled`, `Cancelled`, `Rejected` and `Expired` are terminal. Every
//! change goes through [`OrderStatus::apply`], which refuses any arrow not
//! drawn above, so an impossible venue report is caught instead of
//! corrupting state.

use serde::{Deserialize, Serialize};

use crate::fixed::{Money, Price, Quantity};
use crate::instrument::InstrumentId;
use crate::time::UnixNanos;

/// Engine-assigned order identifier, unique within a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OrderId(pub u64);

impl std::fmt::Display for OrderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "O-{}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn opposite(self) -> Self {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
    /// +1 for buys, −1 for sells: the sign a fill adds to a position.
    pub fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        })
    }
}

/// How far a trailing stop trails the best price seen since it was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrailingOffset {
    /// A fixed price distance.
    Price(Price),
    /// A distance in basis points of the best price.
    Bps(u32),
}

impl TrailingOffset {
    /// The offset in price units at reference price `best`.
    pub fn at(self, best: Price) -> Price {
        match self {
            TrailingOffset::Price(p) => p,
            TrailingOffset::Bps(bps) => best.mul_ratio(bps as i64, 10_000),
        }
    }
}

/// Price behaviour of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderKind {
    /// Fill now at the best available price.
    Market,
    /// Fill at `price` or better.
    Limit { price: Price },
    /// Becomes a market order once the market trades through `trigger`
    /// (at or above for buys, at or below for sells).
    Stop { trigger: Price },
    /// Becomes a limit order at `limit` once `trigger` is reached.
    StopLimit { trigger: Price, limit: Price },
    /// A stop whose trigger follows the market: for a sell, the highest
    /// price since placement minus the offset; for a buy, the lowest plus it.
    TrailingStop { offset: TrailingOffset },
}

impl OrderKind {
    pub fn name(&self) -> &'static str {
        match self {
            OrderKind::Market => "market",
            OrderKind::Limit { .. } => "limit",
            OrderKind::Stop { .. } => "stop",
            OrderKind::StopLimit { .. } => "stop_limit",
            OrderKind::TrailingStop { .. } => "trailing_stop",
        }
    }
}

/// How long an order stays working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeInForce {
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel: fill what is possible on arrival, cancel the rest.
    Ioc,
    /// Fill or kill: fill completely on arrival or not at all.
    Fok,
    /// Expires at the end of the UTC day it was accepted on.
    Day,
    /// Good till the given time.
    Gtd(UnixNanos),
}

/// Size of an order: in base units, or (market orders only) as an amount
/// of quote currency sized into whole lots at the fill price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderQty {
    Base(Quantity),
    Quote(Money),
}

/// What a strategy asks the engine to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub instrument: InstrumentId,
    pub side: Side,
    pub qty: OrderQty,
    pub kind: OrderKind,
    pub tif: TimeInForce,
    /// May only shrink the position; cancelled or trimmed otherwise.
    pub reduce_only: bool,
    /// Must rest as a maker; rejected if it would cross on arrival.
    pub post_only: bool,
}

impl OrderRequest {
    pub fn market(instrument: InstrumentId, side: Side, qty: Quantity) -> Self {
        Self::new(instrument, side, OrderQty::Base(qty), OrderKind::Market)
    }
    /// A market order for `amount` of quote currency, sized into whole lots
    /// at the fill price.
    pub fn market_notional(instrument: InstrumentId, side: Side, amount: Money) -> Self {
        Self::new(instrument, side, OrderQty::Quote(amount), OrderKind::Market)
    }
    pub fn limit(instrument: InstrumentId, side: Side, qty: Quantity, price: Price) -> Self {
        Self::new(instrument, side, OrderQty::Base(qty), OrderKind::Limit { price })
    }
    pub fn stop(instrument: InstrumentId, side: Side, qty: Quantity, trigger: Price) -> Self {
        Self::new(instrument, side, OrderQty::Base(qty), OrderKind::Stop { trigger })
    }
    pub fn stop_limit(instrument: InstrumentId, side: Side, qty: Quantity, trigger: Price, limit: Price) -> Self {
        Self::new(instrument, side, OrderQty::Base(qty), OrderKind::StopLimit { trigger, limit })
    }
    pub fn trailing_stop(instrument: InstrumentId, side: Side, qty: Quantity, offset: TrailingOffset) -> Self {
        Self::new(instrument, side, OrderQty::Base(qty), OrderKind::TrailingStop { offset })
    }
    fn new(instrument: InstrumentId, side: Side, qty: OrderQty, kind: OrderKind) -> Self {
        Self { instrument, side, qty, kind, tif: TimeInForce::Gtc, reduce_only: false, post_only: false }
    }
    pub fn with_tif(mut self, tif: TimeInForce) -> Self {
        self.tif = tif;
        self
    }
    pub fn reduce_only(mut self) -> Self {
        self.reduce_only = true;
        self
    }
    pub fn post_only(mut self) -> Self {
        self.post_only = true;
        self
    }
    /// The order with its prices on the `tick` grid, each rounded the
    /// careful way: a limit never more aggressive than asked (buys down,
    /// sells up), a stop never firing before its asked trigger (buys up,
    /// sells down). Prices computed in floating point (`close * 0.9`) then
    /// pass the instrument's grid check without changing the order's
    /// intent. A trailing offset in price rounds up (trails no closer).
    pub fn rounded_to(mut self, tick: Price) -> Self {
        if !tick.is_positive() {
            return self;
        }
        let (limit_of, stop_of) = match self.side {
            Side::Buy => (Price::floor_to as fn(Price, Price) -> Price, Price::ceil_to as fn(Price, Price) -> Price),
            Side::Sell => (Price::ceil_to as fn(Price, Price) -> Price, Price::floor_to as fn(Price, Price) -> Price),
        };
        self.kind = match self.kind {
            OrderKind::Limit { price } => OrderKind::Limit { price: limit_of(price, tick) },
            OrderKind::Stop { trigger } => OrderKind::Stop { trigger: stop_of(trigger, tick) },
            OrderKind::StopLimit { trigger, limit } => {
                OrderKind::StopLimit { trigger: stop_of(trigger, tick), limit: limit_of(limit, tick) }
            }
            OrderKind::TrailingStop { offset: TrailingOffset::Price(p) } => {
                OrderKind::TrailingStop { offset: TrailingOffset::Price(p.ceil_to(tick)) }
            }
            other => other,
        };
        self
    }
}

/// Where an order is in its life. See the module docs for the arrows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Submitted,
    Accepted,
    Triggered,
    PartiallyFilled,
    Filled,
    Cancelled,
    Rejected,
    Expired,
}

/// A state change an order cannot make.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("order cannot go from {from:?} to {to:?}")]
pub struct InvalidTransition {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

impl OrderStatus {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Filled | Self::Cancelled | Self::Rejected | Self::Expired)
    }

    /// Whether the order is live at the venue (can still fill or be cancelled).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Accepted | Self::Triggered | Self::PartiallyFilled)
    }

    /// The status after moving to `to`, if that arrow exists.
    pub fn apply(self, to: OrderStatus) -> Result<OrderStatus, InvalidTransition> {
        use OrderStatus::*;
        let ok = match (self, to) {
            (Submitted, Accepted | Rejected) => true,
            // A venue may report a fill before (or instead of) the ack.
            (Submitted, PartiallyFilled | Filled | Cancelled | Expired) => true,
            (Accepted, Triggered | PartiallyFilled | Filled | Cancelled | Expired) => true,
            (Triggered, PartiallyFilled | Filled | Cancelled | Expired) => true,
            (PartiallyFilled, PartiallyFilled | Filled | Cancelled | Expired) => true,
            _ => false,
        };
        if ok { Ok(to) } else { Err(InvalidTransition { from: self, to }) }
    }
}

/// Whether a fill added liquidity (rested) or took it (crossed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Liquidity {
    Maker,
    Taker,
}

/// One execution of (part of) an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    pub order_id: OrderId,
    pub instrument: InstrumentId,
    pub side: Side,
    pub price: Price,
    pub qty: Quantity,
    pub fee: Money,
    pub liquidity: Liquidity,
    pub ts: UnixNanos,
    /// The part of the fee the venue took in the base asset instead of
    /// cash (Binance takes a buy's commission from the coins bought);
    /// `fee` includes its value at the fill price. Zero for fees in cash.
    #[serde(default)]
    pub fee_base: Quantity,
}

/// A request from the engine to a venue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VenueCommand {
    Submit {
        order_id: OrderId,
        request: OrderRequest,
    },
    /// One-cancels-the-other: the first fill of any leg (partial or whole)
    /// cancels the others. A venue with native OCO places the legs as one
    /// list and never fills two; one without it takes them as separate
    /// orders and the engine cancels the others on the first fill, which
    /// a market moving fast enough can beat.
    SubmitOco {
        legs: Vec<(OrderId, OrderRequest)>,
    },
    Cancel {
        order_id: OrderId,
    },
    /// Change the quantity and/or price of a working order. The new quantity
    /// is the order's total size (filled part included).
    Modify {
        order_id: OrderId,
        qty: Option<Quantity>,
        price: Option<Price>,
        trigger: Option<Price>,
    },
}

/// What a venue says about one order when asked (a REST query), as
/// opposed to the reports it streams: the totals so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VenueOrderState {
    pub order_id: OrderId,
    pub status: OrderStatus,
    /// Total quantity filled at the venue.
    pub filled: Quantity,
    /// Σ price × qty of those fills (Binance: `cummulativeQuoteQty`).
    pub notional: Money,
    /// Total fee charged, when the venue says (an order query does not).
    pub fee: Option<Money>,
}

/// What a venue reports back about an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExecutionReport {
    Accepted {
        order_id: OrderId,
        ts: UnixNanos,
    },
    Rejected {
        order_id: OrderId,
        ts: UnixNanos,
        reason: String,
    },
    /// A stop order's trigger was reached.
    Triggered {
        order_id: OrderId,
        ts: UnixNanos,
    },
    Filled(Fill),
    Cancelled {
        order_id: OrderId,
        ts: UnixNanos,
        reason: String,
    },
    Expired {
        order_id: OrderId,
        ts: UnixNanos,
    },
    Modified {
        order_id: OrderId,
        ts: UnixNanos,
        qty: Quantity,
        price: Option<Price>,
        trigger: Option<Price>,
    },
    /// A cancel or modify that the venue refused; the order is unchanged.
    CommandRejected {
        order_id: OrderId,
        ts: UnixNanos,
        reason: String,
    },
}

impl ExecutionReport {
    pub fn order_id(&self) -> OrderId {
        match self {
            ExecutionReport::Accepted { order_id, .. }
            | ExecutionReport::Rejected { order_id, .. }
            | ExecutionReport::Triggered { order_id, .. }
            | ExecutionReport::Cancelled { order_id, .. }
            | ExecutionReport::Expired { order_id, .. }
            | ExecutionReport::Modified { order_id, .. }
            | ExecutionReport::CommandRejected { order_id, .. } => *order_id,
            ExecutionReport::Filled(fill) => fill.order_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn lifecycle_follows_the_diagram() {
        let s = Submitted.apply(Accepted).unwrap();
        let s = s.apply(PartiallyFilled).unwrap();
        let s = s.apply(PartiallyFilled).unwrap();
        assert_eq!(s.apply(Filled), Ok(Filled));
        assert_eq!(Accepted.apply(Triggered).unwrap().apply(Filled), Ok(Filled));
    }

    #[test]
    fn terminal_states_are_final() {
        for terminal in [Filled, Cancelled, Rejected, Expired] {
            assert!(terminal.is_terminal());
            for to in [Submitted, Accepted, Triggered, PartiallyFilled, Filled, Cancelled, Rejected, Expired] {
                assert_eq!(terminal.apply(to), Err(InvalidTransition { from: terminal, to }));
            }
        }
    }

    #[test]
    fn impossible_arrows_are_refused() {
        assert!(Accepted.apply(Rejected).is_err());
        assert!(PartiallyFilled.apply(Triggered).is_err());
        assert!(Accepted.apply(Submitted).is_err());
    }

    #[test]
    fn trailing_offset_in_bps() {
        let best = Price::from_int(200);
        assert_eq!(TrailingOffset::Bps(150).at(best), Price::from_int(3));
        assert_eq!(TrailingOffset::Price(Price::from_int(2)).at(best), Price::from_int(2));
    }
}
