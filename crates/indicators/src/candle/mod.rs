//! Indicators over whole bars (high, low, close, volume), not one series.

use crate::window::Ring;
use crate::{IndicatorError, check_period};

mod channel;
mod range;
mod shape;
mod stochastic;
mod volume;

pub use channel::*;
pub use range::*;
pub use shape::*;
pub use stochastic::*;
pub use volume::*;

/// One bar as indicators see it: floats, because indicators are statistics.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Candle {
    /// Bar time, nanoseconds since the epoch (session-based indicators).
    pub ts: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

/// A streaming indicator over bars.
pub trait CandleIndicator {
    type Output;
    fn update(&mut self, candle: &Candle) -> Option<Self::Output>;
    fn reset(&mut self);
}

/// Runs a bar indicator over a slice: `None` until it is ready.
pub fn batch_candles<I: CandleIndicator>(mut indicator: I, candles: &[Candle]) -> Vec<Option<I::Output>> {
    candles.iter().map(|c| indicator.update(c)).collect()
}

/// The highest or lowest value of the last `period` values, with its age,
/// in amortised O(1) (a monotonic deque). Ties go to the most recent value,
/// as TA-Lib's AROON, WILLR and STOCH do.
#[derive(Debug, Clone)]
pub(crate) struct RollingExtreme {
    period: usize,
    seen: u64,
    /// `(index, value)` with values strictly better from back to front.
    deque: std::collections::VecDeque<(u64, f64)>,
    max: bool,
}

impl RollingExtreme {
    pub(crate) fn max(period: usize) -> Self {
        Self { period, seen: 0, deque: Default::default(), max: true }
    }
    pub(crate) fn min(period: usize) -> Self {
        Self { period, seen: 0, deque: Default::default(), max: false }
    }
    /// Adds a value; returns `(extreme, bars since it)` once `period` values were seen.
    #[inline]
    pub(crate) fn update(&mut self, value: f64) -> Option<(f64, u64)> {
        let i = self.seen;
        self.seen += 1;
        let better_or_equal = |a: f64, b: f64, max: bool| if max { a >= b } else { a <= b };
        while let Some(&(_, v)) = self.deque.back() {
            if better_or_equal(value, v, self.max) {
                self.deque.pop_back();
            } else {
                break;
            }
        }
        self.deque.push_back((i, value));
        while let Some(&(j, _)) = self.deque.front() {
            if j + (self.period as u64) <= i {
                self.deque.pop_front();
            } else {
                break;
            }
        }
        (self.seen >= self.period as u64).then(|| {
            let (j, v) = self.deque[0];
            (v, i - j)
        })
    }
    pub(crate) fn reset(&mut self) {
        self.seen = 0;
        self.deque.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candle(h: f64, l: f64, c: f64, v: f64) -> Candle {
        Candle { ts: 0, open: c, high: h, low: l, close: c, volume: v }
    }

    #[test]
    fn rolling_extreme_tracks_max_and_its_age_with_ties_to_the_newest() {
        let mut m = RollingExtreme::max(3);
        assert_eq!(m.update(1.0), None);
        assert_eq!(m.update(5.0), None);
        assert_eq!(m.update(2.0), Some((5.0, 1)));
        assert_eq!(m.update(5.0), Some((5.0, 0)));
        assert_eq!(m.update(1.0), Some((5.0, 1)));
        assert_eq!(m.update(1.0), Some((5.0, 2)));
        // Window [1, 1, 0.5]: the newer 1 (one bar ago) is the maximum.
        assert_eq!(m.update(0.5), Some((1.0, 1)));
    }

    #[test]
    fn atr_is_seeded_with_the_average_true_range() {
        let bars = [
            candle(10.0, 9.0, 9.5, 0.0),
            candle(11.0, 9.0, 10.0, 0.0),
            candle(10.5, 9.5, 10.0, 0.0),
            candle(12.0, 10.0, 11.0, 0.0),
        ];
        let out = batch_candles(Atr::new(2).unwrap(), &bars);
        assert_eq!(out[..2], [None, None]);
        assert_eq!(out[2], Some((2.0 + 1.0) / 2.0));
        assert_eq!(out[3], Some((1.5 * 1.0 + 2.0) / 2.0));
    }

    #[test]
    fn obv_ad_and_aroon() {
        let bars = [candle(10.0, 8.0, 9.0, 100.0), candle(11.0, 9.0, 11.0, 50.0), candle(11.0, 9.0, 10.0, 30.0)];
        let obv: Vec<_> = batch_candles(Obv::new(), &bars).into_iter().flatten().collect();
        assert_eq!(obv, vec![100.0, 150.0, 120.0]);
        let ad: Vec<_> = batch_candles(Ad::new(), &bars).into_iter().flatten().collect();
        assert_eq!(ad, vec![0.0, 50.0, 50.0]);
        let aroon = batch_candles(Aroon::new(2).unwrap(), &bars);
        // High 11 twice: the newest counts (age 0); low 8 two bars ago.
        assert_eq!(aroon[2], Some(AroonValue { up: 100.0, down: 0.0 }));
    }

    #[test]
    fn sar_flips_when_price_crosses_it() {
        let mut bars: Vec<Candle> =
            (0..10).map(|i| candle(11.0 + i as f64, 9.0 + i as f64, 10.0 + i as f64, 0.0)).collect();
        bars.extend((0..5).map(|i| candle(15.0 - 3.0 * i as f64, 12.0 - 3.0 * i as f64, 13.0 - 3.0 * i as f64, 0.0)));
        let out = batch_candles(Sar::new(0.02, 0.2).unwrap(), &bars);
        assert!(out[0].is_none());
        // Rising: SAR below the lows.
        assert!((1..10).all(|i| out[i].unwrap() <= bars[i].low));
        // After the collapse the SAR sits above the highs.
        assert!(out[14].unwrap() >= bars[14].high);
    }

    #[test]
    fn channels_and_vwap() {
        let bars = [candle(10.0, 8.0, 9.0, 100.0), candle(12.0, 9.0, 11.0, 300.0), candle(11.0, 7.0, 8.0, 100.0)];
        let d = batch_candles(Donchian::new(2).unwrap(), &bars);
        assert_eq!(d[2], Some(Bands { upper: 12.0, middle: 9.5, lower: 7.0 }));
        let v = batch_candles(Vwap::rolling(2).unwrap(), &bars);
        let tp = |c: &Candle| (c.high + c.low + c.close) / 3.0;
        let want = (tp(&bars[1]) * 300.0 + tp(&bars[2]) * 100.0) / 400.0;
        assert!((v[2].unwrap() - want).abs() < 1e-12);
        let mut session = Vwap::session();
        let mut day2 = bars[2];
        day2.ts = NANOS_PER_DAY;
        session.update(&bars[0]);
        assert_eq!(session.update(&day2), Some(tp(&day2)));
    }

    #[test]
    fn stochastics() {
        let bars: Vec<Candle> = (0..10).map(|i| candle(10.0 + i as f64, 5.0 + i as f64, 8.0 + i as f64, 1.0)).collect();
        let f = batch_candles(StochF::new(3, 2).unwrap(), &bars);
        assert!(f[2].is_none());
        let v = f[3].unwrap();
        // window highs 11..13 / lows 6..8: (11 - 6) / (13 - 6) = 5/7 each bar.
        assert!((v.k - 500.0 / 7.0).abs() < 1e-12 && (v.d - 500.0 / 7.0).abs() < 1e-12);
        assert_eq!(batch_candles(Stoch::new(3, 2, 2).unwrap(), &bars).iter().position(Option::is_some), Some(4));
    }
}
