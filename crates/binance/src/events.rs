//! Binance messages as the kernel's market events, live or recorded.
//!
//! [`EventBuilder`] turns parsed messages into events, keeping the book in
//! sync; the live feed (`pyrt-adapters`) and [`CaptureEvents`] (a recorded
//! session, read from a file) both use it, so a strategy receives the same
//! events from either:
//!
//! * the snapshot as a `Clear` delta followed by one `Add` per level
//!   (flagged `F_SNAPSHOT`), then every diff the book accepted as one
//!   `Update`/`Delete` delta per level; the last delta of each message is
//!   flagged `F_LAST`, after which the book is consistent;
//! * each trade (the aggressor is the seller when the buyer was the maker);
//! * each book ticker as a quote.
//!
//! Diffs the book refuses (before the snapshot joins, stale, or after a
//! gap until the next snapshot) yield nothing, so the events always
//! describe a book that is right.
//!
//! **Clock.** Each event keeps the exchange time (`T` when present, else
//! `E`) as `ts_event`, and the recording host's receive time, shifted by a
//! [`ClockSkew`], as `ts_recv`. The hftbacktest recordings were made on a
//! host whose clock ran about 1.27 s behind Binance's, so raw receive times
//! come *before* the exchange times; [`ClockSkew::Auto`] finds the smallest
//! shift that puts every receive time at or after its exchange time (the
//! fastest message then has zero latency), as hftbacktest's converter does.
//! Receive times stay in recorded order; one that would still fall before
//! its exchange time or its predecessor is raised to that time.

use std::collections::VecDeque;
use std::path::Path;

use pyrt_book::{Diff, DiffOutcome, SyncError, SyncedBook};
use pyrt_model::time::NANOS_PER_MILLI;
use pyrt_model::{BookAction, BookDelta, InstrumentId, MarketEvent, Price, Quantity, Quote, Side, Trade, UnixNanos};

use crate::Market;
use crate::capture::CaptureReader;
use crate::replay::{RecordedMessage, ReplayError, next_message};
use crate::stream::StreamMessage;

/// How to correct the recording host's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockSkew {
    /// Use receive times as recorded.
    None,
    /// Add this many nanoseconds to every receive time.
    Fixed(i64),
    /// Scan the file first for the shift that removes negative latency.
    Auto,
}

/// Turns parsed Binance messages for one instrument into kernel events,
/// keeping the book in sync: the piece the live feed and capture replays
/// share, so a strategy sees the same events from both.
pub struct EventBuilder {
    instrument: InstrumentId,
    book: SyncedBook,
    refused: u64,
    stale_tickers: u64,
}

impl EventBuilder {
    pub fn new(market: Market, instrument: InstrumentId) -> Self {
        Self { instrument, book: SyncedBook::new(market.continuity()), refused: 0, stale_tickers: 0 }
    }

    /// A builder whose book is indexed by `tick` (faster; prices off the
    /// grid are refused).
    pub fn with_tick(market: Market, instrument: InstrumentId, tick: pyrt_model::Price) -> Self {
        let book = SyncedBook::with_book(market.continuity(), pyrt_book::L2Book::with_tick(tick));
        Self { instrument, book, refused: 0, stale_tickers: 0 }
    }

    /// The builder's book, in step with the events emitted so far.
    pub fn book(&self) -> &SyncedBook {
        &self.book
    }

    /// Diffs that yielded no events (buffered before the snapshot, stale,
    /// or lost to a gap).
    pub fn refused_diffs(&self) -> u64 {
        self.refused
    }

    /// Book tickers dropped because the book was already past them (a REST
    /// snapshot can be newer than frames still on their way).
    pub fn stale_tickers(&self) -> u64 {
        self.stale_tickers
    }

    /// Forgets the book (after a reconnect): diffs wait for a new snapshot.
    pub fn reset(&mut self) {
        self.book.reset();
    }

    /// Appends the events `msg` yields to `out`. A gap is reported as an
    /// error after the book has been discarded; the caller fetches a new
    /// snapshot and carries on.
    pub fn on_message(
        &mut self,
        msg: &StreamMessage,
        ts_event: UnixNanos,
        ts_recv: UnixNanos,
        out: &mut VecDeque<MarketEvent>,
    ) -> Result<(), SyncError> {
        let instrument = self.instrument;
        match msg {
            StreamMessage::Depth(d) => {
                let diff = Diff { ids: d.ids, bids: &d.bids, asks: &d.asks };
                match self.book.on_diff(diff) {
                    Ok(DiffOutcome::Applied) => push_levels(out, instrument, ts_event, ts_recv, diff, 0),
                    Ok(_) => self.refused += 1,
                    Err(e) => {
                        self.refused += 1;
                        return Err(e);
                    }
                }
            }
            StreamMessage::Snapshot(s) => {
                let mut joined = Vec::new();
                self.book.on_snapshot_with(s.last_update_id, &s.bids, &s.asks, |d| {
                    joined.push((d.ids, d.bids.to_vec(), d.asks.to_vec()))
                })?;
                out.push_back(MarketEvent::BookDelta(BookDelta {
                    instrument,
                    ts_event,
                    ts_recv,
                    action: BookAction::Clear,
                    side: Side::Buy,
                    price: Price::ZERO,
                    size: Quantity::ZERO,
                    order_id: 0,
                    sequence: s.last_update_id,
                    flags: BookDelta::F_SNAPSHOT,
                }));
                let start = out.len();
                let ids = pyrt_book::UpdateIds { first: s.last_update_id, last: s.last_update_id, prev_last: None };
                let levels = Diff { ids, bids: &s.bids, asks: &s.asks };
                push_levels(out, instrument, ts_event, ts_recv, levels, BookDelta::F_SNAPSHOT);
                if out.len() == start
                    && let Some(MarketEvent::BookDelta(d)) = out.back_mut()
                {
                    // An empty snapshot: the clear alone ends the message.
                    d.flags |= BookDelta::F_LAST;
                }
                for (ids, bids, asks) in &joined {
                    push_levels(out, instrument, ts_event, ts_recv, Diff { ids: *ids, bids, asks }, 0);
                }
            }
            StreamMessage::Trade { trade, .. } => out.push_back(MarketEvent::Trade(Trade {
                instrument,
                ts_event,
                ts_recv,
                price: trade.price,
                size: trade.qty,
                aggressor: Some(if trade.buyer_is_maker { Side::Sell } else { Side::Buy }),
            })),
            StreamMessage::BookTicker { ticker, .. } => {
                // Older than the book: a top of book that no longer exists.
                if self.book.update_id().is_some_and(|id| ticker.update_id < id) {
                    self.stale_tickers += 1;
                    return Ok(());
                }
                out.push_back(MarketEvent::Quote(Quote {
                    instrument,
                    ts_event,
                    ts_recv,
                    bid: ticker.bid,
                    ask: ticker.ask,
                    bid_size: ticker.bid_qty,
                    ask_size: ticker.ask_qty,
                }))
            }
            _ => {}
        }
        Ok(())
    }
}

/// Market events from one capture file.
pub struct CaptureEvents {
    reader: CaptureReader,
    builder: EventBuilder,
    skew_ns: i64,
    last_recv: UnixNanos,
    queue: VecDeque<MarketEvent>,
}

impl CaptureEvents {
    pub fn open(path: &Path, market: Market, instrument: InstrumentId, skew: ClockSkew) -> Result<Self, ReplayError> {
        let skew_ns = match skew {
            ClockSkew::None => 0,
            ClockSkew::Fixed(ns) => ns,
            ClockSkew::Auto => estimate_skew(path)?,
        };
        Ok(Self {
            reader: CaptureReader::open(path)?,
            builder: EventBuilder::new(market, instrument),
            skew_ns,
            last_recv: i64::MIN,
            queue: VecDeque::new(),
        })
    }

    /// The shift added to receive times.
    pub fn skew_ns(&self) -> i64 {
        self.skew_ns
    }

    /// Diffs that yielded no events (buffered before the snapshot, stale,
    /// or lost to a gap).
    pub fn refused_diffs(&self) -> u64 {
        self.builder.refused_diffs()
    }

    /// Book tickers dropped as older than the book (see `EventBuilder`).
    pub fn stale_tickers(&self) -> u64 {
        self.builder.stale_tickers()
    }

    /// The converter's own book, in step with the events yielded so far.
    pub fn book(&self) -> &SyncedBook {
        self.builder.book()
    }

    /// Reads lines until at least one event is queued; `false` at the end.
    fn fill_queue(&mut self) -> Result<bool, ReplayError> {
        while self.queue.is_empty() {
            let Some(recorded) = next_message(&mut self.reader) else { return Ok(false) };
            let RecordedMessage { line, ts_recv: recorded, message: msg } = recorded?;
            let ts_event = event_time(&msg).unwrap_or(recorded + self.skew_ns);
            let ts_recv = (recorded + self.skew_ns).max(ts_event).max(self.last_recv);
            self.last_recv = ts_recv;
            match self.builder.on_message(&msg, ts_event, ts_recv, &mut self.queue) {
                // A recording with a gap carries on from its next snapshot.
                Ok(()) | Err(SyncError::Gap { .. }) => {}
                Err(source) => {
                    let path = self.reader.path().display().to_string();
                    return Err(ReplayError::Sync { path, line, source });
                }
            }
        }
        Ok(true)
    }
}

impl Iterator for CaptureEvents {
    type Item = Result<MarketEvent, ReplayError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.fill_queue() {
            Ok(true) => self.queue.pop_front().map(Ok),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// One delta per level of `diff`, the last flagged `F_LAST`. Snapshot
/// levels are adds; diff levels are updates, or deletes at size 0.
fn push_levels(
    queue: &mut VecDeque<MarketEvent>,
    instrument: InstrumentId,
    ts_event: UnixNanos,
    ts_recv: UnixNanos,
    diff: Diff<'_>,
    flags: u8,
) {
    let start = queue.len();
    let levels = diff.bids.iter().map(|l| (Side::Buy, l)).chain(diff.asks.iter().map(|l| (Side::Sell, l)));
    for (side, &(price, size)) in levels {
        let action = if flags & BookDelta::F_SNAPSHOT != 0 {
            BookAction::Add
        } else if size.is_zero() {
            BookAction::Delete
        } else {
            BookAction::Update
        };
        queue.push_back(MarketEvent::BookDelta(BookDelta {
            instrument,
            ts_event,
            ts_recv,
            action,
            side,
            price,
            size,
            order_id: 0,
            sequence: diff.ids.last,
            flags,
        }));
    }
    if queue.len() > start
        && let Some(MarketEvent::BookDelta(d)) = queue.back_mut()
    {
        d.flags |= BookDelta::F_LAST;
    }
}

/// The exchange's time for a message, in nanoseconds: the transaction or
/// trade time `T` when sent, else the event time `E`.
pub fn event_time(msg: &StreamMessage) -> Option<UnixNanos> {
    let ms = match msg {
        StreamMessage::Depth(d) => d.transaction_time_ms.unwrap_or(d.event_time_ms),
        StreamMessage::Trade { trade, .. } => trade.trade_time_ms,
        StreamMessage::BookTicker { ticker, .. } => ticker.event_time_ms?,
        StreamMessage::Kline { kline, .. } => kline.close_time_ms,
        _ => return None,
    };
    Some(ms * NANOS_PER_MILLI)
}

/// The smallest shift making every receive time at or after its exchange
/// time (0 when the recording clock was already behind nothing).
pub fn estimate_skew(path: &Path) -> Result<i64, ReplayError> {
    let mut reader = CaptureReader::open(path)?;
    let mut shift = 0i64;
    while let Some(recorded) = next_message(&mut reader) {
        let recorded = recorded?;
        if let Some(ts_event) = event_time(&recorded.message) {
            shift = shift.max(ts_event - recorded.ts_recv);
        }
    }
    Ok(shift)
}
