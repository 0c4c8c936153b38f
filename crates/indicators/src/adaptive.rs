//! Adaptive and multi-stage averages with TA-Lib's exact recurrences:
//! KAMA and T3.

use crate::average::ema_step;
use crate::window::Ring;
use crate::{Indicator, IndicatorError, check_period};

/// Kaufman's adaptive moving average (TA-Lib's KAMA: fast 2, slow 30).
///
/// The efficiency ratio is `|x − x[−n]| / Σ|Δx|` over the last `n`
/// changes, pinned to 1 when the net move equals the path (and on a flat
/// window, recognised by counting exactly-zero changes so rounding residue
/// in the running sum cannot fake motion). The first value, on bar `n`,
/// starts from the previous close.
#[derive(Debug, Clone)]
pub struct Kama {
    prices: Ring,
    changes: Ring,
    sum: f64,
    zero_changes: usize,
    value: Option<f64>,
}

const KAMA_MAX: f64 = 2.0 / (30.0 + 1.0);
const KAMA_DIFF: f64 = 2.0 / (2.0 + 1.0) - KAMA_MAX;

impl Kama {
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("KAMA", period, 2)?;
        Ok(Self { prices: Ring::new(period + 1), changes: Ring::new(period), sum: 0.0, zero_changes: 0, value: None })
    }
}

impl Indicator for Kama {
    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        let prev = self.prices.newest();
        self.prices.push(x);
        let prev = prev?;
        let change = (x - prev).abs();
        if let Some(old) = self.changes.push(change) {
            self.sum -= old;
            self.zero_changes -= (old == 0.0) as usize;
        }
        self.sum += change;
        self.zero_changes += (change == 0.0) as usize;
        if !self.prices.is_full() {
            return None;
        }
        if self.zero_changes >= self.changes.capacity() {
            self.sum = 0.0;
        }
        let period_roc = x - self.prices.oldest();
        let er = if self.sum <= period_roc || self.sum <= 0.0 { 1.0 } else { (period_roc / self.sum).abs() };
        let sc = er.mul_add(KAMA_DIFF, KAMA_MAX);
        let sc = sc * sc;
        let base = self.value.unwrap_or(prev);
        let v = ema_step(base, x, sc);
        self.value = Some(v);
        Some(v)
    }
    fn is_ready(&self) -> bool {
        self.value.is_some()
    }
    fn reset(&mut self) {
        *self = Self::new(self.changes.capacity()).expect("valid period");
    }
}

/// One stage of T3: an EMA written `k·x + (1 − k)·e`, seeded with the plain
/// average of its first `period` inputs.
#[derive(Debug, Clone)]
struct T3Stage {
    period: usize,
    seen: usize,
    value: f64,
}

impl T3Stage {
    #[inline]
    fn update(&mut self, x: f64, k: f64) -> Option<f64> {
        self.seen += 1;
        if self.seen <= self.period {
            self.value += x;
            if self.seen < self.period {
                return None;
            }
            self.value /= self.period as f64;
        } else {
            self.value = t3_step(self.value, x, k);
        }
        Some(self.value)
    }
}

/// One steady-state T3 stage step, `k·x + (1 − k)·e`, fused the way
/// TA-Lib's FMA build contracts it.
#[inline(always)]
pub(crate) fn t3_step(e: f64, x: f64, k: f64) -> f64 {
    (1.0 - k).mul_add(e, k * x)
}

/// `c1·e6 + c2·e5 + c3·e4 + c4·e3`, in the order TA-Lib's FMA build
/// contracts it: this order makes T3 bit-identical to TA-Lib, a plain
/// sum matched only one value in seven.
#[inline(always)]
pub(crate) fn t3_combine(c: &[f64; 4], e: &[f64; 6]) -> f64 {
    let [c1, c2, c3, c4] = *c;
    c4.mul_add(e[2], c3.mul_add(e[3], c1.mul_add(e[5], c2 * e[4])))
}

/// Tillson's T3 (TA-Lib's T3): six chained EMAs combined with the volume
/// factor `v` (0.7 by default). First value after `6·(period − 1)` bars.
#[derive(Debug, Clone)]
pub struct T3 {
    stages: [T3Stage; 6],
    k: f64,
    c: [f64; 4],
    period: usize,
    vfactor: f64,
}

impl T3 {
    pub fn new(period: usize, vfactor: f64) -> Result<Self, IndicatorError> {
        check_period("T3", period, 1)?;
        let v = vfactor;
        let v2 = v * v;
        let c1 = -v2 * v;
        let c2 = 3.0 * (v2 - c1);
        let c3 = -6.0 * v2 - 3.0 * (v - c1);
        let c4 = 1.0 + 3.0 * v - c1 + 3.0 * v2;
        let stage = T3Stage { period, seen: 0, value: 0.0 };
        Ok(Self {
            stages: std::array::from_fn(|_| stage.clone()),
            k: 2.0 / (period as f64 + 1.0),
            c: [c1, c2, c3, c4],
            period,
            vfactor,
        })
    }
}

impl T3 {
    /// Once ready: the six stage values, the smoothing factor `k` and the
    /// combination weights, from which a batch loop takes over with plain
    /// [`t3_step`]s and [`t3_combine`] (period 1 has no stages: `None`).
    pub(crate) fn steady_state(&self) -> Option<([f64; 6], f64, [f64; 4])> {
        (self.period > 1 && self.is_ready()).then(|| (self.stages.clone().map(|s| s.value), self.k, self.c))
    }
}

impl Indicator for T3 {
    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        if self.period == 1 {
            return Some(x);
        }
        let mut v = x;
        let mut e = [0.0; 6];
        for (i, stage) in self.stages.iter_mut().enumerate() {
            v = stage.update(v, self.k)?;
            e[i] = v;
        }
        Some(t3_combine(&self.c, &e))
    }
    fn is_ready(&self) -> bool {
        self.stages[5].seen >= self.period
    }
    fn reset(&mut self) {
        *self = Self::new(self.period, self.vfactor).expect("valid period");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch;

    #[test]
    fn kama_and_t3_warm_up_like_ta_lib_and_track_a_line() {
        let line: Vec<f64> = (0..80).map(|i| 50.0 + i as f64).collect();
        let k = batch(Kama::new(10).unwrap(), &line);
        assert!(k[9].is_nan() && k[10].is_finite());
        // On a straight line the efficiency ratio is 1: fastest smoothing.
        assert!((line[79] - k[79]) < 2.0, "{}", k[79]);
        let t = batch(T3::new(5, 0.7).unwrap(), &line);
        assert!(t[23].is_nan() && t[24].is_finite());
    }

    #[test]
    fn kama_on_a_flat_series_stays_put() {
        let k = batch(Kama::new(5).unwrap(), &[3.0; 20]);
        assert!(k[5..].iter().all(|v| *v == 3.0));
    }
}
