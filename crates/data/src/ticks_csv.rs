//! Trades and quotes from CSV, streamed row by row.
//!
//! Columns are found by header name (case-insensitive) unless named
//! explicitly; files without a header line (HistData) take their column
//! names from [`TickCsvOptions::headers`].
//!
//! * time of the event: `ts_trade_ms`, `ts_event_ms`, `timestamp`,
//!   `datetime`, `time`, `date`, `ts`, `ts_event`; time we received it
//!   (optional, defaults to the event time): `ts_recv_ns`,
//!   `local_timestamp`, `ts_recv`. Epoch numbers are read in s/ms/µs/ns by
//!   their size. Rows must be ordered by the receive time, which is the
//!   time the kernel replays them at. An empty event time (a stream that
//!   has none) takes the receive time;
//! * trades: `price`/`px`, size `qty`/`quantity`/`size`/`amount`/`volume`,
//!   and the aggressor from `side` (`buy`/`sell`) or
//!   `is_buyer_maker`/`buyer_maker` (true: the seller crossed);
//! * quotes: `bid`/`bid_px`/`bid_price`, `ask`/`ask_px`/`ask_price`, sizes
//!   `bid_qty`/`bid_size`/`bid_amount` and the ask twins (optional).
//!
//! That reads the normalized Binance captures, Tardis trades, TrueFX and
//! HistData quotes in `shared/data`. Several prints may share a timestamp,
//! so equal times are accepted unless [`TickCsvOptions::strictly_increasing`].

use std::path::Path;

use pyrt_model::{InstrumentId, MarketEvent, Quantity, Quote, Side, Trade, UnixNanos};

use crate::csv_source::{CsvSource, OnInvalid, Row};
use crate::error::DataError;
use crate::validate::check_quote;

/// Explicit column names for trade and quote files.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TickColumns {
    pub timestamp: Option<String>,
    pub recv_timestamp: Option<String>,
    pub price: Option<String>,
    pub size: Option<String>,
    pub side: Option<String>,
    pub buyer_maker: Option<String>,
    pub bid: Option<String>,
    pub ask: Option<String>,
    pub bid_size: Option<String>,
    pub ask_size: Option<String>,
}

/// How to read a trade or quote file.
#[derive(Debug, Clone, Default)]
pub struct TickCsvOptions {
    pub instrument: InstrumentId,
    pub columns: TickColumns,
    /// Column names for a file without a header line.
    pub headers: Option<Vec<String>>,
    pub on_invalid: OnInvalid,
    /// Refuse rows whose time equals the previous row's.
    pub strictly_increasing: bool,
}

const EVENT_TIME: &[&str] = &["ts_trade_ms", "ts_event_ms", "timestamp", "datetime", "time", "date", "ts", "ts_event"];
const RECV_TIME: &[&str] = &["ts_recv_ns", "local_timestamp", "ts_recv"];

/// The two clocks of a tick row.
#[derive(Debug, Clone, Copy)]
struct Clocks {
    event: usize,
    recv: Option<usize>,
}

impl Clocks {
    fn find(source: &CsvSource, c: &TickColumns) -> Result<Self, DataError> {
        Ok(Self {
            event: source.required(c.timestamp.as_deref(), "timestamp", EVENT_TIME)?,
            recv: source.column(c.recv_timestamp.as_deref(), "recv_timestamp", RECV_TIME)?,
        })
    }
    /// The column the file is ordered by.
    fn order(&self) -> usize {
        self.recv.unwrap_or(self.event)
    }
    /// `(event, recv)`. A stream without an exchange time (Binance spot
    /// `bookTicker`) leaves the event cell empty: it takes the receive time.
    fn read(&self, row: &Row) -> Result<(UnixNanos, UnixNanos), DataError> {
        match self.recv {
            Some(i) => {
                let recv = row.timestamp(i)?;
                let event = if row.text(self.event).is_empty() { recv } else { row.timestamp(self.event)? };
                Ok((event, recv))
            }
            None => row.timestamp(self.event).map(|t| (t, t)),
        }
    }
}

fn open(path: &Path, o: &TickCsvOptions) -> Result<CsvSource, DataError> {
    CsvSource::open(path, o.headers.as_deref(), o.on_invalid, !o.strictly_increasing, |_, _| {})
}

/// Streams trades out of a CSV file.
pub struct TradeCsvReader {
    source: CsvSource,
    clocks: Clocks,
    price: usize,
    size: usize,
    side: Option<usize>,
    buyer_maker: Option<usize>,
    instrument: InstrumentId,
}

impl TradeCsvReader {
    pub fn open(path: impl AsRef<Path>, options: TickCsvOptions) -> Result<Self, DataError> {
        let source = open(path.as_ref(), &options)?;
        let c = &options.columns;
        Ok(Self {
            clocks: Clocks::find(&source, c)?,
            price: source.required(c.price.as_deref(), "price", &["price", "px"])?,
            size: source.required(c.size.as_deref(), "size", &["qty", "quantity", "size", "amount", "volume"])?,
            side: source.column(c.side.as_deref(), "side", &["side", "aggressor_side"])?,
            buyer_maker: source.column(c.buyer_maker.as_deref(), "buyer_maker", &["is_buyer_maker", "buyer_maker"])?,
            instrument: options.instrument,
            source,
        })
    }

    pub fn skipped(&self) -> (u64, &[DataError]) {
        self.source.skipped()
    }
}

impl Iterator for TradeCsvReader {
    type Item = Result<MarketEvent, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (clocks, price, size, side, buyer_maker, instrument) =
            (self.clocks, self.price, self.size, self.side, self.buyer_maker, self.instrument);
        self.source.next_row(clocks.order(), |row| {
            let (ts_event, ts_recv) = clocks.read(row)?;
            let aggressor = match (side, buyer_maker) {
                (Some(i), _) => parse_side(row.text(i)).map_err(|m| row.error(Some(i), m))?,
                (None, Some(i)) => {
                    parse_flag(row.text(i)).map(aggressor_of_buyer_maker).map_err(|m| row.error(Some(i), m))?
                }
                (None, None) => None,
            };
            let size = row.quantity(size, "size")?;
            let trade = Trade { instrument, ts_event, ts_recv, price: row.price(price)?, size, aggressor };
            Ok((ts_recv, MarketEvent::Trade(trade)))
        })
    }
}

/// A trade's aggressor from a side cell (`buy`/`sell`, `b`/`s`; empty or
/// `unknown` when the venue does not say).
pub(crate) fn parse_side(text: &str) -> Result<Option<Side>, String> {
    match text.to_ascii_lowercase().as_str() {
        "buy" | "b" | "bid" => Ok(Some(Side::Buy)),
        "sell" | "s" | "ask" => Ok(Some(Side::Sell)),
        "" | "unknown" | "none" => Ok(None),
        other => Err(format!("`{other}` is not a side (buy or sell)")),
    }
}

/// A boolean cell: `true`/`false` or `1`/`0`, any case.
pub(crate) fn parse_flag(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(format!("`{other}` is not a boolean (true/false or 1/0)")),
    }
}

/// When the buyer was the maker, the seller crossed the spread.
pub(crate) fn aggressor_of_buyer_maker(buyer_maker: bool) -> Option<Side> {
    Some(if buyer_maker { Side::Sell } else { Side::Buy })
}

/// Streams top-of-book quotes out of a CSV file.
pub struct QuoteCsvReader {
    source: CsvSource,
    clocks: Clocks,
    bid: usize,
    ask: usize,
    bid_size: Option<usize>,
    ask_size: Option<usize>,
    instrument: InstrumentId,
}

impl QuoteCsvReader {
    pub fn open(path: impl AsRef<Path>, options: TickCsvOptions) -> Result<Self, DataError> {
        let source = open(path.as_ref(), &options)?;
        let c = &options.columns;
        Ok(Self {
            clocks: Clocks::find(&source, c)?,
            bid: source.required(c.bid.as_deref(), "bid", &["bid", "bid_px", "bid_price"])?,
            ask: source.required(c.ask.as_deref(), "ask", &["ask", "ask_px", "ask_price"])?,
            bid_size: source.column(c.bid_size.as_deref(), "bid_size", &["bid_qty", "bid_size", "bid_amount"])?,
            ask_size: source.column(c.ask_size.as_deref(), "ask_size", &["ask_qty", "ask_size", "ask_amount"])?,
            instrument: options.instrument,
            source,
        })
    }

    pub fn skipped(&self) -> (u64, &[DataError]) {
        self.source.skipped()
    }
}

impl Iterator for QuoteCsvReader {
    type Item = Result<MarketEvent, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (clocks, bid, ask, bid_size, ask_size, instrument) =
            (self.clocks, self.bid, self.ask, self.bid_size, self.ask_size, self.instrument);
        self.source.next_row(clocks.order(), |row| {
            let (ts_event, ts_recv) = clocks.read(row)?;
            let (b, a) = (row.price(bid)?, row.price(ask)?);
            check_quote(b, a).map_err(|m| row.error(Some(bid), m))?;
            let size = |i: Option<usize>| i.map_or(Ok(Quantity::ZERO), |i| row.quantity(i, "size"));
            let quote = Quote {
                instrument,
                ts_event,
                ts_recv,
                bid: b,
                ask: a,
                bid_size: size(bid_size)?,
                ask_size: size(ask_size)?,
            };
            Ok((ts_recv, MarketEvent::Quote(quote)))
        })
    }
}
