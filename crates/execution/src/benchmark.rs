//! How well a parent was executed: implementation shortfall against the
//! arrival price and against the market's VWAP over the parent's life.
//!
//! Shortfall is in basis points of the benchmark, signed so that a positive
//! number is a cost: a buy filled above its benchmark, or a sell below.
//! The fills themselves are kept exactly ([`Money`]); the benchmarks are
//! statistics and use floats.

use pyrt_model::{InstrumentId, Money, Price, Quantity, Side, UnixNanos};
use serde::Serialize;

use crate::execution::ParentStatus;
use crate::parent::ParentId;

/// The market's traded value and volume while a parent works.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Benchmarks {
    /// The price when the parent arrived (mid or last).
    pub arrival: Option<Price>,
    value: f64,
    volume: f64,
}

impl Benchmarks {
    pub fn arriving_at(arrival: Option<Price>) -> Self {
        Self { arrival, ..Self::default() }
    }

    /// Market volume `volume` traded around `price` (a trade's price, a
    /// bar's typical price).
    pub fn observe(&mut self, price: Price, volume: Quantity) {
        let v = volume.to_f64();
        self.value += price.to_f64() * v;
        self.volume += v;
    }

    /// The market's VWAP over what was observed, if anything traded.
    pub fn interval_vwap(&self) -> Option<f64> {
        (self.volume > 0.0).then(|| self.value / self.volume)
    }

    pub fn market_volume(&self) -> f64 {
        self.volume
    }
}

/// A parent's outcome, for the strategy and the run report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionSummary {
    pub parent: ParentId,
    pub algo: &'static str,
    pub instrument: InstrumentId,
    pub status: ParentStatus,
    /// Why it was cancelled or failed.
    pub reason: Option<String>,
    pub side: Side,
    pub qty: Quantity,
    pub executed: Quantity,
    /// Σ price × qty of the fills, exact.
    pub notional: Money,
    pub fees: Money,
    pub avg_price: Option<Price>,
    pub arrival_price: Option<Price>,
    pub interval_vwap: Option<f64>,
    /// Cost against the arrival price, in basis points.
    pub shortfall_arrival_bps: Option<f64>,
    /// Cost against the interval VWAP, in basis points.
    pub shortfall_vwap_bps: Option<f64>,
    /// Executed quantity over the market volume observed while working.
    pub participation: Option<f64>,
    pub children: u32,
    pub started: Option<UnixNanos>,
    pub finished: Option<UnixNanos>,
}

/// Signed cost of paying `avg` against `benchmark`, in basis points.
pub fn shortfall_bps(side: Side, avg: f64, benchmark: f64) -> f64 {
    side.sign() as f64 * (avg - benchmark) / benchmark * 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortfall_is_a_cost_when_positive() {
        assert!((shortfall_bps(Side::Buy, 101.0, 100.0) - 100.0).abs() < 1e-9);
        assert!((shortfall_bps(Side::Sell, 101.0, 100.0) + 100.0).abs() < 1e-9);
        let mut b = Benchmarks::default();
        assert_eq!(b.interval_vwap(), None);
        b.observe(Price::from_int(10), Quantity::from_int(1));
        b.observe(Price::from_int(20), Quantity::from_int(3));
        assert_eq!(b.interval_vwap(), Some(17.5));
    }
}
