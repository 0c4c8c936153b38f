//! Parent orders from Python: the arguments of `Context.twap`, `vwap`,
//! `pov` and `iceberg` turned into a checked `pyrt_execution::ParentOrder`,
//! and a parent's progress back as a dict.
//!
//! A bad argument raises `ValueError` in the call that passed it, naming
//! the argument, before anything is sent; the desk checks the order again
//! when it takes it.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyrt_execution::{Algo, ParentExecution, ParentOrder, VolumeProfile};
use pyrt_model::time::NANOS_PER_MINUTE;
use pyrt_model::{Instrument, Price, Quantity, Rate, Side, UnixNanos};

/// What every parent order takes besides its algorithm.
pub struct Common {
    pub side: Side,
    pub qty: Quantity,
    pub start: UnixNanos,
    pub end: Option<UnixNanos>,
    pub limit: Option<f64>,
    pub max_slippage: Option<f64>,
    pub complete: bool,
}

pub fn side(text: &str) -> PyResult<Side> {
    match text.to_ascii_lowercase().as_str() {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        _ => Err(PyValueError::new_err(format!("side must be \"buy\" or \"sell\", got {text:?}"))),
    }
}

pub fn quantity(name: &str, value: f64) -> PyResult<Quantity> {
    Quantity::from_f64(value).map_err(|e| PyValueError::new_err(format!("{name}: {e}")))
}

pub fn price(name: &str, value: f64) -> PyResult<Price> {
    Price::from_f64(value).map_err(|e| PyValueError::new_err(format!("{name}: {e}")))
}

pub fn rate(name: &str, value: f64) -> PyResult<Rate> {
    Rate::from_f64(value).map_err(|e| PyValueError::new_err(format!("{name}: {e}")))
}

/// A volume profile from one weight per bucket of the UTC day.
pub fn profile(weights: Vec<f64>, bucket_minutes: i64) -> PyResult<VolumeProfile> {
    VolumeProfile::from_weights(bucket_minutes.saturating_mul(NANOS_PER_MINUTE), weights)
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The parent order, checked against `inst`.
pub fn parent(inst: &Instrument, common: Common, algo: Algo) -> PyResult<ParentOrder> {
    let Common { side, qty, start, end, limit, max_slippage, complete } = common;
    let mut order = ParentOrder::new(inst.id, side, qty, algo, start, end.unwrap_or(UnixNanos::MAX));
    if let Some(limit) = limit {
        order = order.with_limit(price("limit", limit)?);
    }
    if let Some(slip) = max_slippage {
        order = order.with_max_slippage(rate("max_slippage", slip)?);
    }
    if complete {
        order = order.completing();
    }
    order.validate(inst).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(order)
}

/// A parent's progress and cost as a dict (`Context.algo`).
pub fn summary_dict<'py>(py: Python<'py>, exec: &ParentExecution) -> PyResult<Bound<'py, PyDict>> {
    let s = exec.summary();
    let d = PyDict::new(py);
    d.set_item("parent_id", s.parent.0)?;
    d.set_item("algo", s.algo)?;
    d.set_item("status", s.status.as_str())?;
    d.set_item("side", s.side.to_string())?;
    d.set_item("qty", s.qty.to_f64())?;
    d.set_item("executed", s.executed.to_f64())?;
    d.set_item("remaining", exec.remaining().to_f64())?;
    d.set_item("avg_price", s.avg_price.map(Price::to_f64))?;
    d.set_item("arrival_price", s.arrival_price.map(Price::to_f64))?;
    d.set_item("interval_vwap", s.interval_vwap)?;
    d.set_item("shortfall_arrival_bps", s.shortfall_arrival_bps)?;
    d.set_item("shortfall_vwap_bps", s.shortfall_vwap_bps)?;
    d.set_item("participation", s.participation)?;
    d.set_item("children", s.children)?;
    d.set_item("reason", s.reason)?;
    Ok(d)
}
