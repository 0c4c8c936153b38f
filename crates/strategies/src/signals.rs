//! The built-in signals. Each reads bar closes and decides enter / exit.

use pyrt_indicators::{Bollinger, Indicator, Roc, Rsi, Sma};
use pyrt_model::Bar;

use crate::long_flat::{Decision, Signal};

/// Enter when the fast SMA crosses above the slow one; exit when it
/// crosses below. A cross needs a strict change of order between two
/// consecutive bars (backtesting.py's `crossover`).
pub struct SmaCross {
    fast: Sma,
    slow: Sma,
    prev: Option<(f64, f64)>,
}

impl SmaCross {
    pub fn new(fast: usize, slow: usize) -> Self {
        Self { fast: Sma::new(fast).expect("checked"), slow: Sma::new(slow).expect("checked"), prev: None }
    }
}

impl Signal for SmaCross {
    #[inline]
    fn on_bar(&mut self, bar: &Bar) -> Decision {
        let close = bar.close.to_f64();
        let (Some(f), Some(s)) = (self.fast.update(close), self.slow.update(close)) else {
            return Decision::Hold;
        };
        let decision = match self.prev {
            Some((pf, ps)) if pf < ps && f > s => Decision::Enter,
            Some((pf, ps)) if pf > ps && f < s => Decision::Exit,
            _ => Decision::Hold,
        };
        self.prev = Some((f, s));
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
