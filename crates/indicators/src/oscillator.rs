//! Oscillators.

use crate::average::ema_step;
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

    /// TA-Lib's exact expression, zero guard included.
    fn value(&self) -> f64 {
        let total = self.avg_gain + self.avg_loss;
        if -1e-8 < total && total < 1e-8 { 0.0 } else { 100.0 * (self.avg_gain / total) }
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
            // TA-Lib 0.8 multiplies by the reciprocal; dividing by `n`
            // differs in the last bit, which a StochRSI over a flat stretch
            // turns into 0 vs 100.
            let inv = 1.0 / n;
            self.avg_gain = (self.avg_gain * (n - 1.0) + gain) * inv;
            self.avg_loss = (self.avg_loss * (n - 1.0) + loss) * inv;
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

/// MACD line, signal and histogram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacdValue {
    pub macd: f64,
    pub signal: f64,
    pub hist: f64,
}

/// MACD with TA-Lib's seeding: the fast and slow EMAs are both seeded with
/// simple averages over windows that end on bar `slow − 1` (the fast one
/// over its last `fast` values), and the signal EMA with the average of
/// the first `signal` MACD values. First output on bar
/// `slow + signal − 2`.
#[derive(Debug, Clone)]
pub struct Macd {
    fast_n: usize,
    slow_n: usize,
    signal_n: usize,
    warm: Vec<f64>,
    fast: f64,
    slow: f64,
    signal: f64,
    signal_seen: usize,
    k: (f64, f64, f64),
}

impl Macd {
    pub fn new(fast: usize, slow: usize, signal: usize) -> Result<Self, IndicatorError> {
        check_period("MACD fast", fast, 2)?;
        check_period("MACD slow", slow, 2)?;
        check_period("MACD signal", signal, 1)?;
        // TA-Lib swaps the periods if they are given the wrong way round.
        let (fast, slow) = (fast.min(slow), fast.max(slow));
        let k = |n: usize| 2.0 / (n as f64 + 1.0);
        Ok(Self {
            fast_n: fast,
            slow_n: slow,
            signal_n: signal,
            warm: Vec::with_capacity(slow),
            fast: 0.0,
            slow: 0.0,
            signal: 0.0,
            signal_seen: 0,
            k: (k(fast), k(slow), k(signal)),
        })
    }

    /// Feeds a value; the MACD once all three averages are warm.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<MacdValue> {
        if self.warm.len() < self.slow_n {
            self.warm.push(x);
            if self.warm.len() < self.slow_n {
                return None;
            }
            self.slow = self.warm.iter().sum::<f64>() / self.slow_n as f64;
            self.fast = self.warm[self.slow_n - self.fast_n..].iter().sum::<f64>() / self.fast_n as f64;
        } else {
            self.fast = ema_step(self.fast, x, self.k.0);
            self.slow = ema_step(self.slow, x, self.k.1);
        }
        let macd = self.fast - self.slow;
        self.signal_seen += 1;
        if self.signal_seen < self.signal_n {
            self.signal += macd;
            return None;
        }
        if self.signal_seen == self.signal_n {
            self.signal = (self.signal + macd) / self.signal_n as f64;
        } else {
            self.signal = ema_step(self.signal, macd, self.k.2);
        }
        Some(MacdValue { macd, signal: self.signal, hist: macd - self.signal })
    }

    pub fn reset(&mut self) {
        *self = Self::new(self.fast_n, self.slow_n, self.signal_n).expect("valid periods");
    }

    /// Fast, slow and signal periods (ordered as TA-Lib orders them) and
    /// their EMA weights, for the batch kernel.
    pub(crate) fn parts(&self) -> ([usize; 3], (f64, f64, f64)) {
        ([self.fast_n, self.slow_n, self.signal_n], self.k)
    }
}

/// Percentage price oscillator: `(fast MA − slow MA) / slow MA × 100` with
/// simple moving averages (TA-Lib's PPO default).
#[derive(Debug, Clone)]
pub struct Ppo {
    fast: crate::Sma,
    slow: crate::Sma,
}

impl Ppo {
    pub fn new(fast: usize, slow: usize) -> Result<Self, IndicatorError> {
        check_period("PPO", fast.min(slow), 2)?;
        Ok(Self { fast: crate::Sma::new(fast.min(slow))?, slow: crate::Sma::new(fast.max(slow))? })
    }
}

impl Indicator for Ppo {
    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        let f = self.fast.update(x);
        let s = self.slow.update(x)?;
        let f = f?;
        Some(if s != 0.0 { (f - s) / s * 100.0 } else { 0.0 })
    }
    fn is_ready(&self) -> bool {
        self.slow.is_ready()
    }
    fn reset(&mut self) {
        self.fast.reset();
        self.slow.reset();
    }
}

/// TRIX: one-bar rate of change (in %) of a triple-smoothed EMA.
#[derive(Debug, Clone)]
pub struct Trix {
    e: [crate::Ema; 3],
    prev: Option<f64>,
}

impl Trix {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("TRIX", period, 1)?;
        Ok(Self { e: [crate::Ema::new(period)?, crate::Ema::new(period)?, crate::Ema::new(period)?], prev: None })
    }
}

impl Indicator for Trix {
    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        let a = self.e[0].update(x)?;
        let b = self.e[1].update(a)?;
        let c = self.e[2].update(b)?;
        let prev = self.prev.replace(c)?;
        Some(if prev != 0.0 { (c / prev - 1.0) * 100.0 } else { 0.0 })
    }
    fn is_ready(&self) -> bool {
        self.prev.is_some()
    }
    fn reset(&mut self) {
        self.e.iter_mut().for_each(Indicator::reset);
        self.prev = None;
    }
}

/// Momentum: `x − x[−period]`.
#[derive(Debug, Clone)]
pub struct Mom {
    window: crate::window::Ring,
}

impl Mom {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("MOM", period, 1)?;
        Ok(Self { window: crate::window::Ring::new(period + 1) })
    }
}

impl Indicator for Mom {
    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        self.window.push(x);
        self.window.is_full().then(|| x - self.window.oldest())
    }
    fn is_ready(&self) -> bool {
        self.window.is_full()
    }
    fn reset(&mut self) {
        self.window.clear();
    }
}

/// Stochastic RSI (TA-Lib's STOCHRSI): the fast stochastic of RSI values.
#[derive(Debug, Clone)]
pub struct StochRsi {
    rsi: Rsi,
    k: crate::candle::FastK,
    d: crate::Sma,
}

impl StochRsi {
    pub fn new(period: usize, fast_k: usize, fast_d: usize) -> Result<Self, IndicatorError> {
        check_period("STOCHRSI fastk", fast_k, 1)?;
        Ok(Self { rsi: Rsi::new(period)?, k: crate::candle::FastK::new(fast_k), d: crate::Sma::new(fast_d)? })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<crate::candle::StochValue> {
        let r = self.rsi.update(x)?;
        let k = self.k.update_hlc(r, r, r)?;
        let d = self.d.update(k)?;
        Some(crate::candle::StochValue { k, d })
    }
}
