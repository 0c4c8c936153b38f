//! The built-in signals. Each reads bar closes and decides enter / exit.

use std::cmp::Ordering;

use pyrt_indicators::{Bollinger, ExactSma, Indicator, Roc, Rsi};
use pyrt_model::Bar;

use crate::long_flat::{Decision, Signal};

/// Enter when the fast SMA crosses above the slow one; exit when it
/// crosses below. A cross needs a strict change of order between two
/// consecutive bars (backtesting.py's `crossover`), and the averages are
/// compared exactly on fixed-point prices, so equal averages never count as
/// a cross because of float rounding.
pub struct SmaCross {
    fast: ExactSma,
    slow: ExactSma,
    prev: Option<Ordering>,
}

impl SmaCross {
    pub fn new(fast: usize, slow: usize) -> Self {
        Self { fast: ExactSma::new(fast).expect("checked"), slow: ExactSma::new(slow).expect("checked"), prev: None }
    }
}

impl Signal for SmaCross {
    #[inline]
    fn on_bar(&mut self, bar: &Bar) -> Decision {
        let raw = bar.close.raw();
        let (fast_ready, slow_ready) = (self.fast.update(raw), self.slow.update(raw));
        if !(fast_ready && slow_ready) {
            return Decision::Hold;
        }
        let now = self.fast.cmp_mean(&self.slow);
        let decision = match (self.prev, now) {
            (Some(Ordering::Less), Ordering::Greater) => Decision::Enter,
            (Some(Ordering::Greater), Ordering::Less) => Decision::Exit,
            _ => Decision::Hold,
        };
        self.prev = Some(now);
        decision
    }
}

/// Mean reversion on RSI: enter below `lower`, exit above `upper`.
pub struct RsiReversion {
    rsi: Rsi,
    lower: f64,
    upper: f64,
}

impl RsiReversion {
    pub fn new(period: usize, lower: f64, upper: f64) -> Self {
        Self { rsi: Rsi::new(period).expect("checked"), lower, upper }
    }
}

impl Signal for RsiReversion {
    fn on_bar(&mut self, bar: &Bar) -> Decision {
        match self.rsi.update(bar.close.to_f64()) {
            Some(r) if r < self.lower => Decision::Enter,
            Some(r) if r > self.upper => Decision::Exit,
            _ => Decision::Hold,
        }
    }
}

/// Breakout: enter when the close is above the upper Bollinger band, exit
/// when it falls below the middle band.
pub struct BollingerBreakout {
    bands: Bollinger,
}

impl BollingerBreakout {
    pub fn new(period: usize, k: f64) -> Self {
        Self { bands: Bollinger::new(period, k).expect("checked") }
    }
}

impl Signal for BollingerBreakout {
    fn on_bar(&mut self, bar: &Bar) -> Decision {
        let close = bar.close.to_f64();
        match self.bands.update(close) {
            Some(b) if close > b.upper => Decision::Enter,
            Some(b) if close < b.middle => Decision::Exit,
            _ => Decision::Hold,
        }
    }
}

/// Time-series momentum: enter when the `lookback` rate of change (in %)
/// exceeds `entry`, exit when it drops below `exit`.
pub struct Momentum {
    roc: Roc,
    entry: f64,
    exit: f64,
}

impl Momentum {
    pub fn new(lookback: usize, entry: f64, exit: f64) -> Self {
        Self { roc: Roc::new(lookback).expect("checked"), entry, exit }
    }
}

impl Signal for Momentum {
    fn on_bar(&mut self, bar: &Bar) -> Decision {
        match self.roc.update(bar.close.to_f64()) {
            Some(r) if r > self.entry => Decision::Enter,
            Some(r) if r < self.exit => Decision::Exit,
            _ => Decision::Hold,
        }
    }
}
