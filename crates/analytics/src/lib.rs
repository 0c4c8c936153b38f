//! What a run achieved: performance statistics and the report files.
//!
//! * [`stats`] computes returns, risk-adjusted ratios, drawdown, trade
//!   statistics and VaR/CVaR from a run's sampled equity and trade log;
//! * [`report`] writes them as JSON and CSV, plus an offline HTML report.

pub mod report;
pub mod sleeves;
pub mod stats;

pub use report::{RunReport, Summary, equity_points, stats_of};
pub use sleeves::{SleeveReport, sleeve_reports};
pub use stats::{Stats, StatsInput, compute};
