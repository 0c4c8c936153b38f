//! `pyrt-bench decision`: tick-to-order latency in process, on a real
//! capture, network excluded.
//!
//! Each recorded frame goes through what paper and live trading run: JSON
//! parse, the book-sync `EventBuilder`, the kernel (its book, risk, the
//! `QuoteAtTouch` market maker deciding) and out as a command in the
//! `ChannelVenue`'s outbox, where the gateway would pick it up. The clock
//! runs from the frame's text to the queued command. Venue answers are
//! delivered at once and untimed, so the strategy keeps quoting.

use std::collections::VecDeque;
use std::path::Path;

use anyhow::{Result, bail};
use pyrt_binance::events::{EventBuilder, event_time};
use pyrt_binance::{Market, capture::CaptureReader, parse};
use pyrt_engine::{AccountKind, ChannelVenue, Engine, EngineConfig};
use pyrt_model::{ExecutionReport, Instrument, InstrumentId, Money, Price, Quantity, VenueCommand};
use pyrt_strategies::QuoteAtTouch;
use serde::Serialize;

use crate::latency::{Percentiles, Recorder, header};

#[derive(Debug, Serialize)]
pub struct DecisionBench {
    pub capture: String,
    pub frames: usize,
    /// Frames after which at least one command was queued.
    pub deciding_frames: usize,
    pub commands: usize,
    /// From frame text to queued command, frames that produced one.
    pub tick_to_order: Percentiles,
    /// Every frame, whether or not it led to an order.
    pub per_frame: Percentiles,
    /// Where a deciding frame's time goes, on average: JSON parse, book
    /// sync into events, kernel (books, risk, strategy, order).
    pub deciding_mean_parse_ns: f64,
    pub deciding_mean_book_sync_ns: f64,
    pub deciding_mean_kernel_ns: f64,
    /// Kernel events (mostly level changes) per deciding frame.
    pub deciding_mean_level_changes: f64,
}

pub fn run(capture: &Path, market: Market, tick: Price, lot: Quantity) -> Result<DecisionBench> {
    if !capture.exists() {
        bail!("capture {} not found; pass --capture with a Binance recording", capture.display());
    }
    let mut reader = CaptureReader::open(capture)?;
    let mut lines = Vec::new();
    while let Some(record) = reader.next_record() {
        let r = record?;
        lines.push((r.ts_recv, r.message.to_string()));
    }
    let id = InstrumentId(0);
    let inst = Instrument::new(id, "BTCUSDT", tick, lot);
    let config = EngineConfig {
        initial_cash: Money::from_int(10_000_000),
        account: AccountKind::Margin,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(vec![inst.clone()], ChannelVenue::new(vec![inst]), config);
    engine.add_strategy(Box::new(QuoteAtTouch::new(id, lot.mul_ratio(10, 1), lot.mul_ratio(1000, 1), 1)));
    let mut builder = EventBuilder::with_tick(market, id, tick);
    let mut queue = VecDeque::new();
    let (mut decisions, mut all) = (Recorder::new(lines.len()), Recorder::new(lines.len()));
    let (mut deciding, mut commands, mut last_ts) = (0, 0, i64::MIN);
    let (mut t_parse, mut t_build, mut t_engine, mut n_events) = (0f64, 0f64, 0f64, 0usize);
    for (recorded, text) in &lines {
        let t = std::time::Instant::now();
        let msg = parse(text)?;
        let t1 = t.elapsed().as_nanos() as f64;
        let ts_recv = (*recorded).max(last_ts);
        last_ts = ts_recv;
        let ts_event = event_time(&msg).unwrap_or(ts_recv).min(ts_recv);
        // A gap discards the book; the builder waits for the next snapshot.
        let _ = builder.on_message(&msg, ts_event, ts_recv, &mut queue);
        let t2 = t.elapsed().as_nanos() as f64;
        let n = queue.len();
        for event in queue.drain(..) {
            engine.process(&event)?;
        }
        let sent = engine.venue_mut().take_commands();
        let ns = t.elapsed().as_nanos() as f64;
        if !sent.is_empty() {
            t_parse += t1;
            t_build += t2 - t1;
            t_engine += ns - t2;
            n_events += n;
        }
        all.push(ns);
        if !sent.is_empty() {
            decisions.push(ns);
            deciding += 1;
            commands += sent.len();
            // The venue answers at once (untimed), so quoting goes on.
            let answers: Vec<ExecutionReport> = sent
                .into_iter()
                .flat_map(|(_, cmd)| match cmd {
                    VenueCommand::Submit { order_id, .. } => vec![ExecutionReport::Accepted { order_id, ts: ts_recv }],
                    VenueCommand::SubmitOco { legs } => legs
                        .into_iter()
                        .map(|(order_id, _)| ExecutionReport::Accepted { order_id, ts: ts_recv })
                        .collect(),
                    VenueCommand::Cancel { order_id } | VenueCommand::Modify { order_id, .. } => {
                        vec![ExecutionReport::Cancelled { order_id, ts: ts_recv, reason: "cancelled".into() }]
                    }
                })
                .collect();
            engine.deliver(ts_recv, answers);
            engine.venue_mut().take_commands();
        }
    }
    let per = |x: f64| if deciding == 0 { 0.0 } else { x / deciding as f64 };
    Ok(DecisionBench {
        deciding_mean_parse_ns: per(t_parse),
        deciding_mean_book_sync_ns: per(t_build),
        deciding_mean_kernel_ns: per(t_engine),
        deciding_mean_level_changes: per(n_events as f64),
        capture: capture.display().to_string(),
        frames: lines.len(),
        deciding_frames: deciding,
        commands,
        tick_to_order: decisions.percentiles(),
        per_frame: all.percentiles(),
    })
}

pub fn table(r: &DecisionBench) -> String {
    format!(
        "{}: {} frames, {} led to {} commands (QuoteAtTouch)\n\n{}{}{}\n\
         a deciding frame carries {:.0} level changes on average: parse {:.1} µs, book sync {:.1} µs, kernel {:.1} µs\n",
        r.capture,
        r.frames,
        r.deciding_frames,
        r.commands,
        header(26),
        r.tick_to_order.row("frame → queued order", 26),
        r.per_frame.row("every frame", 26),
        r.deciding_mean_level_changes,
        r.deciding_mean_parse_ns / 1e3,
        r.deciding_mean_book_sync_ns / 1e3,
        r.deciding_mean_kernel_ns / 1e3,
    )
}
