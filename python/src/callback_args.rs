//! What a Python strategy's callbacks receive: bars, trades, quotes, book
//! changes, fills and order and parent updates, as frozen Python objects
//! (prices and quantities as floats; the engine keeps them exact).

use pyo3::prelude::*;
use pyo3::types::PyString;

/// One bar, as a strategy sees it.
#[pyclass(frozen, name = "Bar", module = "py_rt")]
pub struct PyBar {
    #[pyo3(get)]
    pub(crate) symbol: Py<PyString>,
    /// Unix nanoseconds.
    #[pyo3(get)]
    pub(crate) ts: i64,
    #[pyo3(get)]
    pub(crate) open: f64,
    #[pyo3(get)]
    pub(crate) high: f64,
    #[pyo3(get)]
    pub(crate) low: f64,
    #[pyo3(get)]
    pub(crate) close: f64,
    #[pyo3(get)]
    pub(crate) volume: f64,
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
    pub(crate) order_id: u64,
    /// "buy" or "sell".
    #[pyo3(get)]
    pub(crate) side: &'static str,
    #[pyo3(get)]
    pub(crate) price: f64,
    #[pyo3(get)]
    pub(crate) qty: f64,
    #[pyo3(get)]
    pub(crate) fee: f64,
    #[pyo3(get)]
    pub(crate) ts: i64,
}

/// A change of state of one of the strategy's orders.
#[pyclass(frozen, name = "OrderUpdate", module = "py_rt")]
pub struct PyOrderUpdate {
    #[pyo3(get)]
    pub(crate) order_id: u64,
    /// "accepted", "filled", "rejected", …
    #[pyo3(get)]
    pub(crate) status: String,
    #[pyo3(get)]
    pub(crate) ts: i64,
    /// Why it was rejected or cancelled.
    #[pyo3(get)]
    pub(crate) reason: Option<String>,
}

/// A change in one of the strategy's parent orders.
#[pyclass(frozen, name = "AlgoUpdate", module = "py_rt")]
pub struct PyAlgoUpdate {
    #[pyo3(get)]
    pub(crate) parent_id: u64,
    /// "working", "completed", "cancelled", "expired" or "failed".
    #[pyo3(get)]
    pub(crate) status: &'static str,
    #[pyo3(get)]
    pub(crate) executed: f64,
    #[pyo3(get)]
    pub(crate) remaining: f64,
    #[pyo3(get)]
    pub(crate) ts: i64,
    /// Why it was refused, cancelled or failed.
    #[pyo3(get)]
    pub(crate) reason: Option<String>,
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

/// One trade print, as a strategy sees it (`on_trade`).
#[pyclass(frozen, name = "Trade", module = "py_rt")]
pub struct PyTrade {
    #[pyo3(get)]
    pub(crate) symbol: Py<PyString>,
    /// Unix nanoseconds (the venue's time).
    #[pyo3(get)]
    pub(crate) ts: i64,
    #[pyo3(get)]
    pub(crate) price: f64,
    #[pyo3(get)]
    pub(crate) qty: f64,
    /// "buy" or "sell" (the side that crossed the spread), or None when the venue does not say.
    #[pyo3(get)]
    pub(crate) aggressor: Option<&'static str>,
}

#[pymethods]
impl PyTrade {
    fn __repr__(&self) -> String {
        format!("Trade(ts={}, price={}, qty={}, aggressor={:?})", self.ts, self.price, self.qty, self.aggressor)
    }
}

/// The top of a book, as a strategy sees it (`on_quote`).
#[pyclass(frozen, name = "Quote", module = "py_rt")]
pub struct PyQuote {
    #[pyo3(get)]
    pub(crate) symbol: Py<PyString>,
    #[pyo3(get)]
    pub(crate) ts: i64,
    #[pyo3(get)]
    pub(crate) bid: f64,
    #[pyo3(get)]
    pub(crate) bid_qty: f64,
    #[pyo3(get)]
    pub(crate) ask: f64,
    #[pyo3(get)]
    pub(crate) ask_qty: f64,
}

#[pymethods]
impl PyQuote {
    fn __repr__(&self) -> String {
        format!("Quote(ts={}, bid={}x{}, ask={}x{})", self.ts, self.bid, self.bid_qty, self.ask, self.ask_qty)
    }
}

/// One change of a price level (`on_book_delta`); the book it builds is
/// `ctx.book_top(symbol)`.
#[pyclass(frozen, name = "BookDelta", module = "py_rt")]
pub struct PyBookDelta {
    #[pyo3(get)]
    pub(crate) symbol: Py<PyString>,
    #[pyo3(get)]
    pub(crate) ts: i64,
    /// "add", "update", "delete" or "clear".
    #[pyo3(get)]
    pub(crate) action: &'static str,
    /// "buy" (a bid level) or "sell" (an ask level).
    #[pyo3(get)]
    pub(crate) side: &'static str,
    #[pyo3(get)]
    pub(crate) price: f64,
    /// The level's size after the change.
    #[pyo3(get)]
    pub(crate) qty: f64,
    /// The last change of a venue message: the book is consistent after it.
    #[pyo3(get)]
    pub(crate) last: bool,
}

#[pymethods]
impl PyBookDelta {
    fn __repr__(&self) -> String {
        format!(
            "BookDelta(ts={}, {} {} {}@{}, last={})",
            self.ts, self.action, self.side, self.qty, self.price, self.last
        )
    }
}
