//! Backtests of the built-in strategies on numpy columns.

use std::collections::BTreeMap;
use std::sync::Arc;

use numpy::{IntoPyArray, PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyrt_analytics::RunReport;
use pyrt_data::{BarSlices, bars_from_slices};
use pyrt_engine::{AccountKind, Engine, EngineConfig, Sampling, Strategy};
use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{Instrument, InstrumentId, MarketEvent, Money, Price, Quantity};
use pyrt_sim::{BarFill, SimConfig, SimVenue};
use pyrt_strategies::{LongFlat, ScheduledSignal};

fn value_error(context: &str, e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{context}{e}"))
}

fn decimal<T: std::str::FromStr>(name: &str, text: &str) -> PyResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| value_error(&format!("{name} `{text}`: "), e))
}

/// Runs a built-in strategy over one instrument's bars and returns the
/// report as plain columns (the Python `Result` turns them into pandas).
///
/// Money arguments are decimal strings so they reach the engine exactly.
#[pyfunction]
#[pyo3(signature = (
    ts, open, high, low, close, volume, *, symbol, strategy, params, cash, fill, fees, slippage,
    tick_size, lot_size, latency_ms, equity_every, account, risk_free, risk_limits, entries=None, exits=None,
))]
#[allow(clippy::too_many_arguments)]
pub fn run_backtest<'py>(
    py: Python<'py>,
    ts: PyReadonlyArray1<'py, i64>,
    open: PyReadonlyArray1<'py, f64>,
    high: PyReadonlyArray1<'py, f64>,
    low: PyReadonlyArray1<'py, f64>,
    close: PyReadonlyArray1<'py, f64>,
    volume: Option<PyReadonlyArray1<'py, f64>>,
    symbol: &str,
    strategy: &str,
    params: BTreeMap<String, String>,
    cash: &str,
    fill: &str,
    fees: &str,
    slippage: &str,
    tick_size: &str,
    lot_size: &str,
    latency_ms: f64,
    equity_every: &str,
    account: &str,
    risk_free: f64,
    risk_limits: Option<&str>,
    entries: Option<PyReadonlyArray1<'py, bool>>,
    exits: Option<PyReadonlyArray1<'py, bool>>,
) -> PyResult<Bound<'py, PyDict>> {
    let cash: Money = decimal("cash", cash)?;
    if !cash.is_positive() {
        return Err(PyValueError::new_err(format!("cash must be greater than zero, got {cash}")));
    }
    let tick: Price = decimal("tick_size", tick_size)?;
    let lot: Quantity = decimal("lot_size", lot_size)?;
    if !tick.is_positive() || !lot.is_positive() {
        return Err(PyValueError::new_err("tick_size and lot_size must be greater than zero"));
    }
    let bar_fill = match fill {
        "next_open" | "next-open" => BarFill::NextOpen,
        "close" => BarFill::Close,
        other => return Err(PyValueError::new_err(format!("fill `{other}`: expected \"next_open\" or \"close\""))),
    };
    let sampling = match equity_every {
        "bar" => Sampling::EveryEvent,
        "day" => Sampling::Bucket(NANOS_PER_DAY),
        other => return Err(PyValueError::new_err(format!("equity_every `{other}`: expected \"bar\" or \"day\""))),
    };
    let account = match account {
        "cash" => AccountKind::Cash,
        "margin" => AccountKind::Margin,
        other => return Err(PyValueError::new_err(format!("account `{other}`: expected \"cash\" or \"margin\""))),
    };
    if !(latency_ms >= 0.0 && latency_ms.is_finite()) {
        return Err(PyValueError::new_err(format!("latency_ms must be a non-negative number, got {latency_ms}")));
    }
    let sim = SimConfig {
        bar_fill,
        fees: pyrt_sim::parse_fees(fees).map_err(|e| value_error("", e))?,
        slippage: pyrt_sim::parse_slippage(slippage).map_err(|e| value_error("", e))?,
        ..SimConfig::default()
    };
    let limits =
        risk_limits.map(pyrt_risk::RiskLimits::from_toml).transpose().map_err(|e| value_error("risk_limits: ", e))?;
    let strategy = StrategyChoice::new(strategy, params, entries, exits, ts.len())?;

    let id = InstrumentId(0);
    let mut instrument = Instrument::new(id, symbol.to_string(), tick, lot);
    instrument.min_quantity = lot;
    let volume = volume.as_ref().map(|v| v.as_slice()).transpose()?;
    let slices = BarSlices {
        ts: ts.as_slice()?,
        open: open.as_slice()?,
        high: high.as_slice()?,
        low: low.as_slice()?,
        close: close.as_slice()?,
        volume,
    };
    let report = py.detach(|| -> Result<RunReport, String> {
        let bars = bars_from_slices(id, &slices).map_err(|e| e.to_string())?;
        let venue = SimVenue::new(vec![instrument.clone()], sim);
        let config = EngineConfig {
            initial_cash: cash,
            account,
            order_latency_ns: (latency_ms * 1e6).round() as i64,
            sampling,
            history_limit: None,
        };
        let mut engine = Engine::new(vec![instrument], venue, config);
        if let Some(limits) = limits {
            engine = engine.with_risk(limits).map_err(|e| format!("risk_limits: {e}"))?;
        }
        engine.add_strategy(strategy.build());
        for bar in bars {
            engine.process(&MarketEvent::Bar(bar)).map_err(|e| format!("the backtest stopped: {e}"))?;
        }
        engine.stop();
        Ok(RunReport::from_engine(&engine, risk_free))
    });
    let report = report.map_err(PyValueError::new_err)?;
    report_dict(py, &report)
}

/// A built-in strategy by name, or `from_signals`: entry/exit flags
/// computed in Python, replayed by [`ScheduledSignal`].
enum StrategyChoice {
    BuiltIn(String, BTreeMap<String, String>),
    Scheduled(Arc<[bool]>, Arc<[bool]>),
}

impl StrategyChoice {
    fn new(
        name: &str,
        params: BTreeMap<String, String>,
        entries: Option<PyReadonlyArray1<'_, bool>>,
        exits: Option<PyReadonlyArray1<'_, bool>>,
        bars: usize,
    ) -> PyResult<Self> {
        match (name, entries, exits) {
            ("from_signals", Some(entries), Some(exits)) => {
                for (what, flags) in [("entries", &entries), ("exits", &exits)] {
                    if flags.len() != bars {
                        return Err(PyValueError::new_err(format!(
                            "{what} has {} values but there are {bars} bars",
                            flags.len()
                        )));
                    }
                }
                Ok(Self::Scheduled(entries.as_slice()?.into(), exits.as_slice()?.into()))
            }
            ("from_signals", ..) => Err(PyValueError::new_err("from_signals needs both entries and exits")),
            (_, None, None) => {
                // Refuse bad parameters before touching the data.
                pyrt_strategies::build(name, &params).map_err(|e| value_error("", e))?;
                Ok(Self::BuiltIn(name.to_string(), params))
            }
            (other, ..) => Err(PyValueError::new_err(format!(
                "entries and exits are for strategy \"from_signals\", not `{other}`"
            ))),
        }
    }

    fn build(&self) -> Box<dyn Strategy> {
        match self {
            Self::BuiltIn(name, params) => pyrt_strategies::build(name, params).expect("checked in new"),
            Self::Scheduled(entries, exits) => {
                let (entries, exits) = (entries.clone(), exits.clone());
                Box::new(LongFlat::new(move || ScheduledSignal::new(entries.clone(), exits.clone())))
            }
        }
    }
}

/// The report as a dict of plain values and numpy columns.
fn report_dict<'py>(py: Python<'py>, report: &RunReport) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    let summary = serde_json::to_string(&report.summary()).map_err(|e| value_error("summary: ", e))?;
    out.set_item("summary_json", summary)?;
    out.set_item("equity_ts", report.equity.iter().map(|(t, _)| *t).collect::<Vec<_>>().into_pyarray(py))?;
    out.set_item("equity", report.equity.iter().map(|(_, e)| *e).collect::<Vec<_>>().into_pyarray(py))?;

    let fills = PyDict::new(py);
    let f = &report.fills;
    fills.set_item("ts", f.iter().map(|x| x.ts).collect::<Vec<_>>().into_pyarray(py))?;
    fills.set_item("order_id", f.iter().map(|x| x.order_id.0).collect::<Vec<_>>().into_pyarray(py))?;
    fills.set_item("side", f.iter().map(|x| x.side.to_string()).collect::<Vec<_>>())?;
    fills.set_item("price", f.iter().map(|x| x.price.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    fills.set_item("qty", f.iter().map(|x| x.qty.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    fills.set_item("fee", f.iter().map(|x| x.fee.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    fills.set_item("liquidity", f.iter().map(|x| format!("{:?}", x.liquidity).to_lowercase()).collect::<Vec<_>>())?;
    out.set_item("fills", fills)?;

    let trades = PyDict::new(py);
    let t = &report.trades;
    trades.set_item("entry_ts", t.iter().map(|x| x.entry_ts).collect::<Vec<_>>().into_pyarray(py))?;
    trades.set_item("exit_ts", t.iter().map(|x| x.exit_ts).collect::<Vec<_>>().into_pyarray(py))?;
    trades.set_item("side", t.iter().map(|x| x.side.to_string()).collect::<Vec<_>>())?;
    trades.set_item("qty", t.iter().map(|x| x.qty.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    trades.set_item("entry_price", t.iter().map(|x| x.entry_price.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    trades.set_item("exit_price", t.iter().map(|x| x.exit_price.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    trades.set_item("pnl", t.iter().map(|x| x.pnl.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    trades.set_item("fees", t.iter().map(|x| x.fees.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    trades.set_item("net_pnl", t.iter().map(|x| x.net_pnl.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    trades.set_item("return_pct", t.iter().map(|x| x.return_pct).collect::<Vec<_>>().into_pyarray(py))?;
    trades.set_item("mae", t.iter().map(|x| x.mae.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    trades.set_item("mfe", t.iter().map(|x| x.mfe.to_f64()).collect::<Vec<_>>().into_pyarray(py))?;
    out.set_item("trades", trades)?;
    Ok(out)
}

/// The built-in strategies with their parameters, as JSON.
#[pyfunction]
pub fn strategy_catalog() -> PyResult<String> {
    serde_json::to_string(pyrt_strategies::catalog()).map_err(|e| value_error("", e))
}
