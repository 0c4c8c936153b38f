//! The stochastic family on bars: Williams %R, fast %K, STOCH, STOCHF.

use super::*;

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
    #[inline]
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
    #[inline]
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
    #[inline]
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
