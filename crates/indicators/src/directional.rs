//! Wilder's directional movement: +DI, −DI, DX and ADX, with TA-Lib's
//! seeding.
//!
//! The smoothed +DM, −DM and true range start as plain sums of the first
//! `period − 1` bar-to-bar changes, then follow Wilder's rule
//! `s ← s − s/period + x` (computed as `s − s·(1/period) + x`, see
//! `wilder`). +DI and −DI come from bar `period`; ADX is the
//! average of the first `period` DX values (bar `2·period − 1`), then
//! Wilder-smoothed. Values within 1e-8 of zero count as zero, as in TA-Lib.

use crate::candle::{Candle, CandleIndicator};
use crate::wilder::{wilder_step, wilder_sum_step, wilder_weights};
use crate::{IndicatorError, check_period};

/// One reading of the directional system; `adx` arrives `period − 1` bars
/// after the DIs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DirectionalValue {
    pub plus_di: f64,
    pub minus_di: f64,
    pub dx: f64,
    pub adx: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Directional {
    n: f64,
    /// `1/period`, and Wilder's weights for ADX.
    inv: f64,
    weights: (f64, f64),
    period: usize,
    prev: Option<(f64, f64, f64)>,
    changes: usize,
    plus_dm: f64,
    minus_dm: f64,
    tr: f64,
    dx_seen: usize,
    dx_sum: f64,
    adx: Option<f64>,
}

fn is_zero(x: f64) -> bool {
    -1e-8 < x && x < 1e-8
}

impl Directional {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("ADX", period, 2)?;
        Ok(Self {
            n: period as f64,
            inv: 1.0 / period as f64,
            weights: wilder_weights(period),
            period,
            prev: None,
            changes: 0,
            plus_dm: 0.0,
            minus_dm: 0.0,
            tr: 0.0,
            dx_seen: 0,
            dx_sum: 0.0,
            adx: None,
        })
    }
}

impl CandleIndicator for Directional {
    type Output = DirectionalValue;

    #[inline]
    fn update(&mut self, c: &Candle) -> Option<DirectionalValue> {
        let (ph, pl, pc) = self.prev.replace((c.high, c.low, c.close))?;
        let diff_p = c.high - ph;
        let diff_m = pl - c.low;
        let (mut plus, mut minus) = (0.0, 0.0);
        if diff_m > 0.0 && diff_p < diff_m {
            minus = diff_m;
        } else if diff_p > 0.0 && diff_p > diff_m {
            plus = diff_p;
        }
        let tr = c.high.max(pc) - c.low.min(pc);
        self.changes += 1;
        if self.changes < self.period {
            self.plus_dm += plus;
            self.minus_dm += minus;
            self.tr += tr;
            return None;
        }
        self.plus_dm = wilder_sum_step(self.plus_dm, plus, self.inv);
        self.minus_dm = wilder_sum_step(self.minus_dm, minus, self.inv);
        self.tr = wilder_sum_step(self.tr, tr, self.inv);
        let (mut plus_di, mut minus_di, mut dx) = (0.0, 0.0, None);
        if !is_zero(self.tr) {
            plus_di = 100.0 * (self.plus_dm / self.tr);
            minus_di = 100.0 * (self.minus_dm / self.tr);
            let sum = plus_di + minus_di;
            if !is_zero(sum) {
                dx = Some(100.0 * ((minus_di - plus_di).abs() / sum));
            }
        }
        self.dx_seen += 1;
        match (self.adx, dx) {
            (None, _) if self.dx_seen < self.period => self.dx_sum += dx.unwrap_or(0.0),
            (None, _) => self.adx = Some((self.dx_sum + dx.unwrap_or(0.0)) / self.n),
            (Some(prev), Some(dx)) => self.adx = Some(wilder_step(prev, dx, self.weights)),
            (Some(_), None) => {}
        }
        Some(DirectionalValue { plus_di, minus_di, dx: dx.unwrap_or(0.0), adx: self.adx })
    }

    fn reset(&mut self) {
        *self = Self::new(self.period).expect("valid period");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::candle::batch_candles;

    #[test]
    fn a_steady_uptrend_is_all_plus_direction() {
        let bars: Vec<Candle> = (0..30)
            .map(|i| {
                let x = 100.0 + i as f64;
                Candle { ts: 0, open: x, high: x + 1.0, low: x - 1.0, close: x, volume: 0.0 }
            })
            .collect();
        let out = batch_candles(Directional::new(5).unwrap(), &bars);
        assert!(out[4].is_none() && out[5].is_some());
        let v = out[5].unwrap();
        assert!(v.plus_di > 0.0 && v.minus_di == 0.0 && v.adx.is_none());
        // ADX from bar 2·5 − 1 = 9; DX is 100 throughout.
        assert!(out[8].unwrap().adx.is_none());
        assert!((out[9].unwrap().adx.unwrap() - 100.0).abs() < 1e-9);
    }
}
