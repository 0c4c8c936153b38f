//! `pyrt-bench features`: the feature catalog (or any spec list) over
//! synthetic minute bars, streaming and in batch.
//!
//! Streaming is what a model strategy pays on each bar: one
//! [`FeaturePipeline::update`] for every column of the set, timed per bar
//! (percentiles, the clock's cost subtracted). Batch is research:
//! [`compute_columns`] over whole columns, best of several repeats. Both
//! report bars per second for the whole set.

use std::time::Instant;

use anyhow::Result;
use pyrt_indicators::{Columns, FeaturePipeline, compute_columns, features};
use serde::Serialize;

use crate::latency::{self, Recorder};

#[derive(Debug, Serialize)]
pub struct FeaturesBench {
    pub specs: usize,
    pub columns: usize,
    pub bars: usize,
    pub streaming_bars_per_s: f64,
    /// Per-bar latency of one streaming update of the whole set.
    pub streaming: latency::Percentiles,
    pub batch_bars_per_s: f64,
    pub clock_overhead_ns: f64,
}

pub fn run(bars: usize, repeats: usize, spec: &[String]) -> Result<FeaturesBench> {
    let text = if spec.is_empty() {
        features::catalog().iter().map(|e| e.name).collect::<Vec<_>>().join(",")
    } else {
        spec.join(",")
    };
    let specs = features::parse(&text)?;
    let candles = crate::indicators::load(None, bars)?;

    // Streaming, timed bar by bar; then untimed for the throughput.
    let mut pipeline = FeaturePipeline::new(&specs)?;
    let columns = pipeline.columns().len();
    let mut row = vec![0.0; columns];
    let mut rec = Recorder::new(bars);
    for c in &candles {
        rec.time(|| pipeline.update(c, &mut row))?;
    }
    let clock_overhead_ns = rec.clock_overhead_ns();
    let p = rec.percentiles();
    let mut best_stream = f64::INFINITY;
    for _ in 0..repeats {
        let mut pipeline = FeaturePipeline::new(&specs)?;
        let started = Instant::now();
        for c in &candles {
            pipeline.update(c, &mut row)?;
        }
        std::hint::black_box(&row);
        best_stream = best_stream.min(started.elapsed().as_secs_f64());
    }

    let col = |f: fn(&pyrt_indicators::Candle) -> f64| candles.iter().map(f).collect::<Vec<f64>>();
    let ts: Vec<i64> = candles.iter().map(|c| c.ts).collect();
    let (open, high, low, close, volume) =
        (col(|c| c.open), col(|c| c.high), col(|c| c.low), col(|c| c.close), col(|c| c.volume));
    let cols = Columns { ts: &ts, open: &open, high: &high, low: &low, close: &close, volume: &volume };
    let mut best_batch = f64::INFINITY;
    for _ in 0..repeats {
        let started = Instant::now();
        let out = compute_columns(&specs, &cols)?;
        best_batch = best_batch.min(started.elapsed().as_secs_f64());
        std::hint::black_box(out);
    }
    Ok(FeaturesBench {
        specs: specs.len(),
        columns,
        bars,
        streaming_bars_per_s: bars as f64 / best_stream,
        streaming: p,
        batch_bars_per_s: bars as f64 / best_batch,
        clock_overhead_ns,
    })
}

pub fn table(r: &FeaturesBench) -> String {
    let mut s = format!("{} features ({} columns) over {} synthetic minute bars\n", r.specs, r.columns, r.bars);
    s.push_str(&format!("streaming  {:>12.0} bars/s\n", r.streaming_bars_per_s));
    s.push_str(&format!("batch      {:>12.0} bars/s\n", r.batch_bars_per_s));
    s.push_str(&latency::header(22));
    s.push_str(&r.streaming.row("update (one bar)", 22));
    s.push_str(&format!("(clock overhead {:.0} ns subtracted)\n", r.clock_overhead_ns));
    s
}
