//! Backtests and parameter sweeps of the built-in strategies (and of
//! precomputed signals) on numpy columns.

use std::collections::BTreeMap;
use std::sync::Arc;

use numpy::{IntoPyArray, PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyrt_analytics::RunReport;
use pyrt_data::{BarSlices, bars_from_slices};
use pyrt_engine::{EngineConfig, OrderRecord, Sampling, Strategy};
use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{Instrument, InstrumentId, MarketEvent, Money, OrderKind, OrderQty, Price, Quantity, Side};
use pyrt_optimize::{Backtester, Outcome, sweep};
use pyrt_settings::{Account, Execution};
use pyrt_sim::SimConfig;
use pyrt_strategies::{LongFlat, ScheduledSignal};

use crate::strategy::{ErrorSlot, Hooks, PyStrategy};

fn value_error(context: &str, e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{context}{e}"))
}

fn decimal<T: std::str::FromStr>(name: &str, text: &str) -> PyResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| value_error(&format!("{name} `{text}`: "), e))
}

/// How to run: the keyword arguments of `py_rt.Backtest`, as a dict.
/// Money is decimal text so it reaches the engine exactly.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct Settings {
    /// One per instrument, in the order of the data.
    symbols: Vec<String>,
    cash: String,
    fill: String,
    /// When resting limits fill: "touch" or "through".
    limit_fill: String,
    fees: String,
    slippage: String,
    tick_size: String,
    lot_size: String,
    latency_ms: f64,
    equity_every: String,
    account: String,
    risk_free: f64,
    risk_limits: Option<String>,
    round_prices: bool,
    cost_basis: String,
    /// Trading starts at this time (Unix ns); the bars before only warm up.
    trade_from: Option<i64>,
    /// A position carried in at `trade_from`: quantity and value, decimal text.
    carry: Option<(String, String)>,
    close_carried: bool,
}

/// [`Settings`] checked and turned into engine types.
struct Checked {
    instruments: Vec<Instrument>,
    sim: SimConfig,
    engine: EngineConfig,
    risk: Option<pyrt_risk::RiskLimits>,
    risk_free: f64,
}

impl Settings {
    fn check(&self) -> PyResult<Checked> {
        // The CLI's settings types and parsers: one set of names, defaults
        // and checks for every way into a backtest.
        let account = Account {
            cash: decimal("cash", &self.cash)?,
            kind: pyrt_sim::parse_choice("account", &self.account).map_err(PyValueError::new_err)?,
            risk_free: self.risk_free,
            cost_basis: self.cost_basis.parse().map_err(|e: String| PyValueError::new_err(e))?,
        };
        let execution = Execution {
            fill: pyrt_sim::parse_choice("fill", &self.fill).map_err(PyValueError::new_err)?,
            limit_fill: pyrt_sim::parse_choice("limit_fill", &self.limit_fill).map_err(PyValueError::new_err)?,
            latency_ms: self.latency_ms,
            fees: pyrt_sim::parse_fees(&self.fees).map_err(|e| value_error("", e))?,
            slippage: pyrt_sim::parse_slippage(&self.slippage).map_err(|e| value_error("", e))?,
            round_prices: self.round_prices,
        };
        account.check().and_then(|()| execution.check()).map_err(|e| value_error("", format!("{e:#}")))?;
        let tick: Price = decimal("tick_size", &self.tick_size)?;
        let lot: Quantity = decimal("lot_size", &self.lot_size)?;
        if !tick.is_positive() || !lot.is_positive() {
            return Err(PyValueError::new_err("tick_size and lot_size must be greater than zero"));
        }
        let sampling = match self.equity_every.as_str() {
            "bar" => Sampling::EveryEvent,
            "day" => Sampling::Bucket(NANOS_PER_DAY),
            other => return Err(PyValueError::new_err(format!("equity_every `{other}`: expected \"bar\" or \"day\""))),
        };
        let sim = execution.sim_config();
        let risk = self
            .risk_limits
            .as_deref()
            .map(pyrt_risk::RiskLimits::from_toml)
            .transpose()
            .map_err(|e| value_error("risk_limits: ", e))?;
        if self.symbols.is_empty() {
            return Err(PyValueError::new_err("no instruments: give the data of at least one"));
        }
        let instruments = self
            .symbols
            .iter()
            .enumerate()
            .map(|(i, symbol)| {
                let mut instrument = Instrument::new(InstrumentId(i as u32), symbol.clone(), tick, lot);
                instrument.min_quantity = lot;
                instrument
            })
            .collect();
        let carry = match &self.carry {
            None => Vec::new(),
            Some(_) if self.symbols.len() > 1 => {
                return Err(PyValueError::new_err("a carried position is for a run of one instrument"));
            }
            Some((qty, value)) => {
                vec![(InstrumentId(0), decimal("carry quantity", qty)?, decimal("carry value", value)?)]
            }
        };
        if !carry.is_empty() && self.trade_from.is_none() {
            return Err(PyValueError::new_err("a carried position needs trade_from, the time it arrives"));
        }
        let engine = EngineConfig {
            trade_from: self.trade_from,
            carry,
            close_carried: self.close_carried,
            ..pyrt_settings::engine_config(&account, &execution, sampling, None)
        };
        Ok(Checked { instruments, sim, engine, risk, risk_free: account.risk_free })
    }
}

/// Borrowed OHLCV columns of one instrument: a dict with `ts` (Unix ns),
/// `open`, `high`, `low`, `close` and `volume` (or None).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct BarArrays<'py> {
    ts: PyReadonlyArray1<'py, i64>,
    open: PyReadonlyArray1<'py, f64>,
    high: PyReadonlyArray1<'py, f64>,
    low: PyReadonlyArray1<'py, f64>,
    close: PyReadonlyArray1<'py, f64>,
    volume: Option<PyReadonlyArray1<'py, f64>>,
}

impl BarArrays<'_> {
    fn slices(&self) -> PyResult<BarSlices<'_>> {
        Ok(BarSlices {
            ts: self.ts.as_slice()?,
            open: self.open.as_slice()?,
            high: self.high.as_slice()?,
            low: self.low.as_slice()?,
            close: self.close.as_slice()?,
            volume: self.volume.as_ref().map(|v| v.as_slice()).transpose()?,
        })
    }
}

/// Bars as engine events, checked row by row (runs detached).
fn events(slices: &BarSlices) -> Result<Vec<MarketEvent>, String> {
    pyrt_engine::check_enough_bars(slices.ts.len() as u64, "the data").map_err(|e| e.to_string())?;
    let bars = bars_from_slices(InstrumentId(0), slices).map_err(|e| e.to_string())?;
    Ok(bars.into_iter().map(MarketEvent::Bar).collect())
}

/// Several instruments' bars as one stream in time order (bars of the
/// same time in the order of the instruments), with the calendar: each
/// time and how many bars it has.
#[allow(clippy::type_complexity)]
fn merged_events(symbols: &[String], slices: &[BarSlices]) -> Result<(Vec<MarketEvent>, Vec<(i64, u32)>), String> {
    let mut all = Vec::with_capacity(slices.iter().map(|s| s.ts.len()).sum());
    for (i, (symbol, s)) in symbols.iter().zip(slices).enumerate() {
        let bars = bars_from_slices(InstrumentId(i as u32), s).map_err(|e| format!("{symbol}: {e}"))?;
        all.extend(bars.into_iter().map(MarketEvent::Bar));
    }
    // Stable: equal times keep the instruments' order.
    all.sort_by_key(|e| e.ts());
    let calendar = calendar_of(&all, &(0..symbols.len()).collect::<Vec<_>>());
    pyrt_engine::check_enough_bars(calendar.len() as u64, "the data").map_err(|e| e.to_string())?;
    Ok((all, calendar))
}

impl Checked {
    /// A built-in strategy trades one instrument.
    fn one_instrument(self) -> PyResult<Self> {
        match self.instruments.len() {
            1 => Ok(self),
            n => Err(PyValueError::new_err(format!(
                "the built-in strategies trade one instrument, and the data has {n}; \
                 write a py_rt.Strategy to trade several"
            ))),
        }
    }

    fn backtester<'a>(&self, events: &'a [MarketEvent]) -> Backtester<'a> {
        Backtester {
            instruments: self.instruments.clone(),
            sim: self.sim.clone(),
            engine: self.engine.clone(),
            risk: self.risk.clone(),
            events,
        }
    }
}

/// Runs a built-in strategy (or, with `strategy="from_signals"`, the
/// entry/exit flags) over one instrument's bars and returns the report as
/// plain columns (the Python `Result` turns them into pandas).
#[pyfunction]
#[pyo3(signature = (bars, settings, strategy, params, entries=None, exits=None))]
pub fn run_backtest<'py>(
    py: Python<'py>,
    bars: BarArrays<'py>,
    settings: Settings,
    strategy: &str,
    params: BTreeMap<String, String>,
    entries: Option<PyReadonlyArray1<'py, bool>>,
    exits: Option<PyReadonlyArray1<'py, bool>>,
) -> PyResult<Bound<'py, PyDict>> {
    let checked = settings.check()?.one_instrument()?;
    let strategy = StrategyChoice::new(strategy, params, entries, exits, bars.ts.len())?;
    let slices = bars.slices()?;
    let report = py.detach(|| -> Result<(RunReport, Vec<OrderRecord>), String> {
        let events = events(&slices)?;
        let engine = checked.backtester(&events).run(strategy.build())?;
        let orders: Vec<OrderRecord> = engine.orders().all().iter().cloned().collect();
        Ok((RunReport::from_engine(&engine, checked.risk_free), orders))
    });
    let (report, orders) = report.map_err(PyValueError::new_err)?;
    report_dict(py, &report, &orders)
}

/// Runs built-in `strategy` once per parameter set on every core, with the
/// GIL released. Returns JSON: one entry per set, `{"stats": {...}}` or
/// `{"skipped": "why"}` for combinations that are inconsistent.
#[pyfunction]
#[pyo3(signature = (bars, settings, strategy, param_sets))]
pub fn run_sweep<'py>(
    py: Python<'py>,
    bars: BarArrays<'py>,
    settings: Settings,
    strategy: &str,
    param_sets: Vec<BTreeMap<String, String>>,
) -> PyResult<String> {
    let checked = settings.check()?.one_instrument()?;
    let slices = bars.slices()?;
    let json = py.detach(|| -> Result<String, String> {
        let events = events(&slices)?;
        let outcomes = sweep(&checked.backtester(&events), strategy, &param_sets, checked.risk_free, &|_| {})?;
        let rows: Vec<serde_json::Value> = outcomes
            .into_iter()
            .map(|o| match o {
                Outcome::Ran(stats) => serde_json::json!({ "stats": stats }),
                Outcome::Skipped(why) => serde_json::json!({ "skipped": why }),
            })
            .collect();
        serde_json::to_string(&rows).map_err(|e| e.to_string())
    });
    json.map_err(PyValueError::new_err)
}

/// One Python strategy of a run: the `py_rt.Strategy` instance, the
/// callbacks it overrides, its capital (decimal text; None: the whole
/// account) and the symbols it trades (None: all).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct Member {
    strategy: Py<PyAny>,
    hooks: Vec<String>,
    capital: Option<String>,
    symbols: Option<Vec<String>>,
}

/// Runs strategies written in Python inside the kernel, in one account,
/// over one or more instruments' bars (one `bars` dict per symbol of the
/// settings). The interpreter stays attached: every callback is Python.
#[pyfunction]
#[pyo3(signature = (bars, settings, strategies))]
pub fn run_python_strategy<'py>(
    py: Python<'py>,
    bars: Vec<BarArrays<'py>>,
    settings: Settings,
    strategies: Vec<Member>,
) -> PyResult<Bound<'py, PyDict>> {
    let checked = settings.check()?;
    if bars.len() != checked.instruments.len() {
        return Err(PyValueError::new_err(format!(
            "{} bar tables for {} symbols",
            bars.len(),
            checked.instruments.len()
        )));
    }
    let slices = bars.iter().map(|b| b.slices()).collect::<PyResult<Vec<_>>>()?;
    let symbols: Vec<String> = checked.instruments.iter().map(|i| i.symbol.clone()).collect();
    let (events, calendar) = merged_events(&symbols, &slices).map_err(PyValueError::new_err)?;
    let error = ErrorSlot::default();
    let mut team: Vec<(Box<dyn Strategy>, Option<Money>)> = Vec::with_capacity(strategies.len());
    for m in strategies {
        let capital = m.capital.as_deref().map(|c| decimal::<Money>("capital", c)).transpose()?;
        let bridge = PyStrategy::new(py, m.strategy, symbols.clone(), Hooks::from_names(&m.hooks)?, error.clone())?;
        let bridge = match m.symbols {
            None => bridge.with_calendar(calendar.clone().into()),
            Some(names) => {
                let mut mine = Vec::with_capacity(names.len());
                for name in &names {
                    mine.push(symbols.iter().position(|s| s == name).ok_or_else(|| {
                        PyValueError::new_err(format!("a strategy's symbol `{name}` is not in the data ({symbols:?})"))
                    })?);
                }
                let own = calendar_of(&events, &mine);
                bridge.trading_only(py, mine).with_calendar(own.into())
            }
        };
        team.push((Box::new(bridge), capital));
    }
    let (engine, stopped) = checked
        .backtester(&events)
        .run_until_stopped(team, || error.borrow().is_none())
        .map_err(PyValueError::new_err)?;
    // The strategy's own exception, with its traceback, before the run's
    // error it caused; what the run did until then rides on it.
    if let Some(e) = error.borrow_mut().take() {
        let orders: Vec<OrderRecord> = engine.orders().all().iter().cloned().collect();
        let partial = report_dict(py, &RunReport::from_engine(&engine, checked.risk_free), &orders)?;
        let _ = e.value(py).setattr("_py_rt_partial", partial);
        return Err(e);
    }
    if let Some(stopped) = stopped {
        return Err(PyValueError::new_err(stopped));
    }
    let orders: Vec<OrderRecord> = engine.orders().all().iter().cloned().collect();
    report_dict(py, &RunReport::from_engine(&engine, checked.risk_free), &orders)
}

/// The calendar of some instruments' bars (see `merged_events`).
fn calendar_of(events: &[MarketEvent], mine: &[usize]) -> Vec<(i64, u32)> {
    let mut calendar: Vec<(i64, u32)> = Vec::new();
    for e in events.iter().filter(|e| mine.contains(&e.instrument().index())) {
        match calendar.last_mut() {
            Some((t, n)) if *t == e.ts() => *n += 1,
            _ => calendar.push((e.ts(), 1)),
        }
    }
    calendar
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
fn report_dict<'py>(py: Python<'py>, report: &RunReport, orders: &[OrderRecord]) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    let symbol = |i: pyrt_model::InstrumentId| report.symbols.get(i.index()).cloned().unwrap_or_default();
    let summary = serde_json::to_string(&report.summary()).map_err(|e| value_error("summary: ", e))?;
    out.set_item("summary_json", summary)?;
    out.set_item("equity_ts", report.equity.iter().map(|(t, _)| *t).collect::<Vec<_>>().into_pyarray(py))?;
    out.set_item("equity", report.equity.iter().map(|(_, e)| *e).collect::<Vec<_>>().into_pyarray(py))?;
    let sleeves = report
        .sleeves
        .iter()
        .map(|s| {
            let ts = s.equity.iter().map(|(t, _)| *t).collect::<Vec<_>>().into_pyarray(py);
            (ts, s.equity.iter().map(|(_, e)| *e).collect::<Vec<_>>().into_pyarray(py))
        })
        .collect::<Vec<_>>();
    out.set_item("sleeve_equity", sleeves)?;

    let fills = PyDict::new(py);
    let f = &report.fills;
    fills.set_item("ts", f.iter().map(|x| x.ts).collect::<Vec<_>>().into_pyarray(py))?;
    fills.set_item("symbol", f.iter().map(|x| symbol(x.instrument)).collect::<Vec<_>>())?;
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
    trades.set_item("symbol", t.iter().map(|x| symbol(x.instrument)).collect::<Vec<_>>())?;
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
    out.set_item("orders", orders_dict(py, orders, &report.symbols)?)?;
    out.set_item("lots", lots_dict(py, report)?)?;
    Ok(out)
}

/// The lot report (FIFO, LIFO): each piece of a lot a sale closed, as columns.
fn lots_dict<'py>(py: Python<'py>, report: &RunReport) -> PyResult<Bound<'py, PyDict>> {
    let l = &report.lots;
    let d = PyDict::new(py);
    let symbol = |i: pyrt_model::InstrumentId| report.symbols.get(i.index()).cloned().unwrap_or_default();
    d.set_item("symbol", l.iter().map(|x| symbol(x.instrument)).collect::<Vec<_>>())?;
    d.set_item("side", l.iter().map(|x| if x.side == Side::Buy { "long" } else { "short" }).collect::<Vec<_>>())?;
    d.set_item("qty", l.iter().map(|x| x.qty.to_string()).collect::<Vec<_>>())?;
    d.set_item("open_ts", l.iter().map(|x| x.open_ts).collect::<Vec<_>>().into_pyarray(py))?;
    d.set_item("open_order_id", l.iter().map(|x| x.open_order.0).collect::<Vec<_>>().into_pyarray(py))?;
    d.set_item("open_price", l.iter().map(|x| x.open_price.to_string()).collect::<Vec<_>>())?;
    d.set_item("close_ts", l.iter().map(|x| x.close_ts).collect::<Vec<_>>().into_pyarray(py))?;
    d.set_item("close_order_id", l.iter().map(|x| x.close_order.0).collect::<Vec<_>>().into_pyarray(py))?;
    d.set_item("close_price", l.iter().map(|x| x.close_price.to_string()).collect::<Vec<_>>())?;
    d.set_item("pnl", l.iter().map(|x| x.pnl.to_string()).collect::<Vec<_>>())?;
    Ok(d)
}

/// Every order of the run (its request and what became of it) as columns;
/// prices an order does not have are NaN.
fn orders_dict<'py>(py: Python<'py>, o: &[OrderRecord], symbols: &[String]) -> PyResult<Bound<'py, PyDict>> {
    let nan = f64::NAN;
    let col = |f: &dyn Fn(&OrderRecord) -> f64| o.iter().map(f).collect::<Vec<_>>().into_pyarray(py);
    let d = PyDict::new(py);
    d.set_item("order_id", o.iter().map(|r| r.id.0).collect::<Vec<_>>().into_pyarray(py))?;
    let symbol = |r: &OrderRecord| symbols.get(r.instrument().index()).cloned().unwrap_or_default();
    d.set_item("symbol", o.iter().map(symbol).collect::<Vec<_>>())?;
    d.set_item("submitted_ts", o.iter().map(|r| r.ts_submitted).collect::<Vec<_>>().into_pyarray(py))?;
    d.set_item("updated_ts", o.iter().map(|r| r.ts_updated).collect::<Vec<_>>().into_pyarray(py))?;
    d.set_item("side", o.iter().map(|r| r.request.side.to_string()).collect::<Vec<_>>())?;
    d.set_item("type", o.iter().map(|r| r.request.kind.name()).collect::<Vec<_>>())?;
    d.set_item(
        "qty",
        col(&|r| match r.request.qty {
            OrderQty::Base(q) => q.to_f64(),
            OrderQty::Quote(_) => nan,
        }),
    )?;
    d.set_item(
        "notional",
        col(&|r| match r.request.qty {
            OrderQty::Quote(m) => m.to_f64(),
            OrderQty::Base(_) => nan,
        }),
    )?;
    d.set_item(
        "limit",
        col(&|r| match r.request.kind {
            OrderKind::Limit { price } | OrderKind::StopLimit { limit: price, .. } => price.to_f64(),
            _ => nan,
        }),
    )?;
    d.set_item(
        "stop",
        col(&|r| match r.request.kind {
            OrderKind::Stop { trigger } | OrderKind::StopLimit { trigger, .. } => trigger.to_f64(),
            _ => nan,
        }),
    )?;
    d.set_item("status", o.iter().map(|r| format!("{:?}", r.status).to_lowercase()).collect::<Vec<_>>())?;
    d.set_item("filled", col(&|r| r.filled.to_f64()))?;
    d.set_item("avg_price", col(&|r| r.avg_fill_price().map_or(nan, |p| p.to_f64())))?;
    d.set_item("fees", col(&|r| r.fees.to_f64()))?;
    d.set_item("reason", o.iter().map(|r| r.reason.clone()).collect::<Vec<_>>())?;
    Ok(d)
}

/// The built-in strategies with their parameters, as JSON.
#[pyfunction]
pub fn strategy_catalog() -> PyResult<String> {
    serde_json::to_string(pyrt_strategies::catalog()).map_err(|e| value_error("", e))
}
