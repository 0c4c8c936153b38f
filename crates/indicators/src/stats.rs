//! Rolling statistics: z-score, regression slope, correlation, returns and
//! realized volatility. These have no TA-Lib twin except the slope and the
//! correlation; the formulas are the textbook ones, stated on each type.

use crate::window::Ring;
use crate::{Indicator, IndicatorError, check_period};

/// `(x − mean) / std` over the last `period` values (population standard
/// deviation, as TA-Lib's STDDEV); 0 when the window is flat.
#[derive(Debug, Clone)]
pub struct ZScore(crate::RollingStd);

impl ZScore {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("ZSCORE", period, 2)?;
        Ok(Self(crate::RollingStd::new(period)?))
    }
}

impl Indicator for ZScore {
    fn update(&mut self, x: f64) -> Option<f64> {
        let (mean, sd) = self.0.update_with_mean(x)?;
        Some(if sd > 0.0 { (x - mean) / sd } else { 0.0 })
    }
    fn is_ready(&self) -> bool {
        self.0.is_ready()
    }
    fn reset(&mut self) {
        self.0.reset();
    }
}

/// Least-squares slope of the last `period` values against time
/// (0, 1, …, period − 1): TA-Lib's LINEARREG_SLOPE. O(1) with running
/// sums of `y` and `x·y`.
#[derive(Debug, Clone)]
pub struct LinRegSlope {
    window: Ring,
    sum_y: f64,
    sum_xy: f64,
}

impl LinRegSlope {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("LINEARREG_SLOPE", period, 2)?;
        Ok(Self { window: Ring::new(period), sum_y: 0.0, sum_xy: 0.0 })
    }
}

impl Indicator for LinRegSlope {
    fn update(&mut self, y: f64) -> Option<f64> {
        let n = self.window.capacity() as f64;
        match self.window.push(y) {
            // Every x drops by one: Σxy loses Σy (the old window), the
            // oldest leaves at x = 0, and y enters at x = n − 1.
            Some(old) => {
                self.sum_xy += (n - 1.0) * y - (self.sum_y - old);
                self.sum_y += y - old;
            }
            None => {
                self.sum_xy += (self.window.len() - 1) as f64 * y;
                self.sum_y += y;
            }
        }
        if !self.window.is_full() {
            return None;
        }
        let sum_x = n * (n - 1.0) / 2.0;
        let sum_x2 = n * (n - 1.0) * (2.0 * n - 1.0) / 6.0;
        Some((n * self.sum_xy - sum_x * self.sum_y) / (n * sum_x2 - sum_x * sum_x))
    }
    fn is_ready(&self) -> bool {
        self.window.is_full()
    }
    fn reset(&mut self) {
        self.window.clear();
        self.sum_y = 0.0;
        self.sum_xy = 0.0;
    }
}

/// Pearson correlation of two series over `period` values (TA-Lib's
/// CORREL); 0 when either is flat.
#[derive(Debug, Clone)]
pub struct Correl {
    xs: Ring,
    ys: Ring,
    sx: f64,
    sy: f64,
    sxx: f64,
    syy: f64,
    sxy: f64,
}

impl Correl {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("CORREL", period, 2)?;
        Ok(Self { xs: Ring::new(period), ys: Ring::new(period), sx: 0.0, sy: 0.0, sxx: 0.0, syy: 0.0, sxy: 0.0 })
    }

    pub fn update(&mut self, x: f64, y: f64) -> Option<f64> {
        if let (Some(ox), Some(oy)) = (self.xs.push(x), self.ys.push(y)) {
            self.sx -= ox;
            self.sy -= oy;
            self.sxx -= ox * ox;
            self.syy -= oy * oy;
            self.sxy -= ox * oy;
        }
        self.sx += x;
        self.sy += y;
        self.sxx += x * x;
        self.syy += y * y;
        self.sxy += x * y;
        if !self.xs.is_full() {
            return None;
        }
        let n = self.xs.capacity() as f64;
        let var = (self.sxx - self.sx * self.sx / n) * (self.syy - self.sy * self.sy / n);
        Some(if var > 0.0 { (self.sxy - self.sx * self.sy / n) / var.sqrt() } else { 0.0 })
    }
}

/// Log return over `period` values: `ln(x / x[−period])`.
#[derive(Debug, Clone)]
pub struct LogReturn {
    window: Ring,
}

impl LogReturn {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("RET", period, 1)?;
        Ok(Self { window: Ring::new(period + 1) })
    }
}

impl Indicator for LogReturn {
    fn update(&mut self, x: f64) -> Option<f64> {
        self.window.push(x);
        self.window.is_full().then(|| (x / self.window.oldest()).ln())
    }
    fn is_ready(&self) -> bool {
        self.window.is_full()
    }
    fn reset(&mut self) {
        self.window.clear();
    }
}

/// Realized volatility: `sqrt(Σ r²)` of the last `period` one-bar log
/// returns (not annualised: scale by `sqrt(periods per year / period)`).
#[derive(Debug, Clone)]
pub struct RealizedVol {
    ret: LogReturn,
    squares: Ring,
    sum: f64,
}

impl RealizedVol {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("RVOL", period, 1)?;
        Ok(Self { ret: LogReturn::new(1)?, squares: Ring::new(period), sum: 0.0 })
    }
}

impl Indicator for RealizedVol {
    fn update(&mut self, x: f64) -> Option<f64> {
        let r = self.ret.update(x)?;
        if let Some(old) = self.squares.push(r * r) {
            self.sum -= old;
        }
        self.sum += r * r;
        self.squares.is_full().then(|| self.sum.max(0.0).sqrt())
    }
    fn is_ready(&self) -> bool {
        self.squares.is_full()
    }
    fn reset(&mut self) {
        self.ret.reset();
        self.squares.clear();
        self.sum = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch;

    #[test]
    fn slope_of_a_line_and_correlation_of_related_series() {
        let line: Vec<f64> = (0..20).map(|i| 3.0 + 2.5 * i as f64).collect();
        let s = batch(LinRegSlope::new(7).unwrap(), &line);
        assert!(s[5].is_nan());
        assert!(s[6..].iter().all(|v| (v - 2.5).abs() < 1e-9), "{s:?}");
        let mut c = Correl::new(5).unwrap();
        let out: Vec<_> = (0..10).map(|i| c.update(i as f64, -3.0 * i as f64 + 1.0)).collect();
        assert!((out[9].unwrap() + 1.0).abs() < 1e-12);
    }

    #[test]
    fn zscore_returns_and_realized_vol() {
        let z = batch(ZScore::new(4).unwrap(), &[1.0, 2.0, 3.0, 4.0]);
        // mean 2.5, population sd sqrt(1.25)
        assert!((z[3] - 1.5 / 1.25f64.sqrt()).abs() < 1e-12);
        let r = batch(LogReturn::new(1).unwrap(), &[100.0, 110.0]);
        assert!((r[1] - 1.1f64.ln()).abs() < 1e-15);
        let v = batch(RealizedVol::new(2).unwrap(), &[100.0, 110.0, 99.0]);
        let want = (1.1f64.ln().powi(2) + (0.9f64).ln().powi(2)).sqrt();
        assert!((v[2] - want).abs() < 1e-12);
    }
}
