//! Seeded synthetic market data: geometric Brownian motion bars and ticks.
//!
//! The same seed gives the same series on every machine (xoshiro256++ and
//! a fixed sampling order), so the README demo and the benchmarks need no
//! download and reproduce exactly. Prices are rounded to the tick; each
//! bar walks four sub-steps so its high and low come from a path, not
//! noise added afterwards.

use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{Bar, InstrumentId, MarketEvent, Price, Quantity, Quote, Trade, UnixNanos};
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Parameters of a GBM series.
#[derive(Debug, Clone)]
pub struct GbmParams {
    pub seed: u64,
    pub instrument: InstrumentId,
    pub start_ts: UnixNanos,
    pub interval_ns: i64,
    pub start_price: f64,
    /// Annualised drift (0.05 = 5 % a year).
    pub drift: f64,
    /// Annualised volatility (0.2 = 20 % a year).
    pub volatility: f64,
    pub tick: Price,
    /// Mean volume per bar (lognormal around it).
    pub mean_volume: f64,
}

impl Default for GbmParams {
    fn default() -> Self {
        Self {
            seed: 42,
            instrument: InstrumentId(0),
            start_ts: 946_857_600 * 1_000_000_000, // 2000-01-03
            interval_ns: NANOS_PER_DAY,
            start_price: 100.0,
            drift: 0.05,
            volatility: 0.2,
            tick: Price::from_raw(10_000_000), // 0.01
            mean_volume: 1_000_000.0,
        }
    }
}

const SUBSTEPS: usize = 4;

/// An endless, deterministic stream of GBM bars.
pub struct GbmBars {
    p: GbmParams,
    rng: Xoshiro256PlusPlus,
    ts: UnixNanos,
    log_price: f64,
    mu_step: f64,
    sigma_step: f64,
}

impl GbmBars {
    pub fn new(p: GbmParams) -> Self {
        let year = 365.25 * NANOS_PER_DAY as f64;
        let dt = p.interval_ns as f64 / year / SUBSTEPS as f64;
        let sigma_step = p.volatility * dt.sqrt();
        let mu_step = (p.drift - 0.5 * p.volatility * p.volatility) * dt;
        Self {
            rng: Xoshiro256PlusPlus::seed_from_u64(p.seed),
            ts: p.start_ts,
            log_price: p.start_price.ln(),
            mu_step,
            sigma_step,
            p,
        }
    }

    fn price(&self, log_price: f64) -> Price {
        let tick = self.p.tick;
        Price::from_f64(log_price.exp()).map(|x| x.floor_to(tick).max(tick)).unwrap_or(tick)
    }

    /// The next bar.
    #[inline]
    pub fn next_bar(&mut self) -> Bar {
        let open = self.price(self.log_price);
        let (mut high, mut low) = (open, open);
        for _ in 0..SUBSTEPS {
            let z: f64 = self.rng.sample(StandardNormal);
            self.log_price += self.mu_step + self.sigma_step * z;
            let px = self.price(self.log_price);
            high = high.max(px);
            low = low.min(px);
        }
        let close = self.price(self.log_price);
        let z: f64 = self.rng.sample(StandardNormal);
        let volume = (self.p.mean_volume * (0.5 * z - 0.125).exp()).round();
        let ts = self.ts;
        self.ts += self.p.interval_ns;
        Bar {
            instrument: self.p.instrument,
            ts_event: ts,
            ts_recv: ts,
            open,
            high,
            low,
            close,
            volume: Quantity::from_f64(volume).unwrap_or(Quantity::ZERO),
        }
    }
}

impl Iterator for GbmBars {
    type Item = Result<MarketEvent, std::convert::Infallible>;
    fn next(&mut self) -> Option<Self::Item> {
        Some(Ok(MarketEvent::Bar(self.next_bar())))
    }
}

/// A deterministic stream of trades and quotes around a GBM mid price:
/// each step is a quote (one tick wide) followed, half the time, by a
/// trade at the bid or the ask.
pub struct GbmTicks {
    bars: GbmBars,
    pending_trade: Option<Trade>,
}

impl GbmTicks {
    /// `p.interval_ns` is the time between quotes.
    pub fn new(p: GbmParams) -> Self {
        Self { bars: GbmBars::new(p), pending_trade: None }
    }
}

impl Iterator for GbmTicks {
    type Item = Result<MarketEvent, std::convert::Infallible>;
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(t) = self.pending_trade.take() {
            return Some(Ok(MarketEvent::Trade(t)));
        }
        let bar = self.bars.next_bar();
        let tick = self.bars.p.tick;
        let (bid, ask) = (bar.close, bar.close + tick);
        let size = Quantity::from_int(1 + (bar.volume.raw() / 1_000_000_000) % 100);
        let quote = Quote {
            instrument: bar.instrument,
            ts_event: bar.ts_event,
            ts_recv: bar.ts_recv,
            bid,
            ask,
            bid_size: size,
            ask_size: size,
        };
        let u: f64 = self.bars.rng.random();
        if u < 0.5 {
            let buy = u < 0.25;
            self.pending_trade = Some(Trade {
                instrument: bar.instrument,
                ts_event: bar.ts_event + 1,
                ts_recv: bar.ts_recv + 1,
                price: if buy { ask } else { bid },
                size,
                aggressor: Some(if buy { pyrt_model::Side::Buy } else { pyrt_model::Side::Sell }),
            });
        }
        Some(Ok(MarketEvent::Quote(quote)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_series_and_bars_are_consistent() {
        let a: Vec<Bar> = {
            let mut g = GbmBars::new(GbmParams::default());
            (0..500).map(|_| g.next_bar()).collect()
        };
        let mut g = GbmBars::new(GbmParams::default());
        for bar in &a {
            assert_eq!(*bar, g.next_bar());
            assert!(bar.low <= bar.open && bar.open <= bar.high);
            assert!(bar.low <= bar.close && bar.close <= bar.high);
            assert!(bar.low.is_positive() && bar.close.is_multiple_of(Price::from_raw(10_000_000)));
        }
        assert!(a.windows(2).all(|w| w[1].ts_event - w[0].ts_event == NANOS_PER_DAY));
        let other = GbmBars::new(GbmParams { seed: 7, ..GbmParams::default() }).next_bar();
        assert_ne!(other.close, a[0].close);
    }

    #[test]
    fn volatility_is_roughly_as_asked() {
        let mut g = GbmBars::new(GbmParams { volatility: 0.3, ..GbmParams::default() });
        let closes: Vec<f64> = (0..20_000).map(|_| g.next_bar().close.to_f64()).collect();
        let rets: Vec<f64> = closes.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
        let mean = rets.iter().sum::<f64>() / rets.len() as f64;
        let var = rets.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (rets.len() - 1) as f64;
        let annual = (var * 365.25).sqrt();
        assert!((annual - 0.3).abs() < 0.02, "annualised vol {annual}");
    }

    #[test]
    fn ticks_are_time_ordered_quotes_and_trades() {
        let events: Vec<MarketEvent> = GbmTicks::new(GbmParams { interval_ns: 1_000_000, ..GbmParams::default() })
            .take(1000)
            .map(|e| e.unwrap())
            .collect();
        assert!(events.windows(2).all(|w| w[0].ts() <= w[1].ts()));
        let trades = events.iter().filter(|e| matches!(e, MarketEvent::Trade(_))).count();
        assert!(trades > 200 && trades < 500, "{trades}");
    }
}
