//! Risk: the checks every order passes before it may reach a venue, the
//! trading state (active, reducing-only, halted), the kill switch, and the
//! post-trade stops (daily loss, drawdown, and per position a stop-loss
//! and a trailing stop).
//!
//! * [`limits`]: the limits, from TOML, validated;
//! * [`engine`]: [`RiskEngine`], which the kernel consults on every new
//!   order and every equity update;
//! * [`var`]: the portfolio VaR model behind `var_limit_1d_95`.
//!
//! The engine is venue-agnostic and mode-agnostic: the same checks run in
//! backtests, paper and live trading.

pub mod engine;
pub mod limits;
pub mod var;

pub use engine::{Denial, DenialCode, Exposures, OrderCheck, RiskAction, RiskEngine, TradingState};
pub use limits::{LimitsError, OnBreach, RiskLimits};
