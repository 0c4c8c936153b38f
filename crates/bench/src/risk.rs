//! `pyrt-bench risk`: latency of one pre-trade check.
//!
//! 100 instruments, every limit enabled (order size and notional, price
//! band, three order-rate windows, position, gross/net exposure,
//! concentration, a 10-instrument group, leverage, cash buffer), random
//! orders that pass (the full path: a denial returns early). Each check is
//! timed alone; the cost of reading the clock, measured the same way, is
//! subtracted.

use anyhow::Result;
use pyrt_model::{Instrument, InstrumentId, Money, Price, Quantity, Side};
use pyrt_risk::{Exposures, OrderCheck, RiskEngine, RiskLimits};
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::latency::Recorder;

#[derive(Debug, Serialize)]
pub struct RiskBench {
    pub checks: usize,
    pub instruments: usize,
    pub p50_ns: f64,
    pub p99_ns: f64,
    pub p999_ns: f64,
    pub mean_ns: f64,
    pub clock_overhead_ns: f64,
}

const LIMITS: &str = r#"
[order_limits]
max_quantity = 1000
max_notional = 1000000
price_band_bps = 1000
max_orders_per_second = 1000000
max_orders_per_minute = 10000000
max_orders_per_second_per_instrument = 1000000
[position_limits]
max_quantity = 100000
max_notional = 5000000
max_gross_exposure = 100000000
max_net_exposure = 50000000
max_concentration = 0.9
[position_limits.groups.first_ten]
symbols = ["S0", "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9"]
max_gross_exposure = 50000000
[margin]
max_leverage = 10.0
cash_buffer = 0.01
[risk_metrics]
daily_loss_limit = 1000000
max_drawdown = 0.5
var_limit_1d_95 = 1000000000
var_min_days = 20
[circuit_breakers]
max_consecutive_rejects = 10
max_fill_deviation_bps = 500
max_data_age_ms = 5000
"#;

struct Book(Vec<Money>);
impl Exposures for Book {
    fn abs_exposure(&self, i: InstrumentId) -> Money {
        self.0[i.index()]
    }
}

pub fn run(checks: usize) -> Result<RiskBench> {
    let n = 100;
    let instruments: Vec<Instrument> = (0..n)
        .map(|i| {
            Instrument::new(InstrumentId(i as u32), format!("S{i}"), Price::from_raw(10_000_000), Quantity::from_int(1))
        })
        .collect();
    let mut engine = RiskEngine::new(RiskLimits::from_toml(LIMITS)?, &instruments)?;
    let book = Book((0..n).map(|i| Money::from_int(1000 + i as i64)).collect());
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    // Thirty days of prices and a position in every instrument, so the VaR
    // model (a 100 × 100 covariance) is live for every check.
    let mut prices = vec![100.0f64; n];
    for day in 0..30 {
        for (i, p) in prices.iter_mut().enumerate() {
            *p *= 1.0 + (rng.random::<f64>() - 0.5) * 0.04;
            engine.on_price(InstrumentId(i as u32), Price::from_f64(*p)?, day * pyrt_model::time::NANOS_PER_DAY);
        }
    }
    for i in 0..n {
        engine.on_position(InstrumentId(i as u32), Quantity::from_int(10));
    }
    anyhow::ensure!(engine.var_1d_95().is_some(), "the VaR model is not live");
    let mut timer = Recorder::new(checks);
    let overhead = timer.clock_overhead_ns();
    for k in 0..checks {
        let i = rng.random_range(0..n);
        let mark = Price::from_int(100 + rng.random_range(0..50));
        let o = OrderCheck {
            now: 30 * pyrt_model::time::NANOS_PER_DAY + k as i64 * 1_000_000,
            instrument: &instruments[i],
            side: if rng.random::<bool>() { Side::Buy } else { Side::Sell },
            qty: Some(Quantity::from_int(rng.random_range(1..100))),
            amount: None,
            price: Some(mark),
            reduce_only: false,
            mark: Some(mark),
            data_age_ns: Some(1_000),
            position: Quantity::ZERO,
            equity: Money::from_int(10_000_000),
            cash: Money::from_int(10_000_000),
            gross_exposure: Money::from_int(1_000_000),
            net_exposure: Money::from_int(100_000),
        };
        let r = timer.time(|| engine.check(&o, &book, false));
        anyhow::ensure!(r.is_ok(), "benchmark order denied: {r:?}");
        engine.record_order(o.now, o.instrument.id);
    }
    let p = timer.percentiles();
    Ok(RiskBench {
        checks,
        instruments: n,
        p50_ns: p.p50_ns,
        p99_ns: p.p99_ns,
        p999_ns: p.p999_ns,
        mean_ns: p.mean_ns,
        clock_overhead_ns: overhead,
    })
}

pub fn table(r: &RiskBench) -> String {
    format!(
        "pre-trade check, {} instruments, every limit on, {} checks\n\
         p50   {:>8.1} ns\np99   {:>8.1} ns\np99.9 {:>8.1} ns\nmean  {:>8.1} ns\n(clock read overhead {:.1} ns subtracted)\n",
        r.instruments, r.checks, r.p50_ns, r.p99_ns, r.p999_ns, r.mean_ns, r.clock_overhead_ns
    )
}
