//! `pyrt-bench indicators`: how fast each indicator runs, on the same
//! arrays TA-Lib gets in `benches/indicators_vs_talib.py`.
//!
//! Input is a raw little-endian `f64` file holding four equal-length
//! arrays back to back: high, low, close, volume (what numpy's `tofile`
//! writes). Without one, 1M seeded GBM bars are generated.
//!
//! Each spec runs alone through [`compute_columns`] over columnar input
//! (a batch kernel where one exists, the streaming code in one
//! monomorphic loop otherwise), best of several repeats; the time includes
//! the input checks.
//! SMA, EMA and RSI are also timed on their bare streaming structs, the
//! cost a live strategy pays per update.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use pyrt_data::{GbmBars, GbmParams};
use pyrt_indicators::{Candle, Columns, Ema, Indicator, Rsi, Sma, compute_columns, features};
use serde::Serialize;

/// The specs timed, each with the TA-Lib call it is compared with.
pub const SPECS: &[&str] = &[
    "sma:30",
    "ema:30",
    "wma:30",
    "dema:30",
    "tema:30",
    "trima:30",
    "kama:30",
    "t3:5:0.7",
    "rsi:14",
    "macd:12:26:9",
    "ppo:12:26",
    "trix:30",
    "mom:10",
    "roc:10",
    "stddev:5:1",
    "bbands:20:2",
    "stochrsi:14:5:3",
    "linreg_slope:14",
    "trange",
    "atr:14",
    "natr:14",
    "willr:14",
    "cci:14",
    "mfi:14",
    "stoch:5:3:3",
    "stochf:5:3",
    "aroon:14",
    "aroonosc:14",
    "adx:14",
    "plus_di:14",
    "minus_di:14",
    "dx:14",
    "sar:0.02:0.2",
    "obv",
    "ad",
    "adosc:3:10",
    "ultosc:7:14:28",
    "correl:high:low:30",
    "beta:high:low:5",
];

#[derive(Debug, Serialize)]
pub struct IndicatorTiming {
    pub spec: String,
    pub ns_per_bar: f64,
    pub million_bars_per_sec: f64,
}

#[derive(Debug, Serialize)]
pub struct IndicatorBench {
    pub bars: usize,
    pub repeats: usize,
    pub pipeline: Vec<IndicatorTiming>,
    /// Bare streaming structs: ns per `update`.
    pub streaming_ns: Vec<(String, f64)>,
}

pub(crate) fn load(input: Option<&Path>, bars: usize) -> Result<Vec<Candle>> {
    let Some(path) = input else {
        let mut g = GbmBars::new(GbmParams { interval_ns: 60_000_000_000, volatility: 0.3, ..GbmParams::default() });
        let candle = |b: pyrt_model::Bar| Candle {
            ts: b.ts_event,
            open: b.open.to_f64(),
            high: b.high.to_f64(),
            low: b.low.to_f64(),
            close: b.close.to_f64(),
            volume: b.volume.to_f64(),
        };
        return Ok((0..bars).map(|_| candle(g.next_bar())).collect());
    };
    let raw = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if raw.len() % 32 != 0 {
        bail!(
            "{}: expected four f64 arrays of equal length (a multiple of 32 bytes), got {} bytes",
            path.display(),
            raw.len()
        );
    }
    let values: Vec<f64> = raw.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))).collect();
    let n = values.len() / 4;
    let (h, l, c, v) = (&values[..n], &values[n..2 * n], &values[2 * n..3 * n], &values[3 * n..]);
    Ok((0..n)
        .map(|i| Candle { ts: i as i64 * 60_000_000_000, open: c[i], high: h[i], low: l[i], close: c[i], volume: v[i] })
        .collect())
}

/// Times `only` (every spec of [`SPECS`] when empty).
pub fn run(input: Option<&Path>, bars: usize, repeats: usize, only: &[String]) -> Result<IndicatorBench> {
    let specs: Vec<&str> = if only.is_empty() { SPECS.to_vec() } else { only.iter().map(String::as_str).collect() };
    let candles = load(input, bars)?;
    let repeats = repeats.max(1);
    let col = |f: fn(&Candle) -> f64| candles.iter().map(f).collect::<Vec<f64>>();
    let ts: Vec<i64> = candles.iter().map(|c| c.ts).collect();
    let (o, h, l, c, v) = (col(|c| c.open), col(|c| c.high), col(|c| c.low), col(|c| c.close), col(|c| c.volume));
    let cols = Columns { ts: &ts, open: &o, high: &h, low: &l, close: &c, volume: &v };
    let mut pipeline = Vec::new();
    for spec in specs {
        let parsed = features::parse(spec)?;
        let mut best = f64::INFINITY;
        for _ in 0..repeats {
            let start = Instant::now();
            std::hint::black_box(compute_columns(&parsed, &cols)?);
            best = best.min(start.elapsed().as_secs_f64());
        }
        let ns = best * 1e9 / candles.len() as f64;
        pipeline.push(IndicatorTiming { spec: spec.to_string(), ns_per_bar: ns, million_bars_per_sec: 1e3 / ns });
    }
    let closes: Vec<f64> = candles.iter().map(|c| c.close).collect();
    let time = |mut f: Box<dyn FnMut(f64) -> Option<f64>>| {
        let mut best = f64::INFINITY;
        for _ in 0..repeats {
            let start = Instant::now();
            let mut acc = 0.0;
            for &x in &closes {
                acc += f(x).unwrap_or(0.0);
            }
            std::hint::black_box(acc);
            best = best.min(start.elapsed().as_secs_f64());
        }
        best * 1e9 / closes.len() as f64
    };
    let streaming_ns = vec![
        (
            "sma:30".to_string(),
            time({
                let mut s = Sma::new(30)?;
                Box::new(move |x| s.update(x))
            }),
        ),
        (
            "ema:30".to_string(),
            time({
                let mut s = Ema::new(30)?;
                Box::new(move |x| s.update(x))
            }),
        ),
        (
            "rsi:14".to_string(),
            time({
                let mut s = Rsi::new(14)?;
                Box::new(move |x| s.update(x))
            }),
        ),
    ];
    Ok(IndicatorBench { bars: candles.len(), repeats, pipeline, streaming_ns })
}

pub fn table(r: &IndicatorBench) -> String {
    let mut out = format!("{} bars, best of {} runs\n\nspec                  ns/bar    M bars/s\n", r.bars, r.repeats);
    for t in &r.pipeline {
        out += &format!("{:<20} {:>8.2} {:>10.1}\n", t.spec, t.ns_per_bar, t.million_bars_per_sec);
    }
    out += "\nbare streaming update (ns)\n";
    for (name, ns) in &r.streaming_ns {
        out += &format!("{name:<20} {ns:>8.2}\n");
    }
    out
}
