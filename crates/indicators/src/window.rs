//! Fixed windows over the last `n` values, and the statistics on them.

use crate::{Indicator, IndicatorError, check_period};

/// A ring buffer of the last `capacity` values.
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    buf: Vec<f64>,
    head: usize,
    len: usize,
}

impl Ring {
    pub(crate) fn new(capacity: usize) -> Self {
        Self { buf: vec![0.0; capacity], head: 0, len: 0 }
    }
    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }
    pub(crate) fn is_full(&self) -> bool {
        self.len == self.buf.len()
    }
    /// Appends `value`; returns the value it pushed out once full.
    #[inline]
    pub(crate) fn push(&mut self, value: f64) -> Option<f64> {
        let old = std::mem::replace(&mut self.buf[self.head], value);
        self.head += 1;
        if self.head == self.buf.len() {
            self.head = 0;
        }
        if self.len == self.buf.len() {
            Some(old)
        } else {
            self.len += 1;
            None
        }
    }
    pub(crate) fn len(&self) -> usize {
        self.len
    }
    /// The values held (in storage order; callers use order-free sums).
    pub(crate) fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        self.buf[..self.len].iter().copied()
    }
    /// The oldest value in a full window.
    pub(crate) fn oldest(&self) -> f64 {
        self.buf[self.head]
    }
    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

/// Population standard deviation over `period` values (TA-Lib's STDDEV
/// with `nbdev = 1`).
#[derive(Debug, Clone)]
pub struct RollingStd {
    window: Ring,
    sum: f64,
    sum_sq: f64,
}

impl RollingStd {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("STDDEV", period, 1)?;
        Ok(Self { window: Ring::new(period), sum: 0.0, sum_sq: 0.0 })
    }

    /// `(mean, standard deviation)` once warmed up.
    #[inline]
    pub fn update_with_mean(&mut self, value: f64) -> Option<(f64, f64)> {
        self.sum += value;
        self.sum_sq += value * value;
        if let Some(old) = self.window.push(value) {
            self.sum -= old;
            self.sum_sq -= old * old;
        }
        if !self.window.is_full() {
            return None;
        }
        let n = self.window.capacity() as f64;
        let mean = self.sum / n;
        let var = (self.sum_sq / n - mean * mean).max(0.0);
        Some((mean, var.sqrt()))
    }
}

impl Indicator for RollingStd {
    fn update(&mut self, value: f64) -> Option<f64> {
        self.update_with_mean(value).map(|(_, sd)| sd)
    }
    fn is_ready(&self) -> bool {
        self.window.is_full()
    }
    fn reset(&mut self) {
        self.window.clear();
        self.sum = 0.0;
        self.sum_sq = 0.0;
    }
}

/// Bollinger bands: SMA ± `k` population standard deviations.
#[derive(Debug, Clone)]
pub struct Bollinger {
    std: RollingStd,
    k: f64,
}

/// One Bollinger reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BollingerValue {
    pub upper: f64,
    pub middle: f64,
    pub lower: f64,
}

impl Bollinger {
    pub fn new(period: usize, k: f64) -> Result<Self, IndicatorError> {
        check_period("BBANDS", period, 2)?;
        Ok(Self { std: RollingStd::new(period)?, k })
    }

    #[inline]
    pub fn update(&mut self, value: f64) -> Option<BollingerValue> {
        let (mean, sd) = self.std.update_with_mean(value)?;
        Some(BollingerValue { upper: mean + self.k * sd, middle: mean, lower: mean - self.k * sd })
    }
}

/// Rate of change in percent over `period` values: `(x / x[-period] − 1) × 100`.
#[derive(Debug, Clone)]
pub struct Roc {
    window: Ring,
}

impl Roc {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("ROC", period, 1)?;
        Ok(Self { window: Ring::new(period + 1) })
    }
}

impl Indicator for Roc {
    #[inline]
    fn update(&mut self, value: f64) -> Option<f64> {
        self.window.push(value);
        if !self.window.is_full() {
            return None;
        }
        let old = self.window.oldest();
        Some(if old != 0.0 { (value / old - 1.0) * 100.0 } else { 0.0 })
    }
    fn is_ready(&self) -> bool {
        self.window.is_full()
    }
    fn reset(&mut self) {
        self.window.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch;

    #[test]
    fn population_std() {
        let out = batch(RollingStd::new(4).unwrap(), &[2.0, 4.0, 4.0, 4.0, 5.0]);
        assert!(out[2].is_nan());
        assert!((out[3] - 0.75f64.sqrt()).abs() < 1e-12);
        assert!((out[4] - (0.1875f64).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn bollinger_bands_are_symmetric() {
        let mut b = Bollinger::new(2, 2.0).unwrap();
        assert!(b.update(1.0).is_none());
        let v = b.update(3.0).unwrap();
        assert_eq!((v.lower, v.middle, v.upper), (0.0, 2.0, 4.0));
    }

    #[test]
    fn roc_in_percent() {
        let out = batch(Roc::new(2).unwrap(), &[100.0, 50.0, 110.0, 100.0]);
        assert!(out[1].is_nan());
        assert!((out[2] - 10.0).abs() < 1e-12);
        assert!((out[3] - 100.0).abs() < 1e-12);
    }
}
