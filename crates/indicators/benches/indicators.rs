//! Criterion benches: every feature in batch over 1M bars (the
//! `compute_columns` path research uses), and one streaming update of the
//! indicators a live strategy updates per tick.
//!
//! `cargo bench -p pyrt-indicators` (add `-- sma` to filter). The TA-Lib
//! comparison on the same arrays is `benches/indicators_vs_talib.py`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pyrt_data::{GbmBars, GbmParams};
use pyrt_indicators::features::{self, Columns};
use pyrt_indicators::{Ema, Indicator, Rsi, Sma};

const BARS: usize = 1_000_000;

/// Seeded GBM one-minute bars (no data files needed), as columns.
struct Bars {
    ts: Vec<i64>,
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
}

fn bars(n: usize) -> Bars {
    let mut g = GbmBars::new(GbmParams { interval_ns: 60_000_000_000, volatility: 0.3, ..GbmParams::default() });
    let mut b = Bars { ts: vec![], open: vec![], high: vec![], low: vec![], close: vec![], volume: vec![] };
    for _ in 0..n {
        let bar = g.next_bar();
        b.ts.push(bar.ts_event);
        b.open.push(bar.open.to_f64());
        b.high.push(bar.high.to_f64());
        b.low.push(bar.low.to_f64());
        b.close.push(bar.close.to_f64());
        b.volume.push(bar.volume.to_f64());
    }
    b
}

/// Every feature the spec language knows, at its default (TA-Lib) arguments, over 1M bars.
fn batch(c: &mut Criterion) {
    let b = bars(BARS);
    let cols = Columns { ts: &b.ts, open: &b.open, high: &b.high, low: &b.low, close: &b.close, volume: &b.volume };
    let mut group = c.benchmark_group("batch_1M");
    group
        .throughput(Throughput::Elements(BARS as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for spec in features::feature_names() {
        let parsed = features::parse(spec).expect("every name parses with its defaults");
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
