//! Moving averages.

use crate::window::Ring;
use crate::{Indicator, IndicatorError, check_period};

/// Simple moving average over `period` values.
#[derive(Debug, Clone)]
pub struct Sma {
    window: Ring,
    sum: f64,
}

impl Sma {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("SMA", period, 1)?;
        Ok(Self { window: Ring::new(period), sum: 0.0 })
    }
    pub fn period(&self) -> usize {
        self.window.capacity()
    }
}

impl Indicator for Sma {
    #[inline]
    fn update(&mut self, value: f64) -> Option<f64> {
        self.sum += value;
        if let Some(old) = self.window.push(value) {
            self.sum -= old;
        }
        self.is_ready().then(|| self.sum / self.window.capacity() as f64)
    }
    fn is_ready(&self) -> bool {
        self.window.is_full()
    }
    fn reset(&mut self) {
        self.window.clear();
        self.sum = 0.0;
    }
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
            self.value += self.alpha * (value - self.value);
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
