//! Where the newest value sits in its window, and the shape of a window's
//! one-bar returns: the features a model reads to know whether a move is
//! ordinary for this instrument lately.
//!
//! These recompute over their window on every value (O(period)), oldest
//! first. Running sums would be O(1), but third and fourth moments of
//! returns cancel badly when updated by subtraction, and a rank has no
//! running form; the catalog's windows are at most a year of bars, so a
//! pass over them is cheap next to the model that reads them.

use crate::window::Ring;
use crate::{Indicator, IndicatorError, check_period};

/// Percentile rank of the newest value among the last `period`, ties
/// averaged: `(below + (equal + 1) / 2) / period`, where `equal` counts
/// the newest value itself. In (0, 1]; pandas'
/// `rolling(period).rank(pct=True)`.
#[derive(Debug, Clone)]
pub struct RollingRank {
    window: Ring,
}

impl RollingRank {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("RANK", period, 2)?;
        Ok(Self { window: Ring::new(period) })
    }
}

impl Indicator for RollingRank {
    fn update(&mut self, x: f64) -> Option<f64> {
        self.window.push(x);
        if !self.window.is_full() {
            return None;
        }
        let (mut below, mut equal) = (0usize, 0usize);
        for v in self.window.iter_ordered() {
            below += (v < x) as usize;
            equal += (v == x) as usize;
        }
        Some((below as f64 + (equal as f64 + 1.0) / 2.0) / self.window.capacity() as f64)
    }
    fn is_ready(&self) -> bool {
        self.window.is_full()
    }
    fn reset(&mut self) {
        self.window.clear();
    }
}

/// Which standardised moment [`ReturnMoment`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// Sample skewness, bias-corrected (`G1`, as pandas and
    /// `scipy.stats.skew(bias=False)`).
    Skew,
    /// Sample excess kurtosis, bias-corrected (`G2`, as pandas and
    /// `scipy.stats.kurtosis(bias=False)`).
    Kurt,
}

/// Skewness or excess kurtosis of the last `period` one-bar log returns
/// `ln(x / x[−1])`; 0 when the returns do not vary. First value after
/// `period` returns, i.e. at the `period + 1`-th input.
#[derive(Debug, Clone)]
pub struct ReturnMoment {
    moment: Moment,
    previous: Option<f64>,
    returns: Ring,
}

impl ReturnMoment {
    pub fn new(moment: Moment, period: usize) -> Result<Self, IndicatorError> {
        match moment {
            Moment::Skew => check_period("SKEW", period, 3)?,
            Moment::Kurt => check_period("KURT", period, 4)?,
        }
        Ok(Self { moment, previous: None, returns: Ring::new(period) })
    }
}

impl Indicator for ReturnMoment {
    fn update(&mut self, x: f64) -> Option<f64> {
        let previous = self.previous.replace(x)?;
        self.returns.push((x / previous).ln());
        if !self.returns.is_full() {
            return None;
        }
        let n = self.returns.capacity() as f64;
        let mean = self.returns.iter_ordered().sum::<f64>() / n;
        let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
        for r in self.returns.iter_ordered() {
            let d = r - mean;
            let d2 = d * d;
            m2 += d2;
            m3 += d2 * d;
            m4 += d2 * d2;
        }
        if m2 == 0.0 {
            return Some(0.0);
        }
        Some(match self.moment {
            // G1 = √(n(n−1))/(n−2) · (m3/n) / (m2/n)^1.5
            Moment::Skew => (n * (n - 1.0)).sqrt() / (n - 2.0) * (m3 / n) / (m2 / n).powf(1.5),
            // G2 = (n+1)n(n−1)/((n−2)(n−3)) · m4/m2² − 3(n−1)²/((n−2)(n−3))
            Moment::Kurt => {
                let d = (n - 2.0) * (n - 3.0);
                (n + 1.0) * n * (n - 1.0) / d * (m4 / (m2 * m2)) - 3.0 * (n - 1.0) * (n - 1.0) / d
            }
        })
    }
    fn is_ready(&self) -> bool {
        self.returns.is_full()
    }
    fn reset(&mut self) {
        self.previous = None;
        self.returns.clear();
    }
}

/// Kaufman's efficiency ratio over `period` changes: the net move divided
/// by the path travelled, `|x − x[−period]| / Σ|Δx|`, in [0, 1]; 0 when
/// nothing moved.
#[derive(Debug, Clone)]
pub struct Efficiency {
    window: Ring,
}

impl Efficiency {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("EFFICIENCY", period, 1)?;
        Ok(Self { window: Ring::new(period + 1) })
    }
}

impl Indicator for Efficiency {
    fn update(&mut self, x: f64) -> Option<f64> {
        self.window.push(x);
        if !self.window.is_full() {
            return None;
        }
        let mut path = 0.0;
        let mut values = self.window.iter_ordered();
        let first = values.next().expect("a full window");
        let mut previous = first;
        for v in values {
            path += (v - previous).abs();
            previous = v;
        }
        Some(if path == 0.0 { 0.0 } else { (x - first).abs() / path })
    }
    fn is_ready(&self) -> bool {
        self.window.is_full()
    }
    fn reset(&mut self) {
        self.window.clear();
    }
}

/// The share of the last `period` one-bar changes that were rises, in
/// [0, 1]. Counted in integers, so it is exact.
#[derive(Debug, Clone)]
pub struct UpFraction {
    previous: Option<f64>,
    ups: Ring,
    count: usize,
}

impl UpFraction {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("UP_FRAC", period, 1)?;
        Ok(Self { previous: None, ups: Ring::new(period), count: 0 })
    }
}

impl Indicator for UpFraction {
    fn update(&mut self, x: f64) -> Option<f64> {
        let previous = self.previous.replace(x)?;
        let up = (x > previous) as usize;
        if let Some(old) = self.ups.push(up as f64) {
            self.count -= old as usize;
        }
        self.count += up;
        self.ups.is_full().then(|| self.count as f64 / self.ups.capacity() as f64)
    }
    fn is_ready(&self) -> bool {
        self.ups.is_full()
    }
    fn reset(&mut self) {
        self.previous = None;
        self.ups.clear();
        self.count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch;

    #[test]
    fn rank_averages_ties_and_counts_the_newest_value() {
        let r = batch(RollingRank::new(4).unwrap(), &[3.0, 1.0, 2.0, 2.0, 5.0, 0.5]);
        assert!(r[..3].iter().all(|v| v.is_nan()));
        // [3, 1, 2, 2]: one below, two equal → (1 + 1.5) / 4.
        assert_eq!(r[3], 2.5 / 4.0);
        assert_eq!(r[4], 1.0);
        assert_eq!(r[5], 1.0 / 4.0);
        assert!(RollingRank::new(1).is_err());
    }

    #[test]
    fn moments_of_known_returns() {
        // Prices whose log returns are exactly 0, 0, 0, ln 2: skew of
        // [0, 0, 0, a] is 2 for any a > 0 (G1 with n = 4), excess kurtosis 4.
        let prices = [1.0, 1.0, 1.0, 1.0, 2.0];
        let s = batch(ReturnMoment::new(Moment::Skew, 4).unwrap(), &prices);
        let k = batch(ReturnMoment::new(Moment::Kurt, 4).unwrap(), &prices);
        assert!(s[..4].iter().all(|v| v.is_nan()));
        assert!((s[4] - 2.0).abs() < 1e-12, "{}", s[4]);
        assert!((k[4] - 4.0).abs() < 1e-12, "{}", k[4]);
        let flat = batch(ReturnMoment::new(Moment::Kurt, 4).unwrap(), &[5.0; 6]);
        assert_eq!(flat[5], 0.0);
        assert!(ReturnMoment::new(Moment::Kurt, 3).is_err());
    }

    #[test]
    fn efficiency_and_up_fraction() {
        let e = batch(Efficiency::new(3).unwrap(), &[1.0, 2.0, 1.0, 4.0, 4.0]);
        assert!(e[2].is_nan());
        assert_eq!(e[3], 3.0 / 5.0);
        assert_eq!(e[4], 2.0 / 4.0);
        let u = batch(UpFraction::new(2).unwrap(), &[1.0, 2.0, 2.0, 3.0, 1.0]);
        assert_eq!(u[..2].iter().filter(|v| v.is_nan()).count(), 2);
        assert_eq!(&u[2..], &[0.5, 0.5, 0.5]);
    }
}
