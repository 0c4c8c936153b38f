//! Moving averages.

use crate::window::Ring;
use crate::{Indicator, IndicatorError, check_period};

/// The running sum of the last `period` values, in TA-Lib's order:
/// `sum` holds the last `period − 1` values; the new value is added, the
/// total taken, and the oldest value removed after.
#[derive(Debug, Clone)]
struct WindowSum {
    window: Ring,
    sum: f64,
}

impl WindowSum {
    fn new(period: usize) -> Self {
        Self { window: Ring::new(period), sum: 0.0 }
    }

    /// The window's total once it is full.
    #[inline]
    fn update(&mut self, value: f64) -> Option<f64> {
        let total = self.sum + value;
        self.window.push(value);
        if !self.window.is_full() {
            self.sum = total;
            return None;
        }
        self.sum = total - self.window.oldest();
        Some(total)
    }

    fn reset(&mut self) {
        self.window.clear();
        self.sum = 0.0;
    }
}

/// Simple moving average over `period` values.
#[derive(Debug, Clone)]
pub struct Sma(WindowSum);

impl Sma {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("SMA", period, 1)?;
        Ok(Self(WindowSum::new(period)))
    }
    pub fn period(&self) -> usize {
        self.0.window.capacity()
    }
}

impl Indicator for Sma {
    /// The window total over the period, so the floats match TA-Lib's to
    /// the bit.
    #[inline]
    fn update(&mut self, value: f64) -> Option<f64> {
        Some(self.0.update(value)? / self.period() as f64)
    }
    fn is_ready(&self) -> bool {
        self.0.window.is_full()
    }
    fn reset(&mut self) {
        self.0.reset();
    }
}

/// A simple moving average over integer (fixed-point raw) values, kept as
/// an exact sum. Comparing two of them with [`ExactSma::cmp_mean`] has no
/// rounding at all, so a tie between a fast and a slow average is a tie,
/// not a coin flip in the last bit of a float.
#[derive(Debug, Clone)]
pub struct ExactSma {
    window: Vec<i64>,
    head: usize,
    len: usize,
    sum: i128,
}

impl ExactSma {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("SMA", period, 1)?;
        Ok(Self { window: vec![0; period], head: 0, len: 0, sum: 0 })
    }

    /// Feeds a raw value; true once `period` values were seen.
    #[inline]
    pub fn update(&mut self, raw: i64) -> bool {
        let old = std::mem::replace(&mut self.window[self.head], raw);
        self.head = if self.head + 1 == self.window.len() { 0 } else { self.head + 1 };
        self.sum += raw as i128;
        if self.len == self.window.len() {
            self.sum -= old as i128;
        } else {
            self.len += 1;
        }
        self.is_ready()
    }

    pub fn is_ready(&self) -> bool {
        self.len == self.window.len()
    }

    /// The exact sum of the window.
    pub fn sum(&self) -> i128 {
        self.sum
    }

    /// The mean as a float (for display).
    pub fn mean(&self) -> f64 {
        self.sum as f64 / self.window.len() as f64
    }

    /// Exact comparison of this mean with `other`'s.
    pub fn cmp_mean(&self, other: &ExactSma) -> std::cmp::Ordering {
        (self.sum * other.window.len() as i128).cmp(&(other.sum * self.window.len() as i128))
    }
}

/// One exponential-smoothing step, `prev + alpha·(x − prev)`, written as
/// TA-Lib writes it and with the multiply-add fused, as TA-Lib's wheel
/// computes it on CPUs with FMA: one rounding fewer, and a serial chain of
/// two operations instead of three. Every EMA-based indicator, streaming
/// or batch, steps through here so they agree to the bit.
#[inline(always)]
pub(crate) fn ema_step(prev: f64, x: f64, alpha: f64) -> f64 {
    (x - prev).mul_add(alpha, prev)
}

/// Exponential moving average, `alpha = 2 / (period + 1)`, seeded with the
/// simple average of the first `period` values (TA-Lib's default).
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    alpha: f64,
    seen: usize,
    value: f64,
}

impl Ema {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("EMA", period, 1)?;
        Ok(Self { period, alpha: 2.0 / (period as f64 + 1.0), seen: 0, value: 0.0 })
    }

    /// The smoothing factor and the current value (meaningful once ready),
    /// for batch kernels that take over from the streaming warm-up.
    pub(crate) fn state(&self) -> (f64, f64) {
        (self.alpha, self.value)
    }
}

impl Indicator for Ema {
    #[inline]
    fn update(&mut self, value: f64) -> Option<f64> {
        self.seen += 1;
        if self.seen < self.period {
            self.value += value;
            return None;
        }
        if self.seen == self.period {
            self.value = (self.value + value) / self.period as f64;
        } else {
            self.value = ema_step(self.value, value, self.alpha);
        }
        Some(self.value)
    }
    fn is_ready(&self) -> bool {
        self.seen >= self.period
    }
    fn reset(&mut self) {
        self.seen = 0;
        self.value = 0.0;
    }
}

/// Weighted moving average: weights 1, 2, …, `period` (newest heaviest),
/// TA-Lib's WMA. O(1) per update with a running sum and a running
/// weighted sum.
#[derive(Debug, Clone)]
pub struct Wma {
    window: Ring,
    sum: f64,
    weighted: f64,
}

impl Wma {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("WMA", period, 1)?;
        Ok(Self { window: Ring::new(period), sum: 0.0, weighted: 0.0 })
    }
}

impl Indicator for Wma {
    #[inline]
    fn update(&mut self, value: f64) -> Option<f64> {
        let n = self.window.capacity() as f64;
        if self.window.is_full() {
            // Every weight drops by one: subtract the plain sum, then add
            // the newcomer at full weight.
            self.weighted += n * value - self.sum;
            self.sum += value - self.window.oldest();
            self.window.push(value);
        } else {
            let k = (self.window.len() + 1) as f64;
            self.weighted += k * value;
            self.sum += value;
            self.window.push(value);
        }
        self.is_ready().then(|| self.weighted / (n * (n + 1.0) / 2.0))
    }
    fn is_ready(&self) -> bool {
        self.window.is_full()
    }
    fn reset(&mut self) {
        self.window.clear();
        self.sum = 0.0;
        self.weighted = 0.0;
    }
}

/// Double EMA: `2·EMA − EMA(EMA)`; the inner EMA runs on the outer one's
/// output with its own SMA seed (TA-Lib's DEMA, warm-up `2·(period − 1)`).
#[derive(Debug, Clone)]
pub struct Dema {
    e1: Ema,
    e2: Ema,
}

impl Dema {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("DEMA", period, 1)?;
        Ok(Self { e1: Ema::new(period)?, e2: Ema::new(period)? })
    }
}

impl Indicator for Dema {
    #[inline]
    fn update(&mut self, value: f64) -> Option<f64> {
        let a = self.e1.update(value)?;
        let b = self.e2.update(a)?;
        Some(2.0 * a - b)
    }
    fn is_ready(&self) -> bool {
        self.e2.is_ready()
    }
    fn reset(&mut self) {
        self.e1.reset();
        self.e2.reset();
    }
}

/// Triple EMA: `3·EMA − 3·EMA(EMA) + EMA(EMA(EMA))` (TA-Lib's TEMA,
/// warm-up `3·(period − 1)`).
#[derive(Debug, Clone)]
pub struct Tema {
    e1: Ema,
    e2: Ema,
    e3: Ema,
}

impl Tema {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("TEMA", period, 1)?;
        Ok(Self { e1: Ema::new(period)?, e2: Ema::new(period)?, e3: Ema::new(period)? })
    }
}

impl Indicator for Tema {
    #[inline]
    fn update(&mut self, value: f64) -> Option<f64> {
        let a = self.e1.update(value)?;
        let b = self.e2.update(a)?;
        let c = self.e3.update(b)?;
        Some(3.0 * a - 3.0 * b + c)
    }
    fn is_ready(&self) -> bool {
        self.e3.is_ready()
    }
    fn reset(&mut self) {
        self.e1.reset();
        self.e2.reset();
        self.e3.reset();
    }
}

/// Triangular moving average: an SMA of an SMA. For an odd period both
/// have `(period + 1) / 2` values; for an even one the first has
/// `period / 2` and the second `period / 2 + 1` (TA-Lib's TRIMA; warm-up
/// `period − 1`).
///
/// Computed as the outer window's sum of the inner window's sums, times
/// `1/(a·b)`: the same average with one multiplication a value where two
/// SMAs would divide twice (divisions were the kernel's bottleneck).
/// TA-Lib also multiplies by a reciprocal here; the two agree to ~1e-12.
#[derive(Debug, Clone)]
pub struct Trima {
    inner: WindowSum,
    outer: WindowSum,
    scale: f64,
}

impl Trima {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("TRIMA", period, 1)?;
        let [a, b] = Self::split(period);
        Ok(Self { inner: WindowSum::new(a), outer: WindowSum::new(b), scale: 1.0 / (a * b) as f64 })
    }

    /// The inner and outer window lengths of `period`.
    fn split(period: usize) -> [usize; 2] {
        if period % 2 == 1 { [period.div_ceil(2); 2] } else { [period / 2, period / 2 + 1] }
    }

    /// The inner and outer window lengths and the final scale, for the
    /// batch kernel.
    pub(crate) fn parts(&self) -> ([usize; 2], f64) {
        ([self.inner.window.capacity(), self.outer.window.capacity()], self.scale)
    }
}

impl Indicator for Trima {
    #[inline]
    fn update(&mut self, value: f64) -> Option<f64> {
        let inner = self.inner.update(value)?;
        Some(self.outer.update(inner)? * self.scale)
    }
    fn is_ready(&self) -> bool {
        self.outer.window.is_full()
    }
    fn reset(&mut self) {
        self.inner.reset();
        self.outer.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch;

    #[test]
    fn sma_matches_the_plain_mean() {
        let out = batch(Sma::new(3).unwrap(), &[1.0, 2.0, 3.0, 4.0, 10.0]);
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(&out[2..], &[2.0, 3.0, 17.0 / 3.0]);
    }

    #[test]
    fn ema_is_seeded_with_the_sma() {
        let out = batch(Ema::new(3).unwrap(), &[1.0, 2.0, 3.0, 5.0]);
        assert_eq!(out[2], 2.0);
        assert_eq!(out[3], 2.0 + 0.5 * (5.0 - 2.0));
    }

    #[test]
    fn exact_sma_compares_ties_as_ties() {
        // Means of 11.375 over 2 and 4 values, in 1e-3 units.
        let (mut fast, mut slow) = (ExactSma::new(2).unwrap(), ExactSma::new(4).unwrap());
        for v in [11_000, 11_750, 11_375, 11_375] {
            fast.update(v);
            slow.update(v);
        }
        assert_eq!(fast.cmp_mean(&slow), std::cmp::Ordering::Equal);
        // fast (11375 + 12000) / 2 = 11687.5 > slow 46500 / 4 = 11625
        fast.update(12_000);
        slow.update(12_000);
        assert_eq!(fast.cmp_mean(&slow), std::cmp::Ordering::Greater);
        assert_eq!(fast.mean(), 11_687.5);
    }

    #[test]
    fn wma_weights_the_newest_most() {
        let out = batch(Wma::new(3).unwrap(), &[1.0, 2.0, 3.0, 4.0, 0.0]);
        assert!(out[1].is_nan());
        assert_eq!(out[2], (1.0 + 4.0 + 9.0) / 6.0);
        assert_eq!(out[3], (2.0 + 6.0 + 12.0) / 6.0);
        assert_eq!(out[4], (3.0 + 8.0 + 0.0) / 6.0);
    }

    #[test]
    fn dema_tema_trima_warm_up_like_ta_lib() {
        let xs: Vec<f64> = (0..40).map(|i| (i as f64 * 0.3).sin() + 10.0).collect();
        let first = |v: Vec<f64>| v.iter().position(|x| !x.is_nan()).unwrap();
        assert_eq!(first(batch(Dema::new(5).unwrap(), &xs)), 8);
        assert_eq!(first(batch(Tema::new(5).unwrap(), &xs)), 12);
        assert_eq!(first(batch(Trima::new(6).unwrap(), &xs)), 5);
        assert_eq!(first(batch(Trima::new(7).unwrap(), &xs)), 6);
        // On a straight line, DEMA and TEMA have no lag.
        let line: Vec<f64> = (0..40).map(|i| i as f64).collect();
        let d = batch(Dema::new(5).unwrap(), &line);
        assert!((d[39] - 39.0).abs() < 1e-9, "{}", d[39]);
    }

    #[test]
    fn zero_period_is_an_error() {
        assert_eq!(Sma::new(0).unwrap_err().to_string(), "SMA: period must be at least 1, got 0");
    }

    #[test]
    fn reset_starts_over() {
        let mut s = Sma::new(2).unwrap();
        s.update(1.0);
        s.update(3.0);
        s.reset();
        assert_eq!(s.update(5.0), None);
        assert_eq!(s.update(7.0), Some(6.0));
    }
}
