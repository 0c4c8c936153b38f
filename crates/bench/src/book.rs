//! `pyrt-bench book`: order-book maintenance on a real Binance capture.
//!
//! The capture is read into memory first so gzip and disk are not timed.
//! Three measurements:
//!
//! * **replay**: every message (depth, trades, tickers, the snapshot)
//!   parsed from its JSON text and fed to the synced book, untimed per
//!   message: messages/s and level changes/s end to end.
//! * **message**: each depth message timed alone, parse + sequence check +
//!   book update — the live path's cost per WebSocket frame.
//! * **level**: each level change timed alone on the price-level book, and
//!   all of them untimed for updates/s.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use pyrt_binance::replay::BookFeed;
use pyrt_binance::{Market, StreamMessage, capture::CaptureReader, parse};
use pyrt_book::L2Book;
use pyrt_model::{Price, Side};
use serde::Serialize;

use crate::latency::{Percentiles, Recorder, header};

#[derive(Debug, Serialize)]
pub struct BookBench {
    pub capture: String,
    /// The tick size the book was indexed by (`None`: the tree ladder).
    pub tick_size: Option<String>,
    pub messages: usize,
    pub depth_messages: usize,
    pub level_changes: u64,
    pub replay_messages_per_sec: f64,
    pub replay_levels_per_sec: f64,
    pub message: Percentiles,
    pub level: Percentiles,
    pub level_updates_per_sec: f64,
}

/// The capture used when none is named: USD-M BTCUSDT, the busiest.
pub fn default_capture() -> PathBuf {
    PathBuf::from("../shared/data/hftbacktest/raw/usdm_btcusdt_20240808.gz")
}

pub fn run(capture: &Path, market: Option<Market>, tick: Option<Price>, repeats: usize) -> Result<BookBench> {
    if !capture.exists() {
        bail!(
            "capture {} not found; pass --capture with a Binance recording (one `<ns> <json>` line per message)",
            capture.display()
        );
    }
    let market = market.unwrap_or_else(|| Market::guess_from_path(capture));
    let mut reader = CaptureReader::open(capture)?;
    let mut lines = Vec::new();
    while let Some(record) = reader.next_record() {
        lines.push(record?.message.to_string());
    }
    let name = capture.display().to_string();
    let parsed: Vec<StreamMessage> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| parse(l).with_context(|| format!("{name}: message {}", i + 1)))
        .collect::<Result<_>>()?;
    let depth_messages = parsed.iter().filter(|m| matches!(m, StreamMessage::Depth(_))).count();

    // Replay throughput: best of `repeats`.
    let mut best = f64::INFINITY;
    let mut level_changes = 0;
    for _ in 0..repeats.max(1) {
        let mut feed = BookFeed::with_book(market, new_book(tick));
        let t = Instant::now();
        for line in &lines {
            let msg = parse(line)?;
            feed.on_message(&msg)?;
        }
        best = best.min(t.elapsed().as_secs_f64());
        level_changes = feed.stats().level_changes;
        std::hint::black_box(feed.book().book().best_bid());
    }

    // Per depth message: parse + sync + update.
    let mut message = Recorder::new(depth_messages);
    let mut feed = BookFeed::with_book(market, new_book(tick));
    for (line, msg) in lines.iter().zip(&parsed) {
        if matches!(msg, StreamMessage::Depth(_)) {
            message.time(|| parse(line).map(|m| feed.on_message(&m)))??;
        } else {
            feed.on_message(msg)?;
        }
    }
    if feed.stats().gaps > 0 {
        bail!("{name}: the book lost sync {} times; the capture has gaps", feed.stats().gaps);
    }

    // Per level on the price-level book, from the snapshot on.
    let changes = level_stream(&parsed);
    let mut level = Recorder::new(changes.len());
    let mut book = new_book(tick);
    for change in &changes {
        match *change {
            Change::Load(i) => load(&mut book, &parsed[i]),
            Change::Set(side, price, qty) => level.time(|| book.set(side, price, qty))?,
        }
    }
    let mut best_levels = f64::INFINITY;
    for _ in 0..repeats.max(1) {
        let mut book = new_book(tick);
        let t = Instant::now();
        for change in &changes {
            match *change {
                Change::Load(i) => load(&mut book, &parsed[i]),
                Change::Set(side, price, qty) => book.set(side, price, qty)?,
            }
        }
        best_levels = best_levels.min(t.elapsed().as_secs_f64());
        std::hint::black_box(book.best_ask());
    }
    let level = level.percentiles();
    Ok(BookBench {
        capture: name,
        tick_size: tick.map(|t| t.to_string()),
        messages: lines.len(),
        depth_messages,
        level_changes,
        replay_messages_per_sec: lines.len() as f64 / best,
        replay_levels_per_sec: level_changes as f64 / best,
        message: message.percentiles(),
        level_updates_per_sec: level.samples as f64 / best_levels,
        level,
    })
}

/// A tick-indexed book when the tick size is known, else the tree.
fn new_book(tick: Option<Price>) -> L2Book {
    tick.map_or_else(L2Book::new, L2Book::with_tick)
}

enum Change {
    /// Load the snapshot at this message index.
    Load(usize),
    Set(Side, pyrt_model::Price, pyrt_model::Quantity),
}

/// The snapshot, then every level of every diff the synced book applies
/// after it (including diffs received before the snapshot that it joins).
fn level_stream(parsed: &[StreamMessage]) -> Vec<Change> {
    let mut out = Vec::new();
    let mut at = None;
    let mut early = Vec::new();
    let push = |out: &mut Vec<Change>, d: &pyrt_binance::DepthUpdate| {
        out.extend(d.bids.iter().map(|&(p, q)| Change::Set(Side::Buy, p, q)));
        out.extend(d.asks.iter().map(|&(p, q)| Change::Set(Side::Sell, p, q)));
    };
    for (i, msg) in parsed.iter().enumerate() {
        match msg {
            StreamMessage::Snapshot(s) => {
                out.push(Change::Load(i));
                at = Some(s.last_update_id);
                for d in early.drain(..) {
                    if let StreamMessage::Depth(d) = &parsed[d]
                        && d.ids.last > s.last_update_id
                    {
                        push(&mut out, d);
                    }
                }
            }
            StreamMessage::Depth(d) => match at {
                Some(a) if d.ids.last > a => push(&mut out, d),
                Some(_) => {}
                None => early.push(i),
            },
            _ => {}
        }
    }
    out
}

fn load(book: &mut L2Book, msg: &StreamMessage) {
    if let StreamMessage::Snapshot(s) = msg {
        book.load(&s.bids, &s.asks).expect("the replay pass accepted this snapshot");
    }
}

/// Spot captures are named `spot_*` in hftbacktest's examples; the rest are
/// futures.
pub fn table(r: &BookBench) -> String {
    let book =
        r.tick_size.as_ref().map_or("without a tick size (tree)".to_string(), |t| format!("indexed by tick {t}"));
    format!(
        "{}: {} messages, {} depth messages, {} level changes, book {book}\n\
         replay (parse + sync + book, all messages): {:.2}M messages/s, {:.2}M level changes/s\n\
         level updates on the book alone: {:.1}M/s\n\n{}{}{}",
        r.capture,
        r.messages,
        r.depth_messages,
        r.level_changes,
        r.replay_messages_per_sec / 1e6,
        r.replay_levels_per_sec / 1e6,
        r.level_updates_per_sec / 1e6,
        header(28),
        r.message.row("depth message parse+update", 28),
        r.level.row("one level update", 28),
    )
}
