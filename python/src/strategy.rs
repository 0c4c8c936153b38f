//! Strategies written in Python, run inside the Rust kernel.
//!
//! [`PyStrategy`] implements the kernel's `Strategy` trait by calling the
//! Python object's `on_bar`, `on_fill`, … methods, each with a
//! [`PyContext`] that holds the kernel's `Context` for that call only.
//!
//! A Python exception stops the run: the first one is kept, every later
//! callback is skipped, and the run loop re-raises it with its original
//! traceback, so the error points at the user's line.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, Ordering};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use pyrt_engine::{AlgoUpdate, Context, OrderUpdate, Strategy, TimerEvent};
use pyrt_model::{Bar, Fill, Side};

use crate::context::PyContext;

/// The first exception a Python strategy raised, shared with the run loop.
pub type ErrorSlot = Rc<RefCell<Option<PyErr>>>;

/// One bar, as a strategy sees it.
#[pyclass(frozen, name = "Bar", module = "py_rt")]
pub struct PyBar {
    #[pyo3(get)]
    symbol: Py<PyString>,
    /// Unix nanoseconds.
    #[pyo3(get)]
    ts: i64,
    #[pyo3(get)]
    open: f64,
    #[pyo3(get)]
    high: f64,
    #[pyo3(get)]
    low: f64,
    #[pyo3(get)]
    close: f64,
    #[pyo3(get)]
    volume: f64,
}

#[pymethods]
impl PyBar {
    fn __repr__(&self) -> String {
        format!(
            "Bar(ts={}, open={}, high={}, low={}, close={}, volume={})",
            self.ts, self.open, self.high, self.low, self.close, self.volume
        )
    }
}

/// One fill of one of the strategy's orders.
#[pyclass(frozen, name = "Fill", module = "py_rt")]
pub struct PyFill {
    #[pyo3(get)]
    order_id: u64,
    /// "buy" or "sell".
    #[pyo3(get)]
    side: &'static str,
    #[pyo3(get)]
    price: f64,
    #[pyo3(get)]
    qty: f64,
    #[pyo3(get)]
    fee: f64,
    #[pyo3(get)]
    ts: i64,
}

/// A change of state of one of the strategy's orders.
#[pyclass(frozen, name = "OrderUpdate", module = "py_rt")]
pub struct PyOrderUpdate {
    #[pyo3(get)]
    order_id: u64,
    /// "accepted", "filled", "rejected", …
    #[pyo3(get)]
    status: String,
    #[pyo3(get)]
    ts: i64,
    /// Why it was rejected or cancelled.
    #[pyo3(get)]
    reason: Option<String>,
}

/// A change in one of the strategy's parent orders.
#[pyclass(frozen, name = "AlgoUpdate", module = "py_rt")]
pub struct PyAlgoUpdate {
    #[pyo3(get)]
    parent_id: u64,
    /// "working", "completed", "cancelled", "expired" or "failed".
    #[pyo3(get)]
    status: &'static str,
    #[pyo3(get)]
    executed: f64,
    #[pyo3(get)]
    remaining: f64,
    #[pyo3(get)]
    ts: i64,
    /// Why it was refused, cancelled or failed.
    #[pyo3(get)]
    reason: Option<String>,
}

#[pymethods]
impl PyAlgoUpdate {
    fn __repr__(&self) -> String {
        format!(
            "AlgoUpdate(parent_id={}, status={}, executed={}, remaining={}, ts={}, reason={:?})",
            self.parent_id, self.status, self.executed, self.remaining, self.ts, self.reason
        )
    }
}

/// The callbacks a Python strategy overrides (others are not called).
#[derive(Debug, Clone, Copy, Default)]
pub struct Hooks {
    pub start: bool,
    pub bar: bool,
    pub fill: bool,
    pub order_update: bool,
    pub timer: bool,
    pub algo_update: bool,
    pub stop: bool,
    pub bars: bool,
}

impl Hooks {
    /// The callbacks named (`on_bar`, `on_fill`, …).
    pub fn from_names(names: &[String]) -> PyResult<Self> {
        let mut wanted = Hooks::default();
        for hook in names {
            let flag = match hook.as_str() {
                "on_start" => &mut wanted.start,
                "on_bar" => &mut wanted.bar,
                "on_fill" => &mut wanted.fill,
                "on_order_update" => &mut wanted.order_update,
                "on_timer" => &mut wanted.timer,
                "on_algo_update" => &mut wanted.algo_update,
                "on_stop" => &mut wanted.stop,
                "on_bars" => &mut wanted.bars,
                other => return Err(PyValueError::new_err(format!("unknown strategy callback `{other}`"))),
            };
            *flag = true;
        }
        Ok(wanted)
    }
}

/// A Python object driven by the kernel.
pub struct PyStrategy {
    obj: Py<PyAny>,
    ctx: Py<PyContext>,
    symbols: Vec<Py<PyString>>,
    hooks: Hooks,
    error: ErrorSlot,
    slice: TimeSlice,
    /// The instruments it trades, when not all (see `trading_only`).
    allowed: Option<Vec<bool>>,
}

/// The bars of one time, gathered for `on_bars`.
///
/// A backtest knows how many bars each time has (its data's calendar), so
/// `on_bars` runs inside the last one's step: orders it sends are decided
/// on that time's closes and fill by the venue's rule (at the next open).
/// Without a calendar (paper, live) a time is complete when every
/// instrument has a bar for it, or when a later bar arrives first.
#[derive(Default)]
struct TimeSlice {
    /// (time, bars at that time), in time order.
    calendar: Option<Arc<[(i64, u32)]>>,
    cursor: usize,
    ts: i64,
    bars: Vec<(usize, Py<PyBar>)>,
}

impl TimeSlice {
    /// How many bars time `ts` has.
    fn expected(&mut self, ts: i64, instruments: usize) -> usize {
        let Some(calendar) = &self.calendar else { return instruments };
        while self.cursor < calendar.len() && calendar[self.cursor].0 < ts {
            self.cursor += 1;
        }
        match calendar.get(self.cursor) {
            Some(&(t, n)) if t == ts => n as usize,
            _ => instruments,
        }
    }
}

impl PyStrategy {
    pub fn new(py: Python<'_>, obj: Py<PyAny>, symbols: Vec<String>, hooks: Hooks, error: ErrorSlot) -> PyResult<Self> {
        let names = symbols.iter().map(|s| PyString::new(py, s).unbind()).collect();
        let ctx = Py::new(
            py,
            PyContext {
                ctx: AtomicPtr::new(std::ptr::null_mut()),
                kernel: std::thread::current().id(),
                mine: (0..symbols.len()).collect(),
                symbols,
            },
        )?;
        Ok(Self { obj, ctx, symbols: names, hooks, error, slice: TimeSlice::default(), allowed: None })
    }

    /// The data's calendar: each time with its number of bars, in time
    /// order (see [`TimeSlice`]).
    pub fn with_calendar(mut self, calendar: Arc<[(i64, u32)]>) -> Self {
        self.slice.calendar = Some(calendar);
        self
    }

    /// Limits the strategy to some of the run's instruments: it sees only
    /// their bars and may trade only them (`mine`: indexes of the symbols).
    pub fn trading_only(mut self, py: Python<'_>, mine: Vec<usize>) -> Self {
        let mut allowed = vec![false; self.symbols.len()];
        for &i in &mine {
            allowed[i] = true;
        }
        self.ctx.bind(py).borrow_mut().mine = mine;
        self.allowed = Some(allowed);
        self
    }

    /// Calls `on_bars` with the bars gathered, by symbol.
    fn flush_slice(&mut self, ctx: &mut Context) {
        let bars = std::mem::take(&mut self.slice.bars);
        if bars.is_empty() {
            return;
        }
        let symbols = &self.symbols;
        self.dispatch(ctx, "on_bars", |py| {
            let d = PyDict::new(py);
            for (i, bar) in bars {
                d.set_item(symbols[i].clone_ref(py), bar)?;
            }
            Ok(Some(d.into_any().unbind()))
        });
    }

    /// Lends `ctx` to Python for one call of `method`.
    fn dispatch<'a>(
        &self,
        ctx: &mut Context<'a>,
        method: &str,
        arg: impl FnOnce(Python<'_>) -> PyResult<Option<Py<PyAny>>>,
    ) {
        if self.error.borrow().is_some() {
            return;
        }
        Python::attach(|py| {
            let pyctx = self.ctx.bind(py).borrow();
            pyctx.ctx.store((ctx as *mut Context<'a>).cast::<Context<'static>>(), Ordering::Release);
            let result = arg(py).and_then(|a| match a {
                Some(a) => self.obj.call_method1(py, method, (self.ctx.clone_ref(py), a)),
                None => self.obj.call_method1(py, method, (self.ctx.clone_ref(py),)),
            });
            pyctx.ctx.store(std::ptr::null_mut(), Ordering::Release);
            if let Err(e) = result {
                self.fail(ctx, method, e);
            }
        });
    }

    /// The kernel stops this strategy alone (cancels its orders); the
    /// exception itself goes back to the caller.
    fn fail(&self, ctx: &mut Context, method: &str, e: PyErr) {
        ctx.fail(format!("{method} raised {e}"));
        *self.error.borrow_mut() = Some(e);
    }
}

impl Strategy for PyStrategy {
    fn on_start(&mut self, ctx: &mut Context) {
        if self.hooks.start {
            self.dispatch(ctx, "on_start", |_| Ok(None));
        }
    }

    fn on_bar(&mut self, ctx: &mut Context, bar: &Bar) {
        if !(self.hooks.bar || self.hooks.bars) || self.allowed.as_ref().is_some_and(|a| !a[bar.instrument.index()]) {
            return;
        }
        let b = Python::attach(|py| {
            Py::new(
                py,
                PyBar {
                    symbol: self.symbols[bar.instrument.index()].clone_ref(py),
                    ts: bar.ts_event,
                    open: bar.open.to_f64(),
                    high: bar.high.to_f64(),
                    low: bar.low.to_f64(),
                    close: bar.close.to_f64(),
                    volume: bar.volume.to_f64(),
                },
            )
        });
        let b = match b {
            Ok(b) => b,
            Err(e) => return self.fail(ctx, "on_bar", e),
        };
        if self.hooks.bar {
            let arg = Python::attach(|py| b.clone_ref(py).into_any());
            self.dispatch(ctx, "on_bar", move |_| Ok(Some(arg)));
        }
        if self.hooks.bars {
            if !self.slice.bars.is_empty() && self.slice.ts != bar.ts_event {
                self.flush_slice(ctx);
            }
            self.slice.ts = bar.ts_event;
            self.slice.bars.push((bar.instrument.index(), b));
            if self.slice.bars.len() >= self.slice.expected(bar.ts_event, self.symbols.len()) {
                self.flush_slice(ctx);
            }
        }
    }

    fn on_fill(&mut self, ctx: &mut Context, fill: &Fill) {
        if self.hooks.fill {
            let f = *fill;
            self.dispatch(ctx, "on_fill", move |py| {
                let side = if f.side == Side::Buy { "buy" } else { "sell" };
                let pf = PyFill {
                    order_id: f.order_id.0,
                    side,
                    price: f.price.to_f64(),
                    qty: f.qty.to_f64(),
                    fee: f.fee.to_f64(),
                    ts: f.ts,
                };
                Ok(Some(Py::new(py, pf)?.into_any()))
            });
        }
    }

    fn on_order_update(&mut self, ctx: &mut Context, update: &OrderUpdate) {
        if self.hooks.order_update {
            let u = PyOrderUpdate {
                order_id: update.order_id.0,
                status: format!("{:?}", update.status).to_lowercase(),
                ts: update.ts,
                reason: update.reason.clone(),
            };
            self.dispatch(ctx, "on_order_update", move |py| Ok(Some(Py::new(py, u)?.into_any())));
        }
    }

    fn on_algo_update(&mut self, ctx: &mut Context, update: &AlgoUpdate) {
        if self.hooks.algo_update {
            let u = PyAlgoUpdate {
                parent_id: update.parent.0,
                status: update.status.as_str(),
                executed: update.executed.to_f64(),
                remaining: update.remaining.to_f64(),
                ts: update.ts,
                reason: update.reason.clone(),
            };
            self.dispatch(ctx, "on_algo_update", move |py| Ok(Some(Py::new(py, u)?.into_any())));
        }
    }

    fn on_timer(&mut self, ctx: &mut Context, timer: &TimerEvent) {
        if self.hooks.timer {
            let name = timer.name.clone();
            self.dispatch(ctx, "on_timer", move |py| Ok(Some(PyString::new(py, &name).into_any().unbind())));
        }
    }

    fn on_stop(&mut self, ctx: &mut Context) {
        self.flush_slice(ctx);
        if self.hooks.stop {
            self.dispatch(ctx, "on_stop", |_| Ok(None));
        }
    }
}
