//! Risk limits, read from TOML in the shape the seeds use.
//!
//! ```toml
//! [order_limits]
//! max_quantity = 1000          # per order, base units
//! max_notional = 50000         # per order, account currency
//! price_band_bps = 500         # a limit price at most 5 % from the last price
//! max_orders_per_second = 20
//! max_orders_per_minute = 300
//! max_orders_per_second_per_instrument = 5
//!
//! [position_limits]
//! max_quantity = 5000          # per instrument, absolute
//! max_notional = 100000        # per instrument, absolute, at the mark
//! max_gross_exposure = 1000000
//! max_net_exposure = 500000
//! max_concentration = 0.25     # of equity in one instrument
//! [position_limits.symbols.AAPL]
//! max_quantity = 200
//! [position_limits.groups.tech]
//! symbols = ["AAPL", "MSFT"]
//! max_gross_exposure = 300000
//!
//! [margin]
//! max_leverage = 2.0           # gross exposure / equity after the order
//! cash_buffer = 0.05           # keep 5 % of equity in cash (cash accounts)
//!
//! [risk_metrics]
//! daily_loss_limit = 5000      # then: on_breach
//! max_drawdown = 0.2           # from the peak equity, then: on_breach
//! on_breach = "reduce"         # "reduce", "halt" or "flatten"
//! var_limit_1d_95 = 5000       # no order may take the 1-day 95 % VaR above this
//! var_lambda = 0.94            # EWMA decay of the daily-return covariance
//! var_min_days = 20            # daily returns needed before the VaR limit applies
//!
//! [circuit_breakers]
//! max_consecutive_rejects = 5  # venue rejections in a row: halt
//! max_fill_deviation_bps = 200 # a fill this far from the expected price: halt
//! max_data_age_ms = 5000       # no orders priced off older market data
//!
//! [stops]
//! stop_loss = 0.05             # close a position 5 % beyond its average entry
//! trailing_stop = 0.10         # or 10 % back from its best mark
//! ```
//!
//! Every key is optional (absent: no limit); unknown keys and impossible
//! values are errors that name the key.

use std::collections::BTreeMap;

use pyrt_model::{Money, Quantity, Rate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskLimits {
    pub order_limits: OrderLimits,
    pub position_limits: PositionLimits,
    pub margin: MarginLimits,
    pub risk_metrics: RiskMetrics,
    pub circuit_breakers: CircuitBreakers,
    pub stops: StopLimits,
}

/// Per-position exits the risk engine enforces itself, whatever the
/// strategy does: a position is closed (reduce-only market order) when its
/// mark falls `stop_loss` below the average entry price (above, for a
/// short), or `trailing_stop` below the best mark since it was opened.
/// Both are fractions (0.02 = 2 %).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StopLimits {
    pub stop_loss: Option<Rate>,
    pub trailing_stop: Option<Rate>,
}

/// Anomalies that stop trading (or an order) on their own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CircuitBreakers {
    pub max_consecutive_rejects: Option<u32>,
    pub max_fill_deviation_bps: Option<u32>,
    pub max_data_age_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrderLimits {
    pub max_quantity: Option<Quantity>,
    pub max_notional: Option<Money>,
    pub price_band_bps: Option<u32>,
    pub max_orders_per_second: Option<u32>,
    pub max_orders_per_minute: Option<u32>,
    pub max_orders_per_second_per_instrument: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PositionLimits {
    pub max_quantity: Option<Quantity>,
    pub max_notional: Option<Money>,
    pub max_gross_exposure: Option<Money>,
    pub max_net_exposure: Option<Money>,
    pub max_concentration: Option<Rate>,
    pub symbols: BTreeMap<String, SymbolLimits>,
    pub groups: BTreeMap<String, GroupLimits>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SymbolLimits {
    pub max_quantity: Option<Quantity>,
    pub max_notional: Option<Money>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupLimits {
    pub symbols: Vec<String>,
    pub max_gross_exposure: Money,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarginLimits {
    pub max_leverage: Option<f64>,
    pub cash_buffer: Option<Rate>,
}

/// What a post-trade breach does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnBreach {
    /// Only orders that shrink positions pass.
    #[default]
    Reduce,
    /// Nothing passes; working orders are cancelled.
    Halt,
    /// Halt, and close every position.
    Flatten,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskMetrics {
    pub daily_loss_limit: Option<Money>,
    pub max_drawdown: Option<Rate>,
    pub on_breach: OnBreach,
    /// No order may take the portfolio's one-day 95 % VaR above this
    /// amount (see `crate::var`).
    pub var_limit_1d_95: Option<Money>,
    /// Decay of the daily-return covariance (RiskMetrics: 0.94).
    pub var_lambda: Option<f64>,
    /// Daily returns needed before the VaR limit applies (default 20).
    pub var_min_days: Option<u32>,
}

/// Why limits were refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LimitsError {
    #[error("invalid risk limits: {0}")]
    Parse(String),
    #[error("risk limit `{key}`: {problem}")]
    Invalid { key: String, problem: String },
}

impl RiskLimits {
    /// Parses and checks limits from TOML text.
    pub fn from_toml(text: &str) -> Result<Self, LimitsError> {
        let limits: RiskLimits = toml::from_str(text).map_err(|e| LimitsError::Parse(e.to_string()))?;
        limits.validate()?;
        Ok(limits)
    }

    /// Refuses limits that cannot be met or contradict each other.
    pub fn validate(&self) -> Result<(), LimitsError> {
        let bad = |key: &str, problem: &str| Err(LimitsError::Invalid { key: key.into(), problem: problem.into() });
        let o = &self.order_limits;
        let p = &self.position_limits;
        if o.max_quantity.is_some_and(|q| !q.is_positive()) {
            return bad("order_limits.max_quantity", "must be greater than zero");
        }
        if o.max_notional.is_some_and(|m| !m.is_positive()) {
            return bad("order_limits.max_notional", "must be greater than zero");
        }
        if o.price_band_bps == Some(0) {
            return bad("order_limits.price_band_bps", "must be greater than zero (omit it for no band)");
        }
        for (key, v) in [
            ("order_limits.max_orders_per_second", o.max_orders_per_second),
            ("order_limits.max_orders_per_minute", o.max_orders_per_minute),
            ("order_limits.max_orders_per_second_per_instrument", o.max_orders_per_second_per_instrument),
        ] {
            if v == Some(0) {
                return bad(key, "must be at least 1 (omit it for no limit)");
            }
        }
        if let (Some(s), Some(m)) = (o.max_orders_per_second, o.max_orders_per_minute)
            && s > m
        {
            return bad("order_limits.max_orders_per_second", "is larger than max_orders_per_minute");
        }
        if let (Some(per_order), Some(per_position)) = (o.max_quantity, p.max_quantity)
            && per_order > per_position
        {
            return bad(
                "order_limits.max_quantity",
                "is larger than position_limits.max_quantity, so it can never be used",
            );
        }
        if let (Some(net), Some(gross)) = (p.max_net_exposure, p.max_gross_exposure)
            && net > gross
        {
            return bad(
                "position_limits.max_net_exposure",
                "is larger than max_gross_exposure (net can never exceed gross)",
            );
        }
        if p.max_concentration.is_some_and(|c| !c.is_positive() || c > Rate::from_int(1)) {
            return bad("position_limits.max_concentration", "must be a fraction in (0, 1]");
        }
        for (name, g) in &p.groups {
            if g.symbols.is_empty() {
                return bad(&format!("position_limits.groups.{name}.symbols"), "is empty");
            }
            if !g.max_gross_exposure.is_positive() {
                return bad(&format!("position_limits.groups.{name}.max_gross_exposure"), "must be greater than zero");
            }
        }
        if self.margin.max_leverage.is_some_and(|l| !(l.is_finite() && l > 0.0)) {
            return bad("margin.max_leverage", "must be a positive number");
        }
        if self.margin.cash_buffer.is_some_and(|b| b.is_negative() || b >= Rate::from_int(1)) {
            return bad("margin.cash_buffer", "must be a fraction in [0, 1)");
        }
        let m = &self.risk_metrics;
        if m.daily_loss_limit.is_some_and(|l| !l.is_positive()) {
            return bad("risk_metrics.daily_loss_limit", "must be greater than zero (a loss amount)");
        }
        if m.max_drawdown.is_some_and(|d| !d.is_positive() || d >= Rate::from_int(1)) {
            return bad("risk_metrics.max_drawdown", "must be a fraction in (0, 1)");
        }
        if m.var_limit_1d_95.is_some_and(|l| !l.is_positive()) {
            return bad("risk_metrics.var_limit_1d_95", "must be greater than zero (an amount of money)");
        }
        if m.var_lambda.is_some_and(|l| !(l > 0.0 && l < 1.0)) {
            return bad("risk_metrics.var_lambda", "must be a number in (0, 1), e.g. 0.94");
        }
        if m.var_min_days.is_some_and(|d| d < 2) {
            return bad("risk_metrics.var_min_days", "must be at least 2 (a covariance needs returns)");
        }
        if m.var_limit_1d_95.is_none() && (m.var_lambda.is_some() || m.var_min_days.is_some()) {
            return bad("risk_metrics.var_lambda", "var_lambda and var_min_days need var_limit_1d_95");
        }
        for (key, v) in [("stops.stop_loss", self.stops.stop_loss), ("stops.trailing_stop", self.stops.trailing_stop)] {
            if v.is_some_and(|f| !f.is_positive() || f >= Rate::from_int(1)) {
                return bad(key, "must be a fraction in (0, 1), e.g. 0.02 for 2 %");
            }
        }
        let cb = &self.circuit_breakers;
        for (key, zero) in [
            ("circuit_breakers.max_consecutive_rejects", cb.max_consecutive_rejects == Some(0)),
            ("circuit_breakers.max_fill_deviation_bps", cb.max_fill_deviation_bps == Some(0)),
            ("circuit_breakers.max_data_age_ms", cb.max_data_age_ms == Some(0)),
        ] {
            if zero {
                return bad(key, "must be greater than zero (omit it to disable)");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let doc = include_str!("limits.rs");
        let toml: String = doc
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.trim_start_matches("//!").trim_start_matches(' ').to_string() + "\n")
            .collect();
        let limits = RiskLimits::from_toml(&toml).unwrap();
        assert_eq!(limits.order_limits.max_quantity, Some(Quantity::from_int(1000)));
        assert_eq!(limits.position_limits.groups["tech"].symbols, ["AAPL", "MSFT"]);
        assert_eq!(limits.risk_metrics.on_breach, OnBreach::Reduce);
    }

    #[test]
    fn unknown_keys_and_contradictions_are_named() {
        let e = RiskLimits::from_toml("[order_limits]\nmax_qty = 5\n").unwrap_err().to_string();
        assert!(e.contains("unknown field `max_qty`"), "{e}");
        let e = RiskLimits::from_toml("[order_limits]\nmax_quantity = 10\n[position_limits]\nmax_quantity = 5\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "risk limit `order_limits.max_quantity`: is larger than position_limits.max_quantity, so it can never be used"
        );
        let e =
            RiskLimits::from_toml("[position_limits]\nmax_net_exposure = 10\nmax_gross_exposure = 5\n").unwrap_err();
        assert!(e.to_string().contains("net can never exceed gross"));
        assert!(RiskLimits::from_toml("[margin]\nmax_leverage = -1\n").is_err());
        assert!(RiskLimits::from_toml("[risk_metrics]\nmax_drawdown = 1.5\n").is_err());
        assert!(RiskLimits::from_toml("[order_limits]\nmax_orders_per_second = 0\n").is_err());
        assert!(RiskLimits::from_toml("[risk_metrics]\non_breach = \"panic\"\n").is_err());
    }
}
