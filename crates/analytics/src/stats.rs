//! Performance statistics of a run.
//!
//! Return statistics use the sampled equity curve (one point per day by
//! default), annualised with the number of periods per year read off the
//! data: 252 for daily points with no weekend days (exchange calendars),
//! 365 for daily points with weekends (crypto), and `year / median gap`
//! otherwise. Drawdown comes from the kernel, which tracks it at every
//! event, so an intraday trough deeper than any daily close still counts.
//!
//! Conventions (the same as empyrical / quantstats unless noted):
//! * Sharpe = mean(r − rf) / std(r, ddof = 1) × √periods;
//! * Sortino = mean(r − rf) / √mean(min(r − rf, 0)²) × √periods;
//! * Calmar = annualised return / max drawdown;
//! * VaR / CVaR at 95 %, one period, as positive loss fractions:
//!   historical from the empirical 5 % quantile (linear interpolation),
//!   parametric from a normal fit.

use pyrt_engine::TradeStats;
use serde::Serialize;

/// What the statistics are computed from.
#[derive(Debug, Clone)]
pub struct StatsInput<'a> {
    /// `(time ns, equity)`, time-ordered.
    pub equity: &'a [(i64, f64)],
    pub initial_equity: f64,
    /// Statistics of the closed round trips.
    pub trades: &'a TradeStats,
    /// Max drawdown as a positive fraction, tracked at full resolution.
    pub max_drawdown: f64,
    pub max_drawdown_duration_ns: i64,
    pub exposure: f64,
    pub num_fills: u64,
    /// Orders refused by the engine's checks or by the venue.
    pub num_rejected: u64,
    /// Annual risk-free rate (0.02 = 2 %).
    pub risk_free: f64,
}

/// The summary of a run. Undefined ratios (no trades, zero variance) are
/// `null` in JSON.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stats {
    pub start: i64,
    pub end: i64,
    pub initial_equity: f64,
    pub final_equity: f64,
    pub total_return: f64,
    pub annual_return: f64,
    pub annual_volatility: f64,
    pub sharpe: Option<f64>,
    pub sortino: Option<f64>,
    pub calmar: Option<f64>,
    pub max_drawdown: f64,
    pub max_drawdown_duration_days: f64,
    pub num_fills: u64,
    /// Orders refused by the engine's checks or by the venue.
    pub num_rejected: u64,
    pub num_round_trips: u64,
    pub win_rate: Option<f64>,
    pub profit_factor: Option<f64>,
    pub expectancy: Option<f64>,
    pub best_trade: Option<f64>,
    pub worst_trade: Option<f64>,
    pub exposure: f64,
    pub var_95_historical: Option<f64>,
    pub cvar_95_historical: Option<f64>,
    pub var_95_parametric: Option<f64>,
    pub cvar_95_parametric: Option<f64>,
    pub periods_per_year: f64,
}

const DAY_NS: f64 = 86_400e9;
const YEAR_NS: f64 = 365.25 * DAY_NS;
/// Standard normal 5 % quantile and the density ratio for the tail mean.
const Z_95: f64 = 1.644_853_626_951_472_2;
const TAIL_95: f64 = 2.062_712_807_507_14; // φ(Z_95) / 0.05

pub fn compute(input: &StatsInput) -> Stats {
    let eq = input.equity;
    let (start, end) = (eq.first().map_or(0, |p| p.0), eq.last().map_or(0, |p| p.0));
    let final_equity = eq.last().map_or(input.initial_equity, |p| p.1);
    let total_return = final_equity / input.initial_equity - 1.0;
    let years = (end - start) as f64 / YEAR_NS;
    let annual_return = if years > 0.0 && final_equity > 0.0 {
        (final_equity / input.initial_equity).powf(1.0 / years) - 1.0
    } else if final_equity <= 0.0 {
        -1.0
    } else {
        0.0
    };
    let periods_per_year = periods_per_year(eq);
    // Period returns, the first one from the initial equity.
    let mut returns = Vec::with_capacity(eq.len());
    let mut prev = input.initial_equity;
    for &(_, e) in eq {
        if prev != 0.0 {
            returns.push(e / prev - 1.0);
        }
        prev = e;
    }
    let rf = input.risk_free / periods_per_year;
    let excess: Vec<f64> = returns.iter().map(|r| r - rf).collect();
    let mean_excess = mean(&excess);
    let sd = std_dev(&excess);
    let sharpe = mean_excess.zip(sd).filter(|(_, s)| *s > 0.0).map(|(m, s)| m / s * periods_per_year.sqrt());
    let downside = (!excess.is_empty())
        .then(|| (excess.iter().map(|r| r.min(0.0).powi(2)).sum::<f64>() / excess.len() as f64).sqrt());
    let sortino = mean_excess.zip(downside).filter(|(_, d)| *d > 0.0).map(|(m, d)| m / d * periods_per_year.sqrt());
    let calmar = (input.max_drawdown > 0.0).then(|| annual_return / input.max_drawdown);
    let annual_volatility = std_dev(&returns).map_or(0.0, |s| s * periods_per_year.sqrt());

    let t = input.trades;
    let (var_h, cvar_h) = historical_var(&returns);
    let (var_p, cvar_p) = match (mean(&returns), std_dev(&returns)) {
        (Some(m), Some(s)) => (Some(-(m - Z_95 * s)), Some(-(m - TAIL_95 * s))),
        _ => (None, None),
    };
    Stats {
        start,
        end,
        initial_equity: input.initial_equity,
        final_equity,
        total_return,
        annual_return,
        annual_volatility,
        sharpe,
        sortino,
        calmar,
        max_drawdown: input.max_drawdown,
        max_drawdown_duration_days: input.max_drawdown_duration_ns as f64 / DAY_NS,
        num_fills: input.num_fills,
        num_rejected: input.num_rejected,
        num_round_trips: t.count,
        win_rate: t.win_rate(),
        profit_factor: t.profit_factor(),
        expectancy: t.expectancy(),
        best_trade: t.best,
        worst_trade: t.worst,
        exposure: input.exposure,
        var_95_historical: var_h,
        cvar_95_historical: cvar_h,
        var_95_parametric: var_p,
        cvar_95_parametric: cvar_p,
        periods_per_year,
    }
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

fn std_dev(xs: &[f64]) -> Option<f64> {
    let m = mean(xs)?;
    (xs.len() > 1).then(|| (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt())
}

/// Historical 95 % VaR and CVaR as positive loss fractions.
fn historical_var(returns: &[f64]) -> (Option<f64>, Option<f64>) {
    if returns.len() < 2 {
        return (None, None);
    }
    let mut sorted = returns.to_vec();
    sorted.sort_by(f64::total_cmp);
    let q = quantile_sorted(&sorted, 0.05);
    let tail: Vec<f64> = sorted.iter().copied().take_while(|r| *r <= q).collect();
    (Some(-q), mean(&tail).map(|m| -m))
}

/// Linear-interpolated quantile of sorted data (numpy's default).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Periods per year implied by the sampling of the curve.
fn periods_per_year(eq: &[(i64, f64)]) -> f64 {
    if eq.len() < 2 {
        return 252.0;
    }
    let mut gaps: Vec<i64> = eq.windows(2).map(|w| w[1].0 - w[0].0).collect();
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2] as f64;
    if (median - DAY_NS).abs() < 1.0 || (median > 0.5 * DAY_NS && median < 1.5 * DAY_NS) {
        // Days since the epoch: 1970-01-01 was a Thursday, so day % 7 of 2 and 3 are Sat/Sun.
        let weekend = eq.iter().any(|(t, _)| matches!((t.div_euclid(DAY_NS as i64)).rem_euclid(7), 2 | 3));
        return if weekend { 365.0 } else { 252.0 };
    }
    if median >= 1.5 * DAY_NS { YEAR_NS / median } else { 252.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: i64 = 86_400_000_000_000;

    const NO_TRADES: TradeStats =
        TradeStats { count: 0, wins: 0, gross_win: 0.0, gross_loss: 0.0, net: 0.0, best: None, worst: None };

    fn input(equity: &[(i64, f64)]) -> StatsInput<'_> {
        StatsInput {
            equity,
            initial_equity: 100.0,
            trades: &NO_TRADES,
            max_drawdown: 0.0,
            max_drawdown_duration_ns: 0,
            exposure: 0.0,
            num_fills: 0,
            num_rejected: 0,
            risk_free: 0.0,
        }
    }

    #[test]
    fn sharpe_and_sortino_against_hand_computation() {
        // Weekdays only (1970-01-05 was a Monday: day 4).
        let days = [4, 5, 6, 7, 8];
        let values = [101.0, 99.0, 102.0, 103.0, 101.0];
        let eq: Vec<(i64, f64)> = days.iter().zip(values).map(|(d, v)| (d * D, v)).collect();
        let s = compute(&input(&eq));
        let r = [0.01, 99.0 / 101.0 - 1.0, 102.0 / 99.0 - 1.0, 103.0 / 102.0 - 1.0, 101.0 / 103.0 - 1.0];
        let m = r.iter().sum::<f64>() / 5.0;
        let sd = (r.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 4.0).sqrt();
        assert_eq!(s.periods_per_year, 252.0);
        assert!((s.sharpe.unwrap() - m / sd * 252f64.sqrt()).abs() < 1e-12);
        let dd = (r.iter().map(|x| x.min(0.0).powi(2)).sum::<f64>() / 5.0).sqrt();
        assert!((s.sortino.unwrap() - m / dd * 252f64.sqrt()).abs() < 1e-12);
        assert!((s.total_return - 0.01).abs() < 1e-12);
    }

    #[test]
    fn weekends_mean_a_365_day_year_and_hourly_points_scale() {
        let eq: Vec<(i64, f64)> = (0..10).map(|d| (d * D, 100.0 + d as f64)).collect();
        assert_eq!(compute(&input(&eq)).periods_per_year, 365.0);
        let weekly: Vec<(i64, f64)> = (0..10).map(|w| (w * 7 * D, 100.0)).collect();
        assert!((compute(&input(&weekly)).periods_per_year - 365.25 / 7.0).abs() < 1e-9);
    }

    #[test]
    fn trade_statistics() {
        let eq = [(0, 100.0), (D, 110.0)];
        let mut trades = TradeStats::default();
        [10.0, -5.0, 20.0, -5.0].into_iter().for_each(|p| trades.add(p));
        let s = compute(&StatsInput { trades: &trades, max_drawdown: 0.1, ..input(&eq) });
        assert_eq!(s.win_rate, Some(0.5));
        assert_eq!(s.profit_factor, Some(3.0));
        assert_eq!(s.expectancy, Some(5.0));
        assert_eq!((s.best_trade, s.worst_trade), (Some(20.0), Some(-5.0)));
        assert_eq!(s.num_round_trips, 4);
        // One day is 1/365.25 of a year.
        assert!((s.annual_return - (1.1f64.powf(365.25) - 1.0)).abs() < 1e-6 * s.annual_return);
        assert!((s.calmar.unwrap() - s.annual_return / 0.1).abs() < 1e-9);
    }

    #[test]
    fn undefined_ratios_are_none() {
        let eq = [(0, 100.0), (D, 100.0), (2 * D, 100.0)];
        let s = compute(&input(&eq));
        assert_eq!((s.sharpe, s.sortino, s.calmar, s.win_rate, s.profit_factor), (None, None, None, None, None));
    }

    #[test]
    fn var_and_cvar() {
        let returns: Vec<f64> = (1..=100).map(|i| i as f64 / 1000.0 - 0.05).collect();
        let (var, cvar) = historical_var(&returns);
        // 5 % quantile of -0.049..0.05 step 0.001 at position 4.95.
        assert!((var.unwrap() - (0.049 - 0.00495)).abs() < 1e-12, "{var:?}");
        let tail = (-0.049 - 0.048 - 0.047 - 0.046 - 0.045) / 5.0;
        assert!((cvar.unwrap() + tail).abs() < 1e-12);
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
    }
}
