//! Market data events: bars, trades, quotes and order-book deltas.
//!
//! Every event carries two timestamps: `ts_event`, when the venue says it
//! happened, and `ts_recv`, when we received it. Backtests on bar data set
//! them equal; tick captures keep both so feed latency can be modelled.

use serde::{Deserialize, Serialize};

use crate::fixed::{Price, Quantity};
use crate::instrument::InstrumentId;
use crate::order::Side;
use crate::time::UnixNanos;

/// An OHLCV bar. `ts_event` is the bar's timestamp as given by the source
/// (the open time for daily Yahoo data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    pub instrument: InstrumentId,
    pub ts_event: UnixNanos,
    pub ts_recv: UnixNanos,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
    pub volume: Quantity,
}

impl Bar {
    /// A bar in which the price did not move (open = high = low = close),
    /// received when it happened.
    pub fn flat(instrument: InstrumentId, ts: UnixNanos, price: Price, volume: Quantity) -> Self {
        Self { instrument, ts_event: ts, ts_recv: ts, open: price, high: price, low: price, close: price, volume }
    }
}

/// One print on the tape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    pub instrument: InstrumentId,
    pub ts_event: UnixNanos,
    pub ts_recv: UnixNanos,
    pub price: Price,
    pub size: Quantity,
    /// The side that crossed the spread, when the venue says.
    pub aggressor: Option<Side>,
}

/// Top of book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub instrument: InstrumentId,
    pub ts_event: UnixNanos,
    pub ts_recv: UnixNanos,
    pub bid: Price,
    pub ask: Price,
    pub bid_size: Quantity,
    pub ask_size: Quantity,
}

impl Quote {
    /// Mid price, rounded down to the raw unit.
    pub fn mid(&self) -> Price {
        Price::from_raw(((self.bid.raw() as i128 + self.ask.raw() as i128) / 2) as i64)
    }
}

/// What a book delta does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BookAction {
    /// A new order (L3) or a level appearing (L2).
    Add,
    /// An order's or level's size changed to `size`.
    Update,
    /// An order or level is gone.
    Delete,
    /// The whole book is cleared (before a snapshot).
    Clear,
}

/// One change to an order book.
///
/// Price-level (L2) feeds set `order_id` to 0 and give the level's new total
/// `size` (0 deletes it); order-level (L3) feeds name the order. `sequence`
/// is the venue's update id, so gaps can be detected; `flags` mark deltas
/// that belong to a snapshot and the last delta of a venue message (a book
/// is only consistent after a `LAST` delta).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookDelta {
    pub instrument: InstrumentId,
    pub ts_event: UnixNanos,
    pub ts_recv: UnixNanos,
    pub action: BookAction,
    pub side: Side,
    pub price: Price,
    pub size: Quantity,
    pub order_id: u64,
    pub sequence: u64,
    pub flags: u8,
}

impl BookDelta {
    /// Part of a snapshot rather than an incremental update.
    pub const F_SNAPSHOT: u8 = 1;
    /// The last delta of a venue message: the book is consistent after it.
    pub const F_LAST: u8 = 2;

    pub fn is_snapshot(&self) -> bool {
        self.flags & Self::F_SNAPSHOT != 0
    }
    pub fn is_last(&self) -> bool {
        self.flags & Self::F_LAST != 0
    }
}

/// Anything the data engine feeds the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarketEvent {
    Bar(Bar),
    Trade(Trade),
    Quote(Quote),
    BookDelta(BookDelta),
}

impl MarketEvent {
    /// The time the kernel processes this event at: when it was received.
    pub fn ts(&self) -> UnixNanos {
        match self {
            MarketEvent::Bar(b) => b.ts_recv,
            MarketEvent::Trade(t) => t.ts_recv,
            MarketEvent::Quote(q) => q.ts_recv,
            MarketEvent::BookDelta(d) => d.ts_recv,
        }
    }

    /// When the venue says the event happened.
    pub fn ts_event(&self) -> UnixNanos {
        match self {
            MarketEvent::Bar(b) => b.ts_event,
            MarketEvent::Trade(t) => t.ts_event,
            MarketEvent::Quote(q) => q.ts_event,
            MarketEvent::BookDelta(d) => d.ts_event,
        }
    }

    pub fn instrument(&self) -> InstrumentId {
        match self {
            MarketEvent::Bar(b) => b.instrument,
            MarketEvent::Trade(t) => t.instrument,
            MarketEvent::Quote(q) => q.instrument,
            MarketEvent::BookDelta(d) => d.instrument,
        }
    }

    /// The price this event marks positions to: bar close, trade price, or
    /// quote mid. A single book delta is no price (the book is).
    pub fn mark_price(&self) -> Option<Price> {
        match self {
            MarketEvent::Bar(b) => Some(b.close),
            MarketEvent::Trade(t) => Some(t.price),
            MarketEvent::Quote(q) => Some(q.mid()),
            MarketEvent::BookDelta(_) => None,
        }
    }
}
