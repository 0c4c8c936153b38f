//! Oscillators.

use crate::{Indicator, IndicatorError, batch, check_period};

/// Relative Strength Index with Wilder smoothing, TA-Lib style: the first
/// value comes after `period` price changes and is seeded with their plain
/// averages.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    prev: Option<f64>,
    changes: usize,
    avg_gain: f64,
    avg_loss: f64,
}

impl Rsi {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("RSI", period, 2)?;
        Ok(Self { period, prev: None, changes: 0, avg_gain: 0.0, avg_loss: 0.0 })
    }

    fn value(&self) -> f64 {
        let total = self.avg_gain + self.avg_loss;
        if total == 0.0 { 0.0 } else { 100.0 * self.avg_gain / total }
    }
}

impl Indicator for Rsi {
    #[inline]
    fn update(&mut self, value: f64) -> Option<f64> {
        let prev = self.prev.replace(value)?;
        let change = value - prev;
        let (gain, loss) = if change > 0.0 { (change, 0.0) } else { (0.0, -change) };
        self.changes += 1;
        let n = self.period as f64;
        if self.changes <= self.period {
            self.avg_gain += gain;
            self.avg_loss += loss;
            if self.changes < self.period {
                return None;
            }
            self.avg_gain /= n;
            self.avg_loss /= n;
        } else {
            self.avg_gain = (self.avg_gain * (n - 1.0) + gain) / n;
            self.avg_loss = (self.avg_loss * (n - 1.0) + loss) / n;
        }
        Some(self.value())
    }
    fn is_ready(&self) -> bool {
        self.changes >= self.period
    }
    fn reset(&mut self) {
        *self = Self { period: self.period, prev: None, changes: 0, avg_gain: 0.0, avg_loss: 0.0 };
    }
}

/// RSI over a slice (`NaN` during warm-up).
pub fn rsi(values: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    Ok(batch(Rsi::new(period)?, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsi_warms_up_after_period_changes_and_uses_wilder_smoothing() {
        let out = rsi(&[1.0, 2.0, 1.0, 2.0, 3.0], 2).unwrap();
        assert!(out[0].is_nan() && out[1].is_nan());
        // changes +1, -1: avg gain 0.5, avg loss 0.5 -> 50
        assert_eq!(out[2], 50.0);
        // +1: gain (0.5 + 1)/2 = 0.75, loss 0.25 -> 75
        assert_eq!(out[3], 75.0);
    }

    #[test]
    fn flat_series_gives_zero_like_ta_lib() {
        let out = rsi(&[5.0; 5], 2).unwrap();
        assert_eq!(out[4], 0.0);
    }
}
