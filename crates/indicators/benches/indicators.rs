//! Criterion benches: every feature in batch over 1M bars (the
//! `compute_columns` path research uses), and one streaming update of the
//! indicators a live strategy updates per tick.
//!
//! `cargo bench -p pyrt-indicators` (add `-- sma` to filter). The TA-Lib
//! comparison on the same arrays is `benches/indicators_vs_talib.py`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pyrt_indicators::features::{self, Columns};
use pyrt_indicators::{Ema, Indicator, Rsi, Sma};

const BARS: usize = 1_000_000;

/// A seeded random walk of one-minute bars (no data files needed).
struct Bars {
    ts: Vec<i64>,
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
}

fn bars(n: usize) -> Bars {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut uniform = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut b = Bars { ts: vec![], open: vec![], high: vec![], low: vec![], close: vec![], volume: vec![] };
    let mut price = 100.0;
    for i in 0..n {
        let open = price;
        price *= 1.0 + (uniform() - 0.5) * 0.002;
        b.ts.push(i as i64 * 60_000_000_000);
        b.open.push(open);
        b.close.push(price);
        b.high.push(open.max(price) * (1.0 + uniform() * 0.0005));
        b.low.push(open.min(price) * (1.0 - uniform() * 0.0005));
        b.volume.push(1_000.0 + uniform() * 500.0);
    }
    b
}

const SPECS: &[&str] = &[
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
    "stddev:20",
    "bbands:20:2",
    "stochrsi:14:5:3",
    "zscore:20",
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
    "adx:14",
    "obv",
    "ad",
    "adosc:3:10",
    "ultosc:7:14:28",
    "sar",
    "keltner:20:2",
    "donchian:20",
    "vwap",
    "correl:30",
    "beta:5",
];

fn batch(c: &mut Criterion) {
    let b = bars(BARS);
    let cols = Columns { ts: &b.ts, open: &b.open, high: &b.high, low: &b.low, close: &b.close, volume: &b.volume };
    let mut group = c.benchmark_group("batch_1M");
    group
        .throughput(Throughput::Elements(BARS as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for spec in SPECS {
        let parsed = features::parse(spec).expect("valid spec");
        group.bench_with_input(BenchmarkId::from_parameter(spec), &parsed, |bench, parsed| {
            bench.iter(|| features::compute_columns(black_box(parsed), black_box(&cols)).expect("finite input"))
        });
    }
    group.finish();
}

fn streaming(c: &mut Criterion) {
    let b = bars(4096);
    let mut group = c.benchmark_group("streaming_update");
    group.throughput(Throughput::Elements(1));
    macro_rules! one_update {
        ($name:literal, $make:expr) => {
            group.bench_function($name, |bench| {
                let mut ind = $make;
                let mut i = 0usize;
                bench.iter(|| {
                    i = (i + 1) & 4095;
                    black_box(ind.update(black_box(b.close[i])))
                })
            });
        };
    }
    one_update!("sma:30", Sma::new(30).unwrap());
    one_update!("ema:30", Ema::new(30).unwrap());
    one_update!("rsi:14", Rsi::new(14).unwrap());
    group.finish();
}

criterion_group!(benches, batch, streaming);
criterion_main!(benches);
