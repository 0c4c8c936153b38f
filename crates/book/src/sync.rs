//! Keeping an L2 book in step with a venue's diff stream.
//!
//! Venues publish a REST snapshot (tagged with the last update id it
//! contains) and a stream of diffs, each covering a range of update ids.
//! The book is only right if every diff after the snapshot is applied and
//! none is missed. [`SyncedBook`] implements Binance's documented procedure,
//! which fits any venue with ranged update ids:
//!
//! 1. Until a snapshot arrives, diffs are buffered.
//! 2. A snapshot older than the first buffered diff cannot be joined to
//!    the stream ([`SyncError::SnapshotTooOld`]): fetch another.
//! 3. Otherwise the book becomes the snapshot, buffered diffs the snapshot
//!    already contains are dropped, and the rest are applied.
//! 4. From then on each diff must continue from the last applied one. A diff
//!    that starts after the next expected id means updates were lost
//!    ([`SyncError::Gap`]): the book is thrown away and the procedure starts
//!    again at step 1, with that diff as the first buffered one.
//!
//! "Continue" depends on how the venue chains ids ([`Continuity`]): Binance
//! Spot numbers updates contiguously (`U` = previous `u` + 1), Binance
//! futures name the previous message's last id (`pu`). Either way a diff
//! covers the ids after `prev_last` up to `last`, and it applies on top of a
//! book at id `X` when `prev_last <= X < last`. Diff levels carry absolute
//! sizes, so re-applying an id the snapshot already holds is harmless.

use std::collections::VecDeque;

use pyrt_model::{Price, Quantity, Side};

use crate::BookError;
use crate::l2::L2Book;

/// How a venue links one diff message to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuity {
    /// First id = previous last id + 1 (Binance Spot `U`/`u`).
    Contiguous,
    /// The message carries the previous message's last id (Binance
    /// futures `pu`).
    Chained,
}

/// The update ids a diff message covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateIds {
    /// First update id in the message (`U`).
    pub first: u64,
    /// Last update id in the message (`u`).
    pub last: u64,
    /// The previous message's last id (`pu`), where the venue sends it.
    pub prev_last: Option<u64>,
}

impl UpdateIds {
    /// The id the book must be at for this diff to follow on directly.
    fn follows(&self, continuity: Continuity) -> u64 {
        match (continuity, self.prev_last) {
            (Continuity::Chained, Some(pu)) => pu,
            _ => self.first.saturating_sub(1),
        }
    }
}

/// One diff message: its ids and the levels it sets (size 0 removes).
#[derive(Debug, Clone, Copy)]
pub struct Diff<'a> {
    pub ids: UpdateIds,
    pub bids: &'a [(Price, Quantity)],
    pub asks: &'a [(Price, Quantity)],
}

#[derive(Debug, Clone)]
struct OwnedDiff {
    ids: UpdateIds,
    bids: Vec<(Price, Quantity)>,
    asks: Vec<(Price, Quantity)>,
}

/// Why the book could not take a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error(
        "update gap: the book is at id {book_at} but the next diff follows id {follows} \
         (covers {first}..={last}); the book was discarded: fetch a new snapshot"
    )]
    Gap { book_at: u64, follows: u64, first: u64, last: u64 },
    #[error(
        "snapshot at id {snapshot} is older than the first buffered diff, which follows id {follows}; \
         fetch a newer snapshot"
    )]
    SnapshotTooOld { snapshot: u64, follows: u64 },
    #[error("update {first}..={last}: {source}")]
    BadLevel {
        first: u64,
        last: u64,
        #[source]
        source: BookError,
    },
    #[error("snapshot {snapshot}: {source}")]
    BadSnapshot {
        snapshot: u64,
        #[source]
        source: BookError,
    },
    #[error("diff ids run backwards: first {first} > last {last}")]
    BackwardIds { first: u64, last: u64 },
}

/// What became of a diff that was not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffOutcome {
    /// Applied to the live book.
    Applied,
    /// Held until a snapshot arrives.
    Buffered,
    /// Already contained in the book; ignored.
    Stale,
}

/// Counters for what a [`SyncedBook`] has seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    pub applied: u64,
    pub stale: u64,
    pub buffered: u64,
    pub gaps: u64,
    /// Buffered diffs dropped because the buffer was full.
    pub overflowed: u64,
    pub snapshots: u64,
}

/// An L2 book fed by a snapshot plus diffs, with update-id checks.
#[derive(Debug, Clone)]
pub struct SyncedBook {
    book: L2Book,
    continuity: Continuity,
    /// The last update id in the book; `None` until a snapshot is loaded.
    at: Option<u64>,
    pending: VecDeque<OwnedDiff>,
    max_pending: usize,
    stats: SyncStats,
}

impl SyncedBook {
    /// Diffs held while waiting for a snapshot, by default: a little over
    /// 10 minutes of a 100 ms stream, far longer than a snapshot takes.
    pub const DEFAULT_MAX_PENDING: usize = 8192;

    pub fn new(continuity: Continuity) -> Self {
        Self::with_book(continuity, L2Book::new())
    }

    /// Keeps `book` (for example a tick-indexed [`L2Book::with_tick`]) in
    /// sync; it is cleared first.
    pub fn with_book(continuity: Continuity, mut book: L2Book) -> Self {
        book.clear();
        Self {
            book,
            continuity,
            at: None,
            pending: VecDeque::new(),
            max_pending: Self::DEFAULT_MAX_PENDING,
            stats: SyncStats::default(),
        }
    }

    /// Caps the diffs buffered while waiting for a snapshot; the oldest go
    /// first (a snapshot taken later still joins the newer ones).
    pub fn with_max_pending(mut self, max: usize) -> Self {
        self.max_pending = max.max(1);
        self
    }

    /// The book. Only meaningful while [`is_live`](Self::is_live).
    pub fn book(&self) -> &L2Book {
        &self.book
    }

    /// A snapshot has been joined to the stream and no gap seen since.
    pub fn is_live(&self) -> bool {
        self.at.is_some()
    }

    /// The last update id the book contains.
    pub fn update_id(&self) -> Option<u64> {
        self.at
    }

    pub fn stats(&self) -> SyncStats {
        self.stats
    }

    /// Takes one diff message.
    pub fn on_diff(&mut self, diff: Diff<'_>) -> Result<DiffOutcome, SyncError> {
        let ids = diff.ids;
        if ids.first > ids.last {
            return Err(SyncError::BackwardIds { first: ids.first, last: ids.last });
        }
        let Some(at) = self.at else {
            self.buffer(diff);
            return Ok(DiffOutcome::Buffered);
        };
        if ids.last <= at {
            self.stats.stale += 1;
            return Ok(DiffOutcome::Stale);
        }
        let follows = ids.follows(self.continuity);
        if follows > at {
            self.stats.gaps += 1;
            self.at = None;
            self.book.clear();
            self.pending.clear();
            self.buffer(diff);
            return Err(SyncError::Gap { book_at: at, follows, first: ids.first, last: ids.last });
        }
        self.apply_levels(ids, diff.bids, diff.asks)?;
        self.at = Some(ids.last);
        self.stats.applied += 1;
        Ok(DiffOutcome::Applied)
    }

    /// Takes a snapshot holding every update up to `last_update_id`, then
    /// applies the buffered diffs that follow it. Returns how many were
    /// applied.
    pub fn on_snapshot(
        &mut self,
        last_update_id: u64,
        bids: &[(Price, Quantity)],
        asks: &[(Price, Quantity)],
    ) -> Result<usize, SyncError> {
        self.on_snapshot_with(last_update_id, bids, asks, |_| {})
    }

    /// [`on_snapshot`](Self::on_snapshot), calling `applied` with each
    /// buffered diff that joined the book, in order — for a consumer that
    /// turns the stream into events and must see exactly what the book took.
    pub fn on_snapshot_with(
        &mut self,
        last_update_id: u64,
        bids: &[(Price, Quantity)],
        asks: &[(Price, Quantity)],
        mut applied: impl FnMut(Diff<'_>),
    ) -> Result<usize, SyncError> {
        if let Some(first) = self.pending.front() {
            let follows = first.ids.follows(self.continuity);
            if last_update_id < follows {
                return Err(SyncError::SnapshotTooOld { snapshot: last_update_id, follows });
            }
        }
        self.book.load(bids, asks).map_err(|source| {
            self.book.clear();
            SyncError::BadSnapshot { snapshot: last_update_id, source }
        })?;
        self.at = Some(last_update_id);
        self.stats.snapshots += 1;
        let pending = std::mem::take(&mut self.pending);
        let mut count = 0;
        for d in &pending {
            let diff = Diff { ids: d.ids, bids: &d.bids, asks: &d.asks };
            if self.on_diff(diff)? == DiffOutcome::Applied {
                applied(diff);
                count += 1;
            }
        }
        Ok(count)
    }

    /// Forgets the book and any buffered diffs (a reconnect).
    pub fn reset(&mut self) {
        self.at = None;
        self.book.clear();
        self.pending.clear();
    }

    fn buffer(&mut self, diff: Diff<'_>) {
        if self.pending.len() == self.max_pending {
            self.pending.pop_front();
            self.stats.overflowed += 1;
        }
        self.pending.push_back(OwnedDiff { ids: diff.ids, bids: diff.bids.to_vec(), asks: diff.asks.to_vec() });
        self.stats.buffered += 1;
    }

    fn apply_levels(
        &mut self,
        ids: UpdateIds,
        bids: &[(Price, Quantity)],
        asks: &[(Price, Quantity)],
    ) -> Result<(), SyncError> {
        let bad = |source| SyncError::BadLevel { first: ids.first, last: ids.last, source };
        for &(price, qty) in bids {
            self.book.set(Side::Buy, price, qty).map_err(bad)?;
        }
        for &(price, qty) in asks {
            self.book.set(Side::Sell, price, qty).map_err(bad)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(p: i64, q: i64) -> (Price, Quantity) {
        (Price::from_int(p), Quantity::from_int(q))
    }

    fn spot(first: u64, last: u64) -> UpdateIds {
        UpdateIds { first, last, prev_last: None }
    }

    #[test]
    fn buffers_until_snapshot_then_joins_the_stream() {
        let mut s = SyncedBook::new(Continuity::Contiguous);
        let b1 = [lv(100, 1)];
        let b2 = [lv(100, 2)];
        let a3 = [lv(101, 4)];
        assert_eq!(s.on_diff(Diff { ids: spot(10, 12), bids: &b1, asks: &[] }), Ok(DiffOutcome::Buffered));
        assert_eq!(s.on_diff(Diff { ids: spot(13, 15), bids: &b2, asks: &[] }), Ok(DiffOutcome::Buffered));
        assert_eq!(s.on_diff(Diff { ids: spot(16, 16), bids: &[], asks: &a3 }), Ok(DiffOutcome::Buffered));
        assert!(!s.is_live());
        // The snapshot holds ids up to 14: diff 10..12 is old, 13..15 straddles it.
        let applied = s.on_snapshot(14, &[lv(100, 9), lv(99, 1)], &[lv(101, 1)]).unwrap();
        assert_eq!(applied, 2);
        assert_eq!(s.update_id(), Some(16));
        assert_eq!(s.book().qty_at(Side::Buy, Price::from_int(100)), Quantity::from_int(2));
        assert_eq!(s.book().qty_at(Side::Sell, Price::from_int(101)), Quantity::from_int(4));
        assert_eq!(s.stats().stale, 1);
    }

    #[test]
    fn too_old_snapshot_is_refused_and_buffer_kept() {
        let mut s = SyncedBook::new(Continuity::Contiguous);
        s.on_diff(Diff { ids: spot(20, 25), bids: &[], asks: &[] }).unwrap();
        assert_eq!(s.on_snapshot(18, &[], &[]), Err(SyncError::SnapshotTooOld { snapshot: 18, follows: 19 }));
        assert!(!s.is_live());
        // A snapshot right before the first diff is fine.
        assert_eq!(s.on_snapshot(19, &[], &[]), Ok(1));
        assert_eq!(s.update_id(), Some(25));
    }

    #[test]
    fn a_gap_discards_the_book_and_restarts_from_the_gapped_diff() {
        let mut s = SyncedBook::new(Continuity::Contiguous);
        s.on_snapshot(100, &[lv(10, 1)], &[lv(11, 1)]).unwrap();
        assert_eq!(s.on_diff(Diff { ids: spot(101, 105), bids: &[], asks: &[] }), Ok(DiffOutcome::Applied));
        let err = s.on_diff(Diff { ids: spot(107, 110), bids: &[lv(10, 5)], asks: &[] }).unwrap_err();
        assert_eq!(err, SyncError::Gap { book_at: 105, follows: 106, first: 107, last: 110 });
        assert!(err.to_string().contains("fetch a new snapshot"));
        assert!(!s.is_live());
        assert_eq!(s.book().best_bid(), None);
        // The next snapshot joins the gapped diff.
        assert_eq!(s.on_snapshot(108, &[lv(10, 2)], &[]), Ok(1));
        assert_eq!(s.book().qty_at(Side::Buy, Price::from_int(10)), Quantity::from_int(5));
        assert_eq!(s.stats().gaps, 1);
    }

    #[test]
    fn chained_ids_follow_the_previous_last() {
        let mut s = SyncedBook::new(Continuity::Chained);
        let fut = |first, last, pu| UpdateIds { first, last, prev_last: Some(pu) };
        s.on_snapshot(1000, &[], &[]).unwrap();
        // Futures ids skip: the first diff after the snapshot straddles it.
        assert_eq!(s.on_diff(Diff { ids: fut(990, 1010, 980), bids: &[], asks: &[] }), Ok(DiffOutcome::Applied));
        assert_eq!(s.on_diff(Diff { ids: fut(1050, 1060, 1010), bids: &[], asks: &[] }), Ok(DiffOutcome::Applied));
        assert!(matches!(
            s.on_diff(Diff { ids: fut(1080, 1090, 1070), bids: &[], asks: &[] }),
            Err(SyncError::Gap { book_at: 1060, follows: 1070, .. })
        ));
    }

    #[test]
    fn bad_levels_and_ids_are_errors() {
        let mut s = SyncedBook::new(Continuity::Contiguous);
        assert_eq!(
            s.on_diff(Diff { ids: spot(5, 4), bids: &[], asks: &[] }),
            Err(SyncError::BackwardIds { first: 5, last: 4 })
        );
        s.on_snapshot(1, &[], &[]).unwrap();
        let neg = [(Price::from_int(10), Quantity::from_int(-1))];
        let err = s.on_diff(Diff { ids: spot(2, 2), bids: &neg, asks: &[] }).unwrap_err();
        assert_eq!(
            err.to_string(),
            "update 2..=2: bid level 10 has negative quantity -1; level sizes are totals and cannot be below 0"
        );
        let err = s.on_snapshot(9, &[(Price::ZERO, Quantity::from_int(1))], &[]).unwrap_err();
        assert!(matches!(err, SyncError::BadSnapshot { snapshot: 9, .. }), "{err}");
    }

    #[test]
    fn pending_buffer_is_bounded() {
        let mut s = SyncedBook::new(Continuity::Contiguous).with_max_pending(2);
        for i in 0..5u64 {
            s.on_diff(Diff { ids: spot(i * 10 + 1, i * 10 + 10), bids: &[], asks: &[] }).unwrap();
        }
        assert_eq!(s.stats().overflowed, 3);
        assert!(matches!(s.on_snapshot(5, &[], &[]), Err(SyncError::SnapshotTooOld { follows: 30, .. })));
        assert_eq!(s.on_snapshot(35, &[], &[]), Ok(2));
    }
}
