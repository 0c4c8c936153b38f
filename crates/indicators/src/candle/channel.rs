//! Price channels: Keltner and Donchian.

use super::*;

/// Three bands around a middle line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bands {
    pub upper: f64,
    pub middle: f64,
    pub lower: f64,
}

/// Keltner channels: EMA(close, `period`) ± `k` × ATR(`period`), all three
/// lines from the first bar the ATR has a value (one bar after the EMA).
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
    #[inline]
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
    #[inline]
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
