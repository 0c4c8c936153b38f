//! Strategies written in Python, run inside the Rust kernel.
//!
//! [`PyStrategy`] implements the kernel's `Strategy` trait by calling the
//! Python object's `on_bar`, `on_fill`, … methods. Each call gets a
//! [`PyContext`]: the kernel lends its `&mut Context` for exactly the
//! duration of the callback, and the Python object forwards to it. After
//! the callback returns the loan ends, and a Context kept past it raises
//! instead of touching freed memory.
//!
//! A Python exception stops the run: the first one is kept, every later
//! callback is skipped, and the run loop re-raises it with its original
//! traceback, so the error points at the user's line.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;
use pyrt_engine::{Context, OrderUpdate, Strategy, TimerEvent};
use pyrt_model::{Bar, Fill, InstrumentId, Money, OrderRequest, Price, Quantity, Side};

/// The first exception a Python strategy raised, shared with the run loop.
pub type ErrorSlot = Rc<RefCell<Option<PyErr>>>;

/// What the strategy can do and see, valid during one callback.
#[pyclass(unsendable, name = "Context", module = "py_rt")]
pub struct PyContext {
    ctx: Cell<*mut Context<'static>>,
    symbols: Vec<String>,
}

impl PyContext {
    fn with<R>(&self, f: impl FnOnce(&mut Context) -> PyResult<R>) -> PyResult<R> {
        let ptr = self.ctx.get();
        if ptr.is_null() {
            return Err(PyRuntimeError::new_err(
                "this Context is only valid inside a strategy callback; use the one each callback receives",
            ));
        }
        // SAFETY: `ptr` is set only while `PyStrategy::dispatch` holds the
        // kernel's `&mut Context` for this callback, and reset before that
        // borrow ends; the class is unsendable, so only this thread sees it.
        f(unsafe { &mut *ptr })
    }

    fn instrument(&self, symbol: Option<&str>) -> PyResult<InstrumentId> {
        match symbol {
            None if self.symbols.len() == 1 => Ok(InstrumentId(0)),
            None => Err(PyValueError::new_err("several instruments: say which with symbol=")),
            Some(s) => self.symbols.iter().position(|x| x == s).map(|i| InstrumentId(i as u32)).ok_or_else(|| {
                PyValueError::new_err(format!("unknown symbol `{s}`; instruments are {:?}", self.symbols))
            }),
        }
    }

    fn order(
        &self,
        side: Side,
        qty: f64,
        limit: Option<f64>,
        stop: Option<f64>,
        symbol: Option<&str>,
    ) -> PyResult<u64> {
        let id = self.instrument(symbol)?;
        let qty = Quantity::from_f64(qty).map_err(|e| PyValueError::new_err(format!("qty: {e}")))?;
        if !qty.is_positive() {
            return Err(PyValueError::new_err(format!("qty must be greater than zero, got {qty}")));
        }
        let price = |name: &str, v: f64| {
            Price::from_f64(v)
                .ok()
                .filter(|p| p.is_positive())
                .ok_or_else(|| PyValueError::new_err(format!("{name} must be a price above zero, got {v}")))
        };
        let request = match (limit.map(|v| price("limit", v)).transpose()?, stop.map(|v| price("stop", v)).transpose()?)
        {
            (None, None) => OrderRequest::market(id, side, qty),
            (Some(l), None) => OrderRequest::limit(id, side, qty, l),
            (None, Some(s)) => OrderRequest::stop(id, side, qty, s),
            (Some(l), Some(s)) => OrderRequest::stop_limit(id, side, qty, s, l),
        };
        self.with(|ctx| Ok(ctx.submit(request).0))
    }
}

#[pymethods]
impl PyContext {
    /// The engine clock, in Unix nanoseconds.
    #[getter]
    fn now(&self) -> PyResult<i64> {
        self.with(|ctx| Ok(ctx.now()))
    }

    /// Free cash.
    #[getter]
    fn cash(&self) -> PyResult<f64> {
        self.with(|ctx| Ok(ctx.cash().to_f64()))
    }

    /// Cash plus the marked value of every position.
    #[getter]
    fn equity(&self) -> PyResult<f64> {
        self.with(|ctx| Ok(ctx.equity().to_f64()))
    }

    /// Signed position quantity (negative when short).
    #[pyo3(signature = (symbol=None))]
    fn position(&self, symbol: Option<&str>) -> PyResult<f64> {
        let id = self.instrument(symbol)?;
        self.with(|ctx| Ok(ctx.position_qty(id).to_f64()))
    }

    /// Buys `qty`: a market order, or limit / stop / stop-limit when
    /// `limit` and/or `stop` are given. Returns the order id.
    #[pyo3(signature = (qty, *, limit=None, stop=None, symbol=None))]
    fn buy(&self, qty: f64, limit: Option<f64>, stop: Option<f64>, symbol: Option<&str>) -> PyResult<u64> {
        self.order(Side::Buy, qty, limit, stop, symbol)
    }

    /// Sells `qty` (see `buy`).
    #[pyo3(signature = (qty, *, limit=None, stop=None, symbol=None))]
    fn sell(&self, qty: f64, limit: Option<f64>, stop: Option<f64>, symbol: Option<&str>) -> PyResult<u64> {
        self.order(Side::Sell, qty, limit, stop, symbol)
    }

    /// Buys as many whole lots as `amount` pays for at the fill price.
    #[pyo3(signature = (amount, *, symbol=None))]
    fn buy_notional(&self, amount: f64, symbol: Option<&str>) -> PyResult<u64> {
        let id = self.instrument(symbol)?;
        let amount = Money::from_f64(amount)
            .ok()
            .filter(|m| m.is_positive())
            .ok_or_else(|| PyValueError::new_err(format!("amount must be above zero, got {amount}")))?;
        self.with(|ctx| Ok(ctx.buy_notional(id, amount).0))
    }

    /// Flattens the position with a reduce-only market order; None when flat.
    #[pyo3(signature = (symbol=None))]
    fn close_position(&self, symbol: Option<&str>) -> PyResult<Option<u64>> {
        let id = self.instrument(symbol)?;
        self.with(|ctx| Ok(ctx.close_position(id).map(|o| o.0)))
    }

    /// Cancels one order.
    fn cancel(&self, order_id: u64) -> PyResult<()> {
        self.with(|ctx| {
            ctx.cancel(pyrt_model::OrderId(order_id));
            Ok(())
        })
    }

    /// Cancels every working order on the instrument.
    #[pyo3(signature = (symbol=None))]
    fn cancel_all(&self, symbol: Option<&str>) -> PyResult<()> {
        let id = self.instrument(symbol)?;
        self.with(|ctx| {
            ctx.cancel_all(id);
            Ok(())
        })
    }

    /// Whether any order on the instrument is working (or just sent).
    #[pyo3(signature = (symbol=None))]
    fn has_open_orders(&self, symbol: Option<&str>) -> PyResult<bool> {
        let id = self.instrument(symbol)?;
        self.with(|ctx| Ok(ctx.has_open_orders(id)))
    }

    /// Calls `on_timer(ctx, name)` at `at` (Unix ns), if the data gets there.
    fn set_timer(&self, at: i64, name: String) -> PyResult<()> {
        self.with(|ctx| {
            ctx.set_timer(at, name);
            Ok(())
        })
    }
}

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

/// The callbacks a Python strategy overrides (others are not called).
#[derive(Debug, Clone, Copy, Default)]
pub struct Hooks {
    pub start: bool,
    pub bar: bool,
    pub fill: bool,
    pub order_update: bool,
    pub timer: bool,
    pub stop: bool,
}

/// A Python object driven by the kernel.
pub struct PyStrategy {
    obj: Py<PyAny>,
    ctx: Py<PyContext>,
    symbols: Vec<Py<PyString>>,
    hooks: Hooks,
    error: ErrorSlot,
}

impl PyStrategy {
    pub fn new(py: Python<'_>, obj: Py<PyAny>, symbols: Vec<String>, hooks: Hooks, error: ErrorSlot) -> PyResult<Self> {
        let names = symbols.iter().map(|s| PyString::new(py, s).unbind()).collect();
        let ctx = Py::new(py, PyContext { ctx: Cell::new(std::ptr::null_mut()), symbols })?;
        Ok(Self { obj, ctx, symbols: names, hooks, error })
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
            pyctx.ctx.set((ctx as *mut Context<'a>).cast::<Context<'static>>());
            let result = arg(py).and_then(|a| match a {
                Some(a) => self.obj.call_method1(py, method, (self.ctx.clone_ref(py), a)),
                None => self.obj.call_method1(py, method, (self.ctx.clone_ref(py),)),
            });
            pyctx.ctx.set(std::ptr::null_mut());
            if let Err(e) = result {
                *self.error.borrow_mut() = Some(e);
            }
        });
    }
}

impl Strategy for PyStrategy {
    fn on_start(&mut self, ctx: &mut Context) {
        if self.hooks.start {
            self.dispatch(ctx, "on_start", |_| Ok(None));
        }
    }

    fn on_bar(&mut self, ctx: &mut Context, bar: &Bar) {
        if self.hooks.bar {
            let bar = *bar;
            self.dispatch(ctx, "on_bar", |py| {
                let b = PyBar {
                    symbol: self.symbols[bar.instrument.index()].clone_ref(py),
                    ts: bar.ts_event,
                    open: bar.open.to_f64(),
                    high: bar.high.to_f64(),
                    low: bar.low.to_f64(),
                    close: bar.close.to_f64(),
                    volume: bar.volume.to_f64(),
                };
                Ok(Some(Py::new(py, b)?.into_any()))
            });
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

    fn on_timer(&mut self, ctx: &mut Context, timer: &TimerEvent) {
        if self.hooks.timer {
            let name = timer.name.clone();
            self.dispatch(ctx, "on_timer", move |py| Ok(Some(PyString::new(py, &name).into_any().unbind())));
        }
    }

    fn on_stop(&mut self, ctx: &mut Context) {
        if self.hooks.stop {
            self.dispatch(ctx, "on_stop", |_| Ok(None));
        }
    }
}
