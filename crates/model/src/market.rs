//! Market data events: bars, trades and quotes.
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

/// Anything the data engine feeds the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarketEvent {
    Bar(Bar),
    Trade(Trade),
    Quote(Quote),
}

impl MarketEvent {
    /// The time the kernel processes this event at: when it was received.
    pub fn ts(&self) -> UnixNanos {
        match self {
            MarketEvent::Bar(b) => b.ts_recv,
            MarketEvent::Trade(t) => t.ts_recv,
            MarketEvent::Quote(q) => q.ts_recv,
        }
    }

    pub fn instrument(&self) -> InstrumentId {
        match self {
            MarketEvent::Bar(b) => b.instrument,
            MarketEvent::Trade(t) => t.instrument,
            MarketEvent::Quote(q) => q.instrument,
        }
    }

    /// The price this event marks positions to: bar close, trade price, or
    /// quote mid.
    pub fn mark_price(&self) -> Price {
        match self {
            MarketEvent::Bar(b) => b.close,
            MarketEvent::Trade(t) => t.price,
            MarketEvent::Quote(q) => q.mid(),
        }
    }
}
