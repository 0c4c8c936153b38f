//! OHLCV bars from CSV, streamed row by row.
//!
//! Columns are found by header name (case-insensitive) unless a
//! [`BarColumns`] mapping names them: the time is `Date`+`Time` when both
//! exist, else the first of `datetime`, `timestamp`, `timestamp_utc`,
//! `date`, `time`, `ts`, `ts_event`, `open_time`; prices are `open`,
//! `high`, `low`, `close` (or `o`/`h`/`l`/`c`); volume is optional
//! (`volume`, `vol`, `v`). That covers Yahoo's
//! `Date,Open,High,Low,Close,Adj Close,Volume`, backtrader's layouts, and
//! the `timestamp,open,high,low,close[,volume]` files in `shared/data`.
//!
//! One quirk is handled on purpose: a header naming `Date` but no `Time`
//! over rows with exactly one extra field whose second field is a clock
//! time (backtrader's `2006-01-02-volume-min-001.txt`) is read as
//! `Date,Time,...`.
//!
//! Every row is validated: numbers parse exactly, prices are positive,
//! `low <= open, close <= high`, volume is not negative, and timestamps
//! strictly increase. The first bad row stops the read with a [`DataError`]
//! naming the file, line and field (or, with [`OnInvalid::Skip`], is
//! counted and skipped). The reader holds one row at a time, so memory
//! does not grow with the file.

use std::path::Path;

use pyrt_model::{Bar, InstrumentId, MarketEvent, Price, Quantity};

use crate::csv_source::{CsvSource, OnInvalid};
use crate::error::DataError;
use crate::validate::{BarField, check_bar};

/// Explicit column names, for files whose headers are not recognised.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BarColumns {
    /// The timestamp column, or the date column when `time` is set.
    pub timestamp: Option<String>,
    /// A separate clock-time column.
    pub time: Option<String>,
    pub open: Option<String>,
    pub high: Option<String>,
    pub low: Option<String>,
    /// e.g. `"Adj Close"` to trade on adjusted prices: when this names a
    /// column other than the file's own `close`, that is an adjusted close,
    /// and open, high and low are scaled by adjusted / raw close on each
    /// row (Yahoo's adjustment for splits and dividends), so the bar keeps
    /// its shape and stays inside its range.
    pub close: Option<String>,
    pub volume: Option<String>,
}

/// How to read a bar file.
#[derive(Debug, Clone, Default)]
pub struct BarCsvOptions {
    pub instrument: InstrumentId,
    pub columns: BarColumns,
    pub on_invalid: OnInvalid,
    /// Accept rows with the same timestamp as the previous one (tick prints
    /// stored as bars); bars proper must strictly increase.
    pub allow_equal_timestamps: bool,
}

#[derive(Debug, Clone, Copy)]
struct Layout {
    date: usize,
    time: Option<usize>,
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    /// The raw close when `close` is an adjusted close (see [`BarColumns::close`]).
    raw_close: Option<usize>,
    volume: Option<usize>,
}

/// Streams bars out of a CSV file (optionally gzip-compressed).
pub struct BarCsvReader {
    source: CsvSource,
    layout: Layout,
    instrument: InstrumentId,
}

const TIME_COLUMNS: &[&str] =
    &["datetime", "timestamp", "timestamp_utc", "date", "time", "ts", "ts_event", "open_time"];

impl BarCsvReader {
    pub fn open(path: impl AsRef<Path>, options: BarCsvOptions) -> Result<Self, DataError> {
        let source = CsvSource::open(
            path.as_ref(),
            None,
            options.on_invalid,
            options.allow_equal_timestamps,
            |names, first| {
                let lower: Vec<String> = names.iter().map(|h| h.to_ascii_lowercase()).collect();
                if first.len() == names.len() + 1
                    && lower.first().is_some_and(|h| h == "date")
                    && !lower.iter().any(|h| h == "time")
                    && first.get(1).is_some_and(|f| f.len() >= 5 && f.as_bytes()[2] == b':')
                {
                    names.insert(1, "Time".to_string());
                }
            },
        )?;
        let c = &options.columns;
        let both = source.column(None, "", &["date"])?.zip(source.column(None, "", &["time"])?);
        let (date, time) = match (&c.timestamp, &c.time, both) {
            (None, None, Some((d, t))) => (d, Some(t)),
            (ts, time, _) => (
                source.required(ts.as_deref(), "timestamp", TIME_COLUMNS)?,
                match time {
                    Some(t) => Some(source.required(Some(t), "time", &[])?),
                    None => None,
                },
            ),
        };
        let close = source.required(c.close.as_deref(), "close", &["close", "c"])?;
        let raw_close = match c.close {
            Some(_) => source.column(None, "close", &["close", "c"])?.filter(|raw| *raw != close),
            None => None,
        };
        let layout = Layout {
            date,
            time,
            open: source.required(c.open.as_deref(), "open", &["open", "o"])?,
            high: source.required(c.high.as_deref(), "high", &["high", "h"])?,
            low: source.required(c.low.as_deref(), "low", &["low", "l"])?,
            close,
            raw_close,
            volume: source.column(c.volume.as_deref(), "volume", &["volume", "vol", "v"])?,
        };
        Ok(Self { source, layout, instrument: options.instrument })
    }

    /// Rows skipped under [`OnInvalid::Skip`], and the first of their errors.
    pub fn skipped(&self) -> (u64, &[DataError]) {
        self.source.skipped()
    }

    pub fn path(&self) -> &Path {
        self.source.path()
    }

    /// Reads up to `max` bars into `out` (cleared first); `Ok(0)` at the end.
    pub fn next_chunk(&mut self, out: &mut Vec<Bar>, max: usize) -> Result<usize, DataError> {
        out.clear();
        while out.len() < max {
            match self.next_bar() {
                Some(Ok(bar)) => out.push(bar),
                Some(Err(e)) => return Err(e),
                None => break,
            }
        }
        Ok(out.len())
    }

    /// The next valid bar, an error, or `None` at the end of the file.
    pub fn next_bar(&mut self) -> Option<Result<Bar, DataError>> {
        let l = self.layout;
        let instrument = self.instrument;
        self.source.next_row(l.date, |row| {
            let ts = match l.time {
                Some(t) => row.date_time(l.date, t)?,
                None => row.timestamp(l.date)?,
            };
            let (mut open, mut high, mut low, close) =
                (row.price(l.open)?, row.price(l.high)?, row.price(l.low)?, row.price(l.close)?);
            if let Some(raw) = l.raw_close {
                let raw_close = row.price(raw)?; // refuses zero and below, so the ratio exists
                let adjust = |p: Price| {
                    let scaled = pyrt_model::fixed::div_round_half_even(
                        p.raw() as i128 * close.raw() as i128,
                        raw_close.raw() as i128,
                    );
                    i64::try_from(scaled).map(Price::from_raw).map_err(|_| {
                        row.error(
                            Some(l.close),
                            "the adjusted bar is beyond the largest price (adjusted / raw close too large)",
                        )
                    })
                };
                (open, high, low) = (adjust(open)?, adjust(high)?, adjust(low)?);
            }
            check_bar(open, high, low, close).map_err(|(field, message)| {
                let column = match field {
                    BarField::Open => l.open,
                    BarField::High => l.high,
                    BarField::Close => l.close,
                };
                row.error(Some(column), message)
            })?;
            let volume = match l.volume {
                Some(i) => row.quantity(i, "volume")?,
                None => Quantity::ZERO,
            };
            Ok((ts, Bar { instrument, ts_event: ts, ts_recv: ts, open, high, low, close, volume }))
        })
    }
}

impl Iterator for BarCsvReader {
    type Item = Result<MarketEvent, DataError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_bar().map(|r| r.map(MarketEvent::Bar))
    }
}
