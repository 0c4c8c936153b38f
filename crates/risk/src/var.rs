//! Portfolio value at risk for the pre-trade limit
//! `[risk_metrics] var_limit_1d_95`.
//!
//! The model is RiskMetrics': the covariance of daily log returns is an
//! exponentially weighted average (`var_lambda`, 0.94 by default) updated
//! at each UTC day's close, and the one-day 95 % VaR of positions worth
//! `w` (each position at its last price) is `1.645 × sqrt(wᵀ Σ w)`.
//!
//! A pre-trade check must be cheap, so the model keeps `s = Σ w` and
//! `v = wᵀ Σ w` up to date as positions and prices change (O(n) per
//! change, n instruments). The VaR after an order changing `w_i` by `d` is
//! then `v + 2 d s_i + d² Σ_ii`: O(1) per check. Once a day the model
//! recomputes `s` and `v` from scratch (O(n²)), which also clears any
//! rounding drift. Until `var_min_days` daily returns have been seen the
//! VaR is unknown and the limit does not deny anything.
//!
//! The analytics crate reports historical, parametric and Monte Carlo VaR
//! of a finished run's returns; the limit uses the parametric model
//! because it alone answers "what if this order fills" in O(1).

use pyrt_model::UnixNanos;
use pyrt_model::time::{NANOS_PER_DAY, utc_day};

/// The 95 % one-sided quantile of the standard normal distribution.
const Z_95: f64 = 1.644_853_626_951_472_2;

/// Positions, prices and the covariance of daily returns.
#[derive(Debug, Clone)]
pub struct VarModel {
    lambda: f64,
    min_days: u32,
    /// Daily returns seen so far.
    days: u32,
    n: usize,
    /// Row-major n × n covariance of daily log returns.
    cov: Vec<f64>,
    /// The last price of the previous UTC day, per instrument.
    prev_close: Vec<Option<f64>>,
    last_price: Vec<Option<f64>>,
    qty: Vec<f64>,
    /// Position values at the last price.
    w: Vec<f64>,
    /// Σ w.
    s: Vec<f64>,
    /// wᵀ Σ w.
    v: f64,
    next_day: UnixNanos,
}

impl VarModel {
    pub fn new(instruments: usize, lambda: f64, min_days: u32) -> Self {
        let n = instruments;
        Self {
            lambda,
            min_days,
            days: 0,
            n,
            cov: vec![0.0; n * n],
            prev_close: vec![None; n],
            last_price: vec![None; n],
            qty: vec![0.0; n],
            w: vec![0.0; n],
            s: vec![0.0; n],
            v: 0.0,
            next_day: UnixNanos::MIN,
        }
    }

    /// A price of instrument `i` at `ts`. The first price of a new UTC day
    /// closes the previous one (its returns update the covariance).
    pub fn on_price(&mut self, i: usize, price: f64, ts: UnixNanos) {
        if ts >= self.next_day {
            if self.next_day != UnixNanos::MIN {
                self.close_day();
            }
            self.next_day = (utc_day(ts) + 1) * NANOS_PER_DAY;
        }
        self.last_price[i] = Some(price);
        self.set_exposure(i, self.qty[i] * price);
    }

    /// The signed position in instrument `i` changed to `qty`.
    pub fn on_position(&mut self, i: usize, qty: f64) {
        self.qty[i] = qty;
        let w = self.last_price[i].map_or(0.0, |p| qty * p);
        self.set_exposure(i, w);
    }

    fn set_exposure(&mut self, i: usize, w: f64) {
        let d = w - self.w[i];
        if d == 0.0 {
            return;
        }
        let row = &self.cov[i * self.n..(i + 1) * self.n];
        self.v += 2.0 * d * self.s[i] + d * d * row[i];
        for (s, c) in self.s.iter_mut().zip(row) {
            *s += c * d;
        }
        self.w[i] = w;
    }

    fn close_day(&mut self) {
        let returns: Vec<f64> = (0..self.n)
            .map(|i| match (self.prev_close[i], self.last_price[i]) {
                (Some(a), Some(b)) if a > 0.0 && b > 0.0 => (b / a).ln(),
                _ => 0.0,
            })
            .collect();
        let seen = self.prev_close.iter().any(Option::is_some);
        self.prev_close.clone_from(&self.last_price);
        if !seen {
            return;
        }
        // The first return seeds the average; later ones decay into it.
        let keep = if self.days == 0 { 0.0 } else { self.lambda };
        for a in 0..self.n {
            for b in 0..self.n {
                let c = &mut self.cov[a * self.n + b];
                *c = keep * *c + (1.0 - keep) * returns[a] * returns[b];
            }
        }
        self.days += 1;
        self.recompute();
    }

    fn recompute(&mut self) {
        for a in 0..self.n {
            self.s[a] = (0..self.n).map(|b| self.cov[a * self.n + b] * self.w[b]).sum();
        }
        self.v = self.w.iter().zip(&self.s).map(|(w, s)| w * s).sum();
    }

    /// Daily returns seen so far.
    pub fn days(&self) -> u32 {
        self.days
    }

    /// The one-day 95 % VaR of the positions now, once enough days are in.
    pub fn var(&self) -> Option<f64> {
        (self.days >= self.min_days).then(|| Z_95 * self.v.max(0.0).sqrt())
    }

    /// The VaR if instrument `i`'s position changed by `dq` at `price`.
    pub fn var_after(&self, i: usize, dq: f64, price: f64) -> Option<f64> {
        let d = dq * price;
        let v = self.v + 2.0 * d * self.s[i] + d * d * self.cov[i * self.n + i];
        (self.days >= self.min_days).then(|| Z_95 * v.max(0.0).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = NANOS_PER_DAY;

    /// Prices of two instruments over `days` days, deterministic.
    fn path(days: usize) -> Vec<[f64; 2]> {
        let mut p = [100.0, 50.0];
        (0..days)
            .map(|d| {
                let x = ((d * 7919) % 101) as f64 / 101.0 - 0.5;
                let y = ((d * 104_729) % 97) as f64 / 97.0 - 0.5;
                p[0] *= 1.0 + 0.02 * x;
                p[1] *= 1.0 + 0.01 * x + 0.03 * y;
                p
            })
            .collect()
    }

    /// The textbook recursion on whole return vectors, then wᵀΣw.
    fn reference(prices: &[[f64; 2]], w: [f64; 2], lambda: f64) -> f64 {
        let mut cov = [[0.0; 2]; 2];
        for (k, pair) in prices.windows(2).enumerate() {
            let r = [(pair[1][0] / pair[0][0]).ln(), (pair[1][1] / pair[0][1]).ln()];
            let keep = if k == 0 { 0.0 } else { lambda };
            for a in 0..2 {
                for b in 0..2 {
                    cov[a][b] = keep * cov[a][b] + (1.0 - keep) * r[a] * r[b];
                }
            }
        }
        let v = (0..2).map(|a| (0..2).map(|b| w[a] * cov[a][b] * w[b]).sum::<f64>()).sum::<f64>();
        Z_95 * v.sqrt()
    }

    #[test]
    fn matches_the_textbook_recursion() {
        let prices = path(60);
        let mut m = VarModel::new(2, 0.94, 20);
        m.on_position(0, 10.0);
        m.on_position(1, -30.0);
        for (d, p) in prices.iter().enumerate() {
            // Several prices a day; the last one is the close.
            for (k, f) in [1.01, 0.99, 1.0].iter().enumerate() {
                let ts = d as i64 * DAY + k as i64 * 1_000;
                m.on_price(0, p[0] * f, ts);
                m.on_price(1, p[1] * f, ts);
            }
        }
        // The last day is not closed yet: 58 returns are in.
        assert_eq!(m.days(), 58);
        let closes = &prices[..59];
        let last = prices[59];
        let want = reference(closes, [10.0 * last[0], -30.0 * last[1]], 0.94);
        let got = m.var().unwrap();
        assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
        // The incremental answer for an order equals a fresh model's.
        let after = m.var_after(1, 30.0, last[1]).unwrap();
        let want = reference(closes, [10.0 * last[0], 0.0], 0.94);
        assert!((after - want).abs() < 1e-9 * want, "{after} vs {want}");
    }

    #[test]
    fn unknown_until_enough_days() {
        let mut m = VarModel::new(1, 0.94, 3);
        m.on_position(0, 1.0);
        // Day 1 closes day 0 (no return yet); days 2, 3 and 4 bring one each.
        for d in 0..4 {
            m.on_price(0, 100.0 + d as f64, d * DAY);
            assert_eq!(m.var(), None);
        }
        m.on_price(0, 101.0, 4 * DAY);
        assert!(m.var().unwrap() > 0.0);
    }
}
