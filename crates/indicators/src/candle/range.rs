//! Bar-range indicators: true range, ATR, NATR, CCI, Aroon, ultimate oscillator, parabolic SAR.

use super::*;
use crate::wilder::{wilder_step, wilder_weights};

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
    /// Wilder's weights for `period`.
    weights: (f64, f64),
    tr: TrueRange,
    count: usize,
    value: f64,
}

impl Atr {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("ATR", period, 1)?;
        Ok(Self { period, weights: wilder_weights(period), tr: TrueRange::new(), count: 0, value: 0.0 })
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
            self.value = wilder_step(self.value, tr, self.weights);
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
    #[inline]
    fn update(&mut self, c: &Candle) -> Option<f64> {
        let atr = self.0.update(c)?;
        Some(if c.close != 0.0 { atr / c.close * 100.0 } else { 0.0 })
    }
    fn reset(&mut self) {
        self.0.reset();
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
    #[inline]
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
    #[inline]
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
    #[inline]
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

/// SAR's step toward the extreme point, `sar + af·(ep − sar)`, with the
/// multiply-add fused as TA-Lib's FMA build computes it: the step is
/// SAR's serial chain, and fusing shortens it.
#[inline(always)]
pub(crate) fn sar_step(sar: f64, af: f64, ep: f64) -> f64 {
    af.mul_add(ep - sar, sar)
}

/// The lower of two values as one `minsd`: `f64::min`'s NaN handling adds
/// two instructions to SAR's chain, and inputs here are finite.
#[inline(always)]
pub(crate) fn lower(a: f64, b: f64) -> f64 {
    if a < b { a } else { b }
}

/// The higher of two values as one `maxsd` (see [`lower`]).
#[inline(always)]
pub(crate) fn higher(a: f64, b: f64) -> f64 {
    if a > b { a } else { b }
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
    #[inline]
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
                st.sar = higher(higher(st.ep, prev_high), high);
                out = st.sar;
                st.af = acc;
                st.ep = low;
                st.sar = higher(higher(sar_step(st.sar, st.af, st.ep), prev_high), high);
            } else {
                out = st.sar;
                if high > st.ep {
                    st.ep = high;
                    st.af = (st.af + acc).min(max);
                }
                st.sar = lower(lower(sar_step(st.sar, st.af, st.ep), prev_low), low);
            }
        } else if high >= st.sar {
            st.long = true;
            st.sar = lower(lower(st.ep, prev_low), low);
            out = st.sar;
            st.af = acc;
            st.ep = high;
            st.sar = lower(lower(sar_step(st.sar, st.af, st.ep), prev_low), low);
        } else {
            out = st.sar;
            if low < st.ep {
                st.ep = low;
                st.af = (st.af + acc).min(max);
            }
            st.sar = higher(higher(sar_step(st.sar, st.af, st.ep), prev_high), high);
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
