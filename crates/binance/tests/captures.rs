//! Real Binance sessions recorded by hftbacktest (`shared/data/hftbacktest/raw`),
//! replayed through the parser and the book-sync rule.

mod common;

use std::path::{Path, PathBuf};

use pyrt_binance::replay::{BookFeed, FeedEvent, FeedStats, replay_files};
use pyrt_binance::{Market, StreamMessage, capture::CaptureReader, parse};
use pyrt_book::SyncError;

fn raw_dir() -> Option<PathBuf> {
    Some(common::shared()?.join("data/hftbacktest/raw"))
}

fn replay(files: &[&str], market: Market) -> Option<BookFeed> {
    let dir = raw_dir()?;
    let paths: Vec<_> = files.iter().map(|f| dir.join(f)).collect();
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    Some(replay_files(&refs, market, |_, _, _, _| {}).unwrap())
}

/// Message counts as documented in `shared/data/README.md`, and a clean
/// sync: one snapshot, no gap, never crossed.
#[test]
fn every_capture_parses_and_stays_in_sync() {
    // (file, market, depth messages, level changes, trades, book tickers)
    let cases = [
        ("spot_btcusdt_20240808.gz", Market::Spot, 3451, 124_090, 9757, 28_040),
        ("spot_ethusdt_20240808.gz", Market::Spot, 3434, 106_814, 6106, 24_077),
        ("usdm_btcusdt_20240808.gz", Market::Futures, 6551, 443_521, 21_313, 66_089),
        ("usdm_ethusdt_20240808.gz", Market::Futures, 6586, 428_662, 14_076, 53_992),
        ("cm_btcusd_perp_20240808.gz", Market::Futures, 26_847, 296_013, 2286, 19_136),
        ("cm_ethusd_perp_20240808.gz", Market::Futures, 22_909, 193_753, 1732, 15_812),
    ];
    for (file, market, diffs, levels, trades, tickers) in cases {
        let Some(feed) = replay(&[file], market) else { return };
        let s = feed.stats();
        assert_eq!((s.diffs, s.level_changes, s.trades, s.tickers), (diffs, levels, trades, tickers), "{file}");
        assert_eq!((s.snapshots, s.gaps, s.crossed), (1, 0, 0), "{file}: {s:?}");
        assert!(feed.book().is_live(), "{file}");
    }
}

/// Futures depth@0ms and bookTicker share update ids: wherever a ticker
/// names the book's current id, the rebuilt top of book must be exactly
/// the exchange's.
#[test]
fn futures_book_matches_every_ticker_at_the_same_update_id() {
    for file in ["usdm_btcusdt_20240808.gz", "usdm_ethusdt_20240808.gz"] {
        let Some(feed) = replay(&[file], Market::Futures) else { return };
        let FeedStats { tickers_checked, ticker_mismatches, .. } = feed.stats();
        assert!(tickers_checked > 50, "{file}: only {tickers_checked} tickers shared an update id with the book");
        assert_eq!(ticker_mismatches, 0, "{file}");
    }
}

/// The 0809 recordings continue the 0808 ones without a snapshot of their
/// own: the book carries over with no gap.
#[test]
fn next_day_files_continue_the_book() {
    for (a, b) in [
        ("spot_btcusdt_20240808.gz", "spot_btcusdt_20240809.gz"),
        ("spot_ethusdt_20240808.gz", "spot_ethusdt_20240809.gz"),
        ("cm_btcusd_perp_20240808.gz", "cm_btcusd_perp_20240809.gz"),
        ("cm_ethusd_perp_20240808.gz", "cm_ethusd_perp_20240809.gz"),
    ] {
        let market = if a.starts_with("spot") { Market::Spot } else { Market::Futures };
        let Some(feed) = replay(&[a, b], market) else { return };
        let s = feed.stats();
        assert_eq!((s.snapshots, s.gaps, s.crossed), (1, 0, 0), "{a} + {b}: {s:?}");
        assert!(feed.book().is_live());
    }
}

/// The snapshot line rebuilds 1000 levels a side, with the exact decimal
/// values sent.
#[test]
fn snapshot_rebuilds_the_recorded_levels() {
    let Some(dir) = raw_dir() else { return };
    let mut reader = CaptureReader::open(dir.join("spot_btcusdt_20240808.gz")).unwrap();
    while let Some(record) = reader.next_record() {
        if let StreamMessage::Snapshot(s) = parse(record.unwrap().message).unwrap() {
            assert_eq!(s.last_update_id, 50_093_239_218);
            assert_eq!((s.bids.len(), s.asks.len()), (1000, 1000));
            assert_eq!(s.bids[0], ("61837.63".parse().unwrap(), "3.78826".parse().unwrap()));
            return;
        }
    }
    panic!("no snapshot in the capture");
}

/// Dropping one diff from a real session is caught as a gap at the next
/// diff, and the book is discarded rather than left silently wrong.
#[test]
fn a_lost_diff_is_detected() {
    let Some(dir) = raw_dir() else { return };
    let mut reader = CaptureReader::open(dir.join("spot_btcusdt_20240808.gz")).unwrap();
    let mut feed = BookFeed::new(Market::Spot);
    let mut diffs = 0;
    let mut gap = None;
    while let Some(record) = reader.next_record() {
        let msg = parse(record.unwrap().message).unwrap();
        if let StreamMessage::Depth(_) = msg {
            diffs += 1;
            if diffs == 500 {
                continue; // lost in transit
            }
        }
        if let FeedEvent::Gap(e) = feed.on_message(&msg).unwrap() {
            gap.get_or_insert(e);
        }
    }
    let Some(SyncError::Gap { book_at, follows, .. }) = gap else { panic!("no gap reported") };
    assert!(follows > book_at);
    assert_eq!(feed.stats().gaps, 1, "after a gap, diffs wait for a snapshot instead of failing again");
    assert!(!feed.book().is_live());
}

/// The events a capture yields rebuild, delta by delta, the same book the
/// feed keeps; receive times never run backwards or before exchange time.
#[test]
fn capture_events_rebuild_the_feeds_book() {
    use pyrt_binance::events::{CaptureEvents, ClockSkew};
    use pyrt_book::L2Book;
    use pyrt_model::{InstrumentId, MarketEvent};

    let Some(dir) = raw_dir() else { return };
    let path = dir.join("usdm_btcusdt_20240808.gz");
    let events = CaptureEvents::open(&path, Market::Futures, InstrumentId(0), ClockSkew::Auto).unwrap();
    // The recording host ran about 1.27 s behind the exchange.
    let skew = events.skew_ns();
    assert!((1_200_000_000..1_350_000_000).contains(&skew), "skew {skew}");
    let mut book = L2Book::new();
    let (mut trades, mut quotes, mut last_recv, mut lasts) = (0, 0, i64::MIN, 0);
    let mut events = events;
    for event in events.by_ref() {
        let event = event.unwrap();
        let (ts_event, ts_recv) = match &event {
            MarketEvent::BookDelta(d) => {
                book.apply(d).unwrap();
                lasts += d.is_last() as u32;
                (d.ts_event, d.ts_recv)
            }
            MarketEvent::Trade(t) => {
                trades += 1;
                (t.ts_event, t.ts_recv)
            }
            MarketEvent::Quote(q) => {
                quotes += 1;
                (q.ts_event, q.ts_recv)
            }
            MarketEvent::Bar(_) => unreachable!(),
        };
        assert!(ts_recv >= ts_event && ts_recv >= last_recv);
        last_recv = ts_recv;
    }
    // 66,089 book tickers were recorded; 967 arrived after a depth update
    // that was already past them and are dropped as stale.
    assert_eq!((trades, quotes, events.stale_tickers()), (21_313, 65_122, 967));
    // One consistent point per snapshot and per applied diff.
    let feed = replay(&["usdm_btcusdt_20240808.gz"], Market::Futures).unwrap();
    assert_eq!(lasts as u64, 1 + feed.book().stats().applied);
    let expected = feed.book().book();
    for side in [pyrt_model::Side::Buy, pyrt_model::Side::Sell] {
        assert!(book.side(side).levels().eq(expected.side(side).levels()), "{side:?} levels differ");
    }
}
