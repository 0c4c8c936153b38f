//! Bars, trades and quotes from Parquet, read a record batch at a time.
//!
//! Columns are found by the same names as in the CSV readers (see
//! [`crate::bars_csv`] and [`crate::ticks_csv`]) or named explicitly.
//! Accepted column types:
//! * time: Arrow timestamps (any unit), integer epochs (unit read from the
//!   size, as for CSV), or text;
//! * prices and sizes: decimals and text (converted exactly), integers, and
//!   floats (rounded to the nearest 1e-9; NaN and infinities are refused);
//! * trade side: text (`buy`/`sell`), or a buyer-maker flag as boolean or
//!   text (`True`/`False`, as Binance exports it).
//!
//! Memory holds one record batch (8192 rows by default), however large the
//! file. Errors name the file, the row (1-based) and the column.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, Float32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Schema, TimeUnit};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use pyrt_model::fixed::FIXED_DECIMALS;
use pyrt_model::{Bar, InstrumentId, MarketEvent, Price, Quantity, Quote, Side, Trade, UnixNanos};

use crate::bars_csv::BarColumns;
use crate::error::DataError;
use crate::ticks_csv::{TickColumns, aggressor_of_buyer_maker, parse_flag, parse_side};
use crate::timestamp::parse_timestamp;
use crate::validate::{BarField, check_bar, check_quote, describe_value};

/// What the rows of a Parquet file are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParquetContent {
    Bars(BarColumns),
    Trades(TickColumns),
    Quotes(TickColumns),
}

/// How to read a Parquet file.
#[derive(Debug, Clone)]
pub struct ParquetOptions {
    pub instrument: InstrumentId,
    pub content: ParquetContent,
    /// Refuse rows whose time equals the previous row's (bars: always).
    pub strictly_increasing: bool,
    pub batch_size: usize,
}

impl ParquetOptions {
    pub fn new(content: ParquetContent) -> Self {
        let strictly_increasing = matches!(content, ParquetContent::Bars(_));
        Self { instrument: InstrumentId(0), content, strictly_increasing, batch_size: 8192 }
    }
}

/// Column indices for each kind of row.
#[derive(Debug, Clone, Copy)]
enum Layout {
    Bars {
        ts: usize,
        open: usize,
        high: usize,
        low: usize,
        close: usize,
        volume: Option<usize>,
    },
    Trades {
        ts: usize,
        recv: Option<usize>,
        price: usize,
        size: usize,
        side: Option<usize>,
        buyer_maker: Option<usize>,
    },
    Quotes {
        ts: usize,
        recv: Option<usize>,
        bid: usize,
        ask: usize,
        bid_size: Option<usize>,
        ask_size: Option<usize>,
    },
}

/// Streams market events out of a Parquet file.
pub struct ParquetReader {
    path: PathBuf,
    batches: ParquetRecordBatchReader,
    batch: Option<RecordBatch>,
    row_in_batch: usize,
    rows_before: u64,
    layout: Layout,
    names: Vec<String>,
    instrument: InstrumentId,
    strictly_increasing: bool,
    last_ts: Option<UnixNanos>,
    done: bool,
}

impl ParquetReader {
    pub fn open(path: impl AsRef<Path>, options: ParquetOptions) -> Result<Self, DataError> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|e| {
            DataError::new(format!("cannot open: {e}"))
                .in_file(&path)
                .hint("check the path; it is relative to the working directory")
        })?;
        let not_parquet = |e: parquet::errors::ParquetError| {
            DataError::new(format!("not a readable Parquet file: {e}")).in_file(&path)
        };
        // The parquet crate panics on some damaged files instead of
        // returning an error; a damaged file must not abort the host
        // (a Python interpreter, a live node), so its panics become errors.
        let batch_size = options.batch_size.max(1);
        let opened = guarded(|| {
            let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
            let schema = builder.schema().clone();
            Ok((schema, builder.with_batch_size(batch_size).build()?))
        });
        let (schema, batches) = match opened {
            Ok(r) => r.map_err(not_parquet)?,
            Err(why) => return Err(DataError::new(format!("a damaged Parquet file: {why}")).in_file(&path)),
        };
        let layout = resolve(&schema, &options.content).map_err(|e| e.in_file(&path))?;
        Ok(Self {
            path,
            batches,
            batch: None,
            row_in_batch: 0,
            rows_before: 0,
            layout,
            names: schema.fields().iter().map(|f| f.name().clone()).collect(),
            instrument: options.instrument,
            strictly_increasing: options.strictly_increasing,
            last_ts: None,
            done: false,
        })
    }

    fn row_error(&self, column: Option<usize>, message: impl Into<String>) -> DataError {
        let row = self.rows_before + self.row_in_batch as u64 + 1;
        let e = DataError::new(message).in_file(&self.path).at_row(row);
        match column {
            Some(c) => e.in_field(self.names[c].clone()),
            None => e,
        }
    }

    fn parse_row(&self, batch: &RecordBatch, i: usize) -> Result<(UnixNanos, MarketEvent), DataError> {
        let cell = |c: usize| Cell { array: batch.column(c).as_ref(), row: i };
        let err = |c: usize, m: String| self.row_error(Some(c), m);
        let ts = |c: usize| cell(c).timestamp().map_err(|m| err(c, m));
        let price = |c: usize| {
            let p = cell(c).fixed().map_err(|m| err(c, m)).map(Price::from_raw)?;
            if p.is_positive() { Ok(p) } else { Err(err(c, format!("price {p} must be greater than zero"))) }
        };
        let qty = |c: usize| {
            let q = cell(c).fixed().map_err(|m| err(c, m)).map(Quantity::from_raw)?;
            if q.is_negative() { Err(err(c, format!("quantity {q} must not be negative"))) } else { Ok(q) }
        };
        let instrument = self.instrument;
        Ok(match self.layout {
            Layout::Bars { ts: t, open, high, low, close, volume } => {
                let ts = ts(t)?;
                let (o, h, l, c) = (price(open)?, price(high)?, price(low)?, price(close)?);
                check_bar(o, h, l, c).map_err(|(field, message)| {
                    let column = match field {
                        BarField::Open => open,
                        BarField::High => high,
                        BarField::Close => close,
                    };
                    err(column, message)
                })?;
                let volume = volume.map(qty).transpose()?.unwrap_or(Quantity::ZERO);
                let bar = Bar { instrument, ts_event: ts, ts_recv: ts, open: o, high: h, low: l, close: c, volume };
                (ts, MarketEvent::Bar(bar))
            }
            Layout::Trades { ts: t, recv, price: p, size, side, buyer_maker } => {
                let ts_event = ts(t)?;
                let ts_recv = recv.map(ts).transpose()?.unwrap_or(ts_event);
                let aggressor = match (side, buyer_maker) {
                    (Some(c), _) => cell(c).side().map_err(|m| err(c, m))?,
                    (None, Some(c)) => cell(c).flag().map_err(|m| err(c, m))?.and_then(aggressor_of_buyer_maker),
                    (None, None) => None,
                };
                let trade = Trade { instrument, ts_event, ts_recv, price: price(p)?, size: qty(size)?, aggressor };
                (ts_recv, MarketEvent::Trade(trade))
            }
            Layout::Quotes { ts: t, recv, bid, ask, bid_size, ask_size } => {
                let ts_event = ts(t)?;
                let ts_recv = recv.map(ts).transpose()?.unwrap_or(ts_event);
                let (b, a) = (price(bid)?, price(ask)?);
                check_quote(b, a).map_err(|m| err(bid, m))?;
                let size = |c: Option<usize>| c.map(qty).transpose().map(|q| q.unwrap_or(Quantity::ZERO));
                let quote = Quote {
                    instrument,
                    ts_event,
                    ts_recv,
                    bid: b,
                    ask: a,
                    bid_size: size(bid_size)?,
                    ask_size: size(ask_size)?,
                };
                (ts_recv, MarketEvent::Quote(quote))
            }
        })
    }
}

impl Iterator for ParquetReader {
    type Item = Result<MarketEvent, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            if let Some(batch) = &self.batch
                && self.row_in_batch < batch.num_rows()
            {
                let batch = batch.clone();
                let result = self.parse_row(&batch, self.row_in_batch).and_then(|(ts, event)| match self.last_ts {
                    Some(prev) if ts < prev => Err(self
                        .row_error(None, "timestamp is earlier than the previous row's")
                        .hint("rows must be sorted by time")),
                    Some(prev) if ts == prev && self.strictly_increasing => {
                        Err(self.row_error(None, "duplicate timestamp (same as the previous row)"))
                    }
                    _ => Ok((ts, event)),
                });
                self.row_in_batch += 1;
                return Some(match result {
                    Ok((ts, event)) => {
                        self.last_ts = Some(ts);
                        Ok(event)
                    }
                    Err(e) => {
                        self.done = true;
                        Err(e)
                    }
                });
            }
            if let Some(b) = self.batch.take() {
                self.rows_before += b.num_rows() as u64;
            }
            self.row_in_batch = 0;
            let next = guarded(|| self.batches.next());
            let message = match next {
                Ok(None) => return None,
                Ok(Some(Ok(b))) => {
                    self.batch = Some(b);
                    continue;
                }
                Ok(Some(Err(e))) => format!("cannot decode a record batch: {e}"),
                Err(why) => format!("a damaged Parquet file: {why}"),
            };
            self.done = true;
            return Some(Err(DataError::new(message).in_file(&self.path)));
        }
    }
}

/// One value of one column.
struct Cell<'a> {
    array: &'a dyn Array,
    row: usize,
}

impl Cell<'_> {
    fn null_check(&self) -> Result<(), String> {
        if self.array.is_null(self.row) { Err("missing value (null)".into()) } else { Ok(()) }
    }

    fn text(&self) -> Option<&str> {
        match self.array.data_type() {
            DataType::Utf8 => Some(self.array.as_string::<i32>().value(self.row)),
            DataType::LargeUtf8 => Some(self.array.as_string::<i64>().value(self.row)),
            _ => None,
        }
    }

    fn timestamp(&self) -> Result<UnixNanos, String> {
        self.null_check()?;
        let a = self.array;
        let r = self.row;
        let scaled = |v: i64, unit: i64| {
            v.checked_mul(unit)
                .ok_or_else(|| format!("{v} is beyond the timestamps the engine holds (up to the year 2262)"))
        };
        Ok(match a.data_type() {
            DataType::Timestamp(TimeUnit::Nanosecond, _) => a.as_primitive::<TimestampNanosecondType>().value(r),
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                scaled(a.as_primitive::<TimestampMicrosecondType>().value(r), 1_000)?
            }
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                scaled(a.as_primitive::<TimestampMillisecondType>().value(r), 1_000_000)?
            }
            DataType::Timestamp(TimeUnit::Second, _) => {
                scaled(a.as_primitive::<TimestampSecondType>().value(r), 1_000_000_000)?
            }
            DataType::Int64 => parse_timestamp(&a.as_primitive::<Int64Type>().value(r).to_string())?,
            DataType::UInt64 => parse_timestamp(&a.as_primitive::<UInt64Type>().value(r).to_string())?,
            DataType::Utf8 | DataType::LargeUtf8 => parse_timestamp(self.text().unwrap_or_default())?,
            other => return Err(format!("a {other} column cannot hold timestamps")),
        })
    }

    /// A number as a raw 1e-9 fixed-point count.
    fn fixed(&self) -> Result<i64, String> {
        self.null_check()?;
        let a = self.array;
        let r = self.row;
        let from_f64 = |v: f64| Price::from_f64(v).map(Price::raw).map_err(|e| describe_value(&e));
        let scale = 10i64.pow(FIXED_DECIMALS);
        let whole = |v: i64| v.checked_mul(scale).ok_or_else(|| format!("{v} is out of range"));
        match a.data_type() {
            DataType::Float64 => from_f64(a.as_primitive::<Float64Type>().value(r)),
            DataType::Float32 => from_f64(a.as_primitive::<Float32Type>().value(r) as f64),
            DataType::Int64 => whole(a.as_primitive::<Int64Type>().value(r)),
            DataType::Int32 => whole(a.as_primitive::<Int32Type>().value(r) as i64),
            DataType::Decimal128(_, s) => {
                let v = a.as_primitive::<Decimal128Type>().value(r);
                let text = format!("{v}e-{s}");
                pyrt_model::fixed::parse_decimal(&text, FIXED_DECIMALS)
                    .map_err(|e| describe_value(&e))
                    .and_then(|x| i64::try_from(x).map_err(|_| format!("{text} is out of range")))
            }
            DataType::Utf8 | DataType::LargeUtf8 => {
                self.text().unwrap_or_default().parse::<Price>().map(Price::raw).map_err(|e| describe_value(&e))
            }
            other => Err(format!("a {other} column cannot hold prices or quantities")),
        }
    }

    fn side(&self) -> Result<Option<Side>, String> {
        if self.array.is_null(self.row) {
            return Ok(None);
        }
        match self.text() {
            Some(text) => parse_side(text),
            None => Err(format!("a {} column cannot hold a side", self.array.data_type())),
        }
    }

    fn flag(&self) -> Result<Option<bool>, String> {
        if self.array.is_null(self.row) {
            return Ok(None);
        }
        if let DataType::Boolean = self.array.data_type() {
            return Ok(Some(self.array.as_boolean().value(self.row)));
        }
        match self.text() {
            Some(text) => parse_flag(text).map(Some),
            None => Err(format!("a {} column cannot hold a boolean", self.array.data_type())),
        }
    }
}

/// Finds the columns of `content` in `schema`.
fn resolve(schema: &Schema, content: &ParquetContent) -> Result<Layout, DataError> {
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().to_ascii_lowercase()).collect();
    let listing = schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(",");
    let find = |given: &Option<String>, role: &str, defaults: &[&str]| -> Result<Option<usize>, DataError> {
        match given {
            Some(n) => names
                .iter()
                .position(|h| *h == n.to_ascii_lowercase())
                .map(Some)
                .ok_or_else(|| DataError::new(format!("the {role} column `{n}` is not in the file ({listing})"))),
            None => Ok(defaults.iter().find_map(|d| names.iter().position(|h| h == d))),
        }
    };
    let need = |given: &Option<String>, role: &str, defaults: &[&str]| -> Result<usize, DataError> {
        find(given, role, defaults)?.ok_or_else(|| {
            DataError::new(format!("no {role} column in the file ({listing})"))
                .hint(format!("name it with columns.{role}"))
        })
    };
    const TIME: &[&str] = &["ts_event", "timestamp", "ts_trade_ms", "ts_event_ms", "datetime", "time", "date", "ts"];
    const RECV: &[&str] = &["ts_recv", "ts_recv_ns", "local_timestamp"];
    Ok(match content {
        ParquetContent::Bars(c) => Layout::Bars {
            ts: need(&c.timestamp, "timestamp", TIME)?,
            open: need(&c.open, "open", &["open", "o"])?,
            high: need(&c.high, "high", &["high", "h"])?,
            low: need(&c.low, "low", &["low", "l"])?,
            close: need(&c.close, "close", &["close", "c"])?,
            volume: find(&c.volume, "volume", &["volume", "vol", "v"])?,
        },
        ParquetContent::Trades(c) => Layout::Trades {
            ts: need(&c.timestamp, "timestamp", TIME)?,
            recv: find(&c.recv_timestamp, "recv_timestamp", RECV)?,
            price: need(&c.price, "price", &["price", "px"])?,
            size: need(&c.size, "size", &["quantity", "qty", "size", "amount", "volume"])?,
            side: find(&c.side, "side", &["side", "aggressor_side"])?,
            buyer_maker: find(&c.buyer_maker, "buyer_maker", &["buyer_maker", "is_buyer_maker"])?,
        },
        ParquetContent::Quotes(c) => Layout::Quotes {
            ts: need(&c.timestamp, "timestamp", TIME)?,
            recv: find(&c.recv_timestamp, "recv_timestamp", RECV)?,
            bid: need(&c.bid, "bid", &["bid", "bid_px", "bid_price"])?,
            ask: need(&c.ask, "ask", &["ask", "ask_px", "ask_price"])?,
            bid_size: find(&c.bid_size, "bid_size", &["bid_size", "bid_qty", "bid_amount"])?,
            ask_size: find(&c.ask_size, "ask_size", &["ask_size", "ask_qty", "ask_amount"])?,
        },
    })
}

/// Runs a call into the parquet crate, turning a panic into its message.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the decoder failed".into())
    })
}
