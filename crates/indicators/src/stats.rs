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
    #[inline]
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
    #[inline]
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

/// Running first and second moments of a pair of series over a window,
/// as sums of deviations from reference values recentred on the window
/// every `period` updates. That keeps covariances free of the cancellation
/// that plain `Σxy − ΣxΣy/n` suffers on price levels, and agrees with TA-Lib
/// 0.8's CORREL to ~1e-13. O(1) amortised.
#[derive(Debug, Clone)]
struct PairMoments {
    xs: Ring,
    ys: Ring,
    reference: (f64, f64),
    sums: PairSums,
    since_recentre: usize,
}

/// Sums of deviations from a reference pair `(kx, ky)` over a window:
/// `[Σdx, Σdy, Σdx², Σdy², Σdx·dy]`.
pub(crate) type PairSums = [f64; 5];

/// Adds the pair `(x, y)` to `sums`.
#[inline(always)]
pub(crate) fn pair_sums_add(sums: &mut PairSums, (kx, ky): (f64, f64), (x, y): (f64, f64)) {
    let (dx, dy) = (x - kx, y - ky);
    let [sx, sy, sxx, syy, sxy] = sums;
    *sx += dx;
    *sy += dy;
    *sxx += dx * dx;
    *syy += dy * dy;
    *sxy += dx * dy;
}

/// Adds the pair entering the window and takes away the one leaving it,
/// netted first so each sum's serial chain takes one addition a value.
#[inline(always)]
pub(crate) fn pair_sums_step(sums: &mut PairSums, (kx, ky): (f64, f64), enter: (f64, f64), leave: (f64, f64)) {
    let (dx, dy) = (enter.0 - kx, enter.1 - ky);
    let (ex, ey) = (leave.0 - kx, leave.1 - ky);
    let [sx, sy, sxx, syy, sxy] = sums;
    *sx += dx - ex;
    *sy += dy - ey;
    *sxx += dx.mul_add(dx, -(ex * ex));
    *syy += dy.mul_add(dy, -(ey * ey));
    *sxy += dx.mul_add(dy, -(ex * ey));
}

/// The reference moved to the window means (from the old sums), and the
/// sums recomputed around it from the window's pairs, oldest first.
#[inline(always)]
pub(crate) fn pair_sums_recentre(
    sums: &mut PairSums,
    reference: &mut (f64, f64),
    pairs: impl Iterator<Item = (f64, f64)>,
    n: f64,
) {
    *reference = (reference.0 + sums[0] / n, reference.1 + sums[1] / n);
    *sums = [0.0; 5];
    for pair in pairs {
        pair_sums_add(sums, *reference, pair);
    }
}

/// Pearson correlation of a full window of `n` pairs from its sums:
/// `(nΣxy − ΣxΣy) / √((nΣx² − (Σx)²)(nΣy² − (Σy)²))`, 0 when either
/// series is flat. Scaled by `n` rather than divided into means: one
/// division a value instead of six (the batch kernel's bottleneck).
#[inline(always)]
pub(crate) fn correlation(n: f64, [sx, sy, sxx, syy, sxy]: PairSums) -> f64 {
    let (vx, vy, cov) = (n * sxx - sx * sx, n * syy - sy * sy, n * sxy - sx * sy);
    let den = vx * vy;
    let r = cov / den.sqrt();
    if den > 0.0 { r } else { 0.0 }
}

impl PairMoments {
    fn new(period: usize) -> Self {
        Self {
            xs: Ring::new(period),
            ys: Ring::new(period),
            reference: (f64::NAN, f64::NAN),
            sums: [0.0; 5],
            since_recentre: 0,
        }
    }

    /// The window's sums once it is full.
    #[inline]
    fn update(&mut self, x: f64, y: f64) -> Option<PairSums> {
        if self.reference.0.is_nan() {
            self.reference = (x, y);
        }
        match (self.xs.push(x), self.ys.push(y)) {
            (Some(ox), Some(oy)) => pair_sums_step(&mut self.sums, self.reference, (x, y), (ox, oy)),
            _ => pair_sums_add(&mut self.sums, self.reference, (x, y)),
        }
        self.since_recentre += 1;
        if self.since_recentre >= self.xs.capacity() {
            let n = self.xs.len() as f64;
            let pairs = self.xs.iter_ordered().zip(self.ys.iter_ordered());
            pair_sums_recentre(&mut self.sums, &mut self.reference, pairs, n);
            self.since_recentre = 0;
        }
        self.xs.is_full().then_some(self.sums)
    }
}

/// Pearson correlation of two series over `period` values (TA-Lib's
/// CORREL); 0 when either is flat.
#[derive(Debug, Clone)]
pub struct Correl(PairMoments);

impl Correl {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("CORREL", period, 2)?;
        Ok(Self(PairMoments::new(period)))
    }

    #[inline]
    pub fn update(&mut self, x: f64, y: f64) -> Option<f64> {
        let sums = self.0.update(x, y)?;
        Some(correlation(self.0.xs.capacity() as f64, sums))
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
    #[inline]
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
///
/// The sum is taken over the window, oldest first, on every value
/// (O(period)). A running sum that adds the new square and subtracts the
/// old one drifts: after a flat stretch it left 6e-20 where the sum is 0,
/// and the square root turned that into a volatility of 2.5e-10 on BTC
/// minutes with no trade at a new price.
#[derive(Debug, Clone)]
pub struct RealizedVol {
    ret: LogReturn,
    squares: Ring,
}

impl RealizedVol {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("RVOL", period, 1)?;
        Ok(Self { ret: LogReturn::new(1)?, squares: Ring::new(period) })
    }
}

impl Indicator for RealizedVol {
    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        let r = self.ret.update(x)?;
        self.squares.push(r * r);
        self.squares.is_full().then(|| self.squares.iter_ordered().sum::<f64>().sqrt())
    }
    fn is_ready(&self) -> bool {
        self.squares.is_full()
    }
    fn reset(&mut self) {
        self.ret.reset();
        self.squares.clear();
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

/// Beta of one series' one-bar returns on another's over `period` returns
/// (TA-Lib's BETA(x, y): the least-squares slope of y's returns on x's);
/// 0 when x's returns do not vary.
///
/// Computed two-pass over the window, oldest first, in O(period): over
/// nearly constant returns the slope is so ill-conditioned that only the
/// same arithmetic as TA-Lib reproduces its value (the default period is 5).
#[derive(Debug, Clone)]
pub struct Beta {
    prev: Option<(f64, f64)>,
    xs: Ring,
    ys: Ring,
}

impl Beta {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("BETA", period, 1)?;
        Ok(Self { prev: None, xs: Ring::new(period), ys: Ring::new(period) })
    }

    #[inline]
    pub fn update(&mut self, x_price: f64, y_price: f64) -> Option<f64> {
        let ret = |p: f64, last: f64| if -1e-8 < last && last < 1e-8 { 0.0 } else { (p - last) / last };
        let (lx, ly) = self.prev.replace((x_price, y_price))?;
        self.xs.push(ret(x_price, lx));
        self.ys.push(ret(y_price, ly));
        if !self.xs.is_full() {
            return None;
        }
        let n = self.xs.capacity() as f64;
        let mx = self.xs.iter_ordered().fold(0.0, |s, v| s + v) / n;
        let my = self.ys.iter_ordered().fold(0.0, |s, v| s + v) / n;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (x, y) in self.xs.iter_ordered().zip(self.ys.iter_ordered()) {
            sxy += (x - mx) * (y - my);
            sxx += (x - mx) * (x - mx);
        }
        Some(if sxx > 0.0 { sxy / sxx } else { 0.0 })
    }
}
