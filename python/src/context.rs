//! The `Context` a Python strategy's callbacks receive.
//!
//! The kernel lends its `&mut Context` for exactly the duration of one
//! callback (see [`crate::strategy::PyStrategy`]), and [`PyContext`]
//! forwards to it. After the callback returns the loan ends, and a Context
//! kept past it raises instead of touching freed memory.

use std::sync::atomic::{AtomicPtr, Ordering};
use std::thread::ThreadId;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyrt_engine::{Context, Target};
use pyrt_execution::{Algo, ParentId};
use pyrt_model::{InstrumentId, Money, OrderRequest, Price, Quantity, Side, TrailingOffset};

use crate::algos;
use crate::order_options::Options;
use crate::targets;

/// A price argument of an order: a number above zero, named in the error.
fn price_arg(name: &str, v: f64) -> PyResult<Price> {
    Price::from_f64(v)
        .ok()
        .filter(|p| p.is_positive())
        .ok_or_else(|| PyValueError::new_err(format!("{name} must be a price above zero, got {v}")))
}

/// What the strategy can do and see, valid during one callback.
///
/// The object itself may travel (a traceback or a strategy attribute can
/// keep it, on any thread), but the kernel's Context is reached only from
/// the kernel's thread, during a callback.
#[pyclass(name = "Context", module = "py_rt")]
pub struct PyContext {
    pub(crate) ctx: AtomicPtr<Context<'static>>,
    /// The thread that runs the kernel and its callbacks.
    pub(crate) kernel: ThreadId,
    pub(crate) symbols: Vec<String>,
    /// The instruments this strategy trades (indexes into `symbols`).
    pub(crate) mine: Vec<usize>,
    /// The last bars of each instrument, for `history`.
    pub(crate) history: BarHistory,
}

/// The last `keep` bars of each instrument (time, open, high, low, close,
/// volume), for `ctx.history`; nothing is kept when `keep` is 0.
pub struct BarHistory {
    keep: usize,
    bars: Vec<std::collections::VecDeque<[f64; 6]>>,
}

impl BarHistory {
    pub fn new(instruments: usize, keep: usize) -> Self {
        Self { keep, bars: (0..instruments).map(|_| std::collections::VecDeque::with_capacity(keep)).collect() }
    }

    pub fn push(&mut self, bar: &pyrt_model::Bar) {
        if self.keep == 0 {
            return;
        }
        let row = &mut self.bars[bar.instrument.index()];
        if row.len() == self.keep {
            row.pop_front();
        }
        let b = bar;
        row.push_back([
            b.ts_event as f64,
            b.open.to_f64(),
            b.high.to_f64(),
            b.low.to_f64(),
            b.close.to_f64(),
            b.volume.to_f64(),
        ]);
    }
}

impl PyContext {
    fn target(&self, symbol: &str, target: Target, limit: Option<f64>) -> PyResult<Option<u64>> {
        let id = self.instrument(Some(symbol))?;
        let limit = limit.map(|v| price_arg("limit", v)).transpose()?;
        self.with(|ctx| {
            ctx.order_target(id, target, limit)
                .map(|o| o.map(|id| id.0))
                .map_err(|e| PyValueError::new_err(e.to_string()))
        })
    }

    fn with<R>(&self, f: impl FnOnce(&mut Context) -> PyResult<R>) -> PyResult<R> {
        if std::thread::current().id() != self.kernel {
            return Err(PyRuntimeError::new_err(
                "this Context belongs to the thread that runs the strategy; use it inside the strategy's callbacks",
            ));
        }
        let ptr = self.ctx.load(Ordering::Acquire);
        if ptr.is_null() {
            return Err(PyRuntimeError::new_err(
                "this Context is only valid inside a strategy callback; use the one each callback receives",
            ));
        }
        // SAFETY: `ptr` is set only while `PyStrategy::dispatch` holds the
        // kernel's `&mut Context` for this callback, and reset before that
        // borrow ends, both on the kernel's thread, the only one that gets here.
        f(unsafe { &mut *ptr })
    }

    fn instrument(&self, symbol: Option<&str>) -> PyResult<InstrumentId> {
        let i = match symbol {
            None if self.mine.len() == 1 => self.mine[0],
            None => return Err(PyValueError::new_err("several instruments: say which with symbol=")),
            Some(s) => self.symbols.iter().position(|x| x == s).ok_or_else(|| {
                PyValueError::new_err(format!("unknown symbol `{s}`; instruments are {:?}", self.symbols))
            })?,
        };
        if !self.mine.contains(&i) {
            return Err(PyValueError::new_err(format!(
                "this strategy trades {:?}, not {}",
                self.my_symbols(),
                self.symbols[i]
            )));
        }
        Ok(InstrumentId(i as u32))
    }

    fn my_symbols(&self) -> Vec<String> {
        self.mine.iter().map(|&i| self.symbols[i].clone()).collect()
    }

    /// Checks and sends a parent order; `common` is (side, qty, start,
    /// end, limit, max_slippage, complete).
    #[allow(clippy::type_complexity)]
    fn parent(
        &self,
        symbol: Option<&str>,
        algo: Algo,
        common: (&str, f64, Option<i64>, Option<i64>, Option<f64>, Option<f64>, bool),
    ) -> PyResult<u64> {
        let id = self.instrument(symbol)?;
        let (side, qty, start, end, limit, max_slippage, complete) = common;
        let (side, qty) = (algos::side(side)?, algos::quantity("qty", qty)?);
        self.with(|ctx| {
            let start = start.unwrap_or(ctx.now());
            let common = algos::Common { side, qty, start, end, limit, max_slippage, complete };
            let order = algos::parent(ctx.instrument(id), common, algo)?;
            Ok(ctx.submit_algo(order).0)
        })
    }

    /// An order's request from `buy`/`sell`'s arguments, checked.
    #[allow(clippy::too_many_arguments)]
    fn request(
        &self,
        side: Side,
        qty: f64,
        limit: Option<f64>,
        stop: Option<f64>,
        trail: Option<f64>,
        trail_bps: Option<u32>,
        symbol: Option<&str>,
        options: &Options,
    ) -> PyResult<OrderRequest> {
        let id = self.instrument(symbol)?;
        let qty = Quantity::from_f64(qty).map_err(|e| PyValueError::new_err(format!("qty: {e}")))?;
        if !qty.is_positive() {
            return Err(PyValueError::new_err(format!("qty must be greater than zero, got {qty}")));
        }
        let (limit, stop) =
            (limit.map(|v| price_arg("limit", v)).transpose()?, stop.map(|v| price_arg("stop", v)).transpose()?);
        let trailing = match (trail, trail_bps) {
            (None, None) => None,
            (Some(distance), None) => Some(TrailingOffset::Price(price_arg("trail", distance)?)),
            (None, Some(0)) => return Err(PyValueError::new_err("trail_bps must be greater than zero")),
            (None, Some(bps)) => Some(TrailingOffset::Bps(bps)),
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err("give trail (a price distance) or trail_bps, not both"));
            }
        };
        let request = match (limit, stop, trailing) {
            (None, None, None) => OrderRequest::market(id, side, qty),
            (Some(l), None, None) => OrderRequest::limit(id, side, qty, l),
            (None, Some(s), None) => OrderRequest::stop(id, side, qty, s),
            (Some(l), Some(s), None) => OrderRequest::stop_limit(id, side, qty, s, l),
            (None, None, Some(offset)) => OrderRequest::trailing_stop(id, side, qty, offset),
            (_, _, Some(_)) => {
                return Err(PyValueError::new_err(
                    "a trailing stop (trail= or trail_bps=) takes no limit= or stop= price",
                ));
            }
        };
        options.apply(request)
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

    /// The instrument's last price (a bar's close, a trade, a quote's mid),
    /// or None before its first.
    #[pyo3(signature = (symbol=None))]
    fn price(&self, symbol: Option<&str>) -> PyResult<Option<f64>> {
        let id = self.instrument(symbol)?;
        self.with(|ctx| Ok(ctx.last_price(id).map(|p| p.to_f64())))
    }

    /// The symbols this strategy trades, in the order given.
    #[getter]
    fn symbols(&self) -> Vec<String> {
        self.my_symbols()
    }

    /// The last `n` values of a bar field ("open", "high", "low", "close",
    /// "volume", or "time" in Unix ns) of `symbol`, oldest first, as a numpy
    /// array: fewer at the start of the data. The strategy says how many
    /// bars to keep with a class attribute, `history = 200`; feed the array
    /// to `py_rt.ta` for indicator values (`py_rt.ta.sma(ctx.history("close", 50), 20)`).
    #[pyo3(signature = (field="close", n=None, symbol=None))]
    fn history<'py>(
        &self,
        py: Python<'py>,
        field: &str,
        n: Option<usize>,
        symbol: Option<&str>,
    ) -> PyResult<Bound<'py, numpy::PyArray1<f64>>> {
        let id = self.instrument(symbol)?;
        let column = match field {
            "time" => 0,
            "open" => 1,
            "high" => 2,
            "low" => 3,
            "close" => 4,
            "volume" => 5,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown bar field `{other}`; use open, high, low, close, volume or time"
                )));
            }
        };
        let keep = self.history.keep;
        let n = n.unwrap_or(keep);
        if keep == 0 || n > keep {
            return Err(PyValueError::new_err(format!(
                "the strategy keeps {keep} bars of history and {n} were asked for; set the class attribute \
                 `history = {}` (bars kept per symbol)",
                n.max(1)
            )));
        }
        let row = &self.history.bars[id.index()];
        let values: Vec<f64> = row.iter().skip(row.len().saturating_sub(n)).map(|b| b[column]).collect();
        Ok(numpy::IntoPyArray::into_pyarray(values, py))
    }

    /// The best bid and ask of `symbol`'s book as built from its book
    /// changes: (bid, bid_qty, ask, ask_qty), None on a side without levels.
    #[pyo3(signature = (symbol=None))]
    #[allow(clippy::type_complexity)]
    fn book_top(&self, symbol: Option<&str>) -> PyResult<(Option<f64>, Option<f64>, Option<f64>, Option<f64>)> {
        let id = self.instrument(symbol)?;
        self.with(|ctx| {
            let book = ctx.book(id);
            let (bid, ask) = (book.best_bid(), book.best_ask());
            Ok((
                bid.map(|l| l.price.to_f64()),
                bid.map(|l| l.qty.to_f64()),
                ask.map(|l| l.price.to_f64()),
                ask.map(|l| l.qty.to_f64()),
            ))
        })
    }

    /// Every non-zero position, by symbol.
    fn positions(&self) -> PyResult<std::collections::BTreeMap<String, f64>> {
        self.with(|ctx| {
            Ok(ctx
                .portfolio()
                .positions()
                .iter()
                .enumerate()
                .filter(|(_, p)| !p.qty.is_zero())
                .map(|(i, p)| (self.symbols[i].clone(), p.qty.to_f64()))
                .collect())
        })
    }

    /// Moves `symbol`'s position to `weight` × equity (0.25: a quarter of
    /// equity long; -0.1: a tenth short; 0: flat) at its last price, with
    /// one market order (a limit order at `limit`). The order is the
    /// difference between the target and what is held plus already asked
    /// for by working market and limit orders, rounded toward zero to whole
    /// lots, so the position never overshoots. Returns the order id, or
    /// None when no whole lot separates the position from its target.
    #[pyo3(signature = (symbol, weight, *, limit=None))]
    fn order_target_percent(&self, symbol: &str, weight: f64, limit: Option<f64>) -> PyResult<Option<u64>> {
        let w = targets::weight(weight)?;
        self.with(|ctx| targets::check_weights(ctx, [(symbol, w.to_f64())]))?;
        self.target(symbol, Target::Weight(w), limit)
    }

    /// Moves `symbol`'s position to `value` (signed, in cash) at its last
    /// price; rounding and counting as for `order_target_percent`.
    #[pyo3(signature = (symbol, value, *, limit=None))]
    fn order_target_value(&self, symbol: &str, value: f64, limit: Option<f64>) -> PyResult<Option<u64>> {
        let value = Money::from_f64(value)
            .ok()
            .filter(|_| value.is_finite())
            .ok_or_else(|| PyValueError::new_err(format!("value must be a finite amount, got {value}")))?;
        self.target(symbol, Target::Value(value), limit)
    }

    /// Moves `symbol`'s position to `qty` (signed); rounding and counting
    /// as for `order_target_percent`.
    #[pyo3(signature = (symbol, qty, *, limit=None))]
    fn order_target_quantity(&self, symbol: &str, qty: f64, limit: Option<f64>) -> PyResult<Option<u64>> {
        let qty = Quantity::from_f64(qty).map_err(|e| PyValueError::new_err(format!("qty: {e}")))?;
        self.target(symbol, Target::Quantity(qty), limit)
    }

    /// Moves every symbol in `weights` (symbol → fraction of equity) to
    /// its weight, all sized from the same equity and prices; sales go
    /// first, so a venue that matches in order has the cash for the buys.
    /// Symbols not named are left as they are. Weights whose absolute sum
    /// is over the account's leverage limit (1 for a cash account, which
    /// cannot short either; `margin.max_leverage` of the risk limits for a
    /// margin account) raise ValueError before any order goes out. Returns
    /// the ids of the orders sent, by symbol.
    fn rebalance(
        &self,
        weights: std::collections::BTreeMap<String, f64>,
    ) -> PyResult<std::collections::BTreeMap<String, u64>> {
        let mut checked = Vec::with_capacity(weights.len());
        for (symbol, w) in &weights {
            checked.push((self.instrument(Some(symbol))?, symbol.as_str(), targets::weight(*w)?));
        }
        self.with(|ctx| {
            targets::check_weights(ctx, checked.iter().map(|(_, s, w)| (*s, w.to_f64())))?;
            targets::rebalance(ctx, &checked)
        })
    }

    /// Buys `qty`: a market order, or limit / stop / stop-limit when
    /// `limit` and/or `stop` are given, or a trailing stop `trail` (a price
    /// distance) or `trail_bps` (basis points) from the best price since
    /// it was placed. `tif`: "gtc" (default), "ioc", "fok", "day" or "gtd"
    /// (with `good_till`, Unix ns); `post_only` (a limit that must rest),
    /// `reduce_only` (may only shrink the position). Returns the order id.
    #[pyo3(signature = (qty, *, limit=None, stop=None, trail=None, trail_bps=None, symbol=None, tif="gtc".to_string(), good_till=None, post_only=false, reduce_only=false))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn buy(
        &self,
        qty: f64,
        limit: Option<f64>,
        stop: Option<f64>,
        trail: Option<f64>,
        trail_bps: Option<u32>,
        symbol: Option<&str>,
        tif: String,
        good_till: Option<i64>,
        post_only: bool,
        reduce_only: bool,
    ) -> PyResult<u64> {
        let options = Options { tif, good_till, post_only, reduce_only };
        let request = self.request(Side::Buy, qty, limit, stop, trail, trail_bps, symbol, &options)?;
        self.with(|ctx| Ok(ctx.submit(request).0))
    }

    /// `price` on the instrument's tick grid, rounded the careful way for
    /// an order on `side` ("buy" or "sell"): a limit (`stop=False`) never
    /// more aggressive than asked, a stop trigger (`stop=True`) never firing
    /// earlier. Use it for prices computed in floating point, or set
    /// `round_prices=True` on the backtest to round every order on submit.
    #[pyo3(signature = (price, side, *, stop=false, symbol=None))]
    fn round_price(&self, price: f64, side: &str, stop: bool, symbol: Option<&str>) -> PyResult<f64> {
        let id = self.instrument(symbol)?;
        let side = algos::side(side)?;
        let p = Price::from_f64(price)
            .ok()
            .filter(|p| p.is_positive())
            .ok_or_else(|| PyValueError::new_err(format!("price must be above zero, got {price}")))?;
        self.with(|ctx| {
            let tick = ctx.instrument(id).tick_size;
            let request = if stop {
                OrderRequest::stop(id, side, Quantity::from_int(1), p)
            } else {
                OrderRequest::limit(id, side, Quantity::from_int(1), p)
            };
            Ok(match request.rounded_to(tick).kind {
                pyrt_model::OrderKind::Limit { price } | pyrt_model::OrderKind::Stop { trigger: price } => {
                    price.to_f64()
                }
                _ => unreachable!("a limit or a stop"),
            })
        })
    }

    /// Sells `qty` (see `buy`).
    #[pyo3(signature = (qty, *, limit=None, stop=None, trail=None, trail_bps=None, symbol=None, tif="gtc".to_string(), good_till=None, post_only=false, reduce_only=false))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn sell(
        &self,
        qty: f64,
        limit: Option<f64>,
        stop: Option<f64>,
        trail: Option<f64>,
        trail_bps: Option<u32>,
        symbol: Option<&str>,
        tif: String,
        good_till: Option<i64>,
        post_only: bool,
        reduce_only: bool,
    ) -> PyResult<u64> {
        let options = Options { tif, good_till, post_only, reduce_only };
        let request = self.request(Side::Sell, qty, limit, stop, trail, trail_bps, symbol, &options)?;
        self.with(|ctx| Ok(ctx.submit(request).0))
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

    /// Changes a working order: its total quantity, limit price and/or
    /// stop trigger. The venue answers in `on_order_update`.
    #[pyo3(signature = (order_id, *, qty=None, limit=None, stop=None))]
    fn modify(&self, order_id: u64, qty: Option<f64>, limit: Option<f64>, stop: Option<f64>) -> PyResult<()> {
        let qty =
            qty.map(|q| Quantity::from_f64(q).map_err(|e| PyValueError::new_err(format!("qty: {e}")))).transpose()?;
        let limit = limit.map(|v| price_arg("limit", v)).transpose()?;
        let stop = stop.map(|v| price_arg("stop", v)).transpose()?;
        if qty.is_none() && limit.is_none() && stop.is_none() {
            return Err(PyValueError::new_err("modify needs qty=, limit= or stop="));
        }
        self.with(|ctx| {
            ctx.modify(pyrt_model::OrderId(order_id), qty, limit, stop);
            Ok(())
        })
    }

    /// Enters with a market order (or a limit at `limit`); once it is done,
    /// a take-profit limit at `take_profit` and a stop-loss at `stop_loss`
    /// for the filled quantity go out as one-cancels-the-other, both
    /// reduce-only. Returns the entry's id.
    #[pyo3(signature = (side, qty, *, take_profit, stop_loss, limit=None, symbol=None))]
    fn bracket(
        &self,
        side: &str,
        qty: f64,
        take_profit: f64,
        stop_loss: f64,
        limit: Option<f64>,
        symbol: Option<&str>,
    ) -> PyResult<u64> {
        let side = algos::side(side)?;
        let entry = self.request(side, qty, limit, None, None, None, symbol, &Options::default())?;
        let (tp, sl) = (price_arg("take_profit", take_profit)?, price_arg("stop_loss", stop_loss)?);
        self.with(|ctx| Ok(ctx.submit_bracket(entry, tp, sl).0))
    }

    /// One-cancels-the-other: a limit at `limit` and a stop at `stop`, both
    /// `side` and `qty`; the first fill of either cancels the other (a
    /// take-profit and a stop-loss around a position, or a breakout either
    /// way). Returns the two ids, limit first.
    #[pyo3(signature = (side, qty, *, limit, stop, symbol=None, reduce_only=false))]
    fn oco(
        &self,
        side: &str,
        qty: f64,
        limit: f64,
        stop: f64,
        symbol: Option<&str>,
        reduce_only: bool,
    ) -> PyResult<(u64, u64)> {
        let side = algos::side(side)?;
        let options = Options { reduce_only, ..Options::default() };
        let legs = vec![
            self.request(side, qty, Some(limit), None, None, None, symbol, &options)?,
            self.request(side, qty, None, Some(stop), None, None, symbol, &options)?,
        ];
        self.with(|ctx| {
            let ids = ctx.submit_oco(legs);
            Ok((ids[0].0, ids[1].0))
        })
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

    /// This strategy's working orders (on one instrument, or all), oldest
    /// first, as dicts: order_id, symbol, side, kind, qty (None for an
    /// amount of quote), filled, price (a limit's), trigger (a stop's),
    /// status and client_id (for orders a resumed session adopted, the
    /// venue's name for them).
    #[pyo3(signature = (symbol=None))]
    fn open_orders<'py>(&self, py: Python<'py>, symbol: Option<&str>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let only = symbol.map(|s| self.instrument(Some(s))).transpose()?;
        self.with(|ctx| {
            let mut out = Vec::new();
            for o in ctx.open_orders().filter(|o| only.is_none_or(|i| o.instrument() == i)) {
                let d = PyDict::new(py);
                d.set_item("order_id", o.id.0)?;
                d.set_item("symbol", self.symbols.get(o.instrument().index()))?;
                d.set_item("side", if o.request.side == Side::Buy { "buy" } else { "sell" })?;
                d.set_item("kind", o.request.kind.name())?;
                let qty = match o.request.qty {
                    pyrt_model::OrderQty::Base(q) => Some(q.to_f64()),
                    pyrt_model::OrderQty::Quote(_) => None,
                };
                d.set_item("qty", qty)?;
                d.set_item("filled", o.filled.to_f64())?;
                let (price, trigger) = match o.request.kind {
                    pyrt_model::OrderKind::Limit { price } => (Some(price.to_f64()), None),
                    pyrt_model::OrderKind::Stop { trigger } => (None, Some(trigger.to_f64())),
                    pyrt_model::OrderKind::StopLimit { trigger, limit } => {
                        (Some(limit.to_f64()), Some(trigger.to_f64()))
                    }
                    pyrt_model::OrderKind::Market | pyrt_model::OrderKind::TrailingStop { .. } => (None, None),
                };
                d.set_item("price", price)?;
                d.set_item("trigger", trigger)?;
                d.set_item("status", format!("{:?}", o.status).to_lowercase())?;
                d.set_item("client_id", o.client_id.as_deref())?;
                out.push(d);
            }
            Ok(out)
        })
    }

    /// Calls `on_timer(ctx, name)` at `at` (Unix ns), if the data gets there.
    fn set_timer(&self, at: i64, name: String) -> PyResult<()> {
        self.with(|ctx| {
            ctx.set_timer(at, name);
            Ok(())
        })
    }

    /// Works `qty` in `slices` equal child orders between `start` (default
    /// now) and `end` (Unix ns); each slice starts up to `jitter` × the
    /// slice interval late. Returns the parent id.
    #[pyo3(signature = (side, qty, *, end, slices=10, jitter=0.0, seed=0, start=None, limit=None, max_slippage=None, complete=false, symbol=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn twap(
        &self,
        side: &str,
        qty: f64,
        end: i64,
        slices: u32,
        jitter: f64,
        seed: u64,
        start: Option<i64>,
        limit: Option<f64>,
        max_slippage: Option<f64>,
        complete: bool,
        symbol: Option<&str>,
    ) -> PyResult<u64> {
        let algo = Algo::Twap { slices, jitter: algos::rate("jitter", jitter)?, seed };
        self.parent(symbol, algo, (side, qty, start, Some(end), limit, max_slippage, complete))
    }

    /// Works `qty` along `profile` (one volume weight per `bucket_minutes`
    /// of the UTC day, e.g. from `py_rt.volume_profile`) between `start`
    /// (default now) and `end`. Returns the parent id.
    #[pyo3(signature = (side, qty, *, end, profile, bucket_minutes=60, start=None, limit=None, max_slippage=None, complete=false, symbol=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn vwap(
        &self,
        side: &str,
        qty: f64,
        end: i64,
        profile: Vec<f64>,
        bucket_minutes: i64,
        start: Option<i64>,
        limit: Option<f64>,
        max_slippage: Option<f64>,
        complete: bool,
        symbol: Option<&str>,
    ) -> PyResult<u64> {
        let algo = Algo::Vwap { profile: algos::profile(profile, bucket_minutes)? };
        self.parent(symbol, algo, (side, qty, start, Some(end), limit, max_slippage, complete))
    }

    /// Works `qty` at `rate` of the market volume traded after `start`,
    /// in children of `min_child` to `max_child`, until done or `end`.
    #[pyo3(signature = (side, qty, *, rate, min_child, max_child=None, end=None, start=None, limit=None, max_slippage=None, complete=false, symbol=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn pov(
        &self,
        side: &str,
        qty: f64,
        rate: f64,
        min_child: f64,
        max_child: Option<f64>,
        end: Option<i64>,
        start: Option<i64>,
        limit: Option<f64>,
        max_slippage: Option<f64>,
        complete: bool,
        symbol: Option<&str>,
    ) -> PyResult<u64> {
        let algo = Algo::Pov {
            rate: algos::rate("rate", rate)?,
            min_child: algos::quantity("min_child", min_child)?,
            max_child: max_child.map(|q| algos::quantity("max_child", q)).transpose()?,
        };
        self.parent(symbol, algo, (side, qty, start, end, limit, max_slippage, complete))
    }

    /// Works `qty` as a limit at `price`, showing at most `display` at a
    /// time, until done or `end`.
    #[pyo3(signature = (side, qty, *, display, price, end=None, start=None, symbol=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn iceberg(
        &self,
        side: &str,
        qty: f64,
        display: f64,
        price: f64,
        end: Option<i64>,
        start: Option<i64>,
        symbol: Option<&str>,
    ) -> PyResult<u64> {
        let algo =
            Algo::Iceberg { display: algos::quantity("display", display)?, price: algos::price("price", price)? };
        self.parent(symbol, algo, (side, qty, start, end, None, None, false))
    }

    /// Stops one of this strategy's parent orders (its open children are
    /// cancelled).
    fn cancel_algo(&self, parent_id: u64) -> PyResult<()> {
        self.with(|ctx| {
            ctx.cancel_algo(ParentId(parent_id));
            Ok(())
        })
    }

    /// A parent order's progress and cost as a dict, or None before the
    /// engine has taken it (the callback that sent it) or for an unknown id.
    fn algo<'py>(&self, py: Python<'py>, parent_id: u64) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.with(|ctx| ctx.algo(ParentId(parent_id)).map(|e| algos::summary_dict(py, e)).transpose())
    }
}
