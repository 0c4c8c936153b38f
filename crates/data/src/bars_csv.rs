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

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use pyrt_model::{Bar, InstrumentId, MarketEvent, Price, Quantity, UnixNanos, ValueError};

use crate::error::DataError;
use crate::timestamp::parse_timestamp;

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
    /// e.g. `"Adj Close"` to trade on adjusted prices.
    pub close: Option<String>,
    pub volume: Option<String>,
}

/// What to do with a row that fails validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnInvalid {
    /// Stop with an error (the default: nothing is silently lost).
    #[default]
    Fail,
    /// Skip the row; the reader counts and keeps the errors.
    Skip,
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
    volume: Option<usize>,
    fields: usize,
}

/// Streams bars out of a CSV file (optionally gzip-compressed).
pub struct BarCsvReader {
    path: PathBuf,
    reader: csv::Reader<Box<dyn Read + Send>>,
    record: csv::StringRecord,
    headers: Vec<String>,
    layout: Layout,
    instrument: InstrumentId,
    on_invalid: OnInvalid,
    allow_equal_timestamps: bool,
    last: Option<(UnixNanos, u64)>,
    skipped: Vec<DataError>,
    skipped_count: u64,
    pending: Option<csv::StringRecord>,
    done: bool,
}

/// Errors kept from skipped rows (the count is exact beyond this).
const MAX_KEPT_SKIPS: usize = 100;

/// Opens a file, decompressing `.gz` transparently.
pub(crate) fn open_maybe_gz(path: &Path) -> Result<Box<dyn Read + Send>, DataError> {
    let file = File::open(path).map_err(|e| {
        DataError::new(format!("cannot open: {e}"))
            .in_file(path)
            .hint("check the path; it is relative to the working directory")
    })?;
    let reader = BufReader::with_capacity(1 << 16, file);
    Ok(if path.extension().is_some_and(|e| e == "gz") {
        Box::new(MultiGzDecoder::new(reader))
    } else {
        Box::new(reader)
    })
}

impl BarCsvReader {
    pub fn open(path: impl AsRef<Path>, options: BarCsvOptions) -> Result<Self, DataError> {
        let path = path.as_ref().to_path_buf();
        let input = open_maybe_gz(&path)?;
        let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(input);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| DataError::new(format!("cannot read the header: {e}")).in_file(&path))?
            .iter()
            .map(|h| h.to_string())
            .collect();
        if headers.iter().all(|h| h.is_empty()) {
            return Err(DataError::new("the file is empty; expected a header line").in_file(&path));
        }
        // Peek at the first row for the Date/Time quirk.
        let mut first = csv::StringRecord::new();
        let has_first = reader.read_record(&mut first).map_err(|e| csv_error(&path, e))?;
        let mut names = headers.clone();
        let lower: Vec<String> = headers.iter().map(|h| h.to_ascii_lowercase()).collect();
        if has_first
            && first.len() == headers.len() + 1
            && lower.first().is_some_and(|h| h == "date")
            && !lower.iter().any(|h| h == "time")
            && first.get(1).is_some_and(|f| f.len() >= 5 && f.as_bytes()[2] == b':')
        {
            names.insert(1, "Time".to_string());
        }
        let layout = resolve_layout(&names, &options.columns).map_err(|e| e.in_file(&path))?;
        Ok(Self {
            path,
            reader,
            record: csv::StringRecord::new(),
            headers: names,
            layout,
            instrument: options.instrument,
            on_invalid: options.on_invalid,
            allow_equal_timestamps: options.allow_equal_timestamps,
            last: None,
            skipped: Vec::new(),
            skipped_count: 0,
            pending: has_first.then_some(first),
            done: false,
        })
    }

    /// Rows skipped under [`OnInvalid::Skip`], and the first of their errors.
    pub fn skipped(&self) -> (u64, &[DataError]) {
        (self.skipped_count, &self.skipped)
    }

    pub fn path(&self) -> &Path {
        &self.path
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
        loop {
            if self.done {
                return None;
            }
            let line = match self.pending.take() {
                Some(rec) => {
                    self.record = rec;
                    self.record.position().map_or(2, |p| p.line())
                }
                None => match self.reader.read_record(&mut self.record) {
                    Ok(true) => self.record.position().map_or(0, |p| p.line()),
                    Ok(false) => {
                        self.done = true;
                        return None;
                    }
                    Err(e) => {
                        self.done = true;
                        return Some(Err(csv_error(&self.path, e)));
                    }
                },
            };
            if self.record.iter().all(|f| f.is_empty()) {
                continue; // blank line
            }
            match self.parse_row(line) {
                Ok(bar) => {
                    self.last = Some((bar.ts_event, line));
                    return Some(Ok(bar));
                }
                Err(e) if self.on_invalid == OnInvalid::Skip => {
                    self.skipped_count += 1;
                    if self.skipped.len() < MAX_KEPT_SKIPS {
                        self.skipped.push(e);
                    }
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }

    fn parse_row(&self, line: u64) -> Result<Bar, DataError> {
        let err = |field: Option<usize>, message: String| {
            let e = DataError::new(message).in_file(&self.path).at_line(line);
            match field {
                Some(i) => e.in_field(self.headers[i].clone()),
                None => e,
            }
        };
        let l = &self.layout;
        if self.record.len() != l.fields {
            return Err(err(None, format!("expected {} fields, found {}", l.fields, self.record.len())).hint(format!(
                "the header has {} columns: {}",
                l.fields,
                self.headers.join(",")
            )));
        }
        let field = |i: usize| self.record.get(i).unwrap_or("");
        let ts_text;
        let ts_str = match l.time {
            Some(t) => {
                ts_text = format!("{} {}", field(l.date), field(t));
                ts_text.as_str()
            }
            None => field(l.date),
        };
        let ts = parse_timestamp(ts_str).map_err(|m| err(Some(l.date), m))?;
        let price = |i: usize| -> Result<Price, DataError> {
            let p: Price = field(i).parse().map_err(|e: ValueError| err(Some(i), describe(&e)))?;
            if !p.is_positive() {
                return Err(err(Some(i), format!("price {p} must be greater than zero")));
            }
            Ok(p)
        };
        let (open, high, low, close) = (price(l.open)?, price(l.high)?, price(l.low)?, price(l.close)?);
        if high < low {
            return Err(err(Some(l.high), format!("high {high} is below low {low}")));
        }
        for (name_i, v) in [(l.open, open), (l.close, close)] {
            if v > high || v < low {
                return Err(err(Some(name_i), format!("{v} is outside the bar's range [{low}, {high}]")));
            }
        }
        let volume = match l.volume {
            Some(i) => {
                let v: Quantity = field(i).parse().map_err(|e: ValueError| err(Some(i), describe(&e)))?;
                if v.is_negative() {
                    return Err(err(Some(i), format!("volume {v} must not be negative")));
                }
                v
            }
            None => Quantity::ZERO,
        };
        if let Some((prev, prev_line)) = self.last {
            if ts == prev && !self.allow_equal_timestamps {
                return Err(err(Some(l.date), format!("duplicate timestamp `{ts_str}` (same as line {prev_line})"))
                    .hint("remove the duplicate row, skip it with on_invalid = \"skip\", or allow equal timestamps for tick prints"));
            }
            if ts < prev {
                return Err(err(Some(l.date), format!("timestamp `{ts_str}` is earlier than line {prev_line}"))
                    .hint("rows must be sorted by time, oldest first"));
            }
        }
        Ok(Bar { instrument: self.instrument, ts_event: ts, ts_recv: ts, open, high, low, close, volume })
    }
}

impl Iterator for BarCsvReader {
    type Item = Result<MarketEvent, DataError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_bar().map(|r| r.map(MarketEvent::Bar))
    }
}

fn describe(e: &ValueError) -> String {
    match e {
        ValueError::Empty => "empty value where a number is required".into(),
        ValueError::NaN => "NaN is not a valid price or volume".into(),
        ValueError::Infinite => "infinite values are not allowed".into(),
        other => other.to_string(),
    }
}

fn csv_error(path: &Path, e: csv::Error) -> DataError {
    let line = e.position().map(|p| p.line());
    let err = DataError::new(format!("malformed CSV: {e}")).in_file(path);
    match line {
        Some(l) => err.at_line(l),
        None => err,
    }
}

fn resolve_layout(headers: &[String], columns: &BarColumns) -> Result<Layout, DataError> {
    let lower: Vec<String> = headers.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    let find = |names: &[&str]| names.iter().find_map(|n| lower.iter().position(|h| h == n));
    let named = |name: &Option<String>, role: &str, defaults: &[&str]| -> Result<Option<usize>, DataError> {
        match name {
            Some(n) => lower.iter().position(|h| *h == n.to_ascii_lowercase()).map(Some).ok_or_else(|| {
                DataError::new(format!("the {role} column `{n}` is not in the header ({})", headers.join(",")))
            }),
            None => Ok(find(defaults)),
        }
    };
    let required = |i: Option<usize>, role: &str, hint: &str| {
        i.ok_or_else(|| {
            DataError::new(format!("no {role} column in the header ({})", headers.join(",")))
                .hint(format!("name it with {hint}"))
        })
    };
    let (date, time) = match (&columns.timestamp, &columns.time) {
        (None, None) if find(&["date"]).is_some() && find(&["time"]).is_some() => (find(&["date"]), find(&["time"])),
        (ts, time) => (
            named(
                ts,
                "timestamp",
                &["datetime", "timestamp", "timestamp_utc", "date", "time", "ts", "ts_event", "open_time"],
            )?,
            match time {
                Some(_) => named(time, "time", &[])?,
                None => None,
            },
        ),
    };
    Ok(Layout {
        date: required(date, "timestamp", "columns.timestamp")?,
        time,
        open: required(named(&columns.open, "open", &["open", "o"])?, "open", "columns.open")?,
        high: required(named(&columns.high, "high", &["high", "h"])?, "high", "columns.high")?,
        low: required(named(&columns.low, "low", &["low", "l"])?, "low", "columns.low")?,
        close: required(named(&columns.close, "close", &["close", "c"])?, "close", "columns.close")?,
        volume: named(&columns.volume, "volume", &["volume", "vol", "v"])?,
        fields: headers.len(),
    })
}
