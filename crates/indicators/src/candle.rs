//! Indicators over whole bars (high, low, close, volume), not one series.

use crate::window::Ring;
use crate::{IndicatorError, check_period};

/// One bar as indicators see it: floats, because indicators are statistics.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Candle {
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

/// True range: `max(high, previous close) − min(low, previous close)`,
/// from the second bar on (TA-Lib's TRANGE).
#[derive(Debug, Clone, Default)]
pub struct TrueRange {
    prev_close: Option<f64>,
}

impl TrueRange {
    pub fn new() -> Self {
        Self::default()
    }
}

impl CandleIndicator for TrueRange {
    type Output = f64;
    #[inline]
    fn update(&mut self, c: &Candle) -> Option<f64> {
        let prev = self.prev_close.replace(c.close)?;
        Some(c.high.max(prev) - c.low.min(prev))
    }
    fn reset(&mut self) {
        self.prev_close = None;
    }
}

/// Average true range with Wilder smoothing, seeded with the plain average
/// of the first `period` true ranges (TA-Lib's ATR; first value on bar
/// `period`).
#[derive(Debug, Clone)]
pub struct Atr {
    period: usize,
    tr: TrueRange,
    count: usize,
    value: f64,
}

impl Atr {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("ATR", period, 1)?;
        Ok(Self { period, tr: TrueRange::new(), count: 0, value: 0.0 })
    }
}

impl CandleIndicator for Atr {
    type Output = f64;
    #[inline]
    fn update(&mut self, c: &Candle) -> Option<f64> {
        let tr = self.tr.update(c)?;
        self.count += 1;
        let n = self.period as f64;
        if self.count < self.period {
            self.value += tr;
            return None;
        }
        if self.count == self.period {
            self.value = (self.value + tr) / n;
        } else {
            // Wilder's step as TA-Lib computes it (see `Rsi`).
            self.value = (self.value * (n - 1.0) + tr) * (1.0 / n);
        }
        Some(self.value)
    }
    fn reset(&mut self) {
        self.tr.reset();
        self.count = 0;
        self.value = 0.0;
    }
}

/// ATR as a percentage of the close (TA-Lib's NATR).
#[derive(Debug, Clone)]
pub struct Natr(Atr);

impl Natr {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        Ok(Self(Atr::new(period)?))
    }
}

impl CandleIndicator for Natr {
    type Output = f64;
    fn update(&mut self, c: &Candle) -> Option<f64> {
        let atr = self.0.update(c)?;
        Some(if c.close != 0.0 { atr / c.close * 100.0 } else { 0.0 })
    }
    fn reset(&mut self) {
        self.0.reset();
    }
}

/// Williams %R over `period` bars: `(highest − close) / (highest − lowest) × −100`.
#[derive(Debug, Clone)]
pub struct WillR {
    high: RollingExtreme,
    low: RollingExtreme,
}

impl WillR {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("WILLR", period, 2)?;
        Ok(Self { high: RollingExtreme::max(period), low: RollingExtreme::min(period) })
    }
}

impl CandleIndicator for WillR {
    type Output = f64;
    fn update(&mut self, c: &Candle) -> Option<f64> {
        // Both trackers see every bar, ready or not.
        let (hi, lo) = (self.high.update(c.high), self.low.update(c.low));
        let ((hh, _), (ll, _)) = (hi?, lo?);
        let diff = (hh - ll) / -100.0;
        Some(if diff != 0.0 { (hh - c.close) / diff } else { 0.0 })
    }
    fn reset(&mut self) {
        self.high.reset();
        self.low.reset();
    }
}

/// Commodity Channel Index: `(tp − SMA(tp)) / (0.015 × mean deviation)`
/// with `tp = (high + low + close) / 3`. The mean absolute deviation needs
/// the whole window, so an update costs O(period), as in TA-Lib.
#[derive(Debug, Clone)]
pub struct Cci {
    window: Ring,
    sum: f64,
}

impl Cci {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("CCI", period, 2)?;
        Ok(Self { window: Ring::new(period), sum: 0.0 })
    }
}

impl CandleIndicator for Cci {
    type Output = f64;
    fn update(&mut self, c: &Candle) -> Option<f64> {
        let tp = (c.high + c.low + c.close) / 3.0;
        if let Some(old) = self.window.push(tp) {
            self.sum -= old;
        }
        self.sum += tp;
        if !self.window.is_full() {
            return None;
        }
        let n = self.window.capacity() as f64;
        let mean = self.sum / n;
        let dev = self.window.iter().map(|v| (v - mean).abs()).sum::<f64>() / n;
        Some(if dev != 0.0 { (tp - mean) / (0.015 * dev) } else { 0.0 })
    }
    fn reset(&mut self) {
        self.window.clear();
        self.sum = 0.0;
    }
}

/// Fast %K: where the close sits in the `period`-bar range, in percent
/// (0 when the range is empty).
#[derive(Debug, Clone)]
pub(crate) struct FastK {
    high: RollingExtreme,
    low: RollingExtreme,
}

impl FastK {
    pub(crate) fn new(period: usize) -> Self {
        Self { high: RollingExtreme::max(period), low: RollingExtreme::min(period) }
    }
    /// Over a single series (StochRSI): the series is high, low and close.
    pub(crate) fn update_hlc(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let (hi, lo) = (self.high.update(high), self.low.update(low));
        let ((hh, _), (ll, _)) = (hi?, lo?);
        // TA-Lib divides by the range in percent units, in this order, and
        // treats a range under 1e-8 (rounding noise on a flat series) as none.
        let diff = (hh - ll) / 100.0;
        Some(if -1e-8 < diff && diff < 1e-8 { 0.0 } else { (close - ll) / diff })
    }
    pub(crate) fn reset(&mut self) {
        self.high.reset();
        self.low.reset();
    }
}

/// Two lines of a stochastic oscillator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StochValue {
    pub k: f64,
    pub d: f64,
}

/// Slow stochastic (TA-Lib's STOCH with SMA smoothing): %K = SMA(fast %K,
/// `slow_k`), %D = SMA(%K, `slow_d`). Both lines start together, after
/// `fast_k + slow_k + slow_d − 3` bars.
#[derive(Debug, Clone)]
pub struct Stoch {
    fast: FastK,
    k: crate::Sma,
    d: crate::Sma,
}

impl Stoch {
    pub fn new(fast_k: usize, slow_k: usize, slow_d: usize) -> Result<Self, IndicatorError> {
        check_period("STOCH fastk", fast_k, 1)?;
        Ok(Self { fast: FastK::new(fast_k), k: crate::Sma::new(slow_k)?, d: crate::Sma::new(slow_d)? })
    }
}

impl CandleIndicator for Stoch {
    type Output = StochValue;
    fn update(&mut self, c: &Candle) -> Option<StochValue> {
        use crate::Indicator;
        let fast = self.fast.update_hlc(c.high, c.low, c.close)?;
        let k = self.k.update(fast)?;
        let d = self.d.update(k)?;
        Some(StochValue { k, d })
    }
    fn reset(&mut self) {
        use crate::Indicator;
        self.fast.reset();
        self.k.reset();
        self.d.reset();
    }
}

/// Fast stochastic (TA-Lib's STOCHF): fast %K and its SMA %D; both start
/// after `fast_k + fast_d − 2` bars.
#[derive(Debug, Clone)]
pub struct StochF {
    fast: FastK,
    d: crate::Sma,
}

impl StochF {
    pub fn new(fast_k: usize, fast_d: usize) -> Result<Self, IndicatorError> {
        check_period("STOCHF fastk", fast_k, 1)?;
        Ok(Self { fast: FastK::new(fast_k), d: crate::Sma::new(fast_d)? })
    }
}

impl CandleIndicator for StochF {
    type Output = StochValue;
    fn update(&mut self, c: &Candle) -> Option<StochValue> {
        use crate::Indicator;
        let k = self.fast.update_hlc(c.high, c.low, c.close)?;
        let d = self.d.update(k)?;
        Some(StochValue { k, d })
    }
    fn reset(&mut self) {
        use crate::Indicator;
        self.fast.reset();
        self.d.reset();
    }
}

/// Money Flow Index over `period` bars: the RSI of typical price weighted
/// by volume (TA-Lib's MFI; 0 when there was no flow).
#[derive(Debug, Clone)]
pub struct Mfi {
    prev_tp: Option<f64>,
    flows: Ring,
    signs: std::collections::VecDeque<i8>,
    pos: f64,
    neg: f64,
}

impl Mfi {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("MFI", period, 2)?;
        Ok(Self { prev_tp: None, flows: Ring::new(period), signs: Default::default(), pos: 0.0, neg: 0.0 })
    }
}

impl CandleIndicator for Mfi {
    type Output = f64;
    fn update(&mut self, c: &Candle) -> Option<f64> {
        let tp = (c.high + c.low + c.close) / 3.0;
        let prev = self.prev_tp.replace(tp)?;
        let flow = tp * c.volume;
        // A change under 1e-8 is float noise between equal typical prices
        // (TA-Lib 0.8 counts it as neither inflow nor outflow).
        let change = tp - prev;
        let sign = if -1e-8 < change && change < 1e-8 {
            0
        } else if change > 0.0 {
            1
        } else {
            -1
        };
        if let Some(old) = self.flows.push(flow) {
            match self.signs.pop_front() {
                Some(1) => self.pos -= old,
                Some(-1) => self.neg -= old,
                _ => {}
            }
        }
        self.signs.push_back(sign);
        match sign {
            1 => self.pos += flow,
            -1 => self.neg += flow,
            _ => {}
        }
        if !self.flows.is_full() {
            return None;
        }
        let total = self.pos + self.neg;
        Some(if total < 1.0 { 0.0 } else { 100.0 * self.pos / total })
    }
    fn reset(&mut self) {
        self.prev_tp = None;
        self.flows.clear();
        self.signs.clear();
        self.pos = 0.0;
        self.neg = 0.0;
    }
}

/// Aroon up and down over `period` bars (a window of `period + 1` highs
/// and lows): `100 × (period − bars since the extreme) / period`.
#[derive(Debug, Clone)]
pub struct Aroon {
    period: usize,
    high: RollingExtreme,
    low: RollingExtreme,
}

/// Aroon's two lines.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AroonValue {
    pub down: f64,
    pub up: f64,
}

impl Aroon {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("AROON", period, 2)?;
        Ok(Self { period, high: RollingExtreme::max(period + 1), low: RollingExtreme::min(period + 1) })
    }
}

impl CandleIndicator for Aroon {
    type Output = AroonValue;
    fn update(&mut self, c: &Candle) -> Option<AroonValue> {
        let (hi, lo) = (self.high.update(c.high), self.low.update(c.low));
        let ((_, up_age), (_, down_age)) = (hi?, lo?);
        let f = 100.0 / self.period as f64;
        let n = self.period as f64;
        Some(AroonValue { down: f * (n - down_age as f64), up: f * (n - up_age as f64) })
    }
    fn reset(&mut self) {
        self.high.reset();
        self.low.reset();
    }
}

/// On-balance volume, starting from the first bar's volume (TA-Lib's OBV).
#[derive(Debug, Clone, Default)]
pub struct Obv {
    prev_close: Option<f64>,
    value: f64,
}

impl Obv {
    pub fn new() -> Self {
        Self::default()
    }
}

impl CandleIndicator for Obv {
    type Output = f64;
    fn update(&mut self, c: &Candle) -> Option<f64> {
        match self.prev_close.replace(c.close) {
            None => self.value = c.volume,
            Some(p) if c.close > p => self.value += c.volume,
            Some(p) if c.close < p => self.value -= c.volume,
            Some(_) => {}
        }
        Some(self.value)
    }
    fn reset(&mut self) {
        *self = Self::default();
    }
}

/// Chaikin accumulation/distribution line (TA-Lib's AD).
#[derive(Debug, Clone, Default)]
pub struct Ad {
    value: f64,
}

impl Ad {
    pub fn new() -> Self {
        Self::default()
    }
}

impl CandleIndicator for Ad {
    type Output = f64;
    #[inline]
    fn update(&mut self, c: &Candle) -> Option<f64> {
        let range = c.high - c.low;
        if range > 0.0 {
            self.value += ((c.close - c.low) - (c.high - c.close)) / range * c.volume;
        }
        Some(self.value)
    }
    fn reset(&mut self) {
        self.value = 0.0;
    }
}

/// Chaikin A/D oscillator: EMA(AD, fast) − EMA(AD, slow), both EMAs seeded
/// with the first AD value (TA-Lib's ADOSC; first output after `slow − 1`
/// bars).
#[derive(Debug, Clone)]
pub struct AdOsc {
    ad: Ad,
    fast_k: f64,
    slow_k: f64,
    fast: f64,
    slow: f64,
    seen: usize,
    lookback: usize,
}

impl AdOsc {
    pub fn new(fast: usize, slow: usize) -> Result<Self, IndicatorError> {
        check_period("ADOSC fast", fast, 2)?;
        check_period("ADOSC slow", slow, 2)?;
        let k = |n: usize| 2.0 / (n as f64 + 1.0);
        Ok(Self {
            ad: Ad::new(),
            fast_k: k(fast),
            slow_k: k(slow),
            fast: 0.0,
            slow: 0.0,
            seen: 0,
            lookback: fast.max(slow) - 1,
        })
    }
}

impl CandleIndicator for AdOsc {
    type Output = f64;
    fn update(&mut self, c: &Candle) -> Option<f64> {
        let ad = self.ad.update(c)?;
        if self.seen == 0 {
            self.fast = ad;
            self.slow = ad;
        } else {
            self.fast = self.fast_k * ad + (1.0 - self.fast_k) * self.fast;
            self.slow = self.slow_k * ad + (1.0 - self.slow_k) * self.slow;
        }
        self.seen += 1;
        (self.seen > self.lookback).then_some(self.fast - self.slow)
    }
    fn reset(&mut self) {
        self.ad.reset();
        self.seen = 0;
    }
}

/// Ultimate oscillator over three periods (TA-Lib's ULTOSC, 7/14/28 by
/// default): weighted average of buying pressure over true range.
#[derive(Debug, Clone)]
pub struct UltOsc {
    prev_close: Option<f64>,
    windows: [(Ring, Ring, f64, f64); 3],
}

impl UltOsc {
    pub fn new(p1: usize, p2: usize, p3: usize) -> Result<Self, IndicatorError> {
        for p in [p1, p2, p3] {
            check_period("ULTOSC", p, 1)?;
        }
        let w = |p: usize| (Ring::new(p), Ring::new(p), 0.0, 0.0);
        // TA-Lib sorts the periods: the shortest gets weight 4.
        let mut ps = [p1, p2, p3];
        ps.sort_unstable();
        Ok(Self { prev_close: None, windows: [w(ps[0]), w(ps[1]), w(ps[2])] })
    }
}

impl CandleIndicator for UltOsc {
    type Output = f64;
    fn update(&mut self, c: &Candle) -> Option<f64> {
        let prev = self.prev_close.replace(c.close)?;
        let low = c.low.min(prev);
        let bp = c.close - low;
        let tr = c.high.max(prev) - low;
        let mut avg = [0.0; 3];
        let mut ready = true;
        for (i, (bps, trs, bsum, tsum)) in self.windows.iter_mut().enumerate() {
            if let Some(old) = bps.push(bp) {
                *bsum -= old;
            }
            if let Some(old) = trs.push(tr) {
                *tsum -= old;
            }
            *bsum += bp;
            *tsum += tr;
            ready &= bps.is_full();
            avg[i] = if *tsum != 0.0 { *bsum / *tsum } else { 0.0 };
        }
        ready.then(|| 100.0 * (4.0 * avg[0] + 2.0 * avg[1] + avg[2]) / 7.0)
    }
    fn reset(&mut self) {
        self.prev_close = None;
        for (a, b, s, t) in &mut self.windows {
            a.clear();
            b.clear();
            *s = 0.0;
            *t = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candle(h: f64, l: f64, c: f64, v: f64) -> Candle {
        Candle { open: c, high: h, low: l, close: c, volume: v }
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
