//! `py_rt.divergence`: a recorded paper or live session replayed and
//! backtested from Python, for a built-in strategy or a `py_rt.Strategy`.
//!
//! The comparison is `pyrt_divergence`'s; this binding only supplies the
//! strategies. It needs two fresh ones (one for the replay, one for the
//! backtest), so a Python strategy comes from a factory the `py_rt` side
//! passes: `factory(name, params)` returns a new instance and the names of
//! the callbacks it overrides, for the strategy the recording names.
//! Python callbacks run on this thread with the interpreter attached, as
//! in a backtest.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyrt_divergence::Divergence;
use pyrt_engine::Strategy;
use pyrt_live::recording::Recording;

use crate::strategy::{ErrorSlot, Hooks, PyStrategy};

/// The report for the recording at `path`: `(header JSON, report JSON,
/// report table)`. Without a factory the recording must name a built-in
/// strategy.
#[pyfunction]
#[pyo3(signature = (path, factory=None, fees=None, round_trip_ms=None))]
pub fn divergence_report(
    py: Python<'_>,
    path: PathBuf,
    factory: Option<Py<PyAny>>,
    fees: Option<String>,
    round_trip_ms: Option<f64>,
) -> PyResult<(String, String, String)> {
    let round_trip_ns = round_trip_ms.map(round_trip).transpose()?;
    let recording = py.detach(|| Recording::read(&path)).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let header = serde_json::to_string(&recording.header).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    let recorded = &recording.header.strategy;
    let error = ErrorSlot::default();
    let report = match factory {
        None => {
            if recorded.kind != "builtin" {
                return Err(PyValueError::new_err(format!(
                    "{} was recorded with the Python strategy `{}`: pass it, as in \
                     py_rt.divergence({:?}, {})",
                    path.display(),
                    recorded.name,
                    path.display().to_string(),
                    recorded.name
                )));
            }
            pyrt_strategies::build(&recorded.name, &recorded.params)
                .map_err(|e| PyValueError::new_err(format!("the recorded strategy `{}`: {e}", recorded.name)))?;
            let make = || pyrt_strategies::build(&recorded.name, &recorded.params).expect("built once above");
            py.detach(|| Divergence::of(&recording, make, fees.as_deref(), round_trip_ns))
        }
        Some(factory) => {
            // Both strategies are made before the run, so a factory that
            // raises does so here, with its own exception.
            let symbols: Vec<String> = recording.header.instruments.iter().map(|i| i.symbol.clone()).collect();
            let params: BTreeMap<&str, &str> = recorded.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let mut fresh: Vec<Box<dyn Strategy>> = Vec::with_capacity(2);
            for _ in 0..2 {
                let (obj, hooks): (Py<PyAny>, Vec<String>) =
                    factory.call1(py, (recorded.name.as_str(), params.clone()))?.extract(py)?;
                let hooks = Hooks::from_names(&hooks)?;
                fresh.push(Box::new(PyStrategy::new(py, obj, symbols.clone(), hooks, error.clone())?));
            }
            fresh.reverse();
            let make = || fresh.pop().expect("two strategies made");
            Divergence::of(&recording, make, fees.as_deref(), round_trip_ns)
        }
    };
    if let Some(e) = error.borrow_mut().take() {
        return Err(e);
    }
    let report = report.map_err(|e| PyValueError::new_err(e.to_string()))?;
    let json = serde_json::to_string(&report).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok((header, json, report.to_string()))
}

/// A round trip in milliseconds as nanoseconds: finite, zero or more, at most a day.
fn round_trip(ms: f64) -> PyResult<i64> {
    pyrt_divergence::latency::round_trip_ns(ms).ok_or_else(|| {
        PyValueError::new_err(format!(
            "round_trip_ms must be between 0 and 86400000 (a day), got {ms}; None takes the recording's median"
        ))
    })
}
