//! Rebuilding a book from Binance messages.
//!
//! [`BookFeed`] is the piece the live adapter and capture replays share: it
//! routes each parsed message to a [`SyncedBook`] (diffs and snapshots) and
//! checks the book against every book ticker that names the same update id
//! — an independent statement by the exchange of what the top of the book
//! is at that moment.

use std::path::Path;

use pyrt_book::{DiffOutcome, L2Book, SyncError, SyncedBook};
use pyrt_model::UnixNanos;

use crate::Market;
use crate::capture::{CaptureError, CaptureReader};
use crate::stream::{BookTicker, MessageError, StreamMessage, parse};

/// What one message did to the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEvent {
    Book(DiffOutcome),
    /// A snapshot was loaded and this many buffered diffs applied.
    Snapshot(usize),
    /// The book lost sync; the caller fetches a new snapshot.
    Gap(SyncError),
    /// A book ticker: whether it could be checked and agreed.
    Ticker(TickerCheck),
    Trade,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickerCheck {
    /// The ticker's update id is not the book's: nothing to compare.
    Unchecked,
    Agrees,
    /// Book and ticker disagree at the same update id.
    Disagrees {
        ticker: BookTicker,
    },
}

/// Counts over a feed's life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedStats {
    pub messages: u64,
    pub diffs: u64,
    pub level_changes: u64,
    pub snapshots: u64,
    pub trades: u64,
    pub tickers: u64,
    pub tickers_checked: u64,
    pub ticker_mismatches: u64,
    pub gaps: u64,
    /// Diffs after which the book was crossed.
    pub crossed: u64,
}

/// A book maintained from Binance messages.
pub struct BookFeed {
    book: SyncedBook,
    stats: FeedStats,
}

impl BookFeed {
    pub fn new(market: Market) -> Self {
        Self::with_book(market, L2Book::new())
    }

    /// A feed keeping `book` (e.g. [`L2Book::with_tick`]) in sync.
    pub fn with_book(market: Market, book: L2Book) -> Self {
        Self { book: SyncedBook::with_book(market.continuity(), book), stats: FeedStats::default() }
    }

    pub fn book(&self) -> &SyncedBook {
        &self.book
    }

    pub fn stats(&self) -> FeedStats {
        self.stats
    }

    /// Applies one parsed message.
    pub fn on_message(&mut self, msg: &StreamMessage) -> Result<FeedEvent, SyncError> {
        self.stats.messages += 1;
        Ok(match msg {
            StreamMessage::Depth(d) => {
                self.stats.diffs += 1;
                self.stats.level_changes += (d.bids.len() + d.asks.len()) as u64;
                let diff = pyrt_book::Diff { ids: d.ids, bids: &d.bids, asks: &d.asks };
                match self.book.on_diff(diff) {
                    Ok(outcome) => {
                        if outcome == DiffOutcome::Applied && self.book.book().is_crossed() {
                            self.stats.crossed += 1;
                        }
                        FeedEvent::Book(outcome)
                    }
                    Err(gap @ SyncError::Gap { .. }) => {
                        self.stats.gaps += 1;
                        FeedEvent::Gap(gap)
                    }
                    Err(e) => return Err(e),
                }
            }
            StreamMessage::Snapshot(s) => {
                self.stats.snapshots += 1;
                FeedEvent::Snapshot(self.book.on_snapshot(s.last_update_id, &s.bids, &s.asks)?)
            }
            StreamMessage::BookTicker { ticker, .. } => {
                self.stats.tickers += 1;
                let check = self.check_ticker(ticker);
                match check {
                    TickerCheck::Unchecked => {}
                    TickerCheck::Agrees => self.stats.tickers_checked += 1,
                    TickerCheck::Disagrees { .. } => {
                        self.stats.tickers_checked += 1;
                        self.stats.ticker_mismatches += 1;
                    }
                }
                FeedEvent::Ticker(check)
            }
            StreamMessage::Trade { .. } => {
                self.stats.trades += 1;
                FeedEvent::Trade
            }
            _ => FeedEvent::Other,
        })
    }

    fn check_ticker(&self, t: &BookTicker) -> TickerCheck {
        if self.book.update_id() != Some(t.update_id) {
            return TickerCheck::Unchecked;
        }
        let book = self.book.book();
        let top = |l: Option<pyrt_book::Level>| l.map(|l| (l.price, l.qty));
        if top(book.best_bid()) == Some((t.bid, t.bid_qty)) && top(book.best_ask()) == Some((t.ask, t.ask_qty)) {
            TickerCheck::Agrees
        } else {
            TickerCheck::Disagrees { ticker: *t }
        }
    }
}

/// Why a replay stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("{path}:{line}: {source}")]
    Message {
        path: String,
        line: usize,
        #[source]
        source: MessageError,
    },
    #[error("{path}:{line}: {source}")]
    Sync {
        path: String,
        line: usize,
        #[source]
        source: SyncError,
    },
}

/// One recorded message, parsed.
#[derive(Debug, Clone)]
pub struct RecordedMessage {
    pub line: usize,
    pub ts_recv: UnixNanos,
    pub message: StreamMessage,
}

/// The next message of a capture, parsed; a bad line or message is an
/// error naming the file and line.
pub fn next_message(reader: &mut CaptureReader) -> Option<Result<RecordedMessage, ReplayError>> {
    let record = match reader.next_record()? {
        Ok(r) => r,
        Err(e) => return Some(Err(e.into())),
    };
    let (line, ts_recv) = (record.line, record.ts_recv);
    Some(match parse(record.message) {
        Ok(message) => Ok(RecordedMessage { line, ts_recv, message }),
        Err(source) => Err(ReplayError::Message { path: reader.path().display().to_string(), line, source }),
    })
}

/// Replays capture files in order through one feed (a later file continues
/// the earlier one's book), calling `visit` after each message.
pub fn replay_files(
    paths: &[&Path],
    market: Market,
    mut visit: impl FnMut(UnixNanos, &StreamMessage, &FeedEvent, &BookFeed),
) -> Result<BookFeed, ReplayError> {
    let mut feed = BookFeed::new(market);
    for path in paths {
        let mut reader = CaptureReader::open(path)?;
        while let Some(recorded) = next_message(&mut reader) {
            let RecordedMessage { line, ts_recv, message } = recorded?;
            let event = feed.on_message(&message).map_err(|source| ReplayError::Sync {
                path: path.display().to_string(),
                line,
                source,
            })?;
            visit(ts_recv, &message, &event, &feed);
        }
    }
    Ok(feed)
}
