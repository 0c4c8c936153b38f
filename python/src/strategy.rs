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
use pyrt_model::{Bar, BookAction, BookDelta, Fill, Quote, Side, Trade};

use crate::callback_args::{PyAlgoUpdate, PyBar, PyBookDelta, PyFill, PyOrderUpdate, PyQuote, PyTrade};
use crate::context::{BarHistory, PyContext};

/// The first exception a Python strategy raised, shared with the run loop.
pub type ErrorSlot = Rc<RefCell<Option<PyErr>>>;

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
    pub trade: bool,
    pub quote: bool,
    pub book_delta: bool,
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
                "on_trade" => &mut wanted.trade,
                "on_quote" => &mut wanted.quote,
                "on_book_delta" => &mut wanted.book_delta,
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
    /// The strategy's `history` attribute (an int, 0 when absent) is how
    /// many bars per symbol `ctx.history` keeps.
    pub fn new(py: Python<'_>, obj: Py<PyAny>, symbols: Vec<String>, hooks: Hooks, error: ErrorSlot) -> PyResult<Self> {
        let names = symbols.iter().map(|s| PyString::new(py, s).unbind()).collect();
        let keep = match obj.bind(py).getattr("history") {
            Ok(v) => v.extract::<usize>().map_err(|_| {
                PyValueError::new_err(format!("the strategy's `history` must be a whole number of bars, got {v}"))
            })?,
            Err(_) => 0,
        };
        let ctx = Py::new(
            py,
            PyContext {
                ctx: AtomicPtr::new(std::ptr::null_mut()),
                kernel: std::thread::current().id(),
                mine: (0..symbols.len()).collect(),
                history: BarHistory::new(symbols.len(), keep),
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

    /// Whether the strategy trades instrument `i` (see `trading_only`).
    fn mine(&self, i: usize) -> bool {
        self.allowed.as_ref().is_none_or(|a| a[i])
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
    /// exception itself goes back to the caller, with a note naming the
    /// strategy, the callback and the time.
    fn fail(&self, ctx: &mut Context, method: &str, e: PyErr) {
        ctx.fail(format!("{method} raised {e}"));
        Python::attach(|py| {
            let class = self.obj.bind(py).get_type().name().map(|n| n.to_string()).unwrap_or_default();
            let when = pyrt_model::time::format_timestamp(ctx.now());
            // add_note exists from Python 3.11; on 3.10 the traceback alone tells.
            let _ = e.value(py).call_method1("add_note", (format!("raised in {class}.{method} at {when} UTC"),));
        });
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
        if self.allowed.as_ref().is_some_and(|a| !a[bar.instrument.index()]) {
            return;
        }
        Python::attach(|py| self.ctx.bind(py).borrow_mut().history.push(bar));
        if !(self.hooks.bar || self.hooks.bars) {
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

    fn on_trade(&mut self, ctx: &mut Context, trade: &Trade) {
        if self.hooks.trade && self.mine(trade.instrument.index()) {
            let t = *trade;
            self.dispatch(ctx, "on_trade", |py| {
                let aggressor = t.aggressor.map(|s| if s == Side::Buy { "buy" } else { "sell" });
                let symbol = self.symbols[t.instrument.index()].clone_ref(py);
                let arg = PyTrade { symbol, ts: t.ts_event, price: t.price.to_f64(), qty: t.size.to_f64(), aggressor };
                Ok(Some(Py::new(py, arg)?.into_any()))
            });
        }
    }

    fn on_quote(&mut self, ctx: &mut Context, quote: &Quote) {
        if self.hooks.quote && self.mine(quote.instrument.index()) {
            let q = *quote;
            self.dispatch(ctx, "on_quote", |py| {
                let arg = PyQuote {
                    symbol: self.symbols[q.instrument.index()].clone_ref(py),
                    ts: q.ts_event,
                    bid: q.bid.to_f64(),
                    bid_qty: q.bid_size.to_f64(),
                    ask: q.ask.to_f64(),
                    ask_qty: q.ask_size.to_f64(),
                };
                Ok(Some(Py::new(py, arg)?.into_any()))
            });
        }
    }

    fn on_book_delta(&mut self, ctx: &mut Context, delta: &BookDelta) {
        if self.hooks.book_delta && self.mine(delta.instrument.index()) {
            let d = *delta;
            self.dispatch(ctx, "on_book_delta", |py| {
                let action = match d.action {
                    BookAction::Add => "add",
                    BookAction::Update => "update",
                    BookAction::Delete => "delete",
                    BookAction::Clear => "clear",
                };
                let arg = PyBookDelta {
                    symbol: self.symbols[d.instrument.index()].clone_ref(py),
                    ts: d.ts_event,
                    action,
                    side: if d.side == Side::Buy { "buy" } else { "sell" },
                    price: d.price.to_f64(),
                    qty: d.size.to_f64(),
                    last: d.is_last(),
                };
                Ok(Some(Py::new(py, arg)?.into_any()))
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
