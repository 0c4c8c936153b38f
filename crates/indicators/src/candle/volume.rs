//! Volume indicators: MFI, OBV, the A/D line, the Chaikin oscillator, session VWAP.

use super::*;

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
    #[inline]
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
    #[inline]
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
    #[inline]
    fn update(&mut self, c: &Candle) -> Option<f64> {
        let ad = self.ad.update(c)?;
        if self.seen == 0 {
            self.fast = ad;
            self.slow = ad;
        } else {
            self.fast = (1.0 - self.fast_k).mul_add(self.fast, self.fast_k * ad);
            self.slow = (1.0 - self.slow_k).mul_add(self.slow, self.slow_k * ad);
        }
        self.seen += 1;
        (self.seen > self.lookback).then_some(self.fast - self.slow)
    }
    fn reset(&mut self) {
        self.ad.reset();
        self.seen = 0;
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

pub(super) const NANOS_PER_DAY: i64 = 86_400_000_000_000;

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
    #[inline]
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
