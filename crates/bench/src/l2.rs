//! `pyrt-bench l2`: an order-book backtest on a real capture, timed.
//!
//! The capture is converted to kernel events first (parsing, book sync and
//! clock correction are not timed — hftbacktest likewise replays data it
//! has converted ahead). Then the kernel replays every event: its own book
//! per instrument, the order-book venue's book and queue model, the
//! portfolio, risk, and a market maker quoting both sides at the touch.
//! On the exchange clock (the default) the venue applies each event at its
//! exchange time and the strategy sees it at its receive time, with 1 ms
//! order and 1 ms response latency; on the receive clock both see it at
//! the receive time.

use std::path::Path;
use std::time::Instant;

use anyhow::{Result, bail};
use pyrt_binance::Market;
use pyrt_binance::events::{CaptureEvents, ClockSkew};
use pyrt_engine::{AccountKind, Engine, EngineConfig, VenueClock};
use pyrt_model::{Instrument, InstrumentId, MarketEvent, Money, Price, Quantity, Rate};
use pyrt_sim::{BookVenue, Fees};
use pyrt_strategies::QuoteAtTouch;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct L2Bench {
    pub capture: String,
    pub venue_clock: VenueClock,
    pub events: usize,
    pub book_deltas: usize,
    pub trades: usize,
    pub quotes: usize,
    pub clock_skew_ns: i64,
    pub best_events_per_sec: f64,
    pub median_events_per_sec: f64,
    pub orders: usize,
    pub fills: usize,
    pub final_position: String,
    pub final_equity: String,
}

pub fn run(
    capture: &Path,
    market: Market,
    tick: Price,
    lot: Quantity,
    repeats: usize,
    venue_clock: VenueClock,
    sink: bool,
) -> Result<L2Bench> {
    if !capture.exists() {
        bail!("capture {} not found; pass --capture with a Binance recording", capture.display());
    }
    let id = InstrumentId(0);
    let converter = CaptureEvents::open(capture, market, id, ClockSkew::Auto)?;
    let skew = converter.skew_ns();
    let events: Vec<MarketEvent> = converter.collect::<Result<_, _>>()?;
    let count = |f: fn(&MarketEvent) -> bool| events.iter().filter(|e| f(e)).count();
    let mut rates = Vec::new();
    let mut last = None;
    for _ in 0..repeats.max(1) {
        let inst = Instrument::new(id, "BTCUSDT", tick, lot);
        let fees = Fees::Rate { maker: Rate::from_bps(2), taker: Rate::from_bps(5) };
        let config = EngineConfig {
            initial_cash: Money::from_int(1_000_000),
            account: AccountKind::Margin,
            order_latency_ns: 1_000_000,
            response_latency_ns: 1_000_000,
            venue_clock,
            ..EngineConfig::default()
        };
        let mut engine = Engine::new(vec![inst.clone()], BookVenue::new(vec![inst], fees), config);
        engine.add_strategy(Box::new(QuoteAtTouch::new(id, lot.mul_ratio(10, 1), lot.mul_ratio(100, 1), 1)));
        if sink {
            engine.add_sink(Box::new(crate::CountSink::default()));
        }
        let t = Instant::now();
        engine.run(events.iter().map(|e| Ok::<_, std::convert::Infallible>(*e)))?;
        rates.push(events.len() as f64 / t.elapsed().as_secs_f64());
        last = Some(engine);
    }
    rates.sort_by(f64::total_cmp);
    let engine = last.expect("at least one run");
    Ok(L2Bench {
        capture: capture.display().to_string(),
        venue_clock,
        events: events.len(),
        book_deltas: count(|e| matches!(e, MarketEvent::BookDelta(_))),
        trades: count(|e| matches!(e, MarketEvent::Trade(_))),
        quotes: count(|e| matches!(e, MarketEvent::Quote(_))),
        clock_skew_ns: skew,
        best_events_per_sec: rates[rates.len() - 1],
        median_events_per_sec: rates[rates.len() / 2],
        orders: engine.orders().all().len(),
        fills: engine.fills().len(),
        final_position: engine.portfolio().position(id).qty.to_string(),
        final_equity: engine.portfolio().equity().to_string(),
    })
}

pub fn table(r: &L2Bench) -> String {
    format!(
        "{}: {} events ({} book deltas, {} trades, {} book tickers), clock skew corrected by {:.3} s\n\
         kernel + order-book venue + market maker, venue on the {:?} clock: {:.2}M events/s best, {:.2}M median\n\
         {} orders, {} fills, final position {}, equity {}\n",
        r.capture,
        r.events,
        r.book_deltas,
        r.trades,
        r.quotes,
        r.clock_skew_ns as f64 / 1e9,
        r.venue_clock,
        r.best_events_per_sec / 1e6,
        r.median_events_per_sec / 1e6,
        r.orders,
        r.fills,
        r.final_position,
        r.final_equity,
    )
}
