//! Indicators over whole bars (high, low, close, volume), not one series.

use crate::window::Ring;
use crate::{IndicatorError, check_period};

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
        // Oldest first, so the batch kernel can repeat the same sum.
        let dev = self.window.iter_ordered().map(|v| (v - mean).abs()).sum::<f64>() / n;
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

/// Parabolic SAR (TA-Lib's SAR): the first bar only seeds; the direction
/// starts short if the second bar has downward directional movement,
/// long otherwise; each new SAR is kept out of the previous and current
/// bars' range.
#[derive(Debug, Clone)]
pub struct Sar {
    acceleration: f64,
    maximum: f64,
    first: Option<(f64, f64)>,
    state: Option<SarState>,
}

#[derive(Debug, Clone, Copy)]
struct SarState {
    long: bool,
    sar: f64,
    ep: f64,
    af: f64,
    prev_high: f64,
    prev_low: f64,
}

impl Sar {
    pub fn new(acceleration: f64, maximum: f64) -> Result<Self, IndicatorError> {
        if !(acceleration >= 0.0 && maximum >= 0.0 && acceleration.is_finite() && maximum.is_finite()) {
            return Err(IndicatorError::Parameter {
                name: "SAR",
                message: "acceleration and maximum must be finite and not negative",
            });
        }
        Ok(Self { acceleration: acceleration.min(maximum), maximum, first: None, state: None })
    }
}

impl CandleIndicator for Sar {
    type Output = f64;
    fn update(&mut self, c: &Candle) -> Option<f64> {
        let (high, low) = (c.high, c.low);
        let mut st = match self.state {
            Some(st) => st,
            None => {
                let Some((h0, l0)) = self.first else {
                    self.first = Some((high, low));
                    return None;
                };
                let (diff_p, diff_m) = (high - h0, l0 - low);
                let falling = diff_m > 0.0 && diff_p < diff_m;
                let (ep, sar) = if falling { (low, h0) } else { (high, l0) };
                // TA-Lib lets the second bar be its own "previous" bar.
                SarState { long: !falling, sar, ep, af: self.acceleration, prev_high: high, prev_low: low }
            }
        };
        let (prev_high, prev_low) = (st.prev_high, st.prev_low);
        let (acc, max) = (self.acceleration, self.maximum);
        let out;
        if st.long {
            if low <= st.sar {
                st.long = false;
                st.sar = st.ep.max(prev_high).max(high);
                out = st.sar;
                st.af = acc;
                st.ep = low;
                st.sar = (st.sar + st.af * (st.ep - st.sar)).max(prev_high).max(high);
            } else {
                out = st.sar;
                if high > st.ep {
                    st.ep = high;
                    st.af = (st.af + acc).min(max);
                }
                st.sar = (st.sar + st.af * (st.ep - st.sar)).min(prev_low).min(low);
            }
        } else if high >= st.sar {
            st.long = true;
            st.sar = st.ep.min(prev_low).min(low);
            out = st.sar;
            st.af = acc;
            st.ep = high;
            st.sar = (st.sar + st.af * (st.ep - st.sar)).min(prev_low).min(low);
        } else {
            out = st.sar;
            if low < st.ep {
                st.ep = low;
                st.af = (st.af + acc).min(max);
            }
            st.sar = (st.sar + st.af * (st.ep - st.sar)).max(prev_high).max(high);
        }
        st.prev_high = high;
        st.prev_low = low;
        self.state = Some(st);
        Some(out)
    }
    fn reset(&mut self) {
        self.first = None;
        self.state = None;
    }
}

/// Three bands around a middle line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bands {
    pub upper: f64,
    pub middle: f64,
    pub lower: f64,
}

/// Keltner channels: EMA(close, `period`) ± `k` × ATR(`period`).
#[derive(Debug, Clone)]
pub struct Keltner {
    ema: crate::Ema,
    atr: Atr,
    k: f64,
}

impl Keltner {
    pub fn new(period: usize, k: f64) -> Result<Self, IndicatorError> {
        Ok(Self { ema: crate::Ema::new(period)?, atr: Atr::new(period)?, k })
    }
}

impl CandleIndicator for Keltner {
    type Output = Bands;
    fn update(&mut self, c: &Candle) -> Option<Bands> {
        use crate::Indicator;
        let (m, a) = (self.ema.update(c.close), self.atr.update(c));
        let (middle, atr) = (m?, a?);
        Some(Bands { upper: middle + self.k * atr, middle, lower: middle - self.k * atr })
    }
    fn reset(&mut self) {
        use crate::Indicator;
        self.ema.reset();
        self.atr.reset();
    }
}

/// Donchian channels: highest high and lowest low of `period` bars, and
/// their midpoint.
#[derive(Debug, Clone)]
pub struct Donchian {
    high: RollingExtreme,
    low: RollingExtreme,
}

impl Donchian {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("DONCHIAN", period, 1)?;
        Ok(Self { high: RollingExtreme::max(period), low: RollingExtreme::min(period) })
    }
}

impl CandleIndicator for Donchian {
    type Output = Bands;
    fn update(&mut self, c: &Candle) -> Option<Bands> {
        let (hi, lo) = (self.high.update(c.high), self.low.update(c.low));
        let ((upper, _), (lower, _)) = (hi?, lo?);
        Some(Bands { upper, middle: (upper + lower) / 2.0, lower })
    }
    fn reset(&mut self) {
        self.high.reset();
        self.low.reset();
    }
}

/// Volume-weighted average of the typical price `(h + l + c) / 3`: over
/// the current UTC day (`period = None`, resetting at midnight) or over the
/// last `period` bars. Bars with no volume so far give the typical price.
#[derive(Debug, Clone)]
pub struct Vwap {
    window: Option<(Ring, Ring)>,
    day: i64,
    pv: f64,
    vol: f64,
}

const NANOS_PER_DAY: i64 = 86_400_000_000_000;

impl Vwap {
    /// Session VWAP, reset at each UTC midnight.
    pub fn session() -> Self {
        Self { window: None, day: i64::MIN, pv: 0.0, vol: 0.0 }
    }
    /// Rolling VWAP over `period` bars.
    pub fn rolling(period: usize) -> Result<Self, IndicatorError> {
        check_period("VWAP", period, 1)?;
        Ok(Self { window: Some((Ring::new(period), Ring::new(period))), day: i64::MIN, pv: 0.0, vol: 0.0 })
    }
}

impl CandleIndicator for Vwap {
    type Output = f64;
    fn update(&mut self, c: &Candle) -> Option<f64> {
        let tp = (c.high + c.low + c.close) / 3.0;
        let (pv, v) = (tp * c.volume, c.volume);
        match &mut self.window {
            None => {
                let day = c.ts.div_euclid(NANOS_PER_DAY);
                if day != self.day {
                    self.day = day;
                    self.pv = 0.0;
                    self.vol = 0.0;
                }
            }
            Some((pvs, vs)) => {
                if let (Some(old_pv), Some(old_v)) = (pvs.push(pv), vs.push(v)) {
                    self.pv -= old_pv;
                    self.vol -= old_v;
                }
                if !pvs.is_full() {
                    self.pv += pv;
                    self.vol += v;
                    return None;
                }
            }
        }
        self.pv += pv;
        self.vol += v;
        Some(if self.vol > 0.0 { self.pv / self.vol } else { tp })
    }
    fn reset(&mut self) {
        if let Some((a, b)) = &mut self.window {
            a.clear();
            b.clear();
        }
        self.day = i64::MIN;
        self.pv = 0.0;
        self.vol = 0.0;
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
