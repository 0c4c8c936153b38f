//! `pyrt-bench engine`: throughput and memory of the kernel on synthetic bars.
//!
//! Two measurements, on one core:
//! * **throughput**: `sma_cross` (10/30, all-in notional orders) over bars
//!   already in memory, so only the kernel, venue, strategy and accounting
//!   are timed; best and median of several repeats;
//! * **streaming memory**: the same strategy over bars generated on the fly
//!   (as a file replay would stream them), reporting peak resident memory.
//!   It runs first, so the in-memory array does not inflate the peak, and
//!   keeps the last 10 000 orders/fills/trades (statistics cover all).

use std::time::Instant;

use anyhow::Result;
use pyrt_data::{GbmBars, GbmParams};
use pyrt_engine::{Engine, EngineConfig};
use pyrt_model::time::NANOS_PER_MINUTE;
use pyrt_model::{Instrument, InstrumentId, MarketEvent, Price, Quantity};
use pyrt_sim::{SimConfig, SimVenue};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct BenchReport {
    pub machine: String,
    pub cores: usize,
    pub bars: u64,
    pub repeats: usize,
    pub bars_per_sec_best: f64,
    pub bars_per_sec_median: f64,
    pub ns_per_bar_best: f64,
    pub fills: u64,
    pub stream_bars: u64,
    pub stream_bars_per_sec: f64,
    pub stream_peak_rss_mb: f64,
}

fn params() -> GbmParams {
    GbmParams { interval_ns: NANOS_PER_MINUTE, volatility: 0.3, ..GbmParams::default() }
}

/// Streaming keeps the last 10k orders, fills and trades, so memory is
/// bounded however many the replay produces.
const STREAM_HISTORY: usize = 10_000;

fn engine(history_limit: Option<usize>, sink: bool) -> Result<Engine<SimVenue>> {
    let inst = vec![Instrument::new(InstrumentId(0), "SYN", Price::from_raw(10_000_000), Quantity::from_int(1))];
    let venue = SimVenue::new(inst.clone(), SimConfig::default());
    let mut e = Engine::new(inst, venue, EngineConfig { history_limit, ..EngineConfig::default() });
    e.add_strategy(pyrt_strategies::build("sma_cross", &Default::default())?);
    if sink {
        e.add_sink(Box::new(crate::CountSink::default()));
    }
    Ok(e)
}

pub fn run(bars: u64, stream_bars: u64, repeats: usize, sink: bool) -> Result<BenchReport> {
    let repeats = repeats.max(1);
    // Streaming first: peak memory must reflect the replay alone.
    let mut e = engine(Some(STREAM_HISTORY), sink)?;
    let start = Instant::now();
    e.run(GbmBars::new(params()).take(stream_bars as usize))?;
    let stream_secs = start.elapsed().as_secs_f64();
    let peak = peak_rss_mb();

    let mut bars_gen = GbmBars::new(params());
    let data: Vec<MarketEvent> = (0..bars).map(|_| MarketEvent::Bar(bars_gen.next_bar())).collect();
    let mut rates = Vec::new();
    let mut fills = 0;
    for _ in 0..repeats {
        let mut e = engine(None, sink)?;
        let start = Instant::now();
        e.run(data.iter().map(|ev| Ok::<_, std::convert::Infallible>(*ev)))?;
        rates.push(bars as f64 / start.elapsed().as_secs_f64());
        fills = e.portfolio().num_fills();
    }
    rates.sort_by(f64::total_cmp);
    let best = *rates.last().expect("at least one repeat");
    Ok(BenchReport {
        machine: cpu_model(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        bars,
        repeats,
        bars_per_sec_best: best,
        bars_per_sec_median: rates[rates.len() / 2],
        ns_per_bar_best: 1e9 / best,
        fills,
        stream_bars,
        stream_bars_per_sec: stream_bars as f64 / stream_secs,
        stream_peak_rss_mb: peak,
    })
}

pub fn table(r: &BenchReport) -> String {
    format!(
        "machine              {} ({} cores)\n\
         in-memory bars       {}\n\
         throughput (best)    {:.1} M bars/s ({:.1} ns/bar)\n\
         throughput (median)  {:.1} M bars/s over {} runs\n\
         fills                {}\n\
         streamed bars        {}\n\
         streaming rate       {:.1} M bars/s (generation included)\n\
         peak RSS (stream)    {:.1} MB\n",
        r.machine,
        r.cores,
        r.bars,
        r.bars_per_sec_best / 1e6,
        r.ns_per_bar_best,
        r.bars_per_sec_median / 1e6,
        r.repeats,
        r.fills,
        r.stream_bars,
        r.stream_bars_per_sec / 1e6,
        r.stream_peak_rss_mb
    )
}

/// Peak resident set size of this process (Linux `VmHWM`), in MB.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}
