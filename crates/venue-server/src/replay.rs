//! A recorded session as the venue's market.
//!
//! The recording's events (`pyrt_binance::events::CaptureEvents`: the book
//! kept in sync, one delta per level) are grouped by venue message — a
//! group ends with the last delta of a depth message, a trade or a book
//! ticker — and released at the recording's pace divided by `speed`. Each
//! group is restamped with the venue's wall clock (so the REST clock, order
//! times and market times agree), applied to the exchange, and published
//! to the streams like a synthetic step.

use std::time::{Duration, Instant};

use pyrt_binance::events::CaptureEvents;
use pyrt_model::{MarketEvent, UnixNanos};

use crate::rest::App;

fn restamp(event: &mut MarketEvent, now: UnixNanos) {
    match event {
        MarketEvent::Bar(b) => (b.ts_event, b.ts_recv) = (now, now),
        MarketEvent::Trade(t) => (t.ts_event, t.ts_recv) = (now, now),
        MarketEvent::Quote(q) => (q.ts_event, q.ts_recv) = (now, now),
        MarketEvent::BookDelta(d) => (d.ts_event, d.ts_recv) = (now, now),
    }
}

/// A recording being played.
pub struct Replay {
    events: CaptureEvents,
    speed: f64,
    group: Vec<MarketEvent>,
}

impl Replay {
    pub fn new(events: CaptureEvents, speed: f64) -> Self {
        Self { events, speed, group: Vec::new() }
    }

    /// Plays, without waiting, up to the first complete book, so the venue
    /// never answers with an empty book once it is listening.
    pub fn prime(&mut self, app: &App) -> Result<(), String> {
        for event in self.events.by_ref() {
            let event = event.map_err(|e| e.to_string())?;
            let book_done = matches!(&event, MarketEvent::BookDelta(d) if d.is_last());
            self.group.push(event);
            if book_done {
                publish(app, &mut self.group);
                return Ok(());
            }
        }
        Err("the recording holds no complete book".into())
    }

    /// Plays the rest of the recording at its pace (on its own thread).
    pub fn run(mut self, app: &App) {
        let started = Instant::now();
        let mut first_ts = None;
        for event in self.events.by_ref() {
            let event = match event {
                Ok(e) => e,
                Err(e) => {
                    tracing::error!("replay stopped: {e}");
                    return;
                }
            };
            let ends_group = match &event {
                MarketEvent::BookDelta(d) => d.is_last(),
                _ => true,
            };
            let ts = event.ts();
            self.group.push(event);
            if !ends_group {
                continue;
            }
            if self.speed > 0.0 {
                let first = *first_ts.get_or_insert(ts);
                let due = Duration::from_secs_f64((ts - first) as f64 / 1e9 / self.speed);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
            publish(app, &mut self.group);
        }
        if !self.group.is_empty() {
            publish(app, &mut self.group);
        }
        tracing::info!("the recording has ended; the book stays as it was");
    }
}

fn publish(app: &App, group: &mut Vec<MarketEvent>) {
    let now = (app.clock)();
    for event in group.iter_mut() {
        restamp(event, now);
    }
    let mut ex = app.exchange.lock().expect("a handler panicked while holding the exchange");
    let frames = crate::streams::apply_step(&mut ex, 0, group, now / 1_000_000);
    app.publish_step(ex, vec![frames]);
    group.clear();
}
