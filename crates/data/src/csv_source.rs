//! The row machinery every CSV reader shares: opening (gzip or not),
//! headers, line numbers, time-order checks and the skip policy. Readers
//! only say how one row becomes an event.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use pyrt_model::{Price, Quantity, UnixNanos, ValueError};

use crate::error::DataError;
use crate::timestamp::parse_timestamp;
use crate::validate::describe_value;

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

/// Errors kept from skipped rows (the count is exact beyond this).
const MAX_KEPT_SKIPS: usize = 100;

/// The longest line read. Bar and tick rows are under a hundred bytes; a
/// longer line is not data (`/dev/zero`, a binary file, a file without
/// line breaks), and reading it whole would grow memory without bound.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A reader that fails once a line grows past [`MAX_LINE_BYTES`], naming
/// the line, so the CSV parser never buffers an endless one.
struct LineLimit<R> {
    inner: R,
    /// Bytes since the last line break.
    run: usize,
    /// Line breaks seen so far.
    lines: u64,
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        let breaks = chunk.iter().filter(|&&b| b == b'\n').count();
        match chunk.iter().rposition(|&b| b == b'\n') {
            Some(last) => {
                self.lines += breaks as u64;
                self.run = n - last - 1;
            }
            None => self.run += n,
        }
        // Lines that ended inside this chunk were checked by `run` before
        // it reset, except one wholly inside a chunk, which is shorter
        // than the chunk (at most 64 KiB).
        if self.run > MAX_LINE_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "line {} is longer than {} bytes: this is not a bar or tick file (or its lines do not end)",
                    self.lines + 1,
                    MAX_LINE_BYTES
                ),
            ));
        }
        Ok(n)
    }
}

/// A CSV file read one row at a time.
pub(crate) struct CsvSource {
    path: PathBuf,
    reader: csv::Reader<Box<dyn Read + Send>>,
    record: csv::StringRecord,
    headers: Vec<String>,
    lower: Vec<String>,
    pending: Option<csv::StringRecord>,
    on_invalid: OnInvalid,
    allow_equal_timestamps: bool,
    last: Option<(UnixNanos, u64)>,
    skipped: Vec<DataError>,
    skipped_count: u64,
    done: bool,
}

/// One row, as a reader's parse function sees it.
pub(crate) struct Row<'a> {
    source: &'a CsvSource,
    line: u64,
}

/// Opens a file, decompressing `.gz` transparently.
fn open_maybe_gz(path: &Path) -> Result<Box<dyn Read + Send>, DataError> {
    let file = File::open(path).map_err(|e| {
        DataError::new(format!("cannot open: {e}"))
            .in_file(path)
            .hint("check the path; it is relative to the working directory")
    })?;
    let reader = BufReader::with_capacity(1 << 16, file);
    let limited = |inner: Box<dyn Read + Send>| Box::new(LineLimit { inner, run: 0, lines: 0 });
    Ok(if path.extension().is_some_and(|e| e == "gz") {
        limited(Box::new(MultiGzDecoder::new(reader)))
    } else {
        limited(Box::new(reader))
    })
}

impl CsvSource {
    /// Opens `path`. `headers`: names for a file without a header line.
    /// `fix_headers` may rename or insert columns after seeing the first row.
    pub(crate) fn open(
        path: &Path,
        headers: Option<&[String]>,
        on_invalid: OnInvalid,
        allow_equal_timestamps: bool,
        fix_headers: impl FnOnce(&mut Vec<String>, &csv::StringRecord),
    ) -> Result<Self, DataError> {
        let input = open_maybe_gz(path)?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(headers.is_none())
            .trim(csv::Trim::All)
            .from_reader(input);
        let mut names: Vec<String> = match headers {
            Some(h) => h.to_vec(),
            None => reader
                .headers()
                .map_err(|e| DataError::new(format!("cannot read the header: {e}")).in_file(path))?
                .iter()
                .map(str::to_string)
                .collect(),
        };
        if names.iter().all(|h| h.is_empty()) {
            return Err(DataError::new("the file is empty; expected a header line").in_file(path));
        }
        let mut first = csv::StringRecord::new();
        let has_first = reader.read_record(&mut first).map_err(|e| csv_error(path, e))?;
        if has_first {
            fix_headers(&mut names, &first);
        }
        let lower = names.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            record: csv::StringRecord::new(),
            headers: names,
            lower,
            pending: has_first.then_some(first),
            on_invalid,
            allow_equal_timestamps,
            last: None,
            skipped: Vec::new(),
            skipped_count: 0,
            done: false,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The header for a message: cut short when it is long (a file that
    /// is not CSV has one "column" of everything before the first comma).
    fn header_text(&self) -> String {
        pyrt_model::decimal::excerpt(&self.headers.join(","))
    }

    /// The index of the column named `name` (given by the user, so it must
    /// exist), or of the first of `defaults` present.
    pub(crate) fn column(&self, name: Option<&str>, role: &str, defaults: &[&str]) -> Result<Option<usize>, DataError> {
        match name {
            Some(n) => self.lower.iter().position(|h| *h == n.to_ascii_lowercase()).map(Some).ok_or_else(|| {
                DataError::new(format!("the {role} column `{n}` is not in the header ({})", self.header_text()))
                    .in_file(&self.path)
            }),
            None => Ok(defaults.iter().find_map(|d| self.lower.iter().position(|h| h == d))),
        }
    }

    /// Like [`CsvSource::column`], for a column the reader cannot do without.
    pub(crate) fn required(&self, name: Option<&str>, role: &str, defaults: &[&str]) -> Result<usize, DataError> {
        self.column(name, role, defaults)?.ok_or_else(|| {
            DataError::new(format!("no {role} column in the header ({})", self.header_text()))
                .in_file(&self.path)
                .hint(format!("name it with columns.{role}"))
        })
    }

    pub(crate) fn skipped(&self) -> (u64, &[DataError]) {
        (self.skipped_count, &self.skipped)
    }

    /// The next row that `parse` turns into `(timestamp, value)`, with the
    /// field count and the time order (of column `ts_column`) checked.
    /// `None` at the end.
    pub(crate) fn next_row<T>(
        &mut self,
        ts_column: usize,
        mut parse: impl FnMut(&Row) -> Result<(UnixNanos, T), DataError>,
    ) -> Option<Result<T, DataError>> {
        loop {
            if self.done {
                return None;
            }
            let line = match self.pending.take() {
                Some(rec) => {
                    self.record = rec;
                    self.record.position().map_or(1, |p| p.line())
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
            if self.record.iter().all(str::is_empty) {
                continue; // blank line
            }
            let row = Row { source: self, line };
            let result = row.check_width().and_then(|()| parse(&row)).and_then(|(ts, v)| {
                row.check_order(ts, ts_column)?;
                Ok((ts, v))
            });
            match result {
                Ok((ts, value)) => {
                    self.last = Some((ts, line));
                    return Some(Ok(value));
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
}

impl Row<'_> {
    /// An error located at this row, and at column `i` when given.
    pub(crate) fn error(&self, column: Option<usize>, message: impl Into<String>) -> DataError {
        let e = DataError::new(message).in_file(&self.source.path).at_line(self.line);
        match column {
            Some(i) => e.in_field(pyrt_model::decimal::excerpt(&self.source.headers[i])),
            None => e,
        }
    }

    pub(crate) fn text(&self, i: usize) -> &str {
        self.source.record.get(i).unwrap_or("")
    }

    pub(crate) fn timestamp(&self, i: usize) -> Result<UnixNanos, DataError> {
        parse_timestamp(self.text(i)).map_err(|m| self.error(Some(i), m))
    }

    /// A timestamp split over a date and a clock-time column.
    pub(crate) fn date_time(&self, date: usize, time: usize) -> Result<UnixNanos, DataError> {
        parse_timestamp(&format!("{} {}", self.text(date), self.text(time))).map_err(|m| self.error(Some(date), m))
    }

    /// A price that must be greater than zero.
    pub(crate) fn price(&self, i: usize) -> Result<Price, DataError> {
        let p: Price = self.text(i).parse().map_err(|e: ValueError| self.error(Some(i), describe_value(&e)))?;
        if !p.is_positive() {
            return Err(self.error(Some(i), format!("price {p} must be greater than zero")));
        }
        Ok(p)
    }

    /// A quantity that must not be negative.
    pub(crate) fn quantity(&self, i: usize, what: &str) -> Result<Quantity, DataError> {
        let q: Quantity = self.text(i).parse().map_err(|e: ValueError| self.error(Some(i), describe_value(&e)))?;
        if q.is_negative() {
            return Err(self.error(Some(i), format!("{what} {q} must not be negative")));
        }
        Ok(q)
    }

    fn check_width(&self) -> Result<(), DataError> {
        let (want, got) = (self.source.headers.len(), self.source.record.len());
        if got != want {
            return Err(self
                .error(None, format!("expected {want} fields, found {got}"))
                .hint(format!("the header has {want} columns: {}", self.source.header_text())));
        }
        Ok(())
    }

    fn check_order(&self, ts: UnixNanos, column: usize) -> Result<(), DataError> {
        let Some((prev, prev_line)) = self.source.last else { return Ok(()) };
        let text = pyrt_model::decimal::excerpt(self.text(column));
        if ts == prev && !self.source.allow_equal_timestamps {
            return Err(self.error(Some(column), format!("duplicate timestamp `{text}` (same as line {prev_line})")).hint(
                "remove the duplicate row, skip it with on_invalid = \"skip\", or allow equal timestamps for tick data",
            ));
        }
        if ts < prev {
            return Err(self
                .error(Some(column), format!("timestamp `{text}` is earlier than line {prev_line}"))
                .hint("rows must be sorted by time, oldest first"));
        }
        Ok(())
    }
}

fn csv_error(path: &Path, e: csv::Error) -> DataError {
    let line = e.position().map(|p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        _ => format!("malformed CSV: {e}"),
    };
    let err = DataError::new(message).in_file(path);
    match line {
        Some(l) => err.at_line(l),
        None => err,
    }
}
