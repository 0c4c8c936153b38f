//! Checks and the rebalance behind `ctx.order_target_percent` and
//! `ctx.rebalance`; the sizing rule itself is the kernel's
//! (`pyrt_engine::targets`), shared with Rust strategies.

use std::collections::BTreeMap;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyrt_engine::{AccountKind, Context, Target, Weight};
use pyrt_model::{InstrumentId, OrderRequest, Side};

/// A weight argument, named in the error when it is not a number.
pub fn weight(w: f64) -> PyResult<Weight> {
    Weight::from_f64(w).ok_or_else(|| {
        PyValueError::new_err(format!("weight must be a finite fraction of equity (at most 1,000 either way), got {w}"))
    })
}

/// Refuses weights the account could never hold: a short in a cash
/// account, or absolute weights summing above its leverage limit.
pub fn check_weights<'a>(ctx: &Context, weights: impl IntoIterator<Item = (&'a str, f64)>) -> PyResult<()> {
    let cash = ctx.account_kind() == AccountKind::Cash;
    let mut gross = 0.0;
    for (symbol, w) in weights {
        if cash && w < 0.0 {
            return Err(PyValueError::new_err(format!(
                "weight {w} for {symbol}: a cash account cannot go short; use account=\"margin\""
            )));
        }
        gross += w.abs();
    }
    match ctx.leverage_limit() {
        // Nine decimal places: the precision weights are kept to.
        Some(limit) if gross > limit + 1e-9 => {
            let what = if cash {
                "a cash account's limit of 1 (it can hold only what its cash buys)".to_string()
            } else {
                format!("the risk limits' margin.max_leverage of {limit}")
            };
            Err(PyValueError::new_err(format!(
                "the weights' absolute sum is {gross}, over {what}; scale them down (weights are fractions of equity)"
            )))
        }
        _ => Ok(()),
    }
}

/// Sends the orders that move each instrument to its weight, sized from
/// the same equity and prices, sales first. Returns the ids by symbol.
pub fn rebalance(ctx: &mut Context, weights: &[(InstrumentId, &str, Weight)]) -> PyResult<BTreeMap<String, u64>> {
    let mut deltas = Vec::with_capacity(weights.len());
    for &(id, symbol, w) in weights {
        let delta = ctx.target_delta(id, Target::Weight(w)).map_err(|e| PyValueError::new_err(e.to_string()))?;
        if !delta.is_zero() {
            deltas.push((id, symbol, delta));
        }
    }
    // Sales (negative deltas) first.
    deltas.sort_by_key(|(_, _, d)| d.is_positive());
    let mut sent = BTreeMap::new();
    for (id, symbol, delta) in deltas {
        let side = if delta.is_positive() { Side::Buy } else { Side::Sell };
        let order = ctx.submit(OrderRequest::market(id, side, delta.abs()));
        sent.insert(symbol.to_string(), order.0);
    }
    Ok(sent)
}
