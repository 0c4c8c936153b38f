//! Each strategy's share of a run with capital allocations: its own
//! equity curve, statistics and exact final equity, beside the account's
//! (see `pyrt_engine::sleeves`).

use pyrt_engine::{Engine, Venue};
use pyrt_model::OrderStatus;
use serde::Serialize;

use crate::stats::{Stats, StatsInput, compute};

/// One strategy's sleeve at the end of a run.
#[derive(Debug, Clone, Serialize)]
pub struct SleeveReport {
    /// The strategy's index in the run (the order strategies were added).
    pub strategy: u32,
    /// The capital it was given, exact.
    pub capital: String,
    /// Its final equity, exact.
    pub final_equity_exact: String,
    #[serde(flatten)]
    pub stats: Stats,
    #[serde(skip)]
    pub equity: Vec<(i64, f64)>,
}

/// The sleeves of a finished run (empty without allocations).
pub fn sleeve_reports<V: Venue>(engine: &Engine<V>, risk_free: f64) -> Vec<SleeveReport> {
    engine
        .sleeves()
        .all()
        .iter()
        .map(|s| {
            let equity: Vec<(i64, f64)> = s.recorder.points().iter().map(|(t, e)| (*t, e.to_f64())).collect();
            let rejected = engine
                .orders()
                .all()
                .iter()
                .filter(|o| o.strategy == s.strategy && o.status == OrderStatus::Rejected)
                .count() as u64;
            let p = &s.portfolio;
            let stats = compute(&StatsInput {
                equity: &equity,
                initial_equity: s.capital.to_f64(),
                trades: p.trade_stats(),
                max_drawdown: s.recorder.max_drawdown(),
                max_drawdown_duration_ns: s.recorder.max_drawdown_duration(),
                exposure: s.recorder.exposure(),
                num_fills: p.num_fills(),
                num_rejected: rejected,
                risk_free,
            });
            SleeveReport {
                strategy: s.strategy.0,
                capital: s.capital.to_string(),
                final_equity_exact: p.equity().to_string(),
                stats,
                equity,
            }
        })
        .collect()
}
