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
    /// The values held, oldest first.
    pub(crate) fn iter_ordered(&self) -> impl Iterator<Item = f64> + '_ {
        let start = if self.len == self.buf.len() { self.head } else { 0 };
        (0..self.len).map(move |i| self.buf[(start + i) % self.buf.len()])
    }
    /// The most recently pushed value.
    pub(crate) fn newest(&self) -> Option<f64> {
        (self.len > 0).then(|| self.buf[(self.head + self.buf.len() - 1) % self.buf.len()])
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
///
/// The variance is `Σ(x − k)²/n − (Σ(x − k)/n)²` over deviations from a
/// reference `k` near the data, recentred on the window every `period`
/// updates (O(1) amortised). Plain sums of `x` and `x²` lose about seven
/// digits to cancellation on prices like 46 000 with a spread of 1; TA-Lib
/// 0.8 avoids that too, and this agrees with it to ~1e-10.
#[derive(Debug, Clone)]
pub struct RollingStd {
    window: Ring,
    /// Plain running sum of the last `period − 1` values, in TA-Lib's
    /// order, for a mean identical to TA-Lib's SMA.
    sum: f64,
    reference: f64,
    dev_sum: f64,
    dev_sq: f64,
    since_recentre: usize,
    mean: f64,
}

/// The population variance of `n` values from the sum and the sum of
/// squares of their deviations from any reference:
/// `(n·Σd² − (Σd)²) / n²`, one division (by a constant) where the
/// textbook `Σd²/n − (Σd/n)²` takes two, and the subtraction fused.
#[inline(always)]
pub(crate) fn variance(n: f64, dev_sum: f64, dev_sq: f64) -> f64 {
    n.mul_add(dev_sq, -(dev_sum * dev_sum)) / (n * n)
}

impl RollingStd {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("STDDEV", period, 1)?;
        Ok(Self {
            window: Ring::new(period),
            sum: 0.0,
            reference: f64::NAN,
            dev_sum: 0.0,
            dev_sq: 0.0,
            since_recentre: 0,
            mean: f64::NAN,
        })
    }

    /// `(mean, variance)` once warmed up.
    #[inline]
    pub fn update_with_variance(&mut self, value: f64) -> Option<(f64, f64)> {
        if self.reference.is_nan() {
            self.reference = value;
        }
        let t1 = self.sum + value;
        let d = value - self.reference;
        if let Some(old) = self.window.push(value) {
            // What enters and what leaves, netted before they reach the
            // sums: one addition a bar in each sum's serial chain, not two.
            let e = old - self.reference;
            self.dev_sum += d - e;
            self.dev_sq += d.mul_add(d, -(e * e));
        } else {
            self.dev_sum += d;
            self.dev_sq += d * d;
        }
        self.since_recentre += 1;
        if self.since_recentre >= self.window.capacity() {
            self.recentre(value);
        }
        if !self.window.is_full() {
            self.sum = t1;
            return None;
        }
        self.sum = t1 - self.window.oldest();
        let n = self.window.capacity() as f64;
        self.mean = t1 / n;
        Some((self.mean, variance(n, self.dev_sum, self.dev_sq)))
    }

    /// Recomputes the deviation sums around `reference` from the window.
    fn recentre(&mut self, reference: f64) {
        self.reference = reference;
        self.since_recentre = 0;
        // Oldest first, so a slice kernel can repeat the same sums.
        (self.dev_sum, self.dev_sq) = self.window.iter_ordered().fold((0.0, 0.0), |(s, q), x| {
            let d = x - reference;
            (s + d, q + d * d)
        });
    }

    /// The mean of the window at the last update.
    pub fn last_mean(&self) -> f64 {
        self.mean
    }

    /// `(mean, standard deviation)` once warmed up.
    #[inline]
    pub fn update_with_mean(&mut self, value: f64) -> Option<(f64, f64)> {
        self.update_with_variance(value).map(|(m, v)| (m, v.max(0.0).sqrt()))
    }

    /// TA-Lib's STDDEV: a variance below 1e-8 reports 0 (TA-Lib treats it
    /// as rounding noise; on very quiet series, such as FX rates over a few
    /// bars, that zeroes real values, so use [`RollingStd::update`] there).
    pub fn update_ta_lib(&mut self, value: f64) -> Option<f64> {
        self.update_with_variance(value).map(|(_, v)| if v < 1e-8 { 0.0 } else { v.sqrt() })
    }
}

impl Indicator for RollingStd {
    #[inline]
    fn update(&mut self, value: f64) -> Option<f64> {
        self.update_with_mean(value).map(|(_, sd)| sd)
    }
    fn is_ready(&self) -> bool {
        self.window.is_full()
    }
    fn reset(&mut self) {
        *self = Self::new(self.window.capacity()).expect("valid period");
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

    /// As TA-Lib's BBANDS (SMA middle, population deviation; a variance
    /// below 1e-8 counts as 0).
    #[inline]
    pub fn update(&mut self, value: f64) -> Option<BollingerValue> {
        let sd = self.std.update_ta_lib(value)?;
        let mean = self.std.last_mean();
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
